//! Redaction of secrets from anything that may be shown: error body excerpts, logs.

/// Longest body excerpt kept on an error, in characters.
pub const EXCERPT_LIMIT: usize = 512;

/// The replacement for a secret.
pub const REDACTED: &str = "[REDACTED]";

/// JSON keys whose values are secrets, compared lower-cased with `_`/`-` removed.
const SENSITIVE_KEYS: &[&str] = &[
    "invitationcode",
    "passwordresetcode",
    "password",
    "passcode",
    "token",
    "accesstoken",
    "refreshtoken",
    "bearertoken",
    "apitoken",
    "apikey",
    "secret",
    "clientsecret",
    "authorization",
];

/// True when a JSON key names a secret.
pub fn is_sensitive_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    SENSITIVE_KEYS.contains(&k.as_str())
}

/// Replaces the values of secret-named keys in a JSON value, recursively.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_sensitive_key(k) && !v.is_null() {
                    *v = serde_json::Value::String(REDACTED.to_owned());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// A bounded, redacted excerpt of a response body: JSON values under secret-named keys are
/// replaced, every occurrence of a known secret (e.g. the client's token) is replaced, and
/// the result is cut to [`EXCERPT_LIMIT`] characters.
pub fn excerpt(body: &[u8], known_secrets: &[&str]) -> String {
    let mut text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        Err(_) => scrub_text(&String::from_utf8_lossy(body)),
    };
    text = replace_secrets(&text, known_secrets);
    truncate(&text, EXCERPT_LIMIT)
}

/// Shortest secret replaced: a shorter one would mangle ordinary text, and no real token is
/// that short.
pub const MIN_SECRET_LEN: usize = 4;

/// `text` with every occurrence of each secret replaced by [`REDACTED`]: the one routine for
/// secrets the caller knows (tokens, invitation codes). Longest first, so a secret that
/// contains another is replaced whole; secrets shorter than [`MIN_SECRET_LEN`] are skipped.
///
/// ```
/// use invite_core::redact::replace_secrets;
/// assert_eq!(replace_secrets("k=tok_1234 and tok_12345", &["tok_1234", "tok_12345"]), "k=[REDACTED] and [REDACTED]");
/// assert_eq!(replace_secrets("abc", &["ab"]), "abc");
/// ```
pub fn replace_secrets<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| s.len() >= MIN_SECRET_LEN)
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for s in secrets {
        if out.contains(s) {
            out = out.replace(s, REDACTED);
        }
    }
    out
}

/// Redacts `"<secret-named key>": "<value>"` pairs in text that is not valid JSON (a
/// truncated or malformed body), up to the value's closing quote or the end of the text.
pub fn scrub_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let (before, from_quote) = rest.split_at(start);
        out.push_str(before);
        let after_open = from_quote.get(1..).unwrap_or_default();
        let Some(key_len) = after_open.find('"') else {
            out.push_str(from_quote);
            return out;
        };
        let key = after_open.get(..key_len).unwrap_or_default();
        let after_key = after_open.get(key_len + 1..).unwrap_or_default();
        out.push('"');
        out.push_str(key);
        out.push('"');
        rest = after_key;
        if !is_sensitive_key(key) {
            continue;
        }
        let trimmed = rest.trim_start();
        let Some(after_colon) = trimmed.strip_prefix(':') else {
            continue;
        };
        let value = after_colon.trim_start();
        let Some(body) = value.strip_prefix('"') else {
            continue;
        };
        out.push_str(": \"");
        out.push_str(REDACTED);
        out.push('"');
        // Skip to the closing quote, honouring escapes; an unterminated value runs to the end.
        let mut escaped = false;
        let mut end = body.len();
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = body.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Cuts `s` to at most `limit` characters, marking the cut with `…`.
pub fn truncate(s: &str, limit: usize) -> String {
    match s.char_indices().nth(limit) {
        Some((idx, _)) => format!("{}…", s.get(..idx).unwrap_or_default()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_keys_and_known_secrets() {
        let body = br#"{"invitationCode":"abc123==","userId":"u1","nested":{"api_key":"k"},"msg":"token tok_SECRET leaked"}"#;
        let e = excerpt(body, &["tok_SECRET"]);
        assert!(!e.contains("abc123"));
        assert!(!e.contains("tok_SECRET"));
        assert!(e.contains("u1"));
        assert!(e.contains(REDACTED));
    }

    #[test]
    fn scrubs_truncated_json() {
        let body = br#"{"userId":"u1","invitationCode":"c0de==","passwordResetCode":"pr\"x","note":"ok","token":"unterminated"#;
        let e = excerpt(body, &[]);
        assert!(!e.contains("c0de"), "{e}");
        assert!(!e.contains("pr\\\"x") && !e.contains("unterminated"), "{e}");
        assert!(e.contains("u1") && e.contains("\"note\":\"ok\""), "{e}");
        assert_eq!(scrub_text("no quotes at all"), "no quotes at all");
        let s = scrub_text(r#"{"InvitationCode" : "q1=","userId":"u"}"#);
        assert!(!s.contains("q1=") && s.contains("userId"), "{s}");
        assert_eq!(scrub_text(r#"{"a":"#), r#"{"a":"#);
    }

    #[test]
    fn bounds_non_json() {
        let body = "<html>".repeat(1000);
        let e = excerpt(body.as_bytes(), &[]);
        assert_eq!(e.chars().count(), EXCERPT_LIMIT + 1);
        assert!(e.ends_with('…'));
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hé", 2), "hé");
    }
}
