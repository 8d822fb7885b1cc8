//! Rendering query results for people and programs: a terminal table, CSV,
//! a JSON array or newline-delimited JSON. String values pass through
//! [`crate::redact`] first unless the caller opts out. Timestamps are
//! written the way Arrow does when given no format: RFC 3339 in UTC, `Z`,
//! and only the fractional digits there are (`2026-11-20T10:00:00Z`); a
//! format string would be parsed again for every value written.

use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray, StringViewArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::{csv, json, util::pretty};

use crate::redact::redact;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Table,
    Csv,
    Json,
    Ndjson,
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            "ndjson" => Ok(OutputFormat::Ndjson),
            other => Err(format!("unknown format `{other}` (expected table, csv, json or ndjson)")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("formatting results failed: {0}")]
    Arrow(#[from] ArrowError),
    #[error("writing results failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Replaces secrets in every string column of `batch`.
pub fn redact_batch(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns = batch.columns().iter().map(redact_array).collect::<Vec<_>>();
    RecordBatch::try_new(batch.schema(), columns)
}

fn redact_array(array: &ArrayRef) -> ArrayRef {
    let redacted: Option<ArrayRef> = match array.data_type() {
        DataType::Utf8View => array
            .as_any()
            .downcast_ref::<StringViewArray>()
            .map(|a| Arc::new(a.iter().map(|v| v.map(redact)).collect::<StringViewArray>()) as ArrayRef),
        DataType::Utf8 => array
            .as_any()
            .downcast_ref::<StringArray>()
            .map(|a| Arc::new(a.iter().map(|v| v.map(redact)).collect::<StringArray>()) as ArrayRef),
        _ => None,
    };
    redacted.unwrap_or_else(|| array.clone())
}

/// Writes `batches` to `out` in `format`.
pub fn write_batches(format: OutputFormat, batches: &[RecordBatch], out: &mut dyn Write) -> Result<(), RenderError> {
    match format {
        OutputFormat::Table => writeln!(out, "{}", pretty::pretty_format_batches(batches)?)?,
        OutputFormat::Csv => {
            let mut w = csv::WriterBuilder::new().with_header(true).build(out);
            batches.iter().try_for_each(|b| w.write(b))?;
        }
        OutputFormat::Json => {
            write_json::<json::writer::JsonArray>(batches, &mut *out)?;
            writeln!(out)?;
        }
        OutputFormat::Ndjson => write_json::<json::writer::LineDelimited>(batches, out)?,
    }
    Ok(())
}

/// Writes `batches` as JSON (`F`: an array or one object per line), with
/// nulls written out and timestamps in RFC 3339.
pub(crate) fn write_json<F: json::writer::JsonFormat>(
    batches: &[RecordBatch],
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let mut w = json::WriterBuilder::new().with_explicit_nulls(true).build::<_, F>(out);
    batches.iter().try_for_each(|b| w.write(b))?;
    w.finish()?;
    Ok(())
}
