//! Timestamps in the formats the vendors write them.

use time::OffsetDateTime;
use time::macros::format_description;

/// The current UTC time.
pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `2026-08-03T18:24:00.123Z`: ISO 8601 in UTC with milliseconds.
pub(crate) fn iso_millis(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// The current time as [`iso_millis`] writes it.
pub(crate) fn now_millis() -> String {
    iso_millis(now())
}

/// `2026-08-03T18:24:00Z`: RFC 3339 in UTC with whole seconds.
pub(crate) fn rfc3339_seconds(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_the_right_precision() {
        let t = OffsetDateTime::from_unix_timestamp(1_785_781_440).unwrap();
        assert_eq!(iso_millis(t), "2026-08-03T18:24:00.000Z");
        assert_eq!(rfc3339_seconds(t), "2026-08-03T18:24:00Z");
        assert_eq!(now_millis().len(), "2026-08-03T18:24:00.000Z".len());
    }
}
