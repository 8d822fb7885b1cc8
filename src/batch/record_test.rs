//! Conditions on a record's own fields, as written, that a scan tests right
//! after parsing a line: a query's `WHERE signature_version = 'SigV2'` then
//! leaves most records out before any of their values is appended, and its
//! filter column need not be built at all. Only conditions whose outcome
//! here is exactly SQL's are expressed (a null field fails every test, as a
//! `WHERE` drops a row whose condition is null). One derived column is
//! tested too, `credential_failure`: it reads the request line only for the
//! few records whose error code needs it.

use std::cmp::Ordering;

use super::builder::is_raw_text;
use crate::parse::LogRecord;
use crate::parse::derive::credential_failure_of;
use crate::schema::Column;

/// How a number field is compared with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl Comparison {
    /// Whether `field <op> value` holds, given how `field` compares to `value`.
    fn holds(self, order: Ordering) -> bool {
        match self {
            Comparison::Eq => order.is_eq(),
            Comparison::NotEq => order.is_ne(),
            Comparison::Lt => order.is_lt(),
            Comparison::LtEq => order.is_le(),
            Comparison::Gt => order.is_gt(),
            Comparison::GtEq => order.is_ge(),
        }
    }

    /// The same comparison with its sides swapped (`5 < x` is `x > 5`).
    pub fn swapped(self) -> Self {
        match self {
            Comparison::Lt => Comparison::Gt,
            Comparison::LtEq => Comparison::GtEq,
            Comparison::Gt => Comparison::Lt,
            Comparison::GtEq => Comparison::LtEq,
            same => same,
        }
    }
}

/// A condition on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordTest {
    /// A text field is one of `values` (or, `negated`, none of them).
    Text { column: Column, values: Vec<Vec<u8>>, negated: bool },
    /// A number field compared with a value.
    Number { column: Column, comparison: Comparison, value: i64 },
    /// The record's time (µs since the epoch, UTC) compared with a moment.
    Time { comparison: Comparison, micros: i64 },
    /// A text or number field is null (or, `negated`, is not).
    Null { column: Column, negated: bool },
    /// Every one holds.
    All(Vec<RecordTest>),
    /// At least one holds.
    Any(Vec<RecordTest>),
}

impl RecordTest {
    /// Whether this test can tell `column`'s values from a parsed record:
    /// its text or its number as the table holds it.
    pub fn reads_text(column: Column) -> bool {
        is_raw_text(column) || column == Column::CredentialFailure
    }

    /// See [`RecordTest::reads_text`].
    pub fn reads_number(column: Column) -> bool {
        INTEGER_FIELDS.contains(&column)
    }

    pub fn passes(&self, record: &LogRecord<'_>) -> bool {
        match self {
            RecordTest::All(tests) => tests.iter().all(|t| t.member_passes(record)),
            RecordTest::Any(tests) => tests.iter().any(|t| t.member_passes(record)),
            leaf => leaf.leaf_passes(record),
        }
    }

    /// [`RecordTest::passes`] for a member of a group: a leaf is tested in
    /// the group's loop rather than through a call per member, which cost
    /// more than most tests themselves.
    #[inline(always)]
    fn member_passes(&self, record: &LogRecord<'_>) -> bool {
        match self {
            RecordTest::All(_) | RecordTest::Any(_) => self.passes(record),
            leaf => leaf.leaf_passes(record),
        }
    }

    #[inline(always)]
    fn leaf_passes(&self, record: &LogRecord<'_>) -> bool {
        match self {
            RecordTest::Text { column, values, negated } => {
                text_of(record, *column).is_some_and(|text| values.iter().any(|v| same_text(text, v)) != *negated)
            }
            RecordTest::Number { column, comparison, value } => {
                integer(record, *column).is_some_and(|n| comparison.holds(n.cmp(value)))
            }
            RecordTest::Time { comparison, micros } => comparison.holds(record.time.cmp(micros)),
            RecordTest::Null { column, negated } => is_null(record, *column) != *negated,
            RecordTest::All(_) | RecordTest::Any(_) => self.passes(record),
        }
    }
}

impl RecordTest {
    /// The same test, cheaper to run on every line: nested `All`s and
    /// `Any`s flattened (a query's `IN` list or `AND` chain arrives as a tree
    /// of pairs), an `Any` of `=` / `IN` tests on one text field merged into
    /// one test, an `All` inside an `Any` dropped when it holds only where
    /// another member does, a group of one test replaced by it, and each
    /// group's tests ordered so that the cheap checks of a field's presence
    /// and text come before numbers that must be read from their digits.
    pub fn simplified(self) -> RecordTest {
        match self {
            RecordTest::All(tests) => group(RecordTest::All, flattened(tests, RecordTest::into_all)),
            RecordTest::Any(tests) => {
                group(RecordTest::Any, without_absorbed(merged_text(flattened(tests, RecordTest::into_any))))
            }
            leaf => leaf,
        }
    }

    fn into_all(self) -> Result<Vec<RecordTest>, RecordTest> {
        match self {
            RecordTest::All(tests) => Ok(tests),
            other => Err(other),
        }
    }

    fn into_any(self) -> Result<Vec<RecordTest>, RecordTest> {
        match self {
            RecordTest::Any(tests) => Ok(tests),
            other => Err(other),
        }
    }

    /// Whether every record that passes this test passes `other`: the same
    /// test, or an `=` / `IN` test of the same text field whose values are
    /// among `other`'s.
    fn implies(&self, other: &RecordTest) -> bool {
        match (self, other) {
            (
                RecordTest::Text { column: a, values: some, negated: false },
                RecordTest::Text { column: b, values: all, negated: false },
            ) => a == b && some.iter().all(|v| all.contains(v)),
            _ => self == other,
        }
    }

    /// Roughly how dear the test is per record, for ordering a group.
    fn cost(&self) -> u8 {
        match self {
            RecordTest::Null { .. } | RecordTest::Time { .. } => 0,
            RecordTest::Text { .. } => 1,
            RecordTest::Number { .. } => 2,
            RecordTest::All(_) | RecordTest::Any(_) => 3,
        }
    }
}

/// `tests`, each simplified, with the members of those that `inner` opens
/// (groups of the same kind) in their place: `true AND x` is `x`, and
/// `false OR x` is `x`, so an empty inner group adds nothing.
fn flattened(tests: Vec<RecordTest>, inner: fn(RecordTest) -> Result<Vec<RecordTest>, RecordTest>) -> Vec<RecordTest> {
    let mut flat = Vec::with_capacity(tests.len());
    for test in tests.into_iter().map(RecordTest::simplified) {
        match inner(test) {
            Ok(members) => flat.extend(members),
            Err(other) => flat.push(other),
        }
    }
    flat
}

/// The members of an `Any`, its `=` / `IN` tests on the same text field
/// merged into one (`f IN (a) OR f IN (b)` is `f IN (a, b)`).
fn merged_text(tests: Vec<RecordTest>) -> Vec<RecordTest> {
    let mut merged: Vec<RecordTest> = Vec::with_capacity(tests.len());
    for test in tests {
        let same_field = |m: &RecordTest| match (m, &test) {
            (
                RecordTest::Text { column: a, negated: false, .. },
                RecordTest::Text { column: b, negated: false, .. },
            ) => a == b,
            _ => false,
        };
        match (merged.iter_mut().find(|m| same_field(m)), test) {
            (Some(RecordTest::Text { values: into, .. }), RecordTest::Text { values, .. }) => into.extend(values),
            (_, test) => merged.push(test),
        }
    }
    merged
}

/// The members of an `Any` less each `All` that holds only when another
/// member holds (`a OR (a AND b)` is `a`): a report runner's `OR` of its
/// reports' conditions often repeats one report's condition inside
/// another's.
fn without_absorbed(tests: Vec<RecordTest>) -> Vec<RecordTest> {
    let absorbed = |test: &RecordTest| match test {
        RecordTest::All(members) => tests.iter().any(|other| members.iter().any(|member| member.implies(other))),
        _ => false,
    };
    let keep: Vec<bool> = tests.iter().map(|test| !absorbed(test)).collect();
    tests.into_iter().zip(keep).filter_map(|(test, keep)| keep.then_some(test)).collect()
}

/// `tests` as one test: the test itself when there is one, else the group.
fn group(make: fn(Vec<RecordTest>) -> RecordTest, mut tests: Vec<RecordTest>) -> RecordTest {
    tests.sort_by_key(RecordTest::cost);
    match <[RecordTest; 1]>::try_from(tests) {
        Ok([one]) => one,
        Err(tests) => make(tests),
    }
}

/// `text == value`, cheaply for the many fields that are not the value: a
/// field and a value of the same length mostly differ in their last byte
/// (`SigV4` and `SigV2`, `TLSv1.2` and `TLSv1.3`), which is compared before
/// the rest.
fn same_text(text: &[u8], value: &[u8]) -> bool {
    text.len() == value.len() && text.last() == value.last() && text == value
}

/// The fields that the table holds as integers.
const INTEGER_FIELDS: [Column; 5] =
    [Column::HttpStatus, Column::BytesSent, Column::ObjectSize, Column::TotalTimeMs, Column::TurnAroundTimeMs];

/// The value of an integer field, as its column holds it. Kept out of line:
/// inlined, its digit loops were hoisted to the start of every test, so that
/// each record paid for reading numbers that few tests ask for.
#[inline(never)]
fn integer(record: &LogRecord<'_>, column: Column) -> Option<i64> {
    match column {
        Column::HttpStatus => record.http_status().map(i64::from),
        Column::BytesSent => record.bytes_sent(),
        Column::ObjectSize => record.object_size(),
        Column::TotalTimeMs => record.total_time_ms(),
        Column::TurnAroundTimeMs => record.turn_around_time_ms(),
        _ => None,
    }
}

fn is_null(record: &LogRecord<'_>, column: Column) -> bool {
    if INTEGER_FIELDS.contains(&column) { integer(record, column).is_none() } else { text_of(record, column).is_none() }
}

/// The value of a text column that [`RecordTest::reads_text`] accepts.
fn text_of<'a>(record: &LogRecord<'a>, column: Column) -> Option<&'a [u8]> {
    if column == Column::CredentialFailure {
        credential_failure_of(record).map(str::as_bytes)
    } else {
        record.text(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_line;

    const LINE: &[u8] = b"owner bucket [21/Nov/2026:02:05:00 +0000] 198.51.100.50 - REQ REST.GET.OBJECT k \"GET /k HTTP/1.1\" 403 AccessDenied - 12 8 - \"-\" \"curl/8.0\" - hostid SigV2 - AuthHeader bucket.s3.amazonaws.com TLSv1.2";

    fn text(column: Column, values: &[&str], negated: bool) -> RecordTest {
        RecordTest::Text { column, values: values.iter().map(|v| v.as_bytes().to_vec()).collect(), negated }
    }

    fn number(column: Column, comparison: Comparison, value: i64) -> RecordTest {
        RecordTest::Number { column, comparison, value }
    }

    #[test]
    fn text_tests_match_whole_values_and_fail_on_nulls() {
        let record = parse_line(LINE).unwrap();
        assert!(text(Column::SignatureVersion, &["SigV2"], false).passes(&record));
        assert!(text(Column::SignatureVersion, &["SigV4", "SigV2"], false).passes(&record));
        assert!(!text(Column::SignatureVersion, &["SigV"], false).passes(&record));
        // Same length and last byte, another byte differs.
        assert!(!text(Column::SignatureVersion, &["SogV2"], false).passes(&record));
        assert!(text(Column::SignatureVersion, &["SogV2"], true).passes(&record));
        assert!(!text(Column::SignatureVersion, &["SigV2"], true).passes(&record));
        assert!(text(Column::SignatureVersion, &["SigV4"], true).passes(&record));
        // The Requester is `-`: null, so neither `=` nor `<>` / `NOT IN` holds.
        assert!(!text(Column::Requester, &["-"], false).passes(&record));
        assert!(!text(Column::Requester, &["x"], true).passes(&record));
        assert!(RecordTest::Null { column: Column::Requester, negated: false }.passes(&record));
        assert!(!RecordTest::Null { column: Column::Requester, negated: true }.passes(&record));
    }

    #[test]
    fn credential_failure_tests_agree_with_the_derived_column_near_the_expiry() {
        let line = std::str::from_utf8(LINE).unwrap();
        // Signed at 02:00:00 for 300 s: it expires at 02:05:00.
        let presigned = |time: &str, code: &str| {
            line.replace("21/Nov/2026:02:05:00", time)
                .replace(
                    "\"GET /k HTTP/1.1\"",
                    "\"GET /k?X-Amz-Date=20261121T020000Z&X-Amz-Expires=300&X-Amz-Signature=f HTTP/1.1\"",
                )
                .replace("AccessDenied", code)
                .replace("AuthHeader", "QueryString")
        };
        let lines = [
            (presigned("21/Nov/2026:02:05:01", "AccessDenied"), Some("presigned_expired")),
            // At the moment of expiry the URL still works: a plain denial.
            (presigned("21/Nov/2026:02:05:00", "AccessDenied"), None),
            (presigned("21/Nov/2026:02:04:59", "ExpiredToken"), Some("expired_token")),
            (line.to_string(), None),
            (line.replace("AccessDenied", "-"), None),
        ];
        let failure = |values: &[&str], negated| text(Column::CredentialFailure, values, negated);
        let is_null = |negated| RecordTest::Null { column: Column::CredentialFailure, negated };
        for (line, expected) in &lines {
            let record = parse_line(line.as_bytes()).unwrap();
            let derived = crate::parse::Derived::of(&record, crate::parse::derive::DerivedParts::of(Column::ALL));
            assert_eq!(derived.credential_failure, *expected, "{line}");
            assert_eq!(is_null(false).passes(&record), expected.is_none(), "{line}");
            assert_eq!(is_null(true).passes(&record), expected.is_some(), "{line}");
            assert_eq!(failure(&["presigned_expired"], false).passes(&record), *expected == Some("presigned_expired"));
            // `<>` is null, so fails, where there is no failure.
            assert_eq!(failure(&["expired_token"], true).passes(&record), *expected == Some("presigned_expired"));
        }
    }

    #[test]
    fn number_tests_compare_values_and_fail_on_nulls() {
        let record = parse_line(LINE).unwrap();
        let status = |c, v| number(Column::HttpStatus, c, v).passes(&record);
        assert_eq!(
            [Comparison::Eq, Comparison::NotEq, Comparison::Lt, Comparison::LtEq, Comparison::Gt, Comparison::GtEq]
                .map(|c| (status(c, 403), status(c, 400))),
            [(true, false), (false, true), (false, false), (true, false), (false, true), (true, true)]
        );
        assert!(number(Column::ObjectSize, Comparison::Eq, 12).passes(&record));
        // Bytes Sent is `-`: null.
        assert!(!number(Column::BytesSent, Comparison::GtEq, 0).passes(&record));
        assert!(!number(Column::BytesSent, Comparison::NotEq, 0).passes(&record));
        assert!(RecordTest::Null { column: Column::BytesSent, negated: false }.passes(&record));
        assert!(RecordTest::Null { column: Column::TotalTimeMs, negated: true }.passes(&record));
        assert_eq!(Comparison::Lt.swapped(), Comparison::Gt);
        assert_eq!(Comparison::GtEq.swapped(), Comparison::LtEq);
        assert_eq!(Comparison::NotEq.swapped(), Comparison::NotEq);
    }

    #[test]
    fn time_tests_compare_the_records_moment() {
        let record = parse_line(LINE).unwrap();
        let at = record.time;
        let time = |comparison, micros| RecordTest::Time { comparison, micros }.passes(&record);
        assert!(time(Comparison::GtEq, at) && !time(Comparison::Gt, at) && time(Comparison::Gt, at - 1));
        assert!(time(Comparison::Lt, at + 1) && !time(Comparison::Lt, at) && time(Comparison::Eq, at));
    }

    #[test]
    fn all_and_any_combine_tests() {
        let record = parse_line(LINE).unwrap();
        let yes = text(Column::ErrorCode, &["AccessDenied"], false);
        let no = number(Column::HttpStatus, Comparison::Eq, 200);
        assert!(RecordTest::All(vec![yes.clone(), yes.clone()]).passes(&record));
        assert!(!RecordTest::All(vec![yes.clone(), no.clone()]).passes(&record));
        assert!(RecordTest::Any(vec![no.clone(), yes]).passes(&record));
        assert!(!RecordTest::Any(vec![no.clone(), no]).passes(&record));
    }

    #[test]
    fn simplifying_flattens_merges_and_orders_without_changing_the_outcome() {
        let code = |values: &[&str]| text(Column::ErrorCode, values, false);
        let status = number(Column::HttpStatus, Comparison::Eq, 403);
        let presigned = text(Column::AuthenticationType, &["QueryString"], false);
        // `error_code IN (a, b) OR (status = 403 AND code = c AND auth = q)`,
        // as a query's plan hands it down: a tree of pairs inside an `All`.
        let tree = RecordTest::All(vec![RecordTest::Any(vec![
            RecordTest::Any(vec![code(&["ExpiredToken"]), code(&["TokenRefreshRequired"])]),
            RecordTest::All(vec![RecordTest::All(vec![status.clone(), code(&["AccessDenied"])]), presigned.clone()]),
        ])]);
        assert_eq!(
            tree.clone().simplified(),
            RecordTest::Any(vec![
                code(&["ExpiredToken", "TokenRefreshRequired"]),
                RecordTest::All(vec![code(&["AccessDenied"]), presigned.clone(), status.clone()]),
            ])
        );
        // Negated text tests and tests of other fields are not merged.
        let not_denied = text(Column::ErrorCode, &["AccessDenied"], true);
        let any = RecordTest::Any(vec![not_denied.clone(), code(&["x"]), presigned.clone(), code(&["y"])]);
        assert_eq!(any.simplified(), RecordTest::Any(vec![not_denied, code(&["x", "y"]), presigned.clone()]));
        // Empty groups: `true AND x` is `x`, `false OR x` is `x`.
        let all = RecordTest::All(vec![RecordTest::All(vec![]), presigned.clone()]);
        assert_eq!(all.simplified(), presigned.clone());
        let any = RecordTest::Any(vec![RecordTest::Any(vec![]), presigned.clone()]);
        assert_eq!(any.simplified(), presigned.clone());
        assert_eq!(RecordTest::Any(vec![]).simplified(), RecordTest::Any(vec![]));
        // Every record gets the same outcome.
        let replaced = |from, to| String::from_utf8(LINE.to_vec()).unwrap().replace(from, to);
        let (expired_line, presigned_line) =
            (replaced("AccessDenied", "ExpiredToken"), replaced("AuthHeader", "QueryString"));
        let denied = parse_line(LINE).unwrap();
        let expired = parse_line(expired_line.as_bytes()).unwrap();
        let presigned_denied = parse_line(presigned_line.as_bytes()).unwrap();
        for record in [&denied, &expired, &presigned_denied] {
            assert_eq!(tree.clone().simplified().passes(record), tree.passes(record));
        }
        assert_eq!([&denied, &expired, &presigned_denied].map(|r| tree.passes(r)), [false, true, true]);
    }

    #[test]
    fn an_all_that_holds_only_when_another_member_holds_is_dropped_from_an_any() {
        let code = |values: &[&str]| text(Column::ErrorCode, values, false);
        let status = number(Column::HttpStatus, Comparison::Eq, 403);
        let presigned = text(Column::AuthenticationType, &["QueryString"], false);
        let sigv2 = text(Column::SignatureVersion, &["SigV2"], false);
        // Three reports' conditions: `sigv2 OR presigned OR (denied AND
        // presigned AND 403)`; the last holds only where `presigned` does.
        let denied_presigned = RecordTest::All(vec![code(&["AccessDenied"]), presigned.clone(), status.clone()]);
        let any = RecordTest::Any(vec![sigv2.clone(), presigned.clone(), denied_presigned.clone()]);
        assert_eq!(any.simplified(), RecordTest::Any(vec![sigv2.clone(), presigned.clone()]));
        // A member whose values are among another's is absorbed too.
        let any = RecordTest::Any(vec![code(&["AccessDenied", "ExpiredToken"]), denied_presigned.clone()]);
        assert_eq!(any.simplified(), code(&["AccessDenied", "ExpiredToken"]));
        // Near misses are kept: the same field and value negated, another
        // value, an `All` alone.
        let not_presigned = text(Column::AuthenticationType, &["QueryString"], true);
        let any = RecordTest::Any(vec![not_presigned.clone(), denied_presigned.clone()]);
        assert_eq!(any.clone().simplified(), any);
        let any = RecordTest::Any(vec![code(&["ExpiredToken"]), denied_presigned.clone()]);
        assert_eq!(any.clone().simplified(), any);
        let all = RecordTest::All(vec![presigned.clone(), denied_presigned.clone()]);
        assert_eq!(
            all.simplified(),
            RecordTest::All(vec![presigned.clone(), code(&["AccessDenied"]), presigned, status])
        );
    }

    #[test]
    fn fields_as_written_and_credential_failure_are_read() {
        assert!(RecordTest::reads_text(Column::UserAgent));
        assert!(!RecordTest::reads_text(Column::HttpStatus));
        assert!(!RecordTest::reads_text(Column::ExtraFields));
        assert!(!RecordTest::reads_text(Column::RequesterKind));
        assert!(RecordTest::reads_text(Column::CredentialFailure));
        assert!(RecordTest::reads_number(Column::HttpStatus));
        assert!(RecordTest::reads_number(Column::TurnAroundTimeMs));
        assert!(!RecordTest::reads_number(Column::SourceLine));
        assert!(!RecordTest::reads_number(Column::Time));
    }
}
