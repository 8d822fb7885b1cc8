//! The nightly Slack delivery against a real HTTP server on 127.0.0.1 that
//! records every request and answers from a script: 200, 429 with
//! Retry-After, 500 and 400 `invalid_payload`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;

const SECRET: &str = "SECRETTOKEN123";

/// One scripted answer: status, extra headers, body.
type Answer = (u16, &'static [(&'static str, &'static str)], &'static str);

struct Recorded {
    path: String,
    content_type: String,
    body: String,
}

/// Serves `script` in order (the last answer repeats), at most 16 requests.
fn serve(script: Vec<Answer>) -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/services/T000/B000/{SECRET}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for n in 0..16 {
            let Ok((stream, _)) = listener.accept() else { return };
            let mut reader = BufReader::new(stream);
            let (mut path, mut content_type, mut length) = (String::new(), String::new(), 0usize);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                let lower = line.to_ascii_lowercase();
                if path.is_empty() {
                    path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                } else if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                } else if let Some(v) = lower.strip_prefix("content-type:") {
                    content_type = v.trim().to_string();
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            log.lock().unwrap().push(Recorded {
                path,
                content_type,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let (status, headers, text) = script[n.min(script.len() - 1)];
            let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{text}",
                text.len()
            );
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    (url, seen)
}

fn sample_logs() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs").display().to_string()
}

fn report_to_slack(url: &str, extra: &[&str]) -> Output {
    report_to_slack_from(&sample_logs(), url, extra)
}

fn report_to_slack_from(input: &str, url: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_s3logq"))
        .args(["report", "--slack"])
        .args(extra)
        .arg(input)
        .env("S3LOGQ_SLACK_WEBHOOK_URL", url)
        .output()
        .unwrap()
}

fn assert_no_secret(out: &Output) {
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains(SECRET), "the webhook leaked: {all}");
}

#[test]
fn posts_a_block_kit_message() {
    let (url, seen) = serve(vec![(200, &[], "ok")]);
    let out = report_to_slack(&url, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_no_secret(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("report posted to Slack"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, format!("/services/T000/B000/{SECRET}"));
    assert_eq!(seen[0].content_type, "application/json");
    let payload: Value = serde_json::from_str(&seen[0].body).unwrap();
    let blocks = payload["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 50);
    assert_eq!(blocks[0]["type"], "header");
    assert!(blocks[1]["text"]["text"].as_str().unwrap().contains("56 lines read from 4 inputs"));
    assert!(blocks[1]["text"]["text"].as_str().unwrap().contains("5 lines rejected"));
    let sections: Vec<&str> =
        blocks.iter().filter(|b| b["type"] == "section").map(|b| b["text"]["text"].as_str().unwrap()).collect();
    assert!(sections.iter().all(|t| t.chars().count() <= 3000));
    assert!(sections[1].starts_with(":red_circle: *SigV2 callers* (high) — 5 rows, 7 requests"), "{}", sections[1]);
    assert!(payload["text"].as_str().unwrap().starts_with("S3 access log report: 10 of 10 reports found something."));
    for secret in ["a1a1000", "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "FwoGZXIvYXdzEXAMPLEv2TOKEN", "bWFkZS11cCBzaWduYXR1cmU"] {
        assert!(!seen[0].body.contains(secret), "{secret} in the Slack payload");
    }
}

#[test]
fn all_clear_reports_share_one_quiet_line_and_changes_are_shown() {
    // The same from the raw logs and from a lake of them.
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake").display().to_string();
    let ingest = Command::new(env!("CARGO_BIN_EXE_s3logq")).args(["ingest", "--to", &lake, &sample_logs()]).output();
    assert!(ingest.unwrap().status.success());
    for input in [sample_logs(), lake] {
        changes_against_the_previous_window_are_shown(&input);
    }
}

fn changes_against_the_previous_window_are_shown(input: &str) {
    let (url, seen) = serve(vec![(200, &[], "ok")]);
    // The window holds the 2026-11-21 traffic; the previous day is the one before.
    let out = report_to_slack_from(input, &url, &["--since", "2026-11-21", "--until", "2026-11-22"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let payload: Value = serde_json::from_str(&seen.lock().unwrap()[0].body).unwrap();
    let blocks = payload["blocks"].as_array().unwrap();
    let quiet =
        blocks.iter().find(|b| b["type"] == "context").unwrap()["elements"][0]["text"].as_str().unwrap().to_string();
    assert!(quiet.starts_with(":white_check_mark: All clear: "), "{quiet}");
    assert!(quiet.contains("insecure-tls") && quiet.contains("access-points"), "{quiet}");
    let sigv2 =
        blocks.iter().filter_map(|b| b["text"]["text"].as_str()).find(|t| t.contains("*SigV2 callers*")).unwrap();
    assert!(sigv2.contains("3 rows, 3 requests · same as the previous window"), "{sigv2}");
    let presigned =
        blocks.iter().filter_map(|b| b["text"]["text"].as_str()).find(|t| t.contains("*Presigned URL usage*")).unwrap();
    assert!(presigned.contains("16 requests · new since the previous window"), "{presigned}");
    let denied =
        blocks.iter().filter_map(|b| b["text"]["text"].as_str()).find(|t| t.contains("*Access denied*")).unwrap();
    assert!(denied.contains("2 requests · same as the previous window"), "{denied}");
}

#[test]
fn retries_429_after_retry_after_then_5xx() {
    let (url, seen) =
        serve(vec![(429, &[("Retry-After", "1")], "rate_limited"), (500, &[], "rollup_error"), (200, &[], "ok")]);
    let started = Instant::now();
    let out = report_to_slack(&url, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After honoured");
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 attempt(s)"));
    assert_no_secret(&out);
}

#[test]
fn a_4xx_answer_fails_with_slacks_error() {
    let (url, seen) = serve(vec![(400, &[], "invalid_payload")]);
    let out = report_to_slack(&url, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Slack refused the message: HTTP 400 invalid_payload"), "{stderr}");
    assert_eq!(seen.lock().unwrap().len(), 1, "no retry on 4xx");
    assert_no_secret(&out);
}

#[test]
fn gives_up_after_the_allowed_attempts() {
    let (url, seen) = serve(vec![(503, &[], "unavailable")]);
    let out = report_to_slack(&url, &["--slack-attempts", "3"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("after 3 attempts; last: HTTP 503 unavailable"), "{stderr}");
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert_no_secret(&out);
}

#[test]
fn an_unreachable_webhook_is_masked_in_errors() {
    // Held while the test runs, so that no other test's server is given it.
    let refusing = support::RefusingPort::new();
    let url = format!("http://127.0.0.1:{}/services/T000/B000/{SECRET}", refusing.port());
    let out = report_to_slack(&url, &["--slack-attempts", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("after 2 attempts"));
    assert_no_secret(&out);
}

#[test]
fn dry_run_prints_the_payload_and_sends_nothing() {
    let (url, seen) = serve(vec![(200, &[], "ok")]);
    let out = report_to_slack(&url, &["--dry-run"]);
    assert!(out.status.success());
    let payload: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(payload["blocks"][0]["type"], "header");
    assert!(seen.lock().unwrap().is_empty());
    assert_no_secret(&out);
}

#[test]
fn fail_on_findings_exits_1_at_or_above_the_severity() {
    let (url, _) = serve(vec![(200, &[], "ok")]);
    let high = report_to_slack(&url, &["--fail-on-findings", "high"]);
    assert_eq!(high.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&high.stderr).contains("sigv2-callers (5 rows)"));
    let critical = report_to_slack(&url, &["--fail-on-findings", "critical"]);
    assert_eq!(critical.status.code(), Some(0));
}

#[test]
fn a_missing_webhook_says_what_to_set() {
    let out = Command::new(env!("CARGO_BIN_EXE_s3logq"))
        .args(["report", "--slack", &sample_logs()])
        .env_remove("S3LOGQ_SLACK_WEBHOOK_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("set S3LOGQ_SLACK_WEBHOOK_URL or pass --slack-webhook-file PATH")
    );
}
