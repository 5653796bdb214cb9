//! What adapters keep of the vendor's answer: the raw payload, and vendor timestamps.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A vendor's payload for one user, kept untouched: either the JSON text exactly as the vendor
/// sent it (adapters that read their answers straight from the bytes keep it that way, which
/// spares every call building a `serde_json::Value` tree nobody may look at), or a
/// `serde_json::Value`.
///
/// It reads like a `Value` either way: it dereferences to one, parsed from the text the first
/// time it is looked at and kept.
///
/// ```
/// use invite_core::model::RawPayload;
/// use serde_json::{json, value::RawValue};
///
/// let text = RawValue::from_string(r#"{"id":"u1","plan":"pro"}"#.to_owned())?;
/// let raw = RawPayload::from_text(text);
/// assert_eq!(raw["plan"], "pro");
/// assert_eq!(raw.text(), Some(r#"{"id":"u1","plan":"pro"}"#));
/// assert_eq!(raw, json!({"id": "u1", "plan": "pro"}));
/// assert_eq!(RawPayload::from(json!({"id": "u1"}))["id"], "u1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct RawPayload {
    repr: RawRepr,
}

#[derive(Clone)]
enum RawRepr {
    Value(serde_json::Value),
    Text {
        text: Box<serde_json::value::RawValue>,
        parsed: std::sync::OnceLock<serde_json::Value>,
    },
}

impl Default for RawRepr {
    fn default() -> Self {
        Self::Value(serde_json::Value::Null)
    }
}

impl RawPayload {
    /// The payload as the JSON text the vendor sent.
    pub fn from_text(text: Box<serde_json::value::RawValue>) -> Self {
        Self {
            repr: RawRepr::Text {
                text,
                parsed: std::sync::OnceLock::new(),
            },
        }
    }

    /// The payload as a JSON value (parsed from the text on first use).
    pub fn value(&self) -> &serde_json::Value {
        match &self.repr {
            RawRepr::Value(v) => v,
            // The text was validated as JSON when it was captured, so parsing it again
            // cannot fail; `Null` only keeps this free of a panic path.
            RawRepr::Text { text, parsed } => {
                parsed.get_or_init(|| serde_json::from_str(text.get()).unwrap_or_default())
            }
        }
    }

    /// The payload as an owned JSON value.
    pub fn into_value(self) -> serde_json::Value {
        match self.repr {
            RawRepr::Value(v) => v,
            RawRepr::Text { text, parsed } => parsed
                .into_inner()
                .unwrap_or_else(|| serde_json::from_str(text.get()).unwrap_or_default()),
        }
    }

    /// The JSON text exactly as the vendor sent it, when it was kept that way.
    pub fn text(&self) -> Option<&str> {
        match &self.repr {
            RawRepr::Value(_) => None,
            RawRepr::Text { text, .. } => Some(text.get()),
        }
    }
}

impl std::ops::Deref for RawPayload {
    type Target = serde_json::Value;
    fn deref(&self) -> &serde_json::Value {
        self.value()
    }
}

impl From<serde_json::Value> for RawPayload {
    fn from(v: serde_json::Value) -> Self {
        Self {
            repr: RawRepr::Value(v),
        }
    }
}

impl From<Box<serde_json::value::RawValue>> for RawPayload {
    fn from(text: Box<serde_json::value::RawValue>) -> Self {
        Self::from_text(text)
    }
}

impl PartialEq for RawPayload {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl PartialEq<serde_json::Value> for RawPayload {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.value() == other
    }
}

impl fmt::Debug for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

impl fmt::Display for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            RawRepr::Value(v) => fmt::Display::fmt(v, f),
            RawRepr::Text { text, .. } => f.write_str(text.get()),
        }
    }
}

impl Serialize for RawPayload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawPayload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Self::from)
    }
}

/// Parses a vendor timestamp leniently: RFC 3339 with or without fractions, and the
/// malformed fractions some vendor examples carry (awork's `…T00:00:000Z`). `None` when it
/// cannot be read; adapters keep the raw value in [`User::raw`] either way.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Some(t) = parse_utc_timestamp(s.as_bytes()) {
        return Some(t);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // "2022-05-20T13:46:12" without offset: assume UTC.
    let with_z = format!("{s}Z");
    if let Ok(t) = OffsetDateTime::parse(&with_z, &Rfc3339) {
        return Some(t);
    }
    // "1998-04-19T00:00:000Z": seconds with an extra digit; keep the first two.
    let (date, rest) = s.split_once('T')?;
    let rest = rest.trim_end_matches('Z');
    let mut parts = rest.splitn(3, ':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    let sec: String = sec.chars().take(2).collect();
    OffsetDateTime::parse(&format!("{date}T{h}:{m}:{sec}Z"), &Rfc3339).ok()
}

/// The shape nearly every vendor sends, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, read directly:
/// every user a list or lookup returns carries two to four of these, and the general RFC 3339
/// parser costs several times more. `None` for anything else (other offsets, leap seconds,
/// more than nine fraction digits, malformed input), which then goes through `time`'s
/// parser; `tests::utc_fast_path_agrees_with_time` keeps the two in step.
fn parse_utc_timestamp(s: &[u8]) -> Option<OffsetDateTime> {
    fn digits(s: &[u8], from: usize, len: usize) -> Option<u32> {
        s.get(from..from + len)?.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    }
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if s.last() != Some(&b'Z') || separators.iter().any(|&(i, c)| s.get(i) != Some(&c)) {
        return None;
    }
    let year = i32::try_from(digits(s, 0, 4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(digits(s, 5, 2)?).ok()?).ok()?;
    let day = u8::try_from(digits(s, 8, 2)?).ok()?;
    let hour = u8::try_from(digits(s, 11, 2)?).ok()?;
    let minute = u8::try_from(digits(s, 14, 2)?).ok()?;
    let second = u8::try_from(digits(s, 17, 2)?).ok()?;
    let nanos = match s.get(19..s.len().saturating_sub(1))? {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let value = digits(fraction, 0, fraction.len())?;
            value * 10u32.pow(9 - u32::try_from(fraction.len()).ok()?)
        }
        _ => return None,
    };
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let time = time::Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{User, UserStatus};

    /// A payload kept as text reads, compares, serializes and converts like the value it
    /// holds; it is parsed once, on first look.
    #[test]
    fn raw_payload_as_text_behaves_like_its_value() {
        use serde_json::{json, value::RawValue};
        let text = r#"{"id": "u1", "n": 1.50, "nested": {"a": [1, 2]}}"#;
        let raw = RawPayload::from_text(RawValue::from_string(text.to_owned()).unwrap());
        let value = json!({"id": "u1", "n": 1.50, "nested": {"a": [1, 2]}});
        assert_eq!(raw.text(), Some(text));
        assert!(matches!(&raw.repr, RawRepr::Text { parsed, .. } if parsed.get().is_none()));
        assert_eq!(raw["nested"]["a"][1], 2);
        assert!(matches!(&raw.repr, RawRepr::Text { parsed, .. } if parsed.get().is_some()));
        assert_eq!(raw, value);
        assert_eq!(raw, RawPayload::from(value.clone()));
        assert_eq!(raw.to_string(), text, "Display keeps the vendor's text");
        assert_eq!(serde_json::to_value(&raw).unwrap(), value);
        assert_eq!(format!("{raw:?}"), format!("{value:?}"));
        assert_eq!(raw.clone().into_value(), value);
        let unparsed = RawPayload::from_text(RawValue::from_string(text.to_owned()).unwrap());
        assert_eq!(unparsed.into_value(), value);
        let back: RawPayload = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back.text(), None);
        assert_eq!(back, value);
        assert_eq!(RawPayload::default(), serde_json::Value::Null);
        let user = User::new("u1", UserStatus::Active).with_raw(raw);
        let round: User = serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
        assert_eq!(round, user);
    }

    /// Wherever the UTC fast path answers, `time`'s RFC 3339 parser gives the same instant;
    /// and it does answer for the usual shapes.
    #[test]
    fn utc_fast_path_agrees_with_time() {
        use time::format_description::well_known::Rfc3339;
        let mut answered = 0;
        let bases = [
            "2026-11-25T10:55:58Z",
            "2026-11-25T10:55:58.1Z",
            "2026-11-25T10:55:58.123Z",
            "2024-02-29T23:59:59.999999999Z",
            "0001-01-01T00:00:00Z",
        ];
        for base in bases {
            assert!(parse_utc_timestamp(base.as_bytes()).is_some(), "{base}");
            for i in 0..=base.len() {
                for b in b"0123456789:-.TZz+ 9x\xff".iter().copied() {
                    let mut bytes = base.as_bytes().to_vec();
                    if i < bytes.len() {
                        bytes[i] = b;
                    } else {
                        bytes.push(b);
                    }
                    for candidate in [bytes.clone(), {
                        let mut v = base.as_bytes().to_vec();
                        v.insert(i, b);
                        v
                    }] {
                        let Ok(text) = std::str::from_utf8(&candidate) else {
                            assert!(parse_utc_timestamp(&candidate).is_none());
                            continue;
                        };
                        if let Some(fast) = parse_utc_timestamp(&candidate) {
                            answered += 1;
                            let slow = OffsetDateTime::parse(text, &Rfc3339).ok();
                            assert_eq!(Some(fast), slow, "{text:?}");
                        }
                    }
                }
            }
        }
        for odd in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T10:60:00Z",
            "2026-11-25T10:55:60Z",
            "2026-11-25T10:55:58.Z",
            "2026-11-25T10:55:58.1234567891Z",
            "2026-11-25T10:55:58+00:00",
            "2026-11-25 10:55:58Z",
        ] {
            assert!(parse_utc_timestamp(odd.as_bytes()).is_none(), "{odd}");
        }
        // What the fast path leaves alone still parses through the general path.
        assert!(parse_timestamp("2026-11-25T10:55:58+01:00").is_some());
        assert!(parse_timestamp("2026-11-25T10:55:58.1234567891Z").is_some());
        assert!(
            answered > 200,
            "the fast path answered only {answered} variants"
        );
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2022-05-20T13:46:12Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12.093Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12+02:00").is_some());
        assert!(parse_timestamp("1998-04-19T00:00:000Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12").is_some());
        assert!(parse_timestamp("yesterday").is_none());
        assert!(parse_timestamp("").is_none());
    }
}
