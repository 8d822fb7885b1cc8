//! Appends the records of chunks straight into Arrow builders, a run of
//! records at a time and column by column, and returns one `RecordBatch` of
//! the requested columns for a parcel of chunks (many small files make one
//! batch, not a batch each). String columns are `Utf8View`s whose long
//! values point into their chunk's own buffer (zero-copy); derived columns
//! are computed only when asked for.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, PrimitiveBuilder, RecordBatch, RecordBatchOptions,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::{ArrowPrimitiveType, SchemaRef};
use datafusion::arrow::error::ArrowError;

use super::record_test::RecordTest;
use super::text::{SourceNames, TextColumn, TextSource};
use crate::chunk::Chunk;
use crate::parse::derive::DerivedParts;
use crate::parse::time::Micros;
use crate::parse::{DayCache, Derived, KNOWN_FIELDS, LogRecord, ParseError, parse_line_into};
use crate::schema::{Column, ColumnKind};
use crate::window::{TimeSpan, TimeWindow};
use memchr::memchr_iter;

/// A line that did not become a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub error: ParseError,
    pub raw: Vec<u8>,
}

/// What chunks turned into: one batch of their rows, in the chunks' order,
/// and what became of each chunk's lines.
#[derive(Debug)]
pub struct ParsedChunks {
    pub batch: RecordBatch,
    /// One per chunk, in the chunks' order.
    pub tallies: Vec<LineTally>,
}

/// What became of a chunk's lines.
#[derive(Debug, Default)]
pub struct LineTally {
    /// The number of the chunk's first line in its input.
    pub first_line: u64,
    pub lines: u64,
    /// Lines that became rows of the batch.
    pub rows: u64,
    pub rejected: Vec<Rejected>,
    /// Lines whose invalid UTF-8 was replaced with U+FFFD before parsing.
    pub lossy_lines: u64,
    /// Records left out because their time is outside the window.
    pub outside_window: u64,
    /// The earliest and latest of their times.
    pub outside_span: Option<TimeSpan>,
    /// Records left out because they fail the scan's [`RecordTest`].
    pub failed_test: u64,
}

impl LineTally {
    /// Counts what became of line `line_no`: true when it is a row.
    fn count(&mut self, kept: Result<Kept, ParseError>, line_no: u64, line: &[u8]) {
        match kept {
            Ok(Kept::Row) => self.rows += 1,
            Ok(Kept::OutsideWindow(time)) => {
                self.outside_window += 1;
                self.outside_span = Some(TimeSpan::including(self.outside_span, time));
            }
            Ok(Kept::FailedTest) => self.failed_test += 1,
            Err(error) => self.rejected.push(Rejected { line: line_no, error, raw: line.to_vec() }),
        }
    }
}

/// What became of a line that parsed.
enum Kept {
    Row,
    /// A record of this time, outside the window.
    OutsideWindow(Micros),
    FailedTest,
}

enum ColumnBuilder {
    Text(TextColumn),
    Timestamp(TimestampMicrosecondBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Boolean(BooleanBuilder),
}

impl ColumnBuilder {
    fn new(kind: ColumnKind, rows: usize) -> Self {
        match kind {
            ColumnKind::Text => ColumnBuilder::Text(TextColumn::with_capacity(rows)),
            ColumnKind::Timestamp => ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::with_capacity(rows)),
            ColumnKind::Int32 => ColumnBuilder::Int32(Int32Builder::with_capacity(rows)),
            ColumnKind::Int64 => ColumnBuilder::Int64(Int64Builder::with_capacity(rows)),
            ColumnKind::Boolean => ColumnBuilder::Boolean(BooleanBuilder::with_capacity(rows)),
        }
    }

    fn finish(self, blocks: &[Buffer]) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => b.finish(blocks),
            ColumnBuilder::Timestamp(mut b) => Arc::new(b.finish().with_timezone("UTC")),
            ColumnBuilder::Int32(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Int64(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Boolean(mut b) => Arc::new(b.finish()),
        }
    }
}

/// Builds batches of a fixed projection.
pub struct BatchBuilder {
    columns: Arc<[Column]>,
    /// The projected fields that are text as written: filled in one plain
    /// loop, without choosing a builder per value.
    raw_text: Vec<Column>,
    /// Every other projected column (typed, derived, file name, extras).
    computed: Vec<Column>,
    schema: SchemaRef,
    derived_parts: DerivedParts,
    window: TimeWindow,
    test: Option<RecordTest>,
}

/// The builders of one batch, split as [`BatchBuilder`] splits its columns.
struct Builders {
    raw_text: Vec<TextColumn>,
    computed: Vec<ColumnBuilder>,
    days: DayCache,
}

/// Whether `column` is one of the fields as written, held as text.
pub(super) fn is_raw_text(column: Column) -> bool {
    (column as usize) < KNOWN_FIELDS && column.kind() == ColumnKind::Text
}

/// Rows read from a chunk and not yet appended. Columns are appended a run
/// of rows at a time, each column in one loop, rather than row by row across
/// all columns, which picks each value's builder and reloads its state for
/// every value.
struct Run<'a> {
    /// The records are `slots[..rows]`; a slot is parsed into in place and
    /// reused by the next run (parsing overwrites every field).
    slots: Vec<LogRecord<'a>>,
    rows: usize,
    /// Each record's derived values, when the projection has any.
    derived: Vec<Derived<'a>>,
    /// Each record's line number.
    lines: Vec<u64>,
}

/// Rows in a [`Run`]: enough that a column's loop outweighs choosing its
/// builder, few enough that the records stay in the L2 cache (128 records
/// are about 60 KiB; runs of 32 to 512 were measured, 128 to 512 alike).
const RUN_ROWS: usize = 128;

impl<'a> Run<'a> {
    fn with_capacity(rows: usize) -> Self {
        Run {
            slots: Vec::with_capacity(rows),
            rows: 0,
            derived: Vec::with_capacity(rows),
            lines: Vec::with_capacity(rows),
        }
    }

    fn records(&self) -> &[LogRecord<'a>] {
        &self.slots[..self.rows]
    }

    /// The slot the next record is parsed into.
    fn next_slot(&mut self) -> &mut LogRecord<'a> {
        if self.rows == self.slots.len() {
            self.slots.push(LogRecord::default());
        }
        &mut self.slots[self.rows]
    }

    fn clear(&mut self) {
        self.rows = 0;
        self.derived.clear();
        self.lines.clear();
    }
}

impl BatchBuilder {
    /// `schema` must be the projected schema of `columns`.
    pub fn new(columns: Arc<[Column]>, schema: SchemaRef) -> Self {
        let derived_parts = DerivedParts::of(&columns);
        let (raw_text, computed) = columns.iter().partition(|c| is_raw_text(**c));
        BatchBuilder { columns, raw_text, computed, schema, derived_parts, window: TimeWindow::default(), test: None }
    }

    /// Keeps only records whose time lies in `window`.
    pub fn with_window(mut self, window: TimeWindow) -> Self {
        self.window = window;
        self
    }

    /// Keeps only records that pass `test`.
    pub fn with_test(mut self, test: RecordTest) -> Self {
        self.test = Some(test.simplified());
        self
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Parses every line of `chunks` into one batch, their rows in the
    /// chunks' order.
    pub fn build(&self, chunks: &[Chunk]) -> Result<ParsedChunks, ArrowError> {
        let rows_hint = chunks.iter().map(|c| c.data.len()).sum::<usize>() / 400 + 1;
        let mut builders = Builders {
            raw_text: self.raw_text.iter().map(|_| TextColumn::with_capacity(rows_hint)).collect(),
            computed: self.computed.iter().map(|c| ColumnBuilder::new(c.kind(), rows_hint)).collect(),
            days: DayCache::default(),
        };
        let mut names = SourceNames::default();
        let mut tallies = Vec::with_capacity(chunks.len());
        let mut rows = 0usize;
        for (index, chunk) in chunks.iter().enumerate() {
            let text = TextSource::new(&chunk.data, &chunk.source, index as u32, &mut names);
            let tally = self.parse_chunk(chunk, &mut builders, &text);
            self.number_lines(&mut builders, tally.first_line - 1, rows);
            rows += tally.rows as usize;
            tallies.push(tally);
        }
        let blocks: Vec<Buffer> =
            std::iter::once(names.finish()).chain(chunks.iter().map(|c| c.data.clone())).collect();
        let arrays = self.finish(builders, &blocks);
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)?;
        Ok(ParsedChunks { batch, tallies })
    }

    /// Appends the rows of every line of `chunk`, whose text is `text`.
    fn parse_chunk(&self, chunk: &Chunk, builders: &mut Builders, text: &TextSource) -> LineTally {
        let data = chunk.data.as_slice();
        let mut tally = LineTally::default();
        let mut start = 0usize;
        // Lines are numbered from 1 within the chunk while parsed, and moved
        // to the chunk's place in its input once it is counted.
        let mut line_no = 1u64;
        let mut run = Run::with_capacity(RUN_ROWS);
        let mut group = Vec::with_capacity(RUN_ROWS + 1);
        let mut newlines = memchr_iter(b'\n', data);
        loop {
            // A run of lines is found, checked for UTF-8 and parsed while its
            // bytes are in the cache.
            group.clear();
            group.extend(newlines.by_ref().take(RUN_ROWS));
            let after_group = group.last().map_or(start, |&end| end + 1);
            if group.len() < RUN_ROWS && after_group < data.len() {
                group.push(data.len()); // a last line without a newline
            }
            let Some(&group_end) = group.last() else {
                break;
            };
            let group_is_utf8 = simdutf8::basic::from_utf8(&data[start..group_end]).is_ok();
            for &end in &group {
                let line = &data[start..end];
                start = end + 1;
                let kept = if group_is_utf8 || simdutf8::basic::from_utf8(line).is_ok() {
                    self.read_line(line, line_no, &mut builders.days, &mut run)
                } else {
                    tally.lossy_lines += 1;
                    self.read_lossy_line(line, line_no, builders, &mut run, text)
                };
                tally.count(kept, line_no, line);
                line_no += 1;
            }
            self.append_run(builders, &mut run, text);
        }
        tally.lines = line_no - 1;
        tally.first_line = chunk.first_line.resolve(tally.lines);
        let lines_before = tally.first_line - 1;
        tally.rejected.iter_mut().for_each(|r| r.line += lines_before);
        tally
    }

    /// The arrays of the projection, in its order: both builder lists keep
    /// that order, so each column takes the next array of its list. Text
    /// columns point into `blocks` (the names, then the chunks); the column
    /// of file names into the names alone.
    fn finish(&self, builders: Builders, blocks: &[Buffer]) -> Vec<ArrayRef> {
        let mut raw_text = builders.raw_text.into_iter().map(|b| b.finish(blocks));
        let names = &blocks[..1];
        let mut computed = (self.computed.iter().zip(builders.computed))
            .map(|(c, b)| b.finish(if *c == Column::SourceFile { names } else { blocks }));
        self.columns.iter().filter_map(|c| if is_raw_text(*c) { raw_text.next() } else { computed.next() }).collect()
    }

    /// Moves the `source_line` values of the rows from `first_row` on, one
    /// chunk's, numbered within the chunk, to the chunk's place in its input.
    fn number_lines(&self, builders: &mut Builders, lines_before: u64, first_row: usize) {
        let lines = self.computed.iter().zip(builders.computed.iter_mut()).filter(|(c, _)| **c == Column::SourceLine);
        for (_, builder) in lines {
            if let ColumnBuilder::Int64(numbers) = builder {
                numbers.values_slice_mut()[first_row..].iter_mut().for_each(|n| *n += lines_before as i64);
            }
        }
    }

    /// Parses `line` and, when it is kept, adds it to `run`.
    fn read_line<'a>(
        &self,
        line: &'a [u8],
        line_no: u64,
        days: &mut DayCache,
        run: &mut Run<'a>,
    ) -> Result<Kept, ParseError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let record = run.next_slot();
        parse_line_into(line, record, days)?;
        if !self.window.contains(record.time) {
            return Ok(Kept::OutsideWindow(record.time));
        }
        if self.test.as_ref().is_some_and(|test| !test.passes(record)) {
            return Ok(Kept::FailedTest);
        }
        if self.derived_parts.any() {
            let record = &run.slots[run.rows];
            run.derived.push(Derived::default());
            if let Some(derived) = run.derived.last_mut() {
                derived.fill(record, self.derived_parts);
            }
        }
        run.rows += 1;
        run.lines.push(line_no);
        Ok(Kept::Row)
    }

    /// Parses `line`, whose invalid UTF-8 is replaced with U+FFFD. The
    /// repaired text lives only here, so the rows of `run` are appended
    /// first and its own row right after.
    fn read_lossy_line(
        &self,
        line: &[u8],
        line_no: u64,
        builders: &mut Builders,
        run: &mut Run<'_>,
        text: &TextSource,
    ) -> Result<Kept, ParseError> {
        self.append_run(builders, run, text);
        let repaired = String::from_utf8_lossy(line);
        let mut single = Run::with_capacity(1);
        let kept = self.read_line(repaired.as_bytes(), line_no, &mut builders.days, &mut single);
        self.append_run(builders, &mut single, text);
        kept
    }

    /// Appends every row of `run` to every column, then empties it.
    fn append_run(&self, builders: &mut Builders, run: &mut Run<'_>, text: &TextSource) {
        for (column, builder) in self.raw_text.iter().zip(builders.raw_text.iter_mut()) {
            builder.extend(run.records().iter().map(|r| r.text(*column)), text);
        }
        for (column, builder) in self.computed.iter().zip(builders.computed.iter_mut()) {
            append_values(builder, *column, run, text);
        }
        run.clear();
    }
}

/// Appends `column`'s value of every row of `run`: the column is chosen
/// once, and each arm is one loop.
fn append_values(builder: &mut ColumnBuilder, column: Column, run: &Run<'_>, text: &TextSource) {
    let records = run.records().iter();
    let presigns = run.derived.iter().map(|d| d.presign.as_ref());
    match builder {
        ColumnBuilder::Text(b) => match column {
            Column::SourceFile => b.extend_source(run.rows, text),
            Column::ExtraFields => b.extend(records.map(|r| r.extra_fields), text),
            c => append_derived_text(b, c, run, text),
        },
        ColumnBuilder::Timestamp(b) => match column {
            Column::Time => extend_primitive(b, records.map(|r| Some(r.time))),
            Column::PresignSignedAt => extend_primitive(b, presigns.map(|p| p.and_then(|p| p.signed_at))),
            _ => extend_primitive(b, presigns.map(|p| p.and_then(|p| p.expires_at))),
        },
        ColumnBuilder::Int32(b) => extend_primitive(b, records.map(LogRecord::http_status)),
        ColumnBuilder::Int64(b) => match column {
            Column::BytesSent => extend_primitive(b, records.map(LogRecord::bytes_sent)),
            Column::ObjectSize => extend_primitive(b, records.map(LogRecord::object_size)),
            Column::TotalTimeMs => extend_primitive(b, records.map(LogRecord::total_time_ms)),
            Column::TurnAroundTimeMs => extend_primitive(b, records.map(LogRecord::turn_around_time_ms)),
            Column::SourceLine => extend_primitive(b, run.lines.iter().map(|&line| Some(line as i64))),
            _ => extend_primitive(b, presigns.map(|p| p.and_then(|p| p.expires_seconds))),
        },
        ColumnBuilder::Boolean(b) => b.extend(presigns.map(|p| p.map(|p| p.has_session_token))),
    }
}

/// Appends `values` to a number or time column, up to a run's worth at a
/// time: the values and their validity are gathered on the stack and
/// appended in one call each. Appending value by value called Arrow's
/// `append_null`, which does not inline, for every null.
fn extend_primitive<T: ArrowPrimitiveType>(
    b: &mut PrimitiveBuilder<T>,
    values: impl Iterator<Item = Option<T::Native>>,
) {
    let mut values = values.peekable();
    let mut natives = [T::Native::default(); RUN_ROWS];
    let mut valid = [false; RUN_ROWS];
    while values.peek().is_some() {
        let mut rows = 0;
        for ((native, is_valid), value) in natives.iter_mut().zip(&mut valid).zip(values.by_ref()) {
            (*native, *is_valid) = match value {
                Some(v) => (v, true),
                None => (T::Native::default(), false),
            };
            rows += 1;
        }
        b.append_values(&natives[..rows], &valid[..rows]);
    }
}

/// Appends a derived text column's value of every row.
fn append_derived_text(b: &mut TextColumn, column: Column, run: &Run<'_>, text: &TextSource) {
    let derived = run.derived.iter();
    let word = |s: &'static str| Some(s.as_bytes());
    match column {
        Column::RequestMethod => b.extend(derived.map(|d| d.request_method), text),
        Column::RequestPath => b.extend(derived.map(|d| d.request_path), text),
        Column::HttpVersion => b.extend(derived.map(|d| d.http_version), text),
        Column::PresignVersion => b.extend(derived.map(|d| d.presign.as_ref().and_then(|p| word(p.version))), text),
        Column::PresignAccessKeyId => b.extend(derived.map(|d| d.presign.as_ref().and_then(|p| p.access_key_id)), text),
        Column::RequesterKind => b.extend(derived.map(|d| word(d.requester_kind)), text),
        Column::RequesterAccount => b.extend(derived.map(|d| d.requester_account), text),
        Column::CredentialFailure => b.extend(derived.map(|d| d.credential_failure.and_then(word)), text),
        _ => b.extend(std::iter::repeat_n(None, run.rows), text),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::compute::concat_batches;
    use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};

    use super::*;
    use crate::chunk::WindowChunker;
    use crate::schema::projected_schema;

    const HEAD: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be bucket \
        [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT";

    /// Line `n`: all 27 fields on even lines, the 18 of an old record on odd
    /// ones, so that each record's slot held a longer or shorter one before;
    /// its key and bytes sent name it.
    fn line(n: u64) -> Vec<u8> {
        let line = if n.is_multiple_of(2) {
            format!(
                "{HEAD} key-{n} \"GET /bucket/key-{n} HTTP/1.1\" 200 - {n} 113 7 6 \"-\" \"agent {n}\" - HOSTID= SigV4 \
                 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket.s3.amazonaws.com TLSv1.2 - - us-east-1"
            )
        } else {
            format!("{HEAD} key-{n} - 404 NoSuchKey {n} - 7 - - - -")
        };
        line.into_bytes()
    }

    fn texts(batch: &RecordBatch, column: usize) -> Vec<Option<String>> {
        batch.column(column).as_string_view().iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn numbers_are_appended_a_run_at_a_time_with_their_nulls() {
        // More values than a run holds, so that the last run is short; a
        // null at each edge of a run.
        let values: Vec<Option<i64>> =
            (0..2 * RUN_ROWS as i64 + 3).map(|n| (n % RUN_ROWS as i64 > 0 && n % 7 != 0).then_some(n)).collect();
        let mut b = Int64Builder::new();
        b.append_value(-1);
        extend_primitive(&mut b, values.iter().copied());
        extend_primitive(&mut b, std::iter::empty());
        let array = b.finish();
        assert_eq!(array.len(), values.len() + 1);
        assert_eq!(array.iter().skip(1).collect::<Vec<_>>(), values);
        assert_eq!(array.value(0), -1);
    }

    #[test]
    fn chunks_that_count_their_own_lines_are_numbered_in_their_input() {
        // 40 lines, every seventh malformed, the last without a newline, cut
        // into chunks of a few lines each.
        let text: Vec<u8> = (1..=40u64)
            .map(|n| if n % 7 == 0 { b"malformed".to_vec() } else { line(n) })
            .collect::<Vec<_>>()
            .join(&b'\n');
        let chunks: Vec<Chunk> =
            WindowChunker::in_memory(text.into(), "t.log".into(), 700).collect::<Result<_, _>>().unwrap();
        assert!(chunks.len() > 4, "{} chunks", chunks.len());
        let columns: Arc<[Column]> = [Column::SourceLine, Column::BytesSent].into();
        let builder = Arc::new(BatchBuilder::new(columns.clone(), projected_schema(&columns)));
        // Parsed at once, the last chunk asking first for its first line.
        let parsing: Vec<_> = chunks
            .into_iter()
            .rev()
            .map(|chunk| {
                let builder = builder.clone();
                std::thread::spawn(move || builder.build(std::slice::from_ref(&chunk)).unwrap())
            })
            .collect();
        let outs: Vec<ParsedChunks> = parsing.into_iter().map(|t| t.join().unwrap()).collect();
        let mut lines = Vec::new();
        let mut rejected = Vec::new();
        for out in &outs {
            let numbers = out.batch.column(0).as_primitive::<Int64Type>();
            let bytes = out.batch.column(1).as_primitive::<Int64Type>();
            // A row's line number is the number its text carries.
            assert!(numbers.iter().zip(bytes.iter()).all(|(line, sent)| line == sent));
            lines.extend(numbers.iter().flatten());
            rejected.extend(out.tallies[0].rejected.iter().map(|r| r.line as i64));
        }
        lines.sort_unstable();
        rejected.sort_unstable();
        assert_eq!(lines, (1..=40).filter(|n| n % 7 != 0).collect::<Vec<_>>());
        assert_eq!(rejected, [7, 14, 21, 28, 35]);
        assert_eq!(outs.iter().map(|o| o.tallies[0].lines).sum::<u64>(), 40);
    }

    #[test]
    fn a_parcel_of_chunks_is_the_batches_of_its_chunks_one_after_another() {
        // Three files' chunks, the second starting at line 51 of its file;
        // the second and third have a malformed line 53 and a line 54 of
        // invalid UTF-8.
        let file = |first: u64, count: u64| -> Vec<u8> {
            let mut text: Vec<u8> = (first..first + count)
                .map(|n| match n {
                    53 => b"malformed".to_vec(),
                    54 => line(n).splitn(2, |&b| b == b'"').collect::<Vec<_>>().join(b"\"\xff".as_slice()),
                    n => line(n),
                })
                .collect::<Vec<_>>()
                .join(&b'\n');
            text.push(b'\n');
            text
        };
        let chunks = [
            Chunk::new("a.log".into(), 1, file(1, 3).into()),
            Chunk::new("s3://bucket/b.log".into(), 51, file(51, 6).into()),
            Chunk::new("c.log".into(), 1, file(1, RUN_ROWS as u64 + 2).into()),
        ];
        let columns: Arc<[Column]> = [
            Column::Key,
            Column::SourceLine,
            Column::UserAgent,
            Column::SourceFile,
            Column::RequestPath,
            Column::BytesSent,
            Column::ExtraFields,
        ]
        .into();
        let builder = BatchBuilder::new(columns.clone(), projected_schema(&columns));
        let parcel = builder.build(&chunks).unwrap();
        let alone: Vec<ParsedChunks> = chunks.iter().map(|c| builder.build(std::slice::from_ref(c)).unwrap()).collect();
        let one_after_another =
            concat_batches(builder.schema(), alone.iter().map(|p| &p.batch).collect::<Vec<_>>()).unwrap();
        assert_eq!(parcel.batch, one_after_another);
        assert_eq!(parcel.batch.num_rows(), 3 + 5 + RUN_ROWS + 1);
        let tallied = |p: &ParsedChunks| {
            p.tallies
                .iter()
                .map(|t| (t.first_line, t.lines, t.rows, t.lossy_lines, t.rejected.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(tallied(&parcel), alone.iter().flat_map(tallied).collect::<Vec<_>>());
        let rejected = parcel.tallies.iter().map(|t| t.rejected.iter().map(|r| r.line).collect::<Vec<_>>());
        assert_eq!(rejected.collect::<Vec<_>>(), [vec![], vec![53], vec![53]]);
        assert_eq!(parcel.tallies.iter().map(|t| t.lossy_lines).collect::<Vec<_>>(), [0, 1, 1]);
        assert_eq!(parcel.batch.column(1).as_primitive::<Int64Type>().value(3), 51, "b.log's first line");
        assert_eq!(texts(&parcel.batch, 3)[3].as_deref(), Some("s3://bucket/b.log"));
    }

    #[test]
    fn rows_keep_their_lines_order_across_runs_repaired_and_rejected_lines() {
        let (lossy, malformed) = (150, 200);
        let lines: Vec<u64> = (1..=3 * RUN_ROWS as u64 + 5).collect();
        let mut data = Vec::new();
        for &n in &lines {
            let text = match n {
                n if n == malformed => b"not a log line".to_vec(),
                n if n == lossy => {
                    let mut bytes = line(n);
                    let agent = bytes.windows(6).position(|w| w == b"agent ").unwrap();
                    bytes.insert(agent + 6, 0xff);
                    bytes
                }
                n => line(n),
            };
            data.extend(text);
            data.push(b'\n');
        }
        let columns: Arc<[Column]> = [
            Column::Key,
            Column::SourceLine,
            Column::BytesSent,
            Column::RequestMethod,
            Column::UserAgent,
            Column::SourceFile,
            Column::Time,
        ]
        .into();
        let builder = BatchBuilder::new(columns.clone(), projected_schema(&columns));
        // The chunk starts at line 1001 of its file.
        let out = builder.build(&[Chunk::new("f.log".into(), 1001, data.into())]).unwrap();
        let in_file = |n: u64| n + 1000;

        assert_eq!(out.tallies[0].rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [in_file(malformed)]);
        assert_eq!((out.tallies[0].first_line, out.tallies[0].lines), (1001, lines.len() as u64));
        assert_eq!(out.tallies[0].lossy_lines, 1);
        let kept: Vec<u64> = lines.iter().copied().filter(|&n| n != malformed).collect();
        let batch = &out.batch;
        assert_eq!(batch.num_rows(), kept.len());
        let keys: Vec<Option<String>> = kept.iter().map(|n| Some(format!("key-{n}"))).collect();
        assert_eq!(texts(batch, 0), keys);
        let numbers: Vec<Option<i64>> = kept.iter().map(|&n| Some(n as i64)).collect();
        let line_numbers: Vec<Option<i64>> = kept.iter().map(|&n| Some(in_file(n) as i64)).collect();
        assert_eq!(batch.column(1).as_primitive::<Int64Type>().iter().collect::<Vec<_>>(), line_numbers);
        assert_eq!(batch.column(2).as_primitive::<Int64Type>().iter().collect::<Vec<_>>(), numbers);
        let methods: Vec<Option<String>> =
            kept.iter().map(|n| n.is_multiple_of(2).then(|| "GET".to_string())).collect();
        assert_eq!(texts(batch, 3), methods);
        let agents = texts(batch, 4);
        assert_eq!(agents[kept.iter().position(|&n| n == 148).unwrap()].as_deref(), Some("agent 148"));
        assert_eq!(agents[kept.iter().position(|&n| n == lossy).unwrap()].as_deref(), Some("agent \u{fffd}150"));
        assert_eq!(agents[kept.iter().position(|&n| n == 151).unwrap()], None);
        assert!(texts(batch, 5).iter().all(|f| f.as_deref() == Some("f.log")));
        assert_eq!(batch.column(6).as_primitive::<TimestampMicrosecondType>().null_count(), 0);
    }
}
