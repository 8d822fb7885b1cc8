//! Appends the records of one chunk straight into Arrow builders and returns
//! a `RecordBatch` of the requested columns. String columns are `Utf8View`s
//! whose long values point into the chunk's own buffer (zero-copy); derived
//! columns are computed only when asked for.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, RecordBatch, RecordBatchOptions, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;

use super::record_test::RecordTest;
use super::text::{TextColumn, TextSource};
use crate::chunk::Chunk;
use crate::parse::derive::DerivedParts;
use crate::parse::{DayCache, Derived, KNOWN_FIELDS, LogRecord, ParseError, parse_line_into};
use crate::schema::{Column, ColumnKind};
use crate::window::TimeWindow;

/// A line that did not become a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub error: ParseError,
    pub raw: Vec<u8>,
}

/// What one chunk turned into.
#[derive(Debug)]
pub struct ChunkOutput {
    pub batch: RecordBatch,
    pub lines: u64,
    pub rejected: Vec<Rejected>,
    /// Lines whose invalid UTF-8 was replaced with U+FFFD before parsing.
    pub lossy_lines: u64,
    /// Records left out because their time is outside the window.
    pub outside_window: u64,
    /// Records left out because they fail the scan's [`RecordTest`].
    pub failed_test: u64,
}

/// What became of a line that parsed.
enum Kept {
    Row,
    OutsideWindow,
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

    fn finish(self, text: &TextSource) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => b.finish(text),
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

/// One row's inputs while appending.
struct Row<'r, 'a> {
    record: &'r LogRecord<'a>,
    derived: Option<&'r Derived<'a>>,
    line: u64,
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
        self.test = Some(test);
        self
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Parses every line of `chunk` into one batch.
    pub fn build(&self, chunk: &Chunk) -> Result<ChunkOutput, ArrowError> {
        let data = chunk.data.as_slice();
        let chunk_is_utf8 = simdutf8::basic::from_utf8(data).is_ok();
        let rows_hint = data.len() / 400 + 1;
        let text = TextSource::new(&chunk.data, &chunk.source);
        let mut builders = Builders {
            raw_text: self.raw_text.iter().map(|_| TextColumn::with_capacity(rows_hint)).collect(),
            computed: self.computed.iter().map(|c| ColumnBuilder::new(c.kind(), rows_hint)).collect(),
            days: DayCache::default(),
        };
        let mut out = ChunkOutput {
            batch: RecordBatch::new_empty(self.schema.clone()),
            lines: chunk.lines(),
            rejected: vec![],
            lossy_lines: 0,
            outside_window: 0,
            failed_test: 0,
        };
        let mut rows = 0usize;
        let mut start = 0usize;
        for (line_no, &end) in (chunk.first_line..).zip(&chunk.line_ends) {
            let line = &data[start..end];
            start = end + 1;
            let appended = if chunk_is_utf8 || simdutf8::basic::from_utf8(line).is_ok() {
                self.append_line(&mut builders, line, line_no, &text)
            } else {
                out.lossy_lines += 1;
                let repaired = String::from_utf8_lossy(line);
                self.append_line(&mut builders, repaired.as_bytes(), line_no, &text)
            };
            match appended {
                Ok(Kept::Row) => rows += 1,
                Ok(Kept::OutsideWindow) => out.outside_window += 1,
                Ok(Kept::FailedTest) => out.failed_test += 1,
                Err(error) => out.rejected.push(Rejected { line: line_no, error, raw: line.to_vec() }),
            }
        }
        let arrays = self.finish(builders, &text);
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        out.batch = RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)?;
        Ok(out)
    }

    /// The arrays of the projection, in its order: both builder lists keep
    /// that order, so each column takes the next array of its list.
    fn finish(&self, builders: Builders, text: &TextSource) -> Vec<ArrayRef> {
        let mut raw_text = builders.raw_text.into_iter().map(|b| b.finish(text));
        let mut computed = builders.computed.into_iter().map(|b| b.finish(text));
        self.columns.iter().filter_map(|c| if is_raw_text(*c) { raw_text.next() } else { computed.next() }).collect()
    }

    fn append_line(
        &self,
        builders: &mut Builders,
        line: &[u8],
        line_no: u64,
        text: &TextSource,
    ) -> Result<Kept, ParseError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut record = LogRecord::default();
        parse_line_into(line, &mut record, &mut builders.days)?;
        if !self.window.contains(record.time) {
            return Ok(Kept::OutsideWindow);
        }
        if self.test.as_ref().is_some_and(|test| !test.passes(&record)) {
            return Ok(Kept::FailedTest);
        }
        let derived = self.derived_parts.any().then(|| Derived::of(&record, self.derived_parts));
        let row = Row { record: &record, derived: derived.as_ref(), line: line_no };
        for (column, builder) in self.raw_text.iter().zip(builders.raw_text.iter_mut()) {
            builder.append(record.text(*column), text);
        }
        for (column, builder) in self.computed.iter().zip(builders.computed.iter_mut()) {
            append_value(builder, *column, &row, text);
        }
        Ok(Kept::Row)
    }
}

fn append_value(builder: &mut ColumnBuilder, column: Column, row: &Row<'_, '_>, text: &TextSource) {
    let r = row.record;
    match builder {
        ColumnBuilder::Text(b) => match column {
            Column::SourceFile => b.append_source(text),
            Column::ExtraFields => b.append(r.extra_fields, text),
            c => b.append(derived_text(c, row.derived), text),
        },
        ColumnBuilder::Timestamp(b) => b.append_option(match column {
            Column::Time => Some(r.time),
            Column::PresignSignedAt => presign_of(row).and_then(|p| p.signed_at),
            _ => presign_of(row).and_then(|p| p.expires_at),
        }),
        ColumnBuilder::Int32(b) => b.append_option(r.http_status()),
        ColumnBuilder::Int64(b) => b.append_option(match column {
            Column::BytesSent => r.bytes_sent(),
            Column::ObjectSize => r.object_size(),
            Column::TotalTimeMs => r.total_time_ms(),
            Column::TurnAroundTimeMs => r.turn_around_time_ms(),
            Column::SourceLine => Some(row.line as i64),
            _ => presign_of(row).and_then(|p| p.expires_seconds),
        }),
        ColumnBuilder::Boolean(b) => b.append_option(presign_of(row).map(|p| p.has_session_token)),
    }
}

fn presign_of<'r, 'a>(row: &Row<'r, 'a>) -> Option<&'r crate::parse::derive::Presign<'a>> {
    row.derived.and_then(|d| d.presign.as_ref())
}

fn derived_text<'a>(column: Column, derived: Option<&Derived<'a>>) -> Option<&'a [u8]> {
    let d = derived?;
    let word = |s: &'static str| Some(s.as_bytes());
    match column {
        Column::RequestMethod => d.request_method,
        Column::RequestPath => d.request_path,
        Column::HttpVersion => d.http_version,
        Column::PresignVersion => d.presign.as_ref().and_then(|p| word(p.version)),
        Column::PresignAccessKeyId => d.presign.as_ref().and_then(|p| p.access_key_id),
        Column::RequesterKind => word(d.requester_kind),
        Column::RequesterAccount => d.requester_account,
        Column::CredentialFailure => d.credential_failure.and_then(word),
        _ => None,
    }
}
