//! The Parquet lake: incremental and exactly once (also when killed at
//! random moments), the same answers as the raw logs, and readable by DuckDB
//! through the DDL s3logq prints.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

mod support;

fn sample_logs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

fn s3logq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_s3logq")).args(args).output().unwrap()
}

fn ok(out: Output) -> (String, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

fn ingest(inputs: &[&Path], lake: &Path, extra: &[&str]) -> String {
    let mut args = vec!["ingest".to_string(), "--to".into(), lake.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    ok(Command::new(env!("CARGO_BIN_EXE_s3logq")).args(&args).output().unwrap()).1
}

fn query_csv(sql: &str, input: &Path, extra: &[&str]) -> String {
    let mut args = vec!["query", "--format", "csv"];
    args.extend_from_slice(extra);
    args.extend([sql, input.to_str().unwrap()]);
    ok(s3logq(&args)).0
}

/// `dir/logs`, holding a copy of a sample log object of 22 records of
/// 2026-11-20 under each of `names`.
fn copies_of_a_day(dir: &Path, names: &[&str]) -> PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir(&logs).unwrap();
    for name in names {
        std::fs::copy(sample_logs().join("example-bucket/2026-11-20-09-30-12-4C9F3A7E21B8D650"), logs.join(name))
            .unwrap();
    }
    logs
}

/// Cuts the log file at `path` to its first line.
fn keep_first_line(path: &Path) {
    let mut text = std::fs::read_to_string(path).unwrap();
    text.truncate(text.find('\n').unwrap() + 1);
    std::fs::write(path, text).unwrap();
}

#[test]
fn reruns_add_nothing_and_new_sources_come_alone() {
    let dir = tempfile::tempdir().unwrap();
    let logs = copies_of_a_day(dir.path(), &["a"]);
    let lake = dir.path().join("lake");
    assert!(ingest(&[&logs], &lake, &[]).contains("ingested 1 source (22 records), 0 unchanged skipped"));
    assert!(ingest(&[&logs], &lake, &[]).contains("ingested 0 sources (0 records), 1 unchanged skipped; "));
    std::fs::copy(sample_logs().join("legacy/2026-11-22-02-10-00-0F1E2D3C4B5A6978"), logs.join("b")).unwrap();
    let third = ingest(&[&logs], &lake, &[]);
    assert!(
        third.contains("ingested 1 source (5 records), 1 unchanged skipped") && third.contains("holds 27 records"),
        "{third}"
    );
    // A changed source replaces its records.
    keep_first_line(&logs.join("b"));
    assert!(ingest(&[&logs], &lake, &[]).contains("holds 23 records"));
    assert_eq!(query_csv("SELECT count(*) AS n FROM logs", &lake, &[]), "n\n23\n");
}

#[test]
fn sources_read_together_share_files_and_a_changed_one_leaves_the_others_whole() {
    let dir = tempfile::tempdir().unwrap();
    let logs = copies_of_a_day(dir.path(), &["a", "b", "c"]);
    // Given by a path that is not its canonical one: the records name the
    // sources as given, the manifest by their canonical paths.
    let given = dir.path().join("logs/../logs");
    let lake = dir.path().join("lake");
    let first = ingest(&[&given], &lake, &[]);
    assert!(first.contains("ingested 3 sources (66 records)") && first.contains(" in 1 file\n"), "{first}");
    let parquet = |lake: &Path| -> Vec<PathBuf> {
        walk(lake).into_iter().filter(|p| p.extension().is_some_and(|e| e == "parquet")).collect()
    };
    let [shared] = parquet(&lake).try_into().unwrap();
    // b shrinks to one record: the shared file is written again with a's
    // and c's records, b's one record goes to a file of its own.
    keep_first_line(&logs.join("b"));
    let second = ingest(&[&given], &lake, &[]);
    assert!(second.contains("ingested 1 source (1 record), 2 unchanged skipped"), "{second}");
    assert!(second.contains("holds 45 records in 2 files"), "{second}");
    let files = parquet(&lake);
    assert_eq!(files.len(), 2);
    assert!(!files.contains(&shared), "the old shared file is gone");
    let sql = "SELECT regexp_replace(source_file, '.*/', '') AS source, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1";
    assert_eq!(query_csv(sql, &lake, &[]), "source,n\na,22\nb,1\nc,22\n");
    assert!(query_csv("SELECT DISTINCT source_file FROM logs", &lake, &[]).contains("logs/../logs/a"));
    // Nothing changed: nothing is written.
    assert!(ingest(&[&given], &lake, &[]).contains("ingested 0 sources (0 records), 3 unchanged skipped"));
    assert_eq!(parquet(&lake), files);
}

/// Runs `s3logq ingest --skip-failed-objects` of `logs` into `lake`.
fn ingest_skipping(logs: &Path, lake: &Path) -> String {
    ingest(&[logs], lake, &["--skip-failed-objects"])
}

#[test]
fn a_source_whose_reading_broke_off_holds_its_lines_before_the_break_until_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let logs = copies_of_a_day(dir.path(), &["a", "b"]);
    let lake = dir.path().join("lake");
    let day = std::fs::read(logs.join("a")).unwrap();
    // Two gzip members, the second cut inside its header: 66 lines decode,
    // then reading breaks off.
    let whole = [support::gzip(&day.repeat(3)), support::gzip(&day)].concat();
    let first_member = support::gzip(&day.repeat(3)).len();
    std::fs::write(logs.join("c.gz"), &whole[..first_member + 5]).unwrap();
    let count = || query_csv("SELECT count(*) AS n FROM logs", &lake, &[]);
    let failed = s3logq(&["ingest", "--to", lake.to_str().unwrap(), logs.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("c.gz: reading broke off after line 66: "));
    let partly = ingest_skipping(&logs, &lake);
    assert!(partly.contains("c.gz: reading broke off after line 66: "), "{partly}");
    assert!(partly.contains("ingested 3 sources (110 records)"), "{partly}");
    // Changed, and now broken off before its first line: nothing of it is
    // entered, and its old records stay (the file they share with a's and
    // b's is not written again without them, nor a's and b's doubled).
    std::fs::write(logs.join("c.gz"), &whole[..20]).unwrap();
    let nothing = ingest_skipping(&logs, &lake);
    assert!(nothing.contains("c.gz: reading broke off after line 0 ("), "{nothing}");
    assert!(nothing.contains("ingested 0 sources (0 records), 2 unchanged skipped"), "{nothing}");
    assert_eq!(count(), "n\n110\n");
    // Read again every run while it is incomplete, its records replaced.
    std::fs::write(logs.join("c.gz"), &whole[..first_member + 5]).unwrap();
    let again = ingest_skipping(&logs, &lake);
    assert!(again.contains("ingested 1 source (66 records), 2 unchanged skipped"), "{again}");
    assert_eq!(count(), "n\n110\n");
    std::fs::write(logs.join("c.gz"), &whole).unwrap();
    assert!(ingest_skipping(&logs, &lake).contains("ingested 1 source (88 records), 2 unchanged skipped"));
    assert_eq!(count(), "n\n132\n");
    assert!(ingest_skipping(&logs, &lake).contains("ingested 0 sources (0 records), 3 unchanged skipped"));
}

#[test]
fn a_lake_kept_inside_the_folder_it_is_fed_from_is_not_read_as_logs() {
    let dir = tempfile::tempdir().unwrap();
    let logs = copies_of_a_day(dir.path(), &["a", "b"]);
    let lake = logs.join("lake");
    assert!(ingest(&[&logs], &lake, &[]).contains("ingested 2 sources (44 records)"));
    let again = ingest(&[&logs], &lake, &[]);
    assert!(again.contains("ingested 0 sources (0 records), 2 unchanged skipped; "), "{again}");
    assert!(!again.contains("rejected"), "{again}");
    let (counted, stderr) =
        ok(s3logq(&["query", "--format", "csv", "SELECT count(*) AS n FROM logs", logs.to_str().unwrap()]));
    assert_eq!((counted.as_str(), stderr.as_str()), ("n\n44\n", ""));
    // Nor by a glob pattern that matches it.
    let pattern = format!("{}/*", logs.display());
    let (counted, stderr) = ok(s3logq(&["query", "--format", "csv", "SELECT count(*) AS n FROM logs", &pattern]));
    assert_eq!((counted.as_str(), stderr.as_str()), ("n\n44\n", ""));
    // The lake itself is no input of an ingest.
    let refused = s3logq(&["ingest", "--to", dir.path().join("other").to_str().unwrap(), lake.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: a lake written by `s3logq ingest`; ingest reads raw logs", lake.display())),
        "{stderr}"
    );
    assert!(!dir.path().join("other").exists(), "nothing written");
}

#[test]
fn a_lake_may_be_the_very_folder_it_is_fed_from() {
    let dir = tempfile::tempdir().unwrap();
    let logs = copies_of_a_day(dir.path(), &["a", "b"]);
    let count = |input: &str| {
        let (counted, stderr) = ok(s3logq(&["query", "--format", "csv", "SELECT count(*) AS n FROM logs", input]));
        assert_eq!(stderr, "", "{input}: the lake's own files are not read as logs");
        counted
    };
    assert!(ingest(&[&logs], &logs, &[]).contains("ingested 2 sources (44 records)"));
    // Run again (a nightly job), with one more source: the lake's own files
    // are neither read as logs nor is the lake refused as an input.
    std::fs::copy(sample_logs().join("legacy/2026-11-22-02-10-00-0F1E2D3C4B5A6978"), logs.join("c")).unwrap();
    let again = ingest(&[&logs], &logs, &[]);
    assert!(again.contains("ingested 1 source (5 records), 2 unchanged skipped; "), "{again}");
    let folder = logs.to_str().unwrap();
    assert_eq!(count(folder), "n\n49\n", "the lake");
    assert_eq!(count(&format!("{folder}/*")), "n\n49\n", "the raw logs beside it");
    assert_eq!(count(dir.path().to_str().unwrap()), "n\n49\n", "a walk of the folder above");
}

#[test]
fn a_second_ingest_into_a_lake_being_written_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let logs = copies_of_a_day(dir.path(), &["a", "b"]);
    let lake = dir.path().join("lake");
    ingest(&[&logs.join("a")], &lake, &[]);
    // Another writer holds the lake, as a running ingest does.
    let mut lock = OpenOptions::new().write(true).open(lake.join("_s3logq_ingest.lock")).unwrap();
    lock.try_lock().unwrap();
    lock.set_len(0).unwrap();
    write!(lock, "{}", std::process::id()).unwrap();
    let refused = s3logq(&["ingest", "--to", lake.to_str().unwrap(), logs.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    let busy = format!("{}: another s3logq ingest (pid {}) is writing this lake", lake.display(), std::process::id());
    assert!(stderr.contains(&busy), "{stderr}");
    let sql = "SELECT count(*) AS n FROM logs";
    assert_eq!(query_csv(sql, &lake, &[]), "n\n22\n", "the lake is left as it was");
    drop(lock);
    let stderr = ingest(&[&logs], &lake, &[]);
    assert!(stderr.contains("ingested 1 source (22 records), 1 unchanged skipped"), "{stderr}");
    assert_eq!(query_csv(sql, &lake, &[]), "n\n44\n");
}

#[test]
fn lake_answers_like_the_raw_logs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    ingest(&[&sample_logs()], &lake, &[]);
    // The reports, and the records counted in the window.
    let reports = |input: &Path, extra: &[&str]| -> (Value, Value) {
        let mut args = vec!["report", "--format", "json"];
        args.extend_from_slice(extra);
        args.push(input.to_str().unwrap());
        let doc = serde_json::from_str::<Value>(&ok(s3logq(&args)).0).unwrap();
        (doc["reports"].clone(), doc["records"].clone())
    };
    assert_eq!(reports(&lake, &[]), reports(&sample_logs(), &[]));
    let window = ["--since", "2026-11-21", "--until", "2026-11-21T03:00:00Z"];
    let (windowed, records) = reports(&lake, &window);
    assert_eq!((windowed, records.clone()), reports(&sample_logs(), &window));
    assert_eq!(records.as_u64(), Some(15), "the records in the window, not all those of the files read");
    // The others are all the lake's other records, those of the files the
    // window leaves unread too, and the summary says when they were; the
    // lines ingest rejected are counted as the raw logs' rejected lines.
    let summary = |input: &Path| -> Value {
        let args = [&["report", "--format", "json"][..], &window, &[input.to_str().unwrap()]].concat();
        let doc: Value = serde_json::from_str(&ok(s3logq(&args)).0).unwrap();
        let outside = serde_json::json!([doc["records_outside_window"], doc["records_outside_window_span"]]);
        let lines = ["lines_read", "inputs", "rejected_lines"].map(|k| doc[k].as_u64().unwrap());
        assert_eq!(lines, [56, 4, 5], "{input:?}");
        outside
    };
    let csv = query_csv(
        "SELECT count(*), min(time), max(time) FROM logs WHERE time < '2026-11-21' OR time >= '2026-11-21T03:00:00Z'",
        &lake,
        &[],
    );
    let [count, first, last] = csv.lines().nth(1).unwrap().split(',').collect::<Vec<_>>()[..] else { panic!("{csv}") };
    // A record at the window's end is outside it.
    assert_eq!((count, first, last), ("36", "2026-11-20T09:00:00Z", "2026-11-22T01:05:00Z"));
    let outside = serde_json::json!([count.parse::<u64>().unwrap(), {"first": first, "last": last}]);
    assert_eq!(summary(&lake), outside);
    assert_eq!(summary(&sample_logs()), outside);
    let text = ok(s3logq(&[&["report", "--only", "top-talkers"][..], &window, &[lake.to_str().unwrap()]].concat())).0;
    assert!(
        text.contains("36 outside it (2026-11-20T09:00:00Z to 2026-11-22T01:05:00Z), 5 lines rejected at ingest\n"),
        "{text}"
    );
    let sql = "SELECT source_file, source_line, time, request_uri FROM logs ORDER BY source_file, source_line";
    let names = |csv: String| csv.replace(&sample_logs().display().to_string(), "");
    let raw = names(query_csv(sql, &sample_logs(), &[]));
    let stored = query_csv(sql, &lake, &[]);
    assert_eq!(stored.lines().count(), 52);
    assert_eq!(names(stored), raw);
}

#[test]
fn a_committed_file_not_yet_renamed_is_read_and_a_missing_one_stops_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    ingest(&[&sample_logs()], &lake, &[]);
    let count = "SELECT count(*) AS n FROM logs";
    assert_eq!(query_csv(count, &lake, &[]), "n\n51\n");
    // As an ingest leaves it when killed between its commit and the rename
    // that carries it out (the next ingest finishes the rename).
    let parquet: Vec<PathBuf> =
        walk(&lake).into_iter().filter(|p| p.extension().is_some_and(|e| e == "parquet")).collect();
    assert_eq!(parquet.len(), 3, "{parquet:?}");
    let name = parquet[0].file_name().unwrap().to_str().unwrap();
    let pending = parquet[0].with_file_name(format!(".{name}.tmp"));
    std::fs::rename(&parquet[0], &pending).unwrap();
    assert_eq!(query_csv(count, &lake, &[]), "n\n51\n");
    // Deleted: queries and reports name the file rather than answer without
    // it, and an ingest rather than skip its sources as ingested.
    std::fs::remove_file(&pending).unwrap();
    let (lake, logs) = (lake.to_str().unwrap(), sample_logs());
    let ingest = ["ingest", "--to", lake, logs.to_str().unwrap()];
    for args in [&["query", count, lake][..], &["report", "--since", "2026-11-01", lake][..], &ingest[..]] {
        let out = s3logq(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let named = format!("{}: the lake's manifest commits this data file but it is missing", parquet[0].display());
        assert!(stderr.contains(&named), "{stderr}");
        assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn a_lake_plan_runs_as_one_partition_per_core() {
    // A lake's Parquet files are read by the plan's own partitions, so it
    // keeps one per core, where a plan over raw logs gets half of them.
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    ingest(&[&sample_logs()], &lake, &[]);
    let plan = query_csv("EXPLAIN SELECT requester, count(*) AS n FROM logs GROUP BY requester", &lake, &[]);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores == 1 {
        assert!(plan.contains("AggregateExec: mode=Single,"), "{plan}");
    } else {
        assert!(plan.contains(&format!("partitioning=Hash([requester@0], {cores})")), "{plan}");
    }
}

#[test]
fn dedupe_drops_records_delivered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let logs = copies_of_a_day(dir.path(), &["first", "second-delivery"]);
    let lake = dir.path().join("lake");
    assert!(ingest(&[&logs], &lake, &["--dedupe"]).contains("holds 22 records"));
    let plain = dir.path().join("plain");
    assert!(ingest(&[&logs], &plain, &[]).contains("holds 44 records"));
}

/// Many small log files, for a run that takes long enough to be killed.
fn many_sources(dir: &Path, count: usize) -> PathBuf {
    let logs = dir.join("many");
    std::fs::create_dir_all(&logs).unwrap();
    let lines: Vec<String> =
        std::fs::read_to_string(sample_logs().join("example-bucket/2026-11-20-09-30-12-4C9F3A7E21B8D650"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
    for n in 0..count {
        let day = 10 + n % 5;
        let body: String = lines.iter().map(|l| l.replace("20/Nov/2026", &format!("{day}/Nov/2026")) + "\n").collect();
        std::fs::write(logs.join(format!("2026-11-{day}-00-00-00-{n:08X}")), body).unwrap();
    }
    logs
}

#[test]
fn killed_and_interrupted_ingests_end_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let logs = many_sources(dir.path(), 150);
    let one_shot = dir.path().join("one-shot");
    let started = std::time::Instant::now();
    // Committed ten sources at a time, so that kills land between commits.
    ingest(&[&logs], &one_shot, &["--commit-every", "10"]);
    let full_run = started.elapsed().as_millis() as u64;
    let lake = dir.path().join("crashed");
    // Stop at pseudo-random moments (a fixed sequence) around a delay that
    // follows this machine's speed rather than the one-shot run's, by
    // SIGKILL and, every other round, Ctrl-C (SIGINT), which ends the run
    // once a commit in flight is carried out. A signal that came after the
    // run had finished throws that lake away and shortens the delay, one
    // before the first commit lengthens it. Stop once each signal landed
    // mid-run twice, or once a run resumed after both did went through to
    // the end (bounded either way).
    let mut seed: u64 = 0x5eed;
    let mut delay_ms = (full_run / 2).max(1);
    let mut committed = Vec::new();
    let mut mid_run = [0; 2]; // kills, interrupts
    for round in 0..40 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = Duration::from_millis(delay_ms / 2 + (seed >> 33) % (delay_ms + 1));
        let mut child = Command::new(env!("CARGO_BIN_EXE_s3logq"))
            .args(["ingest", "--commit-every", "10", "--to", lake.to_str().unwrap(), logs.to_str().unwrap()])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let (signal, interrupt) = if round % 2 == 0 { ("-KILL", 0) } else { ("-INT", 1) };
        // The run may have ended already, and kill then fails.
        let _ = Command::new("kill").args([signal, &child.id().to_string()]).status();
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        // A SIGINT in the first moments of the process, before it watches
        // for one, ends it as the system does; that round proves nothing.
        let before_watching = status.signal() == Some(2);
        if interrupt == 1 && !status.success() && !before_watching {
            assert_eq!(status.code(), Some(130), "{stderr}");
            let left = "s3logq: interrupted; the lake holds what was committed, and the same ingest run again goes on";
            assert!(stderr.ends_with(&format!("{left} from there\n")), "{stderr}");
        }
        // Engines that list a partition's folder skip hidden files: what
        // a stopped run leaves there is committed data or hidden.
        let partitions = walk_if_there(&lake).into_iter().filter(|p| p.parent() != Some(&lake));
        for name in partitions.map(|p| p.file_name().unwrap().to_string_lossy().into_owned()) {
            assert!(name.ends_with(".parquet") || name.starts_with('.'), "{name} is visible to other engines");
        }
        let now = committed_sources(&lake);
        committed.push(now);
        match now {
            0 => delay_ms = delay_ms * 3 / 2 + 1,
            150 if mid_run.iter().all(|&n| n > 0) => break,
            150 => {
                std::fs::remove_dir_all(&lake).unwrap();
                delay_ms = (delay_ms / 2).max(1);
            }
            _ if !before_watching => mid_run[interrupt] += 1,
            _ => {}
        }
        if mid_run.iter().all(|&n| n >= 2) {
            break;
        }
    }
    assert!(mid_run.iter().all(|&n| n > 0), "kills and interrupts mid-run {mid_run:?}: {committed:?}");
    ingest(&[&logs], &lake, &[]);
    let sql = "SELECT source_file, source_line FROM logs ORDER BY source_file, source_line";
    let expected = query_csv(sql, &one_shot, &[]);
    assert_eq!(expected.lines().count(), 150 * 22 + 1);
    assert_eq!(query_csv(sql, &lake, &[]), expected);
    let leftovers: Vec<_> = walk(&lake).into_iter().filter(|p| p.extension().is_some_and(|e| e == "tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// How many sources the lake has committed (each has records), as a query
/// of it sees them.
fn committed_sources(lake: &Path) -> usize {
    if !lake.join("_s3logq_manifest.json").is_file() {
        return 0;
    }
    let csv = query_csv("SELECT count(DISTINCT source_file) AS n FROM logs", lake, &[]);
    csv.lines().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{csv}"))
}

fn walk_if_there(dir: &Path) -> Vec<PathBuf> {
    if dir.exists() { walk(dir) } else { Vec::new() }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn duckdb_reads_the_lake_through_the_ddl() {
    let has_duckdb = Command::new("python3").args(["-c", "import duckdb"]).output().is_ok_and(|o| o.status.success());
    if !has_duckdb {
        assert!(std::env::var("CI").is_err(), "CI must install duckdb (pip) for this test");
        eprintln!("skipped: python3 -m pip install duckdb");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    ingest(&[&sample_logs()], &lake, &[]);
    let (ddl, _) = ok(s3logq(&["ddl", "--engine", "duckdb", lake.to_str().unwrap()]));
    let script = format!(
        "import duckdb\ncon = duckdb.connect()\ncon.execute({ddl:?})\n\
         print(con.execute(\"SELECT count(*), count(DISTINCT date), sum(bytes_sent), count(*) FILTER (WHERE signature_version = 'SigV2') FROM s3_access_logs\").fetchone())"
    );
    let out = ok(Command::new("python3").args(["-c", &script]).output().unwrap()).0;
    let ours = query_csv(
        "SELECT count(*) AS n, count(DISTINCT date_trunc('day', time)) AS d, sum(bytes_sent) AS b, \
         sum(CASE WHEN signature_version = 'SigV2' THEN 1 ELSE 0 END) AS s FROM logs",
        &lake,
        &[],
    );
    let row = ours.lines().nth(1).unwrap().replace(',', ", ");
    assert_eq!(out.trim(), format!("({row})"));
}

#[test]
fn ddl_for_every_engine() {
    let athena = ok(s3logq(&["ddl", "--engine", "athena", "s3://logs-bucket/lake/"])).0;
    assert!(athena.contains("PARTITIONED BY (`date` string)"));
    assert!(athena.contains("'projection.date.type' = 'date'"));
    assert!(athena.contains("'storage.location.template' = 's3://logs-bucket/lake/date=${date}/'"));
    assert!(athena.contains("`time` timestamp,") && athena.contains("`http_status` integer,"));
    let trino = ok(s3logq(&["ddl", "--engine", "trino", "s3://logs-bucket/lake"])).0;
    assert!(trino.contains("partitioned_by = ARRAY['date']") && trino.contains("\"time\" timestamp(6)"));
    let spark = ok(s3logq(&["ddl", "--engine", "spark", "/data/lake"])).0;
    assert!(spark.contains("USING parquet") && spark.contains("MSCK REPAIR TABLE"));
    assert_eq!(s3logq(&["ddl", "--engine", "oracle", "x"]).status.code(), Some(2));
}
