//! The time window a run is limited to (`--since`, `--until`, `--last`):
//! parsing the user's times and durations, and testing a record's time.

use crate::parse::time::{Micros, days_from_civil, digits};

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Records with `since <= time < until` are kept; either bound may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

/// The earliest and the latest of some records' times (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSpan {
    pub first: Micros,
    pub last: Micros,
}

impl TimeSpan {
    /// `span` (none yet, or some) widened to take in `time`.
    pub fn including(span: Option<TimeSpan>, time: Micros) -> TimeSpan {
        let at = TimeSpan { first: time, last: time };
        span.map_or(at, |s| s.join(at))
    }

    /// The span taking in both (either may be none).
    pub fn joined(a: Option<TimeSpan>, b: Option<TimeSpan>) -> Option<TimeSpan> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.join(b)),
            (a, b) => a.or(b),
        }
    }

    fn join(self, other: TimeSpan) -> TimeSpan {
        TimeSpan { first: self.first.min(other.first), last: self.last.max(other.last) }
    }
}

impl TimeWindow {
    pub fn contains(&self, time: Micros) -> bool {
        self.since.is_none_or(|s| time >= s) && self.until.is_none_or(|u| time < u)
    }

    /// The window of the same length that ends where this one starts
    /// (an open end counts up to now); none without a start.
    pub fn previous(&self) -> Option<TimeWindow> {
        let since = self.since?;
        let length = self.until.unwrap_or_else(now) - since;
        Some(TimeWindow { since: Some(since - length), until: Some(since) })
    }

    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// The window from the command line: `--last` counts back from `until`
    /// (or from `now`).
    pub fn from_args(
        since: Option<&str>,
        until: Option<&str>,
        last: Option<&str>,
        now: Micros,
    ) -> Result<Self, WindowError> {
        let until = until.map(parse_time).transpose()?;
        let mut since = since.map(parse_time).transpose()?;
        if let Some(last) = last {
            if since.is_some() {
                return Err(WindowError::Conflict);
            }
            since = Some(until.unwrap_or(now) - parse_duration(last)?);
        }
        if let (Some(s), Some(u)) = (since, until)
            && s >= u
        {
            return Err(WindowError::Empty);
        }
        Ok(TimeWindow { since, until })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("`{0}` is not a time: use 2026-11-20, 2026-11-20T08:00:00Z or 2026-11-20T08:00:00+01:00")]
    Time(String),
    #[error("`{0}` is not a duration: use a number and a unit, e.g. 90s, 30m, 24h or 7d")]
    Duration(String),
    #[error("--last and --since both give the start of the window; use one")]
    Conflict,
    #[error("the time window is empty: --since must be before --until")]
    Empty,
}

fn two(s: &[u8], at: usize) -> Option<u32> {
    s.get(at..).and_then(digits::<2>)
}

/// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` with `Z`, `±HH:MM` or nothing (UTC).
pub fn parse_time(s: &str) -> Result<Micros, WindowError> {
    let err = || WindowError::Time(s.to_string());
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(err());
    }
    let year: i64 = s[..4].parse().map_err(|_| err())?;
    let (month, day) = (two(b, 5).ok_or_else(err)?, two(b, 8).ok_or_else(err)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(err());
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    let rest = &b[10..];
    if !rest.is_empty() {
        if !matches!(rest[0], b'T' | b' ') || rest.len() < 6 || rest[3] != b':' {
            return Err(err());
        }
        let (h, m) = (two(rest, 1).ok_or_else(err)?, two(rest, 4).ok_or_else(err)?);
        let (sec, zone) = match rest.get(6) {
            Some(b':') => (two(rest, 7).ok_or_else(err)?, &rest[9..]),
            _ => (0, &rest[6..]),
        };
        if h > 23 || m > 59 || sec > 60 {
            return Err(err());
        }
        secs += i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(sec);
        secs -= zone_offset(zone).ok_or_else(err)?;
    }
    Ok(secs * MICROS_PER_SECOND)
}

fn zone_offset(zone: &[u8]) -> Option<i64> {
    match zone {
        b"" | b"Z" | b"z" => Some(0),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let off = i64::from(two(zone, 1)?) * 3600 + i64::from(two(zone, 4)?) * 60;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => None,
    }
}

/// `90s`, `30m`, `24h`, `7d`, `2w`.
pub fn parse_duration(s: &str) -> Result<Micros, WindowError> {
    let err = || WindowError::Duration(s.to_string());
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let n: i64 = s[..split].parse().map_err(|_| err())?;
    let unit = match &s[split..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(err()),
    };
    n.checked_mul(unit * MICROS_PER_SECOND).filter(|d| *d > 0).ok_or_else(err)
}

/// The current time, for `--last`, to the second: log times have no finer
/// grain, and a window's bounds are then written as the logs' times are.
pub fn now() -> Micros {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    seconds as Micros * MICROS_PER_SECOND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_to_the_second_and_so_is_the_last_windows_start() {
        let before = now();
        assert_eq!(before % MICROS_PER_SECOND, 0);
        let window = TimeWindow::from_args(None, None, Some("24h"), now()).unwrap();
        assert_eq!(window.since.unwrap() % MICROS_PER_SECOND, 0);
        assert!(window.since.unwrap() >= before - 86_400 * MICROS_PER_SECOND);
    }

    #[test]
    fn a_span_takes_in_every_time_and_other_span() {
        let span = [30, 10, 20].into_iter().fold(None, |span, t| Some(TimeSpan::including(span, t)));
        assert_eq!(span, Some(TimeSpan { first: 10, last: 30 }));
        let later = Some(TimeSpan { first: 25, last: 40 });
        assert_eq!(TimeSpan::joined(span, later), Some(TimeSpan { first: 10, last: 40 }));
        assert_eq!(TimeSpan::joined(None, later), later);
        assert_eq!(TimeSpan::joined(None, None), None);
    }

    #[test]
    fn times_and_durations_parse() {
        let day = parse_time("2019-02-06").unwrap();
        assert_eq!(day, 1_549_411_200_000_000);
        assert_eq!(parse_time("2019-02-06T00:00:38Z").unwrap(), day + 38_000_000);
        assert_eq!(parse_time("2019-02-06T02:00:38+02:00").unwrap(), day + 38_000_000);
        assert_eq!(parse_time("2019-02-06T00:01").unwrap(), day + 60_000_000);
        assert!(parse_time("06/Feb/2019").is_err());
        assert!(parse_time("2019-13-01").is_err());
        assert_eq!(parse_duration("24h").unwrap(), 86_400_000_000);
        assert_eq!(parse_duration("7d").unwrap(), 7 * 86_400_000_000);
        assert!(parse_duration("24").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn windows_from_arguments() {
        let w = TimeWindow::from_args(None, Some("2019-02-07"), Some("1d"), 0).unwrap();
        assert_eq!(w.since, Some(parse_time("2019-02-06").unwrap()));
        assert!(w.contains(parse_time("2019-02-06T12:00:00Z").unwrap()));
        assert!(!w.contains(parse_time("2019-02-07").unwrap()));
        assert!(!w.contains(parse_time("2019-02-05T23:59:59Z").unwrap()));
        let last = TimeWindow::from_args(None, None, Some("1h"), 7_200_000_000).unwrap();
        assert_eq!(last, TimeWindow { since: Some(3_600_000_000), until: None });
        assert_eq!(TimeWindow::from_args(Some("2019-02-06"), None, Some("1h"), 0), Err(WindowError::Conflict));
        let day = TimeWindow { since: Some(86_400), until: Some(172_800) };
        assert_eq!(day.previous(), Some(TimeWindow { since: Some(0), until: Some(86_400) }));
        assert_eq!(TimeWindow::default().previous(), None);
        assert_eq!(TimeWindow::from_args(Some("2019-02-07"), Some("2019-02-06"), None, 0), Err(WindowError::Empty));
    }
}
