//! The reports end to end: golden snapshots over `sample-logs/`, hand-made
//! cases with their near misses, redaction in every format, and the HTML
//! page rendered by headless Chromium.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

mod support;

fn sample_logs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

fn s3logq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_s3logq")).args(args).output().unwrap()
}

fn report(format: &str, extra: &[&str], input: &Path) -> String {
    let mut args = vec!["report", "--format", format, "--max-rows", "100"];
    args.extend_from_slice(extra);
    args.push(input.to_str().unwrap());
    let out = s3logq(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn golden_reports_over_sample_logs() {
    for format in ["text", "markdown", "json"] {
        insta::assert_snapshot!(format!("sample_logs_{format}"), report(format, &[], &sample_logs()));
    }
}

#[test]
fn json_lists_every_report_with_totals() {
    let doc: Value = serde_json::from_str(&report("json", &[], &sample_logs())).unwrap();
    let names: Vec<&str> = doc["reports"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "sigv2-callers",
            "presigned-usage",
            "presigned-temporary-credentials",
            "presigned-leak-suspects",
            "expired-credentials",
            "access-denied",
            "anonymous-access",
            "insecure-tls",
            "access-points",
            "top-talkers"
        ]
    );
    assert_eq!(doc["rejected_lines"], 5);
    assert_eq!(doc["lines_read"], 56);
    for r in doc["reports"].as_array().unwrap() {
        let rows = r["rows"].as_array().unwrap();
        assert_eq!(r["total_rows"].as_u64().unwrap() as usize, rows.len());
        assert!(rows.iter().all(|row| row["requests"].as_i64().unwrap() > 0), "{}", r["name"]);
    }
}

#[test]
fn the_summary_says_when_the_records_outside_the_window_were() {
    let window = ["--since", "2026-11-21", "--until", "2026-11-21T03:00:00Z"];
    let doc: Value = serde_json::from_str(&report("json", &window, &sample_logs())).unwrap();
    // The same records found by a query over every record.
    let sql = "SELECT count(*), min(time), max(time) FROM logs \
               WHERE time < '2026-11-21T00:00:00Z' OR time >= '2026-11-21T03:00:00Z'";
    let logs = sample_logs();
    let out = s3logq(&["query", "--format", "csv", sql, logs.to_str().unwrap()]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let [count, first, last] = csv.lines().nth(1).unwrap().split(',').collect::<Vec<_>>()[..] else { panic!("{csv}") };
    assert_eq!((first, last), ("2026-11-20T09:00:00Z", "2026-11-22T01:05:00Z"));
    assert_eq!(doc["records_outside_window"].to_string(), count);
    assert_eq!(doc["records_outside_window_span"], serde_json::json!({"first": first, "last": last}));
    let text = report("text", &window, &sample_logs());
    let told = format!("{count} outside it ({first} to {last}), 5 lines rejected");
    assert!(text.lines().next().unwrap().ends_with(&told), "{text}");
    let all: Value = serde_json::from_str(&report("json", &[], &sample_logs())).unwrap();
    assert_eq!((&all["records_outside_window"], &all["records_outside_window_span"]), (&Value::from(0), &Value::Null));
}

/// A 27-field record with the fields the reports look at.
struct Rec<'a> {
    time: &'a str,
    ip: &'a str,
    requester: &'a str,
    op: &'a str,
    uri: &'a str,
    status: &'a str,
    error: &'a str,
    sig: &'a str,
    auth: &'a str,
}

impl Rec<'_> {
    fn line(&self) -> String {
        format!(
            "7f3c1a9e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081 bkt [{}] {} {} 0123456789ABCDEF {} k \"{}\" {} {} 100 100 5 4 \"-\" \"test-agent/1.0\" - HOSTID= {} ECDHE-RSA-AES128-GCM-SHA256 {} bkt.s3.amazonaws.com TLSv1.2 - - -",
            self.time, self.ip, self.requester, self.op, self.uri, self.status, self.error, self.sig, self.auth
        )
    }
}

#[test]
fn a_report_that_reads_logs_twice_runs_in_the_one_parse() {
    let queries = tempfile::tempdir().unwrap();
    let sql = "SELECT a.operation, count(*) AS requests, count(DISTINCT b.http_status) AS statuses \
               FROM logs a JOIN logs b ON a.bucket = b.bucket AND a.operation = b.operation \
               GROUP BY a.operation ORDER BY a.operation";
    std::fs::write(
        queries.path().join("pairs.sql"),
        format!("-- title: Request pairs\n-- severity: info\n-- description: pairs of requests.\n{sql}\n"),
    )
    .unwrap();
    let folder = queries.path().to_str().unwrap();
    let extra = ["--queries", folder, "--only", "pairs", "--only", "top-talkers"];
    let doc: Value = serde_json::from_str(&report("json", &extra, &sample_logs())).unwrap();
    let out = s3logq(&["query", "--format", "json", sql, sample_logs().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alone: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows(&doc, "pairs"), &alone, "the same rows as the query on its own");
    // 40 GET lines in one bucket pair with each other: 40².
    let gets = alone.iter().find(|r| r["operation"] == "REST.GET.OBJECT").unwrap();
    assert_eq!((gets["requests"].as_i64(), alone.len()), (Some(1600), 7));
    assert!(!rows(&doc, "top-talkers").is_empty());
}

/// Runs `report` with the reports of `queries` over `input`; it must fail,
/// and its standard error is returned.
fn failing_report(queries: &Path, input: &Path) -> String {
    let out = s3logq(&["report", "--quiet", "--queries", queries.to_str().unwrap(), input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_failing_report_is_named_and_a_failing_input_names_none() {
    let queries = tempfile::tempdir().unwrap();
    let header = "-- title: Broken\n-- severity: low\n-- description: fails.\n";
    let file = queries.path().join("broken.sql");
    let lake = tempfile::tempdir().unwrap();
    let ingest = s3logq(&["ingest", "--quiet", sample_logs().to_str().unwrap(), "--to", lake.path().to_str().unwrap()]);
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));
    // Planned side by side over raw logs, then alone over a lake: an
    // unknown column fails while planning, a division by zero while running.
    for (sql, error) in [
        ("SELECT nope AS requests FROM logs", "Schema error: No field named nope."),
        ("SELECT count(*) / 0 AS requests FROM logs", "Arrow error: Divide by zero error"),
    ] {
        std::fs::write(&file, format!("{header}{sql}\n")).unwrap();
        for input in [sample_logs(), lake.path().to_path_buf()] {
            let stderr = failing_report(queries.path(), &input);
            let expected = format!("s3logq: error: report `broken` ({}): {error}", file.display());
            assert!(stderr.contains(&expected), "{stderr}");
        }
    }
    // An input that cannot be read fails every report: the error is the
    // input's own, once, and names no report.
    std::fs::write(&file, format!("{header}SELECT count(*) AS requests FROM logs\n")).unwrap();
    let logs = tempfile::tempdir().unwrap();
    let cut = logs.path().join("cut.gz");
    let log = std::fs::read(sample_logs().join("example-bucket/2026-11-20-09-30-12-4C9F3A7E21B8D650")).unwrap();
    let whole = support::gzip(&log);
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let stderr = failing_report(queries.path(), &cut);
    let broke_off = stderr
        .strip_prefix(&format!("s3logq: error: {}: reading broke off after line ", cut.display()))
        .and_then(|rest| {
            rest.strip_suffix(
                ": incomplete deflate stream (--skip-failed-objects keeps the lines before it and goes on)\n",
            )
        });
    assert!(broke_off.is_some_and(|at| at.contains(" bytes of line ")), "{stderr}");
}

#[test]
fn a_report_filtered_on_columns_it_does_not_show_gives_the_querys_rows() {
    let queries = tempfile::tempdir().unwrap();
    // Filters on an aliased table, on columns the result does not carry, and
    // through a subquery: the scan applies the first two itself.
    let sql = "SELECT l.operation, count(*) AS requests FROM logs l \
               WHERE l.http_status >= 400 AND l.requester IS NOT NULL \
               AND l.bucket IN (SELECT bucket FROM logs WHERE operation = 'REST.PUT.OBJECT') \
               GROUP BY l.operation ORDER BY l.operation";
    std::fs::write(
        queries.path().join("failed.sql"),
        format!("-- title: Failed signed requests\n-- severity: info\n-- description: failures.\n{sql}\n"),
    )
    .unwrap();
    let extra = ["--queries", queries.path().to_str().unwrap(), "--only", "failed", "--only", "access-denied"];
    let doc: Value = serde_json::from_str(&report("json", &extra, &sample_logs())).unwrap();
    let out = s3logq(&["query", "--format", "json", sql, sample_logs().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alone: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows(&doc, "failed"), &alone, "the same rows as the query on its own");
    let requests: i64 = alone.iter().map(|r| r["requests"].as_i64().unwrap()).sum();
    assert_eq!((alone.len(), requests), (2, 2), "{alone:?}");
}

#[test]
fn reports_whose_conditions_the_scan_tests_read_only_their_rows_and_give_the_querys_rows() {
    let queries = tempfile::tempdir().unwrap();
    // Every report's condition is on fields as written, so the one scan
    // builds only the rows that one of them reads.
    let reports = [
        (
            "sigv2",
            "SELECT requester, count(*) AS requests FROM logs WHERE signature_version = 'SigV2' GROUP BY requester ORDER BY requester",
        ),
        (
            "presigned",
            "SELECT bucket, count(*) AS requests FROM logs WHERE authentication_type = 'QueryString' GROUP BY bucket ORDER BY bucket",
        ),
        (
            "failed",
            "SELECT http_status, count(*) AS requests FROM logs WHERE http_status >= 400 AND error_code IS NOT NULL GROUP BY http_status ORDER BY http_status",
        ),
    ];
    let mut extra = vec!["--queries".to_string(), queries.path().to_str().unwrap().to_string()];
    for (name, sql) in reports {
        let header = format!("-- title: {name}\n-- severity: info\n-- description: {name}.\n");
        std::fs::write(queries.path().join(format!("{name}.sql")), header + sql + "\n").unwrap();
        extra.extend(["--only".to_string(), name.to_string()]);
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let together: Value = serde_json::from_str(&report("json", &extra, &sample_logs())).unwrap();
    for (name, sql) in reports {
        let out = s3logq(&["query", "--format", "json", sql, sample_logs().to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let alone: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!alone.is_empty(), "{name} finds rows in sample-logs");
        assert_eq!(rows(&together, name), &alone, "{name}: the same rows as the query on its own");
    }
    // The records left out by the scan were still read.
    let every_row: Value = serde_json::from_str(&report("json", &["--only", "top-talkers"], &sample_logs())).unwrap();
    assert_eq!(together["records"], every_row["records"]);
    assert_eq!(together["lines_read"], every_row["lines_read"]);
}

fn presigned_get(signed: &str, expires: u32, signature: &str) -> String {
    format!(
        "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261120%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={signed}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature} HTTP/1.1"
    )
}

#[test]
fn sigv2_callers_count_the_source_ips_they_list() {
    let doc: Value = serde_json::from_str(&report("json", &["--only", "sigv2-callers"], &sample_logs())).unwrap();
    let callers = rows(&doc, "sigv2-callers");
    assert_eq!(
        (&callers[0]["source_ips"], &callers[0]["source_ip_count"]),
        (&json!("192.0.2.12, 203.0.113.40"), &json!(2))
    );
    for caller in callers {
        let listed = caller["source_ips"].as_str().unwrap().split(", ").count();
        assert_eq!(caller["source_ip_count"].as_u64(), Some(listed as u64), "{caller}");
    }
}

fn run_cases(lines: &[String]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cases.log");
    std::fs::write(&log, lines.join("\n")).unwrap();
    serde_json::from_str(&report("json", &[], &log)).unwrap()
}

fn rows<'a>(doc: &'a Value, name: &str) -> &'a Vec<Value> {
    doc["reports"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap()["rows"].as_array().unwrap()
}

#[test]
fn presigned_expiry_is_judged_to_the_second() {
    let signed = "20261120T100000Z"; // expires 10:15:00 with X-Amz-Expires=900
    let case = |time: &str, sig: &str| {
        Rec {
            time,
            ip: "198.51.100.1",
            requester: "-",
            op: "REST.GET.OBJECT",
            uri: &presigned_get(signed, 900, sig),
            status: "403",
            error: "AccessDenied",
            sig: "SigV4",
            auth: "QueryString",
        }
        .line()
    };
    let doc = run_cases(&[
        case("20/Nov/2026:10:14:59 +0000", "aaaa"), // one second before expiry: not expired
        case("20/Nov/2026:10:15:00 +0000", "bbbb"), // at expiry: still valid
        case("20/Nov/2026:10:15:01 +0000", "cccc"), // one second after: expired
    ]);
    let expired = rows(&doc, "expired-credentials");
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert_eq!(expired[0]["kind"], "presigned_expired");
    assert_eq!(expired[0]["first_seen"], "2026-11-20T10:15:01Z");
    let denied = rows(&doc, "access-denied");
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["kind"], "presigned: signer lacks permission");
    assert_eq!(denied[0]["requests"], 2);
}

#[test]
fn leak_suspects_need_several_addresses_or_reuse_after_upload() {
    let get = |ip: &'static str, sig: &'static str| {
        Rec {
            time: "20/Nov/2026:10:01:00 +0000",
            ip,
            requester: "arn:aws:iam::111122223333:user/alice",
            op: "REST.GET.OBJECT",
            uri: &presigned_get("20261120T100000Z", 3600, sig),
            status: "200",
            error: "-",
            sig: "SigV4",
            auth: "QueryString",
        }
        .line()
    };
    let put = |ip: &'static str, sig: &'static str| {
        get(ip, sig).replace("REST.GET.OBJECT", "REST.PUT.OBJECT").replace("\"GET /k", "\"PUT /k")
    };
    let doc = run_cases(&[
        get("198.51.100.1", "sig0sameip"),
        get("198.51.100.1", "sig0sameip"),
        get("198.51.100.1", "sig0twoips"),
        get("203.0.113.9", "sig0twoips"),
        put("198.51.100.2", "sig0upload"),
        put("198.51.100.2", "sig0upload"),
        put("198.51.100.3", "sig0single"),
        // Two addresses of one /24 network: two client IPs.
        get("192.0.2.4", "sig0samenet"),
        get("192.0.2.5", "sig0samenet"),
        // An address S3 did not log is not a second address.
        get("198.51.100.6", "sig0unknown"),
        get("-", "sig0unknown"),
    ]);
    let suspects = rows(&doc, "presigned-leak-suspects");
    let ids: Vec<&str> = suspects.iter().map(|r| r["url_id"].as_str().unwrap()).collect();
    assert_eq!(suspects.len(), 3, "{suspects:?}");
    let counts = |r: &Value| (r["requests"].clone(), r["client_ips"].clone(), r["client_networks"].clone());
    assert_eq!(counts(&suspects[0]), (2.into(), 2.into(), 2.into()), "two networks first");
    let upload = suspects.iter().find(|r| r["successful_uploads"] == 2).unwrap();
    assert_eq!(counts(upload), (2.into(), 1.into(), 1.into()));
    let same_network = suspects.iter().find(|r| r["successful_uploads"] == 0 && r["client_networks"] == 1).unwrap();
    assert_eq!(counts(same_network), (2.into(), 2.into(), 1.into()));
    let text = doc.to_string();
    for secret in ["sig0sameip", "sig0twoips", "sig0upload", "sig0single", "sig0samenet", "sig0unknown"] {
        assert!(!text.contains(secret), "signature {secret} leaked");
    }
    assert!(ids.iter().all(|id| id.len() == 16));
}

#[test]
fn temporary_credentials_beyond_twelve_hours() {
    let case = |expires: u32, token: &str, error: &str, status: &str| {
        let uri = presigned_get("20261120T100000Z", expires, "ffff")
            .replace("AKIAEXAMPLE", "ASIAEXAMPLE")
            .replace(" HTTP", &format!("&X-Amz-Security-Token={token} HTTP"));
        Rec {
            time: "20/Nov/2026:10:01:00 +0000",
            ip: "198.51.100.1",
            requester: "-",
            op: "REST.GET.OBJECT",
            uri: &uri,
            status,
            error,
            sig: "SigV4",
            auth: "QueryString",
        }
        .line()
        .replace("ASIAEXAMPLE", &format!("ASIA{expires}"))
    };
    let doc = run_cases(&[
        case(43200, "t1", "-", "200"),           // exactly 12 h: fine
        case(43201, "t2", "-", "200"),           // outlives a role session
        case(3600, "t3", "ExpiredToken", "400"), // already failed
    ]);
    let found = rows(&doc, "presigned-temporary-credentials");
    let keys: Vec<&str> = found.iter().map(|r| r["access_key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["ASIA3600", "ASIA43201"], "{found:?}");
    assert_eq!(found[0]["expired_token_failures"], 1);
    assert_eq!(rows(&doc, "expired-credentials")[0]["kind"], "expired_token");
}

#[test]
fn sigv2_and_windows() {
    let rec = |time: &'static str, sig: &'static str| {
        Rec {
            time,
            ip: "203.0.113.5",
            requester: "arn:aws:iam::111122223333:user/old",
            op: "REST.GET.OBJECT",
            uri: "GET /k HTTP/1.1",
            status: "200",
            error: "-",
            sig,
            auth: "AuthHeader",
        }
        .line()
    };
    let lines = [
        rec("20/Nov/2026:10:00:00 +0000", "SigV2"),
        rec("21/Nov/2026:10:00:00 +0000", "SigV2"),
        rec("21/Nov/2026:11:00:00 +0000", "SigV4"),
    ];
    let doc = run_cases(&lines);
    assert_eq!(rows(&doc, "sigv2-callers")[0]["requests"], 2);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("w.log");
    std::fs::write(&log, lines.join("\n")).unwrap();
    let windowed: Value =
        serde_json::from_str(&report("json", &["--since", "2026-11-21", "--until", "2026-11-21T10:30:00Z"], &log))
            .unwrap();
    let sigv2 = rows(&windowed, "sigv2-callers");
    assert_eq!(
        (sigv2[0]["requests"].as_i64(), sigv2[0]["first_seen"].as_str()),
        (Some(1), Some("2026-11-21T10:00:00Z"))
    );
    assert_eq!(windowed["window"]["since"], "2026-11-21T00:00:00Z");
    // Every line is accounted for: in the window, outside it, or rejected.
    let counts = ["lines_read", "records", "records_outside_window", "rejected_lines"].map(|k| windowed[k].clone());
    assert_eq!(counts, [3, 1, 2, 0].map(Value::from));
    let text = report("text", &["--since", "2026-11-21", "--until", "2026-11-21T10:30:00Z"], &log);
    assert!(text.contains("3 lines read from 1 input, 1 record in window ("), "{text}");
    assert!(
        text.contains("), 2 outside it (2026-11-20T10:00:00Z to 2026-11-21T11:00:00Z), 0 lines rejected"),
        "{text}"
    );
}

#[test]
fn a_csv_report_marks_a_requester_s_formula_as_text_and_json_keeps_it() {
    let rec = |requester: &'static str| {
        Rec {
            time: "20/Nov/2026:10:00:00 +0000",
            ip: "203.0.113.5",
            requester,
            op: "REST.GET.OBJECT",
            uri: "GET /k HTTP/1.1",
            status: "200",
            error: "-",
            sig: "SigV4",
            auth: "AuthHeader",
        }
        .line()
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("formulas.log");
    std::fs::write(&log, [rec("=1+1"), rec("@SUM(A1)"), rec("arn:aws:iam::111122223333:user/x")].join("\n")).unwrap();
    let csv = report("csv", &["--only", "top-talkers"], &log);
    let requesters: Vec<&str> = csv.lines().skip(2).map(|row| row.split(',').nth(1).unwrap()).collect();
    assert_eq!(requesters, ["'=1+1", "'@SUM(A1)", "arn:aws:iam::111122223333:user/x"], "{csv}");
    let doc: Value = serde_json::from_str(&report("json", &["--only", "top-talkers"], &log)).unwrap();
    let logged: Vec<&str> = rows(&doc, "top-talkers").iter().map(|r| r["requester"].as_str().unwrap()).collect();
    assert_eq!(logged, ["=1+1", "@SUM(A1)", "arn:aws:iam::111122223333:user/x"]);
}

#[test]
fn insecure_tls_finds_old_versions_in_any_case_and_plain_http() {
    let rec = |user: &str, tls: &str, sig: &str| {
        let requester = format!("arn:aws:iam::111122223333:user/{user}");
        let line = Rec {
            time: "20/Nov/2026:10:00:00 +0000",
            ip: "203.0.113.5",
            requester: if sig == "-" { "-" } else { &requester },
            op: "REST.GET.OBJECT",
            uri: "GET /k HTTP/1.1",
            status: "200",
            error: "-",
            sig,
            auth: if sig == "-" { "-" } else { "AuthHeader" },
        }
        .line();
        line.replace(" TLSv1.2 ", &format!(" {tls} "))
    };
    let lines = [
        rec("tls11", "TLSv1.1", "SigV4"),
        rec("tls10-upper", "TLSV1.0", "SigV4"),
        rec("tls1-lower", "tlsv1", "SigV4"),
        rec("http", "-", "SigV2"),
        // Near misses: TLS 1.2 and 1.3, and an anonymous request over TLS 1.1.
        rec("tls12", "TLSv1.2", "SigV4"),
        rec("tls13", "TLSV1.3", "SigV4"),
        rec("anonymous", "TLSv1.1", "-"),
    ];
    let doc = run_cases(&lines);
    let mut found: Vec<(String, String)> = rows(&doc, "insecure-tls")
        .iter()
        .map(|r| {
            (r["requester"].as_str().unwrap().rsplit('/').next().unwrap().to_owned(), r["tls_version"].to_string())
        })
        .collect();
    found.sort();
    let expected = [
        ("http", "\"none (HTTP)\""),
        ("tls1-lower", "\"tlsv1\""),
        ("tls10-upper", "\"TLSV1.0\""),
        ("tls11", "\"TLSv1.1\""),
    ];
    assert_eq!(found, expected.map(|(u, t)| (u.to_owned(), t.to_owned())));
}
/// Every secret value that the sample logs' request URIs carry.
fn secrets_in_sample_logs() -> Vec<String> {
    let out = s3logq(&[
        "query",
        "--unredacted",
        "--format",
        "csv",
        "SELECT url_param(request_uri, 'X-Amz-Signature') AS a, url_param(request_uri, 'Signature') AS b, \
         url_param(request_uri, 'X-Amz-Security-Token') AS c, url_param(request_uri, 'x-amz-security-token') AS d FROM logs",
        sample_logs().to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut secrets: Vec<String> =
        text.lines().skip(1).flat_map(|l| l.split(',')).filter(|v| v.len() > 3).map(String::from).collect();
    secrets.sort();
    secrets.dedup();
    secrets
}

#[test]
fn no_output_contains_a_signature_or_token() {
    let secrets = secrets_in_sample_logs();
    assert!(secrets.len() >= 10, "{secrets:?}");
    for format in ["text", "markdown", "json", "csv", "html"] {
        let out = report(format, &[], &sample_logs());
        for secret in &secrets {
            assert!(!out.contains(secret.as_str()), "{format} output holds {secret}");
        }
    }
    for format in ["table", "csv", "json", "ndjson"] {
        let out = s3logq(&["query", "--format", format, "SELECT * FROM logs", sample_logs().to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("REDACTED"));
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "query {format} output holds {secret}");
        }
    }
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        assert!(std::env::var("CI").is_err(), "CI must install Debian's chromium for this test");
        eprintln!("skipped: no chromium on this machine (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let html = report("html", &["-o", page.to_str().unwrap()], &sample_logs());
    assert!(html.is_empty());
    let source = std::fs::read_to_string(&page).unwrap();
    assert!(!source.contains("src=") && !source.contains("<link") && !source.contains("url("), "self-contained");
    let profile = dir.path().join("profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", &format!("file://{}", page.display())])
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("S3 access log report"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dom.contains("56 lines read from 4 inputs, 51 records in window (all records), 5 lines rejected"));
    for title in
        ["SigV2 callers", "Presigned URLs that look leaked", "Requests that failed on expired or invalid credentials"]
    {
        assert!(dom.contains(title), "{title}");
    }
    assert!(dom.matches("<svg").count() >= 5, "a chart per report that found something");
    // A bar is labelled by as many of its row's keys as tell it from the
    // others (two rows share the access key here), in full on hover.
    let bars = "<title>AKIAEXAMPLEBILLING01 · arn:aws:iam::111122223333:user/alice: 1 request</title>";
    assert!(dom.contains(bars) && dom.contains("<title>AKIAEXAMPLEBILLING01: 1 request</title>"), "{dom}");
    // Records over time by kind: each kind counts the records its report
    // counts.
    let doc: Value = serde_json::from_str(&report("json", &[], &sample_logs())).unwrap();
    let requests = |name: &str| rows(&doc, name).iter().map(|r| r["requests"].as_i64().unwrap()).sum::<i64>();
    assert!(dom.contains("<h2>Records over time</h2>") && dom.contains("<h3>all records: 51</h3>"));
    for (kind, name) in [
        ("SigV2", "sigv2-callers"),
        ("presigned", "presigned-usage"),
        ("credential failures", "expired-credentials"),
        ("denied", "access-denied"),
        ("anonymous", "anonymous-access"),
    ] {
        let heading = format!("<h3>{kind} ({name}): {}</h3>", requests(name));
        assert!(dom.contains(&heading), "{heading}");
    }
}
