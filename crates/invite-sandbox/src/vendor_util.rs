//! Small helpers shared by the Flatfile, awork and Webflow workspace surfaces:
//! id generators in each vendor's format, timestamps, query-string parsing,
//! and JSON body parsing that never panics.

use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;

/// Lower-case alphanumeric alphabet used by Flatfile id suffixes.
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A random string of `len` characters taken from `alphabet`.
fn random_from(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| {
            let i = fastrand::usize(..alphabet.len());
            alphabet.get(i).copied().map_or('x', char::from)
        })
        .collect()
}

/// A Flatfile-style id: `prefix` followed by 8 lower-case alphanumerics
/// (for example `us_usr_k3j9x0aa`).
pub(crate) fn prefixed_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(ALNUM, 8))
}

/// A random RFC 4122 version-4 UUID in its hyphenated lower-case form.
pub(crate) fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = fastrand::u8(..);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
}

/// Whether `s` is a hyphenated UUID (any version, case-insensitive).
pub(crate) fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let lens = [8usize, 4, 4, 4, 12];
    parts.len() == 5
        && parts
            .iter()
            .zip(lens)
            .all(|(p, l)| p.len() == l && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A random 24-hex-digit MongoDB-style object id, as Webflow uses.
pub(crate) fn object_id() -> String {
    random_from(b"0123456789abcdef", 24)
}

/// Whether `s` is a 24-hex-digit object id.
pub(crate) fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Standard base64 (with padding) of `bytes`.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |i: u32| {
        TABLE
            .get((i & 63) as usize)
            .copied()
            .map_or('A', char::from)
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let n = (b0 << 16) | (b1 << 8) | b2;
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

/// An opaque, base64-looking secret of `n` random bytes (ends in `=` when
/// `n` is not a multiple of 3, like awork's invitation codes).
pub(crate) fn opaque_code(n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| fastrand::u8(..)).collect();
    base64(&bytes)
}

/// `2026-08-03T18:24:00.123Z`: ISO 8601 in UTC with milliseconds.
pub(crate) fn iso_millis(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// `2026-08-03T18:24:00Z`: RFC 3339 in UTC with whole seconds.
pub(crate) fn rfc3339_seconds(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// The current UTC time.
pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Decoded query pairs in request order (repeated keys kept).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

/// Why a request body could not be read as a JSON object.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The body is not valid JSON.
    Malformed(String),
    /// The body is valid JSON but not an object.
    NotAnObject,
}

/// Parses `body` as a JSON object; an empty body counts as `{}` only when
/// `empty_ok` is set.
pub(crate) fn json_object(
    body: &[u8],
    empty_ok: bool,
) -> Result<serde_json::Map<String, Value>, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return if empty_ok {
            Ok(serde_json::Map::new())
        } else {
            Err(BodyError::Malformed("the request body is empty".to_owned()))
        };
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(e) => Err(BodyError::Malformed(e.to_string())),
    }
}

/// One seeded user: its email and the whole object.
pub(crate) type SeedUser<'a> = (&'a str, &'a serde_json::Map<String, Value>);

/// The users of a seed section `{"users": [{"email": …, …}, …]}` (no other field allowed),
/// each with its validated email; an address may appear once (compared lower-cased, and
/// against `existing`). `section` names the section in errors.
pub(crate) fn seed_users<'a>(
    section: &str,
    seed: &'a Value,
    existing: impl Fn(&str) -> bool,
) -> Result<Vec<SeedUser<'a>>, String> {
    let Some(obj) = seed.as_object() else {
        return Err(format!("the {section} section must be an object"));
    };
    if let Some(k) = obj.keys().find(|k| k.as_str() != "users") {
        return Err(format!("unknown {section} seed field `{k}`"));
    }
    let users = match obj.get("users") {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err("`users` must be an array".to_owned()),
    };
    let mut out: Vec<SeedUser<'a>> = Vec::with_capacity(users.len());
    for u in users {
        let Some(u) = u.as_object() else {
            return Err("each seeded user must be an object".to_owned());
        };
        let email = u
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| looks_like_email(e))
            .ok_or("each seeded user needs a valid `email`")?;
        if existing(email) || out.iter().any(|(e, _)| norm_email(e) == norm_email(email)) {
            return Err(format!("seeded email {email} appears twice"));
        }
        out.push((email, u));
    }
    Ok(out)
}

/// Trimmed, lower-cased form of an email address used for comparisons.
pub(crate) fn norm_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately small syntactic email check: one `@`, non-empty local
/// part, a dot in the domain, no whitespace.
pub(crate) fn looks_like_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_vendor_shapes() {
        assert!(is_uuid(&uuid_v4()));
        assert!(is_object_id(&object_id()));
        let id = prefixed_id("us_usr_");
        assert!(id.starts_with("us_usr_") && id.len() == 15);
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert!(opaque_code(16).ends_with("=="));
    }

    #[test]
    fn timestamps_are_utc_with_the_right_precision() {
        let t = OffsetDateTime::from_unix_timestamp(1_785_781_440).unwrap();
        assert_eq!(iso_millis(t), "2026-08-03T18:24:00.000Z");
        assert_eq!(rfc3339_seconds(t), "2026-08-03T18:24:00Z");
    }

    #[test]
    fn email_helpers() {
        assert!(looks_like_email("a.b@example.com"));
        assert!(!looks_like_email("a b@example.com"));
        assert!(!looks_like_email("ab@example"));
    }
}
