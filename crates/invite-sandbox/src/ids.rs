//! Random ids and secrets in each vendor's format.

const HEX: &[u8] = b"0123456789abcdef";
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

/// A random lower-case hex string of `n` characters.
pub(crate) fn random_hex(n: usize) -> String {
    random_from(HEX, n)
}

/// A new Mongo-style object id (24 lower-case hex), as Webflow uses.
pub(crate) fn object_id() -> String {
    random_hex(24)
}

/// Whether `s` is a 24-hex-digit object id.
pub(crate) fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.chars().all(|c| c.is_ascii_hexdigit())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_vendor_shapes() {
        let u = uuid_v4();
        assert!(is_uuid(&u));
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert!(is_object_id(&object_id()));
        assert_eq!(object_id().len(), 24);
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
}
