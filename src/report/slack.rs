//! The Slack Block Kit message of a report run: a header with the window and
//! the counts, one section per report that found something (rows, requests,
//! change against the previous window, top rows, severity), one quiet line for
//! the reports that found nothing, and a plain-text fallback. It stays inside
//! Slack's limits (50 blocks, 3,000 characters a section, 150 a header) by
//! cutting rows and reports with "and N more" rather than failing.

use serde_json::{Value, json};

use super::catalog::Severity;
use super::output::RenderError;
use super::render::{ReportDocument, cells, clip, counted_rows, more_rows, summary_line, total_requests};
use super::run::ReportResult;
use crate::counts::counted;
use crate::redact::redact;

/// Slack's limits for incoming-webhook messages.
pub const MAX_BLOCKS: usize = 50;
pub const MAX_SECTION_CHARS: usize = 3000;
pub const MAX_HEADER_CHARS: usize = 150;
/// Slack suggests keeping the fallback text under 4,000 characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Upper bound on the whole payload we send.
pub const MAX_PAYLOAD_BYTES: usize = 40_000;

/// What the message needs besides the results.
pub struct SlackMessage<'a> {
    pub doc: &'a ReportDocument<'a>,
    /// How the inputs are named in the header (paths or bucket URLs).
    pub inputs: &'a str,
    /// The same reports over the previous window of the same length, when
    /// the input covers it.
    pub previous: Option<&'a [ReportResult]>,
}

fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => ":rotating_light:",
        Severity::High => ":red_circle:",
        Severity::Medium => ":large_orange_circle:",
        Severity::Low => ":large_yellow_circle:",
        Severity::Info => ":large_blue_circle:",
    }
}

/// `text` made inert in Slack's mrkdwn. `&`, `<` and `>` become the entities
/// Slack asks for, so that no `<!channel>`, `<@U…>` or `<https://…|label>` a
/// user agent or key carries turns into a mention or a link; each backtick
/// becomes `ˋ` (U+02CB), so that none closes the code block rows are shown
/// in and lets the rest of a cell be read as formatting.
fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push('\u{2cb}'),
            c => out.push(c),
        }
    }
    out
}

fn change_text(now: i64, before: Option<i64>) -> String {
    match before {
        None => String::new(),
        Some(0) => " · new since the previous window".to_string(),
        Some(b) if b == now => " · same as the previous window".to_string(),
        Some(b) => format!(" · {:+} requests vs the previous window ({b})", now - b),
    }
}

/// One report's section text with at most `rows` rows, within the limit.
fn section_text(result: &ReportResult, previous: Option<&[ReportResult]>, rows: usize) -> Result<String, RenderError> {
    let rep = &result.report;
    let requests = total_requests(result);
    let before = previous.map(|p| p.iter().find(|r| r.report.name == rep.name).map_or(0, total_requests));
    let mut text = format!(
        "{} *{}* ({}) — {}, {}{}\n",
        severity_icon(rep.severity),
        inert(&rep.title),
        rep.severity,
        counted_rows(result.total_rows),
        counted(u64::try_from(requests).unwrap_or_default(), "request"),
        change_text(requests, before)
    );
    let (headers, table) = cells(result, rows)?;
    if !table.is_empty() {
        let line = |cells: &[String]| cells.iter().map(|c| inert(c)).collect::<Vec<_>>().join(" | ") + "\n";
        let mut block = line(&headers);
        for row in &table {
            block.push_str(&line(row));
        }
        let tail = more_rows(result, table.len()).unwrap_or_default();
        let room = MAX_SECTION_CHARS.saturating_sub(text.chars().count() + tail.chars().count() + 8);
        text.push_str(&format!("```{}```{tail}", clip(&block, room)));
    }
    Ok(redact(&clip(&text, MAX_SECTION_CHARS)).into_owned())
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

/// Builds the payload with at most `rows` rows per report.
fn payload_with_rows(msg: &SlackMessage<'_>, rows: usize) -> Result<Value, RenderError> {
    let doc = msg.doc;
    let mut found: Vec<&ReportResult> = doc.results.iter().filter(|r| r.total_rows > 0).collect();
    found.sort_by_key(|r| std::cmp::Reverse(r.report.severity));
    let clear: Vec<String> = doc.results.iter().filter(|r| r.total_rows == 0).map(|r| inert(&r.report.name)).collect();
    let header_facts = format!("*Inputs:* {}\n{}", inert(&clip(msg.inputs, 500)), inert(&summary_line(doc)));
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": clip("S3 access log report", MAX_HEADER_CHARS)}}),
        section(redact(&header_facts).into_owned()),
        json!({"type": "divider"}),
    ];
    // Header (3) + all-clear context (1) + a possible "and N more" (1).
    let room = MAX_BLOCKS - blocks.len() - 2;
    let shown = found.len().min(room);
    for r in &found[..shown] {
        blocks.push(section(section_text(r, msg.previous, rows)?));
    }
    if found.len() > shown {
        let rest: Vec<String> = found[shown..].iter().map(|r| inert(&r.report.name)).collect();
        blocks.push(section(clip(
            &format!("… and {} with findings: {}", counted(rest.len() as u64, "more report"), rest.join(", ")),
            MAX_SECTION_CHARS,
        )));
    }
    if !clear.is_empty() {
        let line = clip(&format!(":white_check_mark: All clear: {}", clear.join(", ")), MAX_SECTION_CHARS);
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}));
    }
    let summary: Vec<String> = found
        .iter()
        .map(|r| format!("{} ({}): {}", inert(&r.report.name), r.report.severity, counted_rows(r.total_rows)))
        .collect();
    let text = format!(
        "S3 access log report: {} of {} reports found something. {}",
        found.len(),
        doc.results.len(),
        summary.join("; ")
    );
    Ok(json!({"text": redact(&clip(&text, MAX_TEXT_CHARS)).into_owned(), "blocks": blocks}))
}

/// The Block Kit payload, trimmed to fit Slack's limits.
pub fn slack_payload(msg: &SlackMessage<'_>) -> Result<Value, RenderError> {
    for rows in [5, 3, 1] {
        let payload = payload_with_rows(msg, rows)?;
        if payload.to_string().len() <= MAX_PAYLOAD_BYTES {
            return Ok(payload);
        }
    }
    payload_with_rows(msg, 0)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::batch::ScanTotals;
    use crate::report::Report;
    use crate::window::TimeWindow;

    fn result(n: usize, rows: usize, severity: Severity) -> ReportResult {
        let schema = Arc::new(Schema::new(vec![
            Field::new("who", DataType::Utf8, true),
            Field::new("requests", DataType::Int64, false),
        ]));
        let who: StringArray =
            (0..rows).map(|i| Some(format!("arn:aws:iam::111122223333:user/{}-{i}", "x".repeat(80)))).collect();
        let requests: Int64Array = (0..rows as i64).collect();
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(who), Arc::new(requests)]).unwrap();
        let report = Report {
            name: format!("r{n}"),
            title: format!("Report {n}"),
            severity,
            description: "d".into(),
            remedy: None,
            sql: String::new(),
            path: None,
        };
        ReportResult { report, schema, batches: vec![batch], total_rows: rows }
    }

    fn document(results: &[ReportResult]) -> ReportDocument<'_> {
        ReportDocument {
            results,
            totals: ScanTotals::default(),
            window: TimeWindow::default(),
            max_rows: 20,
            timeline: None,
        }
    }

    #[test]
    fn big_runs_are_cut_to_slacks_limits() {
        let mut results: Vec<ReportResult> = (0..70).map(|n| result(n, 200, Severity::High)).collect();
        results.push(result(70, 0, Severity::Low));
        let doc = document(&results);
        let payload = slack_payload(&SlackMessage { doc: &doc, inputs: "s3://logs/", previous: None }).unwrap();
        let blocks = payload["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), MAX_BLOCKS);
        assert!(payload.to_string().len() <= MAX_PAYLOAD_BYTES);
        let texts: Vec<&str> = blocks.iter().filter_map(|b| b["text"]["text"].as_str()).collect();
        assert!(texts.iter().all(|t| t.chars().count() <= MAX_SECTION_CHARS));
        assert!(texts.iter().any(|t| t.starts_with("… and 25 more reports with findings: r45, r46")), "{texts:?}");
        assert!(texts[2].ends_with("```… and 195 more rows"), "{}", texts[2]);
        assert_eq!(blocks.last().unwrap()["elements"][0]["text"], ":white_check_mark: All clear: r70");
        assert!(payload["text"].as_str().unwrap().chars().count() <= MAX_TEXT_CHARS);
    }

    #[test]
    fn counts_of_one_are_singular() {
        let results = [result(0, 2, Severity::High), result(1, 1, Severity::Low)];
        let doc = document(&results);
        let payload = slack_payload(&SlackMessage { doc: &doc, inputs: "s3://logs/", previous: None }).unwrap();
        let texts: Vec<&str> =
            payload["blocks"].as_array().unwrap().iter().filter_map(|b| b["text"]["text"].as_str()).collect();
        assert!(texts.iter().any(|t| t.contains("*Report 0* (high) — 2 rows, 1 request\n")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("*Report 1* (low) — 1 row, 0 requests\n")), "{texts:?}");
        assert!(payload["text"].as_str().unwrap().contains("r1 (low): 1 row"), "{payload}");
    }

    #[test]
    fn text_from_the_logs_cannot_mention_link_or_leave_its_code_block() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("user_agent", DataType::Utf8, true),
            Field::new("requests", DataType::Int64, false),
        ]));
        let agent = "x```\n<!channel> rotate keys at <https://evil.example|AWS> & `now`";
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![agent])), Arc::new(Int64Array::from(vec![1]))],
        )
        .unwrap();
        let mut hostile = result(0, 0, Severity::High);
        hostile.report.name = "<!here>".into();
        let results =
            vec![ReportResult { schema, batches: vec![batch], total_rows: 1, ..result(1, 0, Severity::High) }, hostile];
        let doc = document(&results);
        let payload = slack_payload(&SlackMessage { doc: &doc, inputs: "<@U123>", previous: None }).unwrap();
        let all = payload.to_string();
        for control in ["<!channel>", "<https://", "<!here>", "<@U123>"] {
            assert!(!all.contains(control), "{control} in {all}");
        }
        let text = payload["blocks"][3]["text"]["text"].as_str().unwrap();
        assert!(text.ends_with(
            "```user_agent | requests\nx\u{2cb}\u{2cb}\u{2cb}\\x0a&lt;!channel&gt; rotate keys at &lt;https://evil.example|AWS&gt; &amp; \u{2cb}now\u{2cb} | 1\n```"
        ), "{text}");
        assert_eq!(text.matches("```").count(), 2, "one code block: {text}");
        assert!(all.contains("*Inputs:* &lt;@U123&gt;") && all.contains("All clear: &lt;!here&gt;"), "{all}");
    }

    #[test]
    fn the_change_against_the_previous_window_is_shown() {
        let results = vec![result(0, 3, Severity::Medium)];
        let doc = document(&results);
        let previous = vec![result(0, 2, Severity::Medium)];
        let payload = slack_payload(&SlackMessage { doc: &doc, inputs: "logs/", previous: Some(&previous) }).unwrap();
        let text = payload["blocks"][3]["text"]["text"].as_str().unwrap();
        assert!(text.starts_with(":large_orange_circle: *Report 0* (medium) — 3 rows, 3 requests · +2 requests vs the previous window (1)"), "{text}");
    }
}
