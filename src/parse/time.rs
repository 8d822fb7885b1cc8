//! Timestamps as S3 writes them, parsed from bytes without going through
//! `str` or a date library: the bracketed record time
//! `[06/Feb/2019:00:00:38 +0000]` and the SigV4 `X-Amz-Date` `20190206T000038Z`.

/// Microseconds since the Unix epoch.
pub type Micros = i64;

const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: Micros = 86_400 * MICROS_PER_SECOND;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The first `N` bytes of `b` as a decimal number, if they are all digits.
pub fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    let b = b.get(..N)?;
    b.iter().try_fold(0u32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
}

fn month_number(m: &[u8]) -> Option<u32> {
    Some(match m {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn valid_date(month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

fn valid_time_of_day(hour: u32, minute: u32, second: u32) -> bool {
    hour < 24 && minute < 60 && second <= 60
}

/// Microseconds since the epoch of a time of day on day `days`.
fn micros_at(days: i64, hour: u32, minute: u32, second: u32) -> Micros {
    (days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)) * MICROS_PER_SECOND
}

fn to_micros(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Micros {
    micros_at(days_from_civil(i64::from(year), month, day), hour, minute, second)
}

/// The date of the last record time read and its day number. A log's lines
/// are in time order, so nearly every line has the date of the one before.
#[derive(Debug, Default)]
pub struct DayCache {
    date: [u8; 11],
    days: i64,
}

impl DayCache {
    /// Days since the epoch of `dd/Mon/yyyy` (its slashes already checked).
    fn days(&mut self, date: &[u8; 11]) -> Option<i64> {
        if *date != self.date {
            let day = digits::<2>(date)?;
            let month = month_number(&date[3..6])?;
            let year = digits::<4>(&date[7..])?;
            if !valid_date(month, day) {
                return None;
            }
            self.days = days_from_civil(i64::from(year), month, day);
            self.date = *date;
        }
        Some(self.days)
    }
}

/// The inside of the record time, `06/Feb/2019:00:00:38 +0000` (26 bytes),
/// converted to UTC.
pub fn parse_log_time(b: &[u8], days: &mut DayCache) -> Option<Micros> {
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[14] != b':' || b[17] != b':' || b[20] != b' '
    {
        return None;
    }
    let days = days.days(b.first_chunk::<11>()?)?;
    let (hour, minute, second) = (digits::<2>(&b[12..])?, digits::<2>(&b[15..])?, digits::<2>(&b[18..])?);
    if !valid_time_of_day(hour, minute, second) {
        return None;
    }
    let sign = match b[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (off_h, off_m) = (digits::<2>(&b[22..])?, digits::<2>(&b[24..])?);
    let offset = sign * (i64::from(off_h) * 3600 + i64::from(off_m) * 60) * MICROS_PER_SECOND;
    Some(micros_at(days, hour, minute, second) - offset)
}

/// A SigV4 `X-Amz-Date`, `YYYYMMDD'T'HHMMSS'Z'`.
pub fn parse_amz_date(b: &[u8]) -> Option<Micros> {
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let (year, month, day) = (digits::<4>(b)?, digits::<2>(&b[4..])?, digits::<2>(&b[6..])?);
    let (hour, minute, second) = (digits::<2>(&b[9..])?, digits::<2>(&b[11..])?, digits::<2>(&b[13..])?);
    (valid_date(month, day) && valid_time_of_day(hour, minute, second))
        .then(|| to_micros(year, month, day, hour, minute, second))
}

/// Seconds since the epoch (SigV2 `Expires`) as microseconds.
pub fn epoch_seconds_to_micros(seconds: i64) -> Option<Micros> {
    seconds.checked_mul(MICROS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2019, 2, 6), 17_933);
    }

    #[test]
    fn log_time_is_converted_to_utc() {
        let days = &mut DayCache::default();
        assert_eq!(parse_log_time(b"06/Feb/2019:00:00:38 +0000", days), Some(1_549_411_238_000_000));
        // +0200 means two hours ahead of UTC
        assert_eq!(parse_log_time(b"09/Feb/2021:14:48:42 +0200", days), Some(1_612_874_922_000_000));
        assert_eq!(parse_log_time(b"09/Feb/2021:10:48:42 -0200", days), Some(1_612_874_922_000_000));
        // The date just read again, then the one before it.
        assert_eq!(parse_log_time(b"09/Feb/2021:10:48:43 -0200", days), Some(1_612_874_923_000_000));
        assert_eq!(parse_log_time(b"06/Feb/2019:00:00:39 +0000", days), Some(1_549_411_239_000_000));
    }

    #[test]
    fn malformed_log_times_are_refused() {
        for bad in [
            &b"06/Fib/2019:00:00:38 +0000"[..],
            b"06/Feb/2019:24:00:38 +0000",
            b"6/Feb/2019:00:00:38 +0000",
            b"06/Feb/2019:00:00:38 0000",
            b"06/Feb/2019T00:00:38 +0000",
            b"",
        ] {
            // Refused alike with a fresh cache and after the same date was read.
            let fresh = parse_log_time(bad, &mut DayCache::default());
            let days = &mut DayCache::default();
            parse_log_time(b"06/Feb/2019:00:00:38 +0000", days);
            assert_eq!((fresh, parse_log_time(bad, days)), (None, None), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn amz_date_parses() {
        assert_eq!(parse_amz_date(b"20190206T000038Z"), Some(1_549_411_238_000_000));
        assert_eq!(parse_amz_date(b"20190206T000038"), None);
        assert_eq!(parse_amz_date(b"2019020GT000038Z"), None);
    }
}
