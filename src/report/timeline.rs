//! The HTML page's picture of the input over time: records per hour by kind
//! (all, SigV2, presigned, credential failures, denied, anonymous), each
//! kind the row condition of the report it names, so that when a problem
//! started or stopped shows at a glance. Its query (`timeline.sql`) runs in
//! the same one parse as the reports; the hours are then gathered into at
//! most 96 buckets (`MAX_BUCKETS`) of a round width.

use datafusion::arrow::array::{Array, AsArray, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::error::ArrowError;

use super::catalog::{CatalogError, Report};
use super::run::ReportResult;

/// At most this many buckets: a bar each, across the page.
const MAX_BUCKETS: i64 = 96;

/// Bucket widths tried in turn, in hours; past a week, whole weeks.
const WIDTHS_HOURS: [i64; 8] = [1, 2, 3, 6, 12, 24, 48, 168];

const HOUR: i64 = 3600;

/// Records per time bucket, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// Start of the first bucket, seconds since the epoch (UTC).
    pub start: i64,
    /// Width of every bucket, in hours.
    pub width_hours: i64,
    /// Each kind's label and its count in every bucket.
    pub kinds: Vec<(String, Vec<i64>)>,
}

impl Timeline {
    /// The query behind the timeline, run like a report.
    pub fn query() -> Result<Report, CatalogError> {
        Report::parse("timeline", include_str!("timeline.sql"), None)
    }

    /// The timeline from the query's result (its first column the hour, in
    /// seconds since the epoch; every other column a kind's count); none
    /// when there are no records.
    pub fn from_result(result: &ReportResult) -> Result<Option<Timeline>, ArrowError> {
        let labels: Vec<String> = result.schema.fields().iter().skip(1).map(|f| f.name().clone()).collect();
        let mut hours = Vec::new();
        for batch in &result.batches {
            let columns = batch.columns().iter().map(|c| cast(c, &DataType::Int64)).collect::<Result<Vec<_>, _>>()?;
            let numbers: Vec<&Int64Array> = columns.iter().map(|c| c.as_primitive::<Int64Type>()).collect();
            let Some((hour, counts)) = numbers.split_first() else { continue };
            for row in (0..batch.num_rows()).filter(|row| hour.is_valid(*row)) {
                hours.push((hour.value(row), counts.iter().map(|c| c.value(row)).collect()));
            }
        }
        Ok(Timeline::from_hours(labels, &hours))
    }

    /// Gathers per-hour counts (`(hour, count per kind)`, in any order)
    /// into buckets of the narrowest width that needs no more than
    /// [`MAX_BUCKETS`]; buckets start at multiples of their width since the
    /// epoch, so a day is a UTC day.
    fn from_hours(labels: Vec<String>, hours: &[(i64, Vec<i64>)]) -> Option<Timeline> {
        let first = hours.iter().map(|h| h.0).min()?;
        let last = hours.iter().map(|h| h.0).max()?;
        let span_hours = (last - first) / HOUR + 1;
        let width_hours = WIDTHS_HOURS
            .into_iter()
            .find(|w| buckets_spanned(span_hours, *w) < MAX_BUCKETS)
            .unwrap_or_else(|| 168 * buckets_spanned(span_hours, 168 * (MAX_BUCKETS - 1)));
        let width = width_hours * HOUR;
        let start = first.div_euclid(width) * width;
        let buckets = usize::try_from((last - start) / width + 1).ok()?;
        let mut kinds: Vec<(String, Vec<i64>)> = labels.into_iter().map(|l| (l, vec![0; buckets])).collect();
        for (hour, counts) in hours {
            let bucket = ((hour - start) / width) as usize;
            for ((_, series), count) in kinds.iter_mut().zip(counts) {
                series[bucket] += count;
            }
        }
        Some(Timeline { start, width_hours, kinds })
    }

    /// Seconds since the epoch at which bucket `i` starts.
    pub fn bucket_start(&self, i: usize) -> i64 {
        self.start + i as i64 * self.width_hours * HOUR
    }
}

/// How many buckets of `width` hours `span` hours fill, the last maybe in
/// part (both positive).
fn buckets_spanned(span: i64, width: i64) -> i64 {
    (span + width - 1) / width
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        vec!["all".into(), "SigV2".into()]
    }

    #[test]
    fn hours_within_four_days_stay_hours() {
        // 2026-11-20T09:00Z, 10:00Z and 2026-11-21T02:00Z.
        let t0 = 1_795_165_200;
        let hours = [(t0 + 17 * HOUR, vec![15, 3]), (t0, vec![22, 3]), (t0 + HOUR, vec![1, 0])];
        let timeline = Timeline::from_hours(labels(), &hours).unwrap();
        assert_eq!((timeline.start, timeline.width_hours), (t0, 1));
        let mut all = vec![0; 18];
        (all[0], all[1], all[17]) = (22, 1, 15);
        assert_eq!(timeline.kinds[0], ("all".to_string(), all));
        assert_eq!(timeline.kinds[1].1.iter().sum::<i64>(), 6);
        assert_eq!(timeline.bucket_start(17), t0 + 17 * HOUR);
    }

    #[test]
    fn a_longer_span_gathers_hours_into_round_buckets() {
        // A week and a day (193 hours): 3-hour buckets, 65 of them, starting
        // at a multiple of three hours.
        let t0 = 1_795_165_200; // 09:00Z, a multiple of 3 hours
        let hours = [(t0 + HOUR, vec![1, 0]), (t0 + 2 * HOUR, vec![2, 1]), (t0 + 192 * HOUR, vec![5, 5])];
        let timeline = Timeline::from_hours(labels(), &hours).unwrap();
        assert_eq!((timeline.start, timeline.width_hours), (t0, 3));
        assert_eq!(timeline.kinds[0].1.len(), 65);
        assert_eq!((timeline.kinds[0].1[0], timeline.kinds[0].1[64]), (3, 5));
        assert_eq!((timeline.kinds[1].1[0], timeline.kinds[1].1[64]), (1, 5));
        // Years apart: whole weeks, still no more than MAX_BUCKETS.
        let far = [(0, vec![1, 1]), (20 * 365 * 24 * HOUR, vec![1, 0])];
        let timeline = Timeline::from_hours(labels(), &far).unwrap();
        assert_eq!(timeline.width_hours % 168, 0);
        assert!(timeline.kinds[0].1.len() as i64 <= MAX_BUCKETS, "{}", timeline.kinds[0].1.len());
        assert_eq!(timeline.kinds[0].1.iter().sum::<i64>(), 2);
    }

    #[test]
    fn no_records_no_timeline() {
        assert_eq!(Timeline::from_hours(labels(), &[]), None);
    }

    #[test]
    fn its_query_parses() {
        let query = Timeline::query().unwrap();
        assert!(query.sql.contains("count(*) AS \"all records\""));
    }
}
