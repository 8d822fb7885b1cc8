//! Reading log buckets through object_store against a real S3-compatible
//! server (moto) on 127.0.0.1, behind a recording, fault-injecting proxy:
//! both key formats, pruning by key time (proved from the request log), many
//! small objects, gzip, 5xx faults with nothing lost, failed objects, wrong
//! credentials (s3rver checks signatures), a missing bucket, and a window's
//! start listing a bucket from there.

mod support;

use std::process::{Command, Output};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use support::{Faults, Proxy, Server, record, stderr, upload};

const BUCKET: &str = "logs-bucket";

fn store(endpoint: &str, bucket: &str) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .build()
            .unwrap(),
    )
}

async fn create_bucket(server: &Server) {
    let status = reqwest::Client::new().put(format!("{}/{BUCKET}", server.endpoint())).send().await.unwrap().status();
    assert!(status.is_success(), "create bucket: {status}");
}

/// `program` with the test server's credentials and region.
fn with_test_credentials(program: &str) -> Command {
    let mut command = Command::new(program);
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE");
    command
}

fn s3logq(endpoint: &str, args: &[&str]) -> Output {
    let mut command = with_test_credentials(env!("CARGO_BIN_EXE_s3logq"));
    command.args(args).args(["--endpoint-url", endpoint]).output().unwrap()
}

/// Everything s3logq drew on a terminal, run under `script`, which gives it
/// a pseudo-terminal for stdout and stderr alike.
fn on_a_terminal(endpoint: &str, args: &[&str]) -> String {
    let quote = |arg: &str| format!("'{}'", arg.replace('\'', r"'\''"));
    let run = [&[env!("CARGO_BIN_EXE_s3logq")], args, &["--endpoint-url", endpoint]].concat();
    let line: Vec<String> = run.into_iter().map(quote).collect();
    let out = with_test_credentials("script").args(["-qfec", &line.join(" "), "/dev/null"]).output().unwrap();
    let drawn = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{drawn}");
    drawn
}

fn count(endpoint: &str, extra: &[&str], url: &str) -> (Output, String) {
    let mut args = vec!["query", "--format", "csv"];
    args.extend_from_slice(extra);
    args.extend(["SELECT count(*) AS n FROM logs", url]);
    let out = s3logq(endpoint, &args);
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, csv)
}

fn no_faults() -> Faults {
    Box::new(|_, _| None)
}

/// moto with the bucket created, and a proxy in front of it.
async fn setup(faults: Faults) -> Option<(Server, Proxy, Arc<dyn ObjectStore>)> {
    let moto = support::moto()?;
    create_bucket(&moto).await;
    let store = store(&moto.endpoint(), BUCKET);
    let proxy = support::proxy(moto.port, faults);
    Some((moto, proxy, store))
}

#[tokio::test(flavor = "multi_thread")]
async fn both_key_formats_and_pruning_by_key_time() {
    let Some((_moto, proxy, store)) = setup(no_faults()).await else { return };
    let part = "part/111122223333/us-east-1/example-bucket";
    upload(
        &store,
        vec![
            ("simple/2026-11-20-09-30-12-AAAA".into(), record("20/Nov/2026:09:10:00", 1, "SigV4").into_bytes()),
            (
                "simple/2026-11-21-03-00-00-BBBB".into(),
                (record("20/Nov/2026:23:50:00", 2, "SigV2") + &record("21/Nov/2026:02:00:00", 3, "SigV4")).into_bytes(),
            ),
            ("simple/2026-11-10-08-00-00-OLD0".into(), record("10/Nov/2026:07:00:00", 4, "SigV4").into_bytes()),
            ("simple/2026-11-25-08-00-00-LATE".into(), record("25/Nov/2026:07:00:00", 5, "SigV4").into_bytes()),
            (
                format!("{part}/2026/11/20/2026-11-20-00-00-00-CCCC"),
                record("20/Nov/2026:12:00:00", 6, "SigV2").into_bytes(),
            ),
            (
                format!("{part}/2026/11/09/2026-11-09-00-00-00-DDDD"),
                record("09/Nov/2026:12:00:00", 7, "SigV2").into_bytes(),
            ),
        ],
    )
    .await;
    let url = format!("s3://{BUCKET}/");
    let (out, csv) = count(&proxy.endpoint(), &["--since", "2026-11-20", "--until", "2026-11-21"], &url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv, "n\n3\n", "records 1, 2 and 6 are in the window");
    assert!(
        stderr(&out).contains("3 objects read") && stderr(&out).contains("3 skipped by their key's time"),
        "{}",
        stderr(&out)
    );
    // Listed from the window's start, past the old day folder of the
    // partition and the old delivery-time names, and past the names of the
    // year once they are later than the window (and its late deliveries).
    let part_jump = format!("{part}/2026/11/19").replace('/', "%2F");
    assert_eq!(list_starts(&proxy), ["", &part_jump, "simple%2F2026-11-19-00-00-00", "simple%2F2026-9999"]);
    let gets: Vec<String> =
        proxy.seen().into_iter().filter(|l| l.starts_with("GET ") && !l.contains("list-type")).collect();
    assert_eq!(gets.len(), 3, "{gets:?}");
    for pruned in ["OLD0", "LATE", "DDDD"] {
        assert!(!gets.iter().any(|g| g.contains(pruned)), "{pruned} was fetched: {gets:?}");
    }
    // Everything, from a prefix of the partitioned layout.
    let (_, csv) = count(&proxy.endpoint(), &[], &format!("s3://{BUCKET}/{part}/"));
    assert_eq!(csv, "n\n2\n");
}

/// The `start-after` of each listing request the proxy saw, in order
/// (empty for a listing from the start).
fn list_starts(proxy: &Proxy) -> Vec<String> {
    proxy.param_of("list-type", "start-after")
}

/// With a start to the window, a bucket holding years of logs is not
/// listed page by page: the listing jumps over the log objects older than
/// the window, and still lists what lies between them in another layout
/// (an account's partition whose number sorts among the years).
#[tokio::test(flavor = "multi_thread")]
async fn a_window_lists_a_bucket_from_its_start() {
    let Some((_moto, proxy, store)) = setup(no_faults()).await else { return };
    let partition = "hist/202512345678/us-east-1/src-bucket";
    let mut objects: Vec<(String, String)> = (0..2100)
        .map(|n| {
            let key = format!("hist/2025-{:02}-{:02}-10-00-00-{n:06}", n % 12 + 1, n % 28 + 1);
            (key, record("01/Jan/2025:09:00:00", n, "SigV4"))
        })
        .collect();
    objects.extend([
        ("hist/2026-11-18-12-00-00-OLD1".to_string(), record("18/Nov/2026:11:00:00", 1, "SigV4")),
        ("hist/2026-11-20-10-00-00-NEW1".to_string(), record("20/Nov/2026:09:00:00", 2, "SigV4")),
        ("hist/2026-11-21-01-00-00-NEW2".to_string(), record("20/Nov/2026:23:00:00", 3, "SigV2")),
        (format!("{partition}/2026/11/01/2026-11-01-00-00-00-OLDP"), record("01/Nov/2026:12:00:00", 4, "SigV4")),
        (format!("{partition}/2026/11/20/2026-11-20-00-00-00-NEWP"), record("20/Nov/2026:12:00:00", 5, "SigV2")),
    ]);
    upload(&store, objects.into_iter().map(|(key, text)| (key, text.into_bytes())).collect()).await;
    let url = format!("s3://{BUCKET}/hist/");
    // Without a window, all 2,105 keys are listed: three pages of 1,000.
    let (out, csv) = count(&proxy.endpoint(), &[], &url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv, "n\n2105\n");
    let whole = list_starts(&proxy).len();
    assert_eq!(whole, 3);
    let seen_before = proxy.seen().len();

    let (out, csv) = count(&proxy.endpoint(), &["--since", "2026-11-20"], &url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv, "n\n3\n", "records 2, 3 and 5");
    let jumps = [
        "hist%2F2025-9999".to_string(),
        format!("{partition}/2026/11/19").replace('/', "%2F"),
        "hist%2F2026-11-19-00-00-00".to_string(),
    ];
    assert_eq!(list_starts(&proxy)[whole..], ["".to_string(), jumps[0].clone(), jumps[1].clone(), jumps[2].clone()]);
    let gets = proxy.seen()[seen_before..].iter().filter(|l| l.starts_with("GET ") && !l.contains("list-type")).count();
    assert_eq!(gets, 3, "only the three objects of the window are fetched");
    assert!(stderr(&out).contains("3 objects read, ") || stderr(&out).contains("3 objects read ("), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 skipped by their key's time"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn many_small_objects_and_gzip() {
    let Some((_moto, proxy, store)) = setup(no_faults()).await else { return };
    let mut objects: Vec<(String, Vec<u8>)> = (0..2100)
        .map(|n| {
            let text =
                record("20/Nov/2026:10:00:00", n, "SigV4") + &record("20/Nov/2026:10:00:01", n + 10_000, "SigV2");
            let body = if n % 7 == 0 { support::gzip(text.as_bytes()) } else { text.into_bytes() };
            (format!("many/2026-11-20-10-{:02}-{:02}-{n:06}", n / 60 % 60, n % 60), body)
        })
        .collect();
    // Another service's log among them, gzipped as CloudTrail writes it.
    objects.push(("many/trail.json.gz".to_string(), support::gzip(b"{\"Records\":[]}\n")));
    upload(&store, objects).await;
    let sql = "SELECT count(*) AS n, sum(CASE WHEN signature_version = 'SigV2' THEN 1 ELSE 0 END) AS v2 FROM logs";
    let out = s3logq(&proxy.endpoint(), &["query", "--format", "csv", sql, &format!("s3://{BUCKET}/many/")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "n,v2\n4200,2100\n");
    let named = format!("no line of s3://{BUCKET}/many/trail.json.gz is an S3 server access log record: is it");
    assert!(stderr(&out).contains(&named), "{}", stderr(&out));
}

/// An object that decodes to many chunks is cut, as it streams, in the
/// readers: every line keeps its number, in the object's later chunks too.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_gzip_object_keeps_every_line_number() {
    let Some((_moto, proxy, store)) = setup(no_faults()).await else { return };
    const LINES: usize = 15_000;
    let bad = [3, 14_000];
    let text: String = (1..=LINES)
        .map(|n| {
            if bad.contains(&n) { "not a log record\n".to_string() } else { record("20/Nov/2026:10:00:00", n, "SigV4") }
        })
        .collect();
    assert!(text.len() > 4 << 20, "the text must decode to more than one 4 MiB chunk");
    let plain = record("20/Nov/2026:10:00:00", 0, "SigV2");
    upload(&store, vec![("big/a.gz".into(), support::gzip(text.as_bytes())), ("big/b.log".into(), plain.into_bytes())])
        .await;
    let sql = "SELECT source_file, count(*) AS n, min(source_line) AS first, max(source_line) AS last, \
               sum(source_line) AS line_sum FROM logs GROUP BY source_file ORDER BY source_file";
    let out = s3logq(&proxy.endpoint(), &["query", "--format", "csv", sql, &format!("s3://{BUCKET}/big/")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line_sum = LINES * (LINES + 1) / 2 - bad.iter().sum::<usize>();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "source_file,n,first,last,line_sum\n\
             s3://{BUCKET}/big/a.gz,{},1,{LINES},{line_sum}\n\
             s3://{BUCKET}/big/b.log,1,1,1,1\n",
            LINES - bad.len()
        )
    );
    let err = stderr(&out);
    for line in bad {
        assert!(err.contains(&format!("s3://{BUCKET}/big/a.gz:{line}: ")), "line {line} not named: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_faults_are_retried_with_nothing_lost() {
    // Every request fails twice (503, then 500) before it is let through:
    // the same for every object however the requests interleave, and within
    // the client's retries. (Failing by request number instead left an
    // object failing ten times in a row once in a few runs.)
    let attempts = std::sync::Mutex::new(std::collections::HashMap::<String, usize>::new());
    let faults: Faults = Box::new(move |_, line| {
        let mut attempts = attempts.lock().unwrap();
        let tried = attempts.entry(line.to_string()).or_default();
        *tried += 1;
        match *tried {
            1 => Some(503),
            2 => Some(500),
            _ => None,
        }
    });
    let Some((_moto, proxy, store)) = setup(faults).await else { return };
    let objects = (0..300)
        .map(|n| (format!("f/2026-11-20-11-00-00-{n:05}"), record("20/Nov/2026:11:00:00", n, "SigV4").into_bytes()))
        .collect();
    upload(&store, objects).await;
    let (out, csv) = count(&proxy.endpoint(), &[], &format!("s3://{BUCKET}/f/"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv, "n\n300\n");
    // Each distinct request (the listing, every object's GET) failed twice.
    let distinct: std::collections::HashSet<String> = proxy.seen().into_iter().collect();
    assert!(distinct.len() > 300, "{} distinct requests", distinct.len());
    assert_eq!(proxy.failed.load(std::sync::atomic::Ordering::SeqCst), 2 * distinct.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_that_keeps_failing_fails_the_run_or_is_skipped() {
    let faults: Faults = Box::new(|_, line| (line.starts_with("GET ") && line.contains("BROKEN")).then_some(500));
    let Some((_moto, proxy, store)) = setup(faults).await else { return };
    let objects = (0..20)
        .map(|n| {
            let key = if n == 7 {
                format!("s/2026-11-20-12-00-00-BROKEN{n}")
            } else {
                format!("s/2026-11-20-12-00-00-{n:05}")
            };
            (key, record("20/Nov/2026:12:00:00", n, "SigV4").into_bytes())
        })
        .collect();
    upload(&store, objects).await;
    let url = format!("s3://{BUCKET}/s/");
    let (out, _) = count(&proxy.endpoint(), &[], &url);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("s3://{BUCKET}/s/2026-11-20-12-00-00-BROKEN7: fetch failed after retries")),
        "{}",
        stderr(&out)
    );
    // And a gzip object cut short: three whole lines, then the next
    // member's header breaks off.
    let cut_lines: String = (100..103).map(|n| record("20/Nov/2026:12:00:00", n, "SigV4")).collect();
    let mut cut = support::gzip(cut_lines.as_bytes());
    cut.extend_from_slice(&support::gzip(record("20/Nov/2026:12:00:00", 103, "SigV4").as_bytes())[..5]);
    upload(&store, vec![("s/2026-11-20-12-00-00-CUT".into(), cut)]).await;
    let (out, csv) = count(&proxy.endpoint(), &["--skip-failed-objects"], &url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv, "n\n22\n");
    assert!(stderr(&out).contains("skipped object s3://logs-bucket/s/2026-11-20-12-00-00-BROKEN7"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("s3://logs-bucket/s/2026-11-20-12-00-00-CUT: reading broke off after line 3: "),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("20 objects read") && stderr(&out).contains("1 failed"), "{}", stderr(&out));
    // An ingest leaves the object out of the lake, enters the one cut short
    // as far as it goes, and the next run tries both again.
    let lake = tempfile::tempdir().unwrap();
    let lake = lake.path().join("lake");
    let ingest =
        || s3logq(&proxy.endpoint(), &["ingest", "--skip-failed-objects", "--to", lake.to_str().unwrap(), &url]);
    let first = ingest();
    assert!(stderr(&first).contains("ingested 20 sources (22 records), 0 unchanged skipped"), "{}", stderr(&first));
    let again = ingest();
    assert!(stderr(&again).contains("ingested 1 source (3 records), 19 unchanged skipped"), "{}", stderr(&again));
    assert!(stderr(&again).contains("holds 22 records"), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("skipped object s3://logs-bucket/s/2026-11-20-12-00-00-BROKEN7"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_bucket_and_wrong_credentials_are_clear() {
    let Some((moto, _proxy, _store)) = setup(no_faults()).await else { return };
    let (out, _) = count(&moto.endpoint(), &[], "s3://no-such-bucket/logs/");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("s3://no-such-bucket/logs/") && stderr(&out).contains("NoSuchBucket"),
        "{}",
        stderr(&out)
    );
    let Some(s3rver) = support::s3rver(BUCKET) else { return };
    let out = Command::new(env!("CARGO_BIN_EXE_s3logq"))
        .args(["query", "SELECT count(*) FROM logs", &format!("s3://{BUCKET}/"), "--endpoint-url", &s3rver.endpoint()])
        .env("AWS_ACCESS_KEY_ID", "WRONG")
        .env("AWS_SECRET_ACCESS_KEY", "WRONG")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("InvalidAccessKeyId") || stderr(&out).contains("403"), "{}", stderr(&out));
    let (good, csv) = {
        let out = Command::new(env!("CARGO_BIN_EXE_s3logq"))
            .args([
                "query",
                "--format",
                "csv",
                "SELECT count(*) AS n FROM logs",
                &format!("s3://{BUCKET}/"),
                "--endpoint-url",
                &s3rver.endpoint(),
            ])
            .env("AWS_ACCESS_KEY_ID", "S3RVER")
            .env("AWS_SECRET_ACCESS_KEY", "S3RVER")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap();
        let csv = String::from_utf8_lossy(&out.stdout).into_owned();
        (out, csv)
    };
    assert!(good.status.success(), "{}", stderr(&good));
    assert_eq!(csv, "n\n0\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn report_and_ingest_the_last_day_of_a_bucket() {
    let Some((_moto, proxy, store)) = setup(no_faults()).await else { return };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let stamp = |secs: i64, fmt: &str| {
        let out = Command::new("date").args(["-u", "-d", &format!("@{secs}"), fmt]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let recent = stamp(now - 7200, "+%d/%b/%Y:%H:%M:%S");
    let old = stamp(now - 5 * 86_400, "+%d/%b/%Y:%H:%M:%S");
    upload(
        &store,
        vec![
            (
                format!("r/{}-NEW0", stamp(now - 3600, "+%Y-%m-%d-%H-%M-%S")),
                (record(&recent, 1, "SigV2") + &record(&recent, 2, "SigV4")).into_bytes(),
            ),
            (
                format!("r/{}-OLD0", stamp(now - 5 * 86_400 + 600, "+%Y-%m-%d-%H-%M-%S")),
                record(&old, 3, "SigV2").into_bytes(),
            ),
        ],
    )
    .await;
    let url = format!("s3://{BUCKET}/r/");
    let out =
        s3logq(&proxy.endpoint(), &["report", "--only", "sigv2-callers", "--format", "json", "--last", "24h", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["reports"][0]["rows"][0]["requests"], 1);
    assert_eq!(doc["records"], 2);
    let lake = tempfile::tempdir().unwrap();
    let lake_path = lake.path().join("lake");
    let ingest = |extra: &[&str]| {
        let mut args = vec!["ingest", "--to", lake_path.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(&url);
        s3logq(&proxy.endpoint(), &args)
    };
    let first = ingest(&[]);
    assert!(stderr(&first).contains("ingested 2 sources (3 records)"), "{}", stderr(&first));
    assert!(stderr(&ingest(&[])).contains("ingested 0 sources (0 records), 2 unchanged skipped"));
}

/// On a terminal, long work shows as it goes (and is erased): the keys
/// listed, the sources of an ingest, the bytes of a scan. `--quiet` shows
/// none. Every request to the server takes 300 ms here, so that each
/// display is drawn at least once.
#[tokio::test(flavor = "multi_thread")]
async fn long_work_shows_its_progress_on_a_terminal() {
    let slow: Faults = Box::new(|_, _| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        None
    });
    let Some((_moto, proxy, store)) = setup(slow).await else { return };
    let objects = (0..3)
        .map(|n| (format!("p/2026-11-20-10-00-0{n}-AAAA"), record("20/Nov/2026:09:00:00", n, "SigV4").into_bytes()))
        .collect();
    upload(&store, objects).await;
    let url = format!("s3://{BUCKET}/p/");
    let lake = tempfile::tempdir().unwrap();
    let lake = lake.path().join("lake");
    let lake = lake.to_str().unwrap();
    let drawn = on_a_terminal(&proxy.endpoint(), &["ingest", "--to", lake, &url]);
    assert!(drawn.contains("listing · ") && drawn.contains(" keys"), "{drawn}");
    assert!(drawn.contains("/3 sources") && drawn.contains(" rows, 0 rejected"), "{drawn}");
    assert!(drawn.contains("ingested 3 sources (3 records)"), "{drawn}");
    let drawn = on_a_terminal(&proxy.endpoint(), &["query", "SELECT count(*) FROM logs", &url]);
    assert!(drawn.contains("listing · ") && drawn.contains(" objects, "), "{drawn}");
    let quiet = on_a_terminal(&proxy.endpoint(), &["query", "--quiet", "SELECT count(*) FROM logs", &url]);
    assert!(!quiet.contains("listing") && !quiet.contains(" objects, "), "{quiet}");
}
