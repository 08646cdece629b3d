//! Packet time: nanoseconds since the Unix epoch, as carried by capture timestamps, and its
//! rendering in the EVE timestamp format (`2026-12-03T14:00:00.123456+0000`).

/// Nanoseconds since 1970-01-01T00:00:00Z.
pub type Nanos = u64;

pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Formats `ts` as RFC 3339 with microseconds and a `+0000` offset (Suricata's EVE form).
pub fn format_eve(ts: Nanos) -> String {
    let secs = (ts / NANOS_PER_SEC) as i64;
    let micros = (ts % NANOS_PER_SEC) / 1000;
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => format!("{}.{:06}+0000", dt.format("%Y-%m-%dT%H:%M:%S"), micros),
        None => "1970-01-01T00:00:00.000000+0000".to_string(),
    }
}

/// Wall-clock time now, for live captures whose driver gives no timestamp.
pub fn wall_now() -> Nanos {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn eve_format() {
        assert_eq!(format_eve(0), "1970-01-01T00:00:00.000000+0000");
        assert_eq!(
            format_eve(1_796_306_400_123_456_789),
            "2026-12-03T14:00:00.123456+0000"
        );
    }
}
