//! End-to-end tests of the `s3logq` binary over the bundled `sample-logs/`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod support;

fn sample_logs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

fn s3logq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_s3logq")).args(args).output().unwrap()
}

fn query(sql: &str, format: &str) -> (String, String) {
    let logs = sample_logs();
    let out = s3logq(&["query", "--format", format, sql, logs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn counts_every_line_as_a_row_or_a_reject() {
    let (csv, stderr) = query("SELECT count(*) AS n FROM logs", "csv");
    assert_eq!(csv, "n\n51\n");
    assert!(stderr.contains("5 lines rejected of 56 read from 4 inputs"), "{stderr}");
    assert!(stderr.contains("with-malformed-lines:3: field `bucket_owner`: empty line"), "{stderr}");
    assert!(stderr.contains("with-malformed-lines:6: field `time`"), "{stderr}");
    assert!(!stderr.contains("no line read is"), "some lines are records: {stderr}");
    assert!(!stderr.contains("no line of"), "every input has records: {stderr}");
}

#[test]
fn inputs_without_a_single_record_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read_to_string("sample-logs/example-bucket/2026-11-20-09-30-12-4C9F3A7E21B8D650").unwrap();
    std::fs::write(dir.path().join("a-access.log"), &log).unwrap();
    let trail = dir.path().join("b-trail.json");
    std::fs::write(&trail, "{\"Records\":[{\"eventVersion\":\"1.08\",\"eventSource\":\"s3.amazonaws.com\"}]}\n")
        .unwrap();
    let folder = dir.path().to_str().unwrap();
    let stderr_of = |args: &[&str]| String::from_utf8(s3logq(args).stderr).unwrap();
    let record = "is an S3 server access log record";

    let stderr = stderr_of(&["query", "SELECT count(*) FROM logs", folder]);
    let named = format!("no line of {} {record}: is it an S3 server access log?", trail.display());
    assert!(stderr.contains(&named), "{stderr}");
    assert!(!stderr.contains("no line read is"), "{stderr}");

    // A second such input, and the log's records now outside the window:
    // only the inputs with no record at all are named.
    std::fs::write(dir.path().join("c-cloudfront.log"), "#Version: 1.0\n#Fields: date time x-edge-location\n").unwrap();
    let stderr = stderr_of(&["query", "--since", "2026-11-21", "SELECT count(*) FROM logs", folder]);
    let named =
        format!("no line of {} {record}, nor of 1 more input: are they S3 server access logs?", trail.display());
    assert!(stderr.contains(&named), "{stderr}");
    assert!(!stderr.contains("a-access.log is"), "{stderr}");
}

#[test]
fn a_plan_runs_as_half_the_cores_partitions() {
    // The scan parses on every core by itself; the plan's own operators get
    // half of them, so on two cores an aggregate is one step, not a partial
    // and a final one with a repartition between.
    let sql = "EXPLAIN SELECT requester, count(*) AS n FROM logs GROUP BY requester";
    let (plan, _) = query(sql, "csv");
    let partitions = (std::thread::available_parallelism().map_or(1, usize::from) / 2).max(1);
    if partitions == 1 {
        assert!(plan.contains("AggregateExec: mode=Single,"), "{plan}");
        assert!(!plan.contains("RepartitionExec"), "{plan}");
    } else {
        assert!(plan.contains(&format!("partitioning=Hash([requester@0], {partitions})")), "{plan}");
    }
}

#[test]
fn sigv2_callers_by_requester() {
    let sql = "SELECT requester, count(*) AS requests FROM logs WHERE signature_version = 'SigV2' \
               GROUP BY requester ORDER BY requests DESC, requester NULLS LAST";
    let (csv, _) = query(sql, "csv");
    assert_eq!(
        csv,
        "requester,requests\n\
         arn:aws:iam::111122223333:user/legacy-backup,4\n\
         arn:aws:iam::444455556666:user/etl-java,1\n\
         arn:aws:sts::111122223333:assumed-role/uploader/i-0abc123def4567890,1\n\
         ,1\n"
    );
}

#[test]
fn credential_failures_are_classified() {
    let sql = "SELECT credential_failure, count(*) AS n FROM logs WHERE credential_failure IS NOT NULL \
               GROUP BY 1 ORDER BY 1";
    let (csv, _) = query(sql, "csv");
    assert_eq!(
        csv,
        "credential_failure,n\nclock_skew,1\nexpired_token,1\ninvalid_access_key,1\ninvalid_token,1\n\
         presigned_expired,2\nsignature_mismatch,1\ntoken_refresh_required,1\n"
    );
}

#[test]
fn ndjson_has_rfc3339_times_and_explicit_nulls() {
    let sql = "SELECT time, requester, presign_version, presign_access_key_id, presign_expires_at, \
               presign_has_session_token, requester_kind FROM logs WHERE error_code = 'ExpiredToken'";
    let (ndjson, _) = query(sql, "ndjson");
    assert_eq!(
        ndjson,
        "{\"time\":\"2026-11-21T15:20:00Z\",\"requester\":null,\"presign_version\":\"v4\",\
         \"presign_access_key_id\":\"ASIAEXAMPLETEMP00001\",\"presign_expires_at\":\"2026-11-28T02:00:00Z\",\
         \"presign_has_session_token\":true,\"requester_kind\":\"anonymous\"}\n"
    );
}

#[test]
fn every_record_length_and_extra_fields_are_read() {
    let sql = "SELECT source_line, signature_version, access_point_arn, acl_required, source_region, extra_fields \
               FROM logs WHERE source_file LIKE '%0F1E2D3C4B5A6978' OR extra_fields IS NOT NULL ORDER BY source_file, source_line";
    let (csv, _) = query(sql, "csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7, "{csv}");
    assert_eq!(lines[1], "22,SigV4,,,us-east-1,FutureField2027");
    assert_eq!(lines[2], "1,,,,,");
    assert_eq!(lines[4], "3,SigV2,,,,");
    assert_eq!(lines[5], "4,SigV4,arn:aws:s3:us-east-1:111122223333:accesspoint/analytics-ap,,,");
    assert_eq!(lines[6], "5,SigV4,,Yes,,");
}

#[test]
fn signatures_and_tokens_are_redacted_unless_asked() {
    let sql = "SELECT request_uri FROM logs WHERE authentication_type = 'QueryString'";
    let (table, _) = query(sql, "table");
    for secret in ["a1a1000", "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "bWFkZS11cCBzaWduYXR1cmU", "FwoGZXIvYXdzEXAMPLEv2TOKEN"] {
        assert!(!table.contains(secret), "{secret} leaked");
    }
    assert!(table.contains("X-Amz-Signature=REDACTED"));
    let logs = sample_logs();
    let raw = s3logq(&["query", "--unredacted", "--format", "csv", sql, logs.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&raw.stdout).contains("IQoJb3JpZ2luX2VjEXAMPLETOKEN"));
}

#[test]
fn escape_sequences_in_the_logs_never_reach_a_terminal_but_stay_in_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let line = std::fs::read_to_string(sample_logs().join("example-bucket/2026-11-20-09-30-12-4C9F3A7E21B8D650"))
        .unwrap()
        .lines()
        .find(|l| l.contains("\"Boto/2.49.0 "))
        .unwrap()
        .replace("\"Boto/2.49.0 ", "\"Boto/2.49.0\u{1b}[2J\u{1b}]0;owned\u{7} ");
    let log = dir.path().join("esc.log");
    std::fs::write(&log, format!("{line}\n")).unwrap();
    let log = log.to_str().unwrap();
    let sql = "SELECT user_agent FROM logs";
    let written_out = "Boto/2.49.0\\x1b[2J\\x1b]0;owned\\x07 Python";
    let runs: [(&[&str], &str); 5] = [
        (&["query", sql, log], written_out),
        (&["report", "--only", "sigv2-callers", log], written_out),
        // Markdown escapes the backslashes and keeps the brackets from
        // making a link: the page shows the same text.
        (
            &["report", "--only", "sigv2-callers", "--format", "markdown", log],
            r"Boto/2.49.0\\x1b\[2J\\x1b\]0;owned\\x07 Python",
        ),
        (&["report", "--only", "sigv2-callers", "--format", "html", log], written_out),
        // The Slack payload is JSON, which doubles the backslashes.
        (&["report", "--only", "sigv2-callers", "--slack", "--dry-run", log], &written_out.replace('\\', r"\\")),
    ];
    for (args, shown_as) in runs {
        let out = s3logq(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let shown = String::from_utf8(out.stdout).unwrap();
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'), "{args:?}: {shown:?}");
        assert!(shown.contains(shown_as), "{args:?}: {shown}");
    }
    // Formats for programs keep the value as it was logged.
    let json = s3logq(&["query", "--format", "ndjson", sql, log]);
    let row: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(row["user_agent"].as_str().unwrap().starts_with("Boto/2.49.0\u{1b}[2J\u{1b}]0;owned\u{7} Python"), "{row}");
}

#[test]
fn a_window_no_record_lies_in_says_when_the_records_read_were() {
    let logs = sample_logs();
    let count = |window: &[&str]| {
        let out = s3logq(&[&["query", "SELECT count(*) FROM logs"], window, &[logs.to_str().unwrap()]].concat());
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let told = "s3logq: no record read lies in the window; the 51 records read date from 2026-11-20T09:00:00Z to 2026-11-22T01:05:00Z\n";
    assert!(count(&["--last", "24h"]).contains(told), "{}", count(&["--last", "24h"]));
    assert!(count(&["--until", "2026-11-20T09:00:00Z"]).contains(told), "the window's end is not in it");
    assert!(!count(&["--until", "2026-11-20T09:00:01Z"]).contains("no record read lies in the window"));
    assert!(!count(&[]).contains("no record read lies in the window"));
}

#[test]
fn rejects_file_keeps_every_rejected_line_and_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.tsv");
    let logs = sample_logs().join("legacy");
    let out = s3logq(&[
        "query",
        "--strict",
        "--rejects",
        rejects.to_str().unwrap(),
        "SELECT count(*) FROM logs",
        logs.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 lines rejected and --strict is set"));
    let written = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 5, "{written}");
    assert!(lines[3].contains("with-malformed-lines:5\tfield `time`"), "{}", lines[3]);
    assert!(lines[2].ends_with("\tthis is not an access log line at all"), "{}", lines[2]);
}

#[test]
fn rejects_file_lists_lines_by_file_and_line_whatever_order_they_are_parsed_in() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let sample = std::fs::read_to_string(sample_logs().join("legacy/2026-11-22-02-10-00-0F1E2D3C4B5A6978")).unwrap();
    let good = sample.lines().next().unwrap();
    // Three chunks of one file, a bad line every 2,000, parsed side by side
    // with twenty small files, each with a bad second line.
    let mut big = String::new();
    let mut expected = Vec::new();
    for line in 1.. {
        if big.len() > 9 << 20 {
            break;
        }
        if line % 2_000 == 1 {
            big.push_str("not a log line\n");
            expected.push(format!("{}:{line}", logs.join("big.log").display()));
        } else {
            big.push_str(good);
            big.push('\n');
        }
    }
    std::fs::write(logs.join("big.log"), big).unwrap();
    for n in 0..20 {
        let small = logs.join(format!("f-{n:02}.log"));
        std::fs::write(&small, format!("{good}\nbad line {n}\n{good}\n")).unwrap();
        expected.push(format!("{}:2", small.display()));
    }
    let rejects = dir.path().join("rejects.tsv");
    let sql = "SELECT count(*) FROM logs";
    let out = s3logq(&["query", "--rejects", rejects.to_str().unwrap(), sql, logs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(&rejects).unwrap();
    let listed: Vec<&str> = written.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(listed, expected);
}

#[test]
fn a_query_reading_logs_twice_counts_each_line_and_reject_once() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.tsv");
    let logs = sample_logs();
    let sql =
        "SELECT count(*) AS n FROM logs WHERE request_id IN (SELECT request_id FROM logs WHERE http_status = 403)";
    let out =
        s3logq(&["query", "--format", "csv", "--rejects", rejects.to_str().unwrap(), sql, logs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("5 lines rejected of 56 read from 4 inputs"), "{stderr}");
    assert_eq!(stderr.matches("with-malformed-lines:6: field `time`").count(), 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(&rejects).unwrap().lines().count(), 5);
}

#[test]
fn a_file_named_twice_is_read_once() {
    let logs = sample_logs();
    let legacy = logs.join("legacy");
    let file = legacy.join("2026-11-22-02-10-00-0F1E2D3C4B5A6978");
    let dotted = format!("{}/./{}", legacy.display(), file.file_name().unwrap().to_str().unwrap());
    let args = [logs.to_str().unwrap(), legacy.to_str().unwrap(), file.to_str().unwrap(), dotted.as_str()];
    let out = s3logq(&[&["query", "--format", "csv", "SELECT count(*) AS n FROM logs"][..], &args].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "n\n51\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("5 lines rejected of 56 read from 4 inputs"), "{stderr}");
}

#[test]
fn reads_stdin_and_reports_missing_inputs() {
    let file = sample_logs().join("legacy/2026-11-22-02-10-00-0F1E2D3C4B5A6978");
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3logq"))
        .args(["query", "--format", "csv", "SELECT count(*) AS n, min(source_file) AS f FROM logs", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read(file).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "n,f\n5,-\n");
    let missing = s3logq(&["query", "SELECT 1", "no/such/dir"]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("no/such/dir: no such file or folder"), "{stderr}");
    assert!(!stderr.contains("hold no files"), "a failed run is not an empty input: {stderr}");
    // An output that cannot be written fails before the scan (no summary of
    // the sample's rejected lines), and says why once.
    let logs = sample_logs();
    for (command, path) in
        [(&["report"][..], "no/such/dir/out.json"), (&["query", "SELECT 1"][..], "no/such/dir/out.csv")]
    {
        let unwritable = s3logq(&[command, &["-o", path, logs.to_str().unwrap()]].concat());
        assert_eq!(unwritable.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&unwritable.stderr),
            format!("s3logq: error: {path}: No such file or directory (os error 2)\n")
        );
    }
    let unknown = s3logq(&["report", "--only", "nope", logs.to_str().unwrap()]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "s3logq: error: no report named `nope` (run `s3logq reports` for the list)\n"
    );
    let bad_sql = s3logq(&["query", "SELECT nope FROM logs", logs.to_str().unwrap()]);
    assert_eq!(bad_sql.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_sql.stderr).contains("nope"));
}

#[test]
fn a_bucket_that_cannot_be_set_up_says_where_its_settings_come_from() {
    let home = tempfile::tempdir().unwrap();
    let run = |url: &str, set: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_s3logq"));
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| ["AZURE_", "GOOGLE_", "AWS_", "GCE_"].iter().any(|p| n.starts_with(p))) {
                command.env_remove(name);
            }
        }
        command.env("HOME", home.path());
        let out = command.args(["query", "SELECT 1", url]).envs(set.iter().copied()).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run("az://logs/a/", &[]);
    assert!(
        stderr.starts_with("s3logq: error: az://logs/a/: ") && stderr.contains("Account must be specified"),
        "{stderr}"
    );
    assert!(stderr.contains("AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY"), "{stderr}");
    let stderr = run("gs://logs/a/", &[("GOOGLE_SERVICE_ACCOUNT", "no/such/key.json")]);
    assert!(stderr.starts_with("s3logq: error: gs://logs/a/: ") && stderr.contains("no/such/key.json"), "{stderr}");
    assert!(stderr.contains("GOOGLE_SERVICE_ACCOUNT (a service account's key file)"), "{stderr}");
    // With no credentials set, object_store asks the instance metadata
    // service (here a closed port on 127.0.0.1): the error says what to set.
    let refusing = support::RefusingPort::new();
    let closed = format!("127.0.0.1:{}", refusing.port());
    let stderr = run("s3://logs/a/", &[("AWS_METADATA_ENDPOINT", &format!("http://{closed}"))]);
    assert!(stderr.starts_with("s3logq: error: s3://logs/a/: ") && stderr.contains(&closed), "{stderr}");
    assert!(stderr.contains("no AWS credentials were set, and the instance metadata service gave none"), "{stderr}");
    let stderr = run("gs://logs/a/", &[("GCE_METADATA_HOST", &closed), ("GCE_METADATA_IP", &closed)]);
    assert!(stderr.starts_with("s3logq: error: gs://logs/a/: ") && stderr.contains(&closed), "{stderr}");
    assert!(stderr.contains("GOOGLE_SERVICE_ACCOUNT (a service account's key file)"), "{stderr}");
}

/// Waits, at most `limit`, for `child` to end.
fn ended_within(child: &mut std::process::Child, limit: std::time::Duration) -> std::process::ExitStatus {
    let poll = std::time::Duration::from_millis(50);
    for _ in 0..limit.as_millis() / poll.as_millis() {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(poll);
    }
    child.kill().unwrap();
    panic!("s3logq still running after {limit:?}");
}

#[cfg(unix)]
#[test]
fn a_run_stopped_by_ctrl_c_or_sigterm_leaves_the_old_output_and_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    std::fs::write(&out, "yesterday's report").unwrap();
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        // Reading stdin that stays open, the run waits for more input.
        let mut child = Command::new(env!("CARGO_BIN_EXE_s3logq"))
            .args(["report", "--format", "html", "-o", out.to_str().unwrap(), "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&std::fs::read(sample_logs().join("legacy/2026-11-22-02-10-00-0F1E2D3C4B5A6978")).unwrap())
            .unwrap();
        // The output is open (written beside the path) once the run is under way.
        let started = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::fs::read_dir(dir.path()).unwrap().count() == 2
        });
        assert!(started, "no temporary output beside {}", out.display());
        let kill = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
        assert!(kill.success());
        let status = ended_within(&mut child, std::time::Duration::from_secs(30));
        drop(stdin);
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}: {stderr}");
        assert_eq!(stderr, "s3logq: interrupted; an output file (-o) is left as it was\n");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "yesterday's report");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing beside the output");
    }
}

#[test]
fn an_empty_folder_is_noted_and_one_reject_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = s3logq(&["query", "--format", "csv", "SELECT count(*) AS n FROM logs", dir.path().to_str().unwrap()]);
    assert!(empty.status.success());
    assert_eq!(String::from_utf8(empty.stdout).unwrap(), "n\n0\n");
    assert!(String::from_utf8_lossy(&empty.stderr).contains("the inputs hold no files"));
    let one = dir.path().join("one.log");
    std::fs::write(&one, "not a log line\n").unwrap();
    let out = s3logq(&["query", "SELECT count(*) FROM logs", one.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("s3logq: 1 line rejected of 1 read from 1 input\n"), "{stderr}");
    assert!(stderr.contains("no line read is an S3 server access log record"), "{stderr}");
    assert!(!stderr.contains("hold no files"), "{stderr}");
    // Inputs a query never reads are still there.
    let unread = s3logq(&["query", "SELECT 1 AS one", one.to_str().unwrap()]);
    assert!(unread.status.success());
    assert!(!String::from_utf8_lossy(&unread.stderr).contains("hold no files"));
}

#[test]
fn schema_lists_the_columns() {
    let out = s3logq(&["schema"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 42);
    assert!(text.lines().any(|l| l.starts_with("time ") && l.contains("Timestamp") && l.ends_with("not null")));
    assert!(text.lines().any(|l| l.starts_with("credential_failure") && l.contains("Utf8View")));
}

#[test]
fn output_file_and_json_array() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let logs = sample_logs();
    let out = s3logq(&[
        "query",
        "--format",
        "json",
        "-o",
        path.to_str().unwrap(),
        "SELECT requester_kind, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1",
        logs.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let kinds: Vec<(String, i64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["requester_kind"].as_str().unwrap().to_string(), r["n"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("anonymous", 13), ("assumed_role", 7), ("iam_user", 27), ("service", 4)].map(|(k, n)| (k.to_string(), n))
    );
    // A run that fails after the output was opened leaves the file as it was
    // and nothing beside it.
    let failed =
        s3logq(&["query", "-o", path.to_str().unwrap(), "SELECT http_status / 0 FROM logs", logs.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("Divide by zero"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&path).unwrap()).unwrap(), v);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["out.json"]);
}

/// Runs `s3logq` with `args`, failing the test if it has not ended within
/// `limit` (a hang is a failure, not a stuck test run).
fn s3logq_within(args: &[&str], limit: std::time::Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3logq"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    ended_within(&mut child, limit);
    child.wait_with_output().unwrap()
}

#[test]
fn a_self_join_over_many_files_ends() {
    // Each file is a chunk, more of them than the parser's channels hold:
    // the join reads one side to its end before the other, whose parse must
    // then wait without taking the workers the first side needs.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..96 {
        let (id, bucket) = (i / 2, (i / 2) % 3);
        let line = format!(
            "owner b{bucket} [21/Nov/2026:02:05:00 +0000] 192.0.2.{i} - R{id} REST.GET.OBJECT key \
             \"GET /key HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"curl/8\" -\n"
        );
        std::fs::write(dir.path().join(format!("{i:03}.log")), line).unwrap();
    }
    let sql = "SELECT a.bucket, count(*) AS pairs FROM logs a JOIN logs b ON a.request_id = b.request_id \
               GROUP BY a.bucket ORDER BY a.bucket";
    let out = s3logq_within(
        &["query", "--format", "csv", sql, dir.path().to_str().unwrap()],
        std::time::Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // 48 request ids, each on two lines (4 pairs), 16 ids per bucket.
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "bucket,pairs\nb0,64\nb1,64\nb2,64\n");
}

#[test]
fn compressed_and_plain_files_read_side_by_side_keep_their_own_line_numbers() {
    // Files are read by several threads at once; each file's lines and
    // rejects must still be numbered within that file. `big.gz` decodes to
    // more than one 4 MiB chunk and has its bad line in a later chunk.
    let dir = tempfile::tempdir().unwrap();
    let line = |i: usize| {
        format!(
            "owner bucket [21/Nov/2026:02:05:00 +0000] 192.0.2.{} - R{i} REST.GET.OBJECT some/fairly/long/key/{i:08} \
             \"GET /some/fairly/long/key/{i:08} HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"aws-cli/2.15.0 Python/3.11\" -\n",
            i % 250
        )
    };
    let text = |lines: usize, bad: usize| -> String {
        (1..=lines).map(|i| if i == bad { "not a record\n".to_string() } else { line(i) }).collect()
    };
    let files: [(&str, usize, usize); 6] = [
        ("big.gz", 30_000, 27_001),
        ("b.zst", 40, 7),
        ("c.log", 30, 2),
        ("d.gz", 50, 50),
        ("e.zst", 20, 11),
        ("f.gz", 9, 3),
    ];
    for (name, lines, bad) in files {
        let text = text(lines, bad);
        let bytes = match name.rsplit('.').next() {
            Some("gz") => support::gzip(text.as_bytes()),
            Some("zst") => zstd::encode_all(text.as_bytes(), 1).unwrap(),
            _ => text.into_bytes(),
        };
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    assert!(text(30_000, 0).len() > 4 << 20, "big.gz spans chunks");
    let rejects = dir.path().join("rejects.tsv");
    let sql = "SELECT regexp_replace(source_file, '.*/', '') AS file, count(*) AS n, \
               sum(source_line) AS line_sum, max(source_line) AS last FROM logs GROUP BY 1 ORDER BY 1";
    let out = s3logq(&[
        "query",
        "--quiet",
        "--format",
        "csv",
        "--rejects",
        rejects.to_str().unwrap(),
        sql,
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut expected = String::from("file,n,line_sum,last\n");
    let mut sorted = files;
    sorted.sort();
    for (name, lines, bad) in sorted {
        let last = if bad == lines { lines - 1 } else { lines };
        expected += &format!("{name},{},{},{last}\n", lines - 1, lines * (lines + 1) / 2 - bad);
    }
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    let mut rejected: Vec<String> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    rejected.sort();
    assert_eq!(rejected, ["b.zst:7", "big.gz:27001", "c.log:2", "d.gz:50", "e.zst:11", "f.gz:3"]);
}

#[test]
fn a_file_whose_reading_breaks_off_fails_the_run_or_keeps_its_lines_before_the_break() {
    // A gzip file of two members, the second cut inside its header: its
    // first 66 lines (the first member) decode, then the stream breaks off.
    let dir = tempfile::tempdir().unwrap();
    let day = std::fs::read(sample_logs().join("example-bucket/2026-11-20-09-30-12-4C9F3A7E21B8D650")).unwrap();
    let mut cut = support::gzip(&day.repeat(3));
    cut.extend_from_slice(&support::gzip(&day)[..5]);
    std::fs::write(dir.path().join("cut.gz"), cut).unwrap();
    std::fs::write(dir.path().join("whole.log"), &day).unwrap();
    let sql = "SELECT regexp_replace(source_file, '.*/', '') AS file, count(*) AS n, min(source_line) AS first, \
               max(source_line) AS last FROM logs GROUP BY 1 ORDER BY 1";
    let folder = dir.path().to_str().unwrap();
    let failed = s3logq(&["query", "--format", "csv", sql, folder]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cut.gz: reading broke off after line 66: "), "{stderr}");
    assert!(stderr.contains("(--skip-failed-objects keeps the lines before it and goes on)"), "{stderr}");
    let skipped = s3logq(&["query", "--skip-failed-objects", "--format", "csv", sql, folder]);
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&skipped.stdout), "file,n,first,last\ncut.gz,66,1,66\nwhole.log,22,1,22\n");
    assert!(stderr.contains("cut.gz: reading broke off after line 66: "), "{stderr}");
    assert!(stderr.contains("; the lines before it are read"), "{stderr}");
    assert!(stderr.contains("2 objects read (") && stderr.contains("), 1 only in part, "), "{stderr}");
    assert!(stderr.contains(" 0 failed"), "{stderr}");
    // A report says so too, for those who read only the report.
    let report = s3logq(&["report", "--skip-failed-objects", "--only", "top-talkers", "--format", "json", folder]);
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let told = ["lines_read", "inputs", "inputs_failed", "inputs_read_in_part"].map(|key| json[key].clone());
    assert_eq!(told, [88, 2, 0, 1].map(serde_json::Value::from));
}

#[test]
fn a_file_that_cannot_be_opened_fails_the_run_or_is_skipped() {
    // A link left dangling in a log folder (its target deleted).
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::copy(sample_logs().join("legacy/2026-11-22-02-10-00-0F1E2D3C4B5A6978"), logs.join("a.log")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("deleted.log"), logs.join("b.log")).unwrap();
    let folder = logs.to_str().unwrap();
    let sql = "SELECT count(*) AS n FROM logs";
    let failed = s3logq(&["query", "--format", "csv", sql, folder]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{folder}/b.log: No such file or directory")), "{stderr}");
    assert!(stderr.contains("(--skip-failed-objects goes on without it)"), "{stderr}");
    let skipped = s3logq(&["query", "--skip-failed-objects", "--format", "csv", sql, folder]);
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&skipped.stdout), "n\n5\n");
    assert!(stderr.contains(&format!("s3logq: skipped {folder}/b.log: No such file or directory")), "{stderr}");
    assert!(stderr.contains("1 object read (") && stderr.contains(", 1 failed"), "{stderr}");
    // An ingest leaves it out, and the next run tries it again.
    let lake = dir.path().join("lake");
    let ingest = || s3logq(&["ingest", "--skip-failed-objects", "--to", lake.to_str().unwrap(), folder]);
    let first = String::from_utf8_lossy(&ingest().stderr).into_owned();
    assert!(first.contains("ingested 1 source (5 records), 0 unchanged skipped"), "{first}");
    let again = String::from_utf8_lossy(&ingest().stderr).into_owned();
    assert!(again.contains("ingested 0 sources (0 records), 1 unchanged skipped"), "{again}");
    assert!(again.contains("skipped ") && again.contains("b.log: No such file or directory"), "{again}");
    let refused = s3logq(&["ingest", "--to", lake.to_str().unwrap(), folder]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("b.log: No such file or directory (os error 2) (--skip-failed-objects goes on"),
        "{stderr}"
    );
}
