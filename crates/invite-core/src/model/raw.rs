//! What adapters keep of the vendor's answer: the raw payload, and vendor timestamps.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A vendor's payload for one user, kept untouched as the JSON value the adapter decoded it
/// from. It reads like that `Value`: it dereferences to one.
///
/// ```
/// use invite_core::model::RawPayload;
/// use serde_json::json;
///
/// let raw = RawPayload::from(json!({"id": "u1", "plan": "pro"}));
/// assert_eq!(raw["plan"], "pro");
/// assert_eq!(raw, json!({"id": "u1", "plan": "pro"}));
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct RawPayload(serde_json::Value);

impl RawPayload {
    /// The payload as a JSON value.
    pub fn value(&self) -> &serde_json::Value {
        &self.0
    }

    /// The payload as an owned JSON value.
    pub fn into_value(self) -> serde_json::Value {
        self.0
    }
}

impl std::ops::Deref for RawPayload {
    type Target = serde_json::Value;
    fn deref(&self) -> &serde_json::Value {
        &self.0
    }
}

impl From<serde_json::Value> for RawPayload {
    fn from(v: serde_json::Value) -> Self {
        Self(v)
    }
}

impl PartialEq<serde_json::Value> for RawPayload {
    fn eq(&self, other: &serde_json::Value) -> bool {
        &self.0 == other
    }
}

impl fmt::Debug for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for RawPayload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawPayload {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Self)
    }
}

/// Parses a vendor timestamp leniently: RFC 3339 with or without fractions, and the
/// malformed fractions some vendor examples carry (awork's `…T00:00:000Z`). `None` when it
/// cannot be read; adapters keep the raw value in [`crate::User::raw`] either way.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{User, UserStatus};

    /// A payload reads, compares, serializes and converts like the value it holds.
    #[test]
    fn raw_payload_behaves_like_its_value() {
        use serde_json::json;
        let value = json!({"id": "u1", "n": 1.50, "nested": {"a": [1, 2]}});
        let raw = RawPayload::from(value.clone());
        assert_eq!(raw["nested"]["a"][1], 2);
        assert_eq!(raw, value);
        assert_eq!(raw.to_string(), value.to_string());
        assert_eq!(serde_json::to_value(&raw).unwrap(), value);
        assert_eq!(format!("{raw:?}"), format!("{value:?}"));
        assert_eq!(raw.clone().into_value(), value);
        let back: RawPayload = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back, value);
        assert_eq!(RawPayload::default(), serde_json::Value::Null);
        let user = User::new("u1", UserStatus::Active).with_raw(raw);
        let round: User = serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
        assert_eq!(round, user);
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2022-05-20T13:46:12Z").is_some());
        assert!(parse_timestamp("2026-11-25T10:55:58.1234567891Z").is_some());
        assert!(parse_timestamp("2026-02-30T00:00:00Z").is_none());
        assert!(parse_timestamp("2022-05-20T13:46:12.093Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12+02:00").is_some());
        assert!(parse_timestamp("1998-04-19T00:00:000Z").is_some());
        assert!(parse_timestamp("2022-05-20T13:46:12").is_some());
        assert!(parse_timestamp("yesterday").is_none());
        assert!(parse_timestamp("").is_none());
    }
}
