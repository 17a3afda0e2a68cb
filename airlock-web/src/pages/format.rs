//! How the pages write times (PG-6), sizes and addresses.

use airlock_core::Timestamp;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// A time as PG-6 shows it: `YYYY-MM-DD HH:MM` UTC, with the full RFC 3339 time for a `<time
/// datetime>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// `YYYY-MM-DD HH:MM`.
    pub text: String,
    /// RFC 3339.
    pub datetime: String,
}

/// PG-6.
pub fn time(at: Timestamp) -> Shown {
    Shown {
        text: at.format("%Y-%m-%d %H:%M").to_string(),
        datetime: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// PG-6 for a modification time in seconds since the epoch (a manifest's `timestamp`).
pub fn epoch_time(seconds: f64) -> Option<Shown> {
    if !seconds.is_finite() {
        return None;
    }
    DateTime::<Utc>::from_timestamp(seconds.floor() as i64, 0).map(time)
}

/// How long something has waited, in words: "under a minute", "5 minutes", "3 hours",
/// "2 days".
pub fn waited(duration: chrono::TimeDelta) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match (
        duration.num_days(),
        duration.num_hours(),
        duration.num_minutes(),
    ) {
        (d, _, _) if d >= 1 => plural(d, "day"),
        (_, h, _) if h >= 1 => plural(h, "hour"),
        (_, _, m) if m >= 1 => plural(m, "minute"),
        _ => "under a minute".to_string(),
    }
}

/// A size in bytes in words: `532 B`, `12.4 kB`, `3.1 MB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Characters escaped in one path segment of a URL.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'\\')
    .add(b'\'')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// A relative path as URL path segments, each escaped (a path may hold spaces, `#`, `?` ...).
pub fn path_segments(path: &str) -> String {
    path.split('/')
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// One segment (a workspace name, a group, an id).
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A query value.
pub fn query(text: &str) -> String {
    utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_6_times_and_sizes() {
        let at = DateTime::<Utc>::from_timestamp(1_741_188_950, 0).expect("time");
        assert_eq!(
            time(at),
            Shown {
                text: "2025-03-05 15:35".into(),
                datetime: "2025-03-05T15:35:50Z".into()
            }
        );
        assert_eq!(size(532), "532 B");
        assert_eq!(size(12_400), "12.4 kB");
        assert_eq!(size(3_100_000), "3.1 MB");
        assert_eq!(path_segments("out/a b#?.csv"), "out/a%20b%23%3F.csv");
        assert_eq!(segment("a/b"), "a%2Fb");
    }
}
