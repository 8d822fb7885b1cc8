//! Every line of the peers' fixtures in `../shared/conformance/` goes through
//! the whole parse → Arrow path, and every value the peers state must match.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use s3logq::batch::BatchBuilder;
use s3logq::chunk::Chunk;
use s3logq::report::{OutputFormat, write_batches};
use s3logq::schema::{Column, projected_schema};
use serde_json::Value;

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance")
}

/// The rows of a log file as JSON objects (the ndjson output of the CLI).
fn rows_of(log: &Path) -> Vec<serde_json::Map<String, Value>> {
    let data = std::fs::read(log).unwrap();
    let columns: Arc<[Column]> = Column::ALL.into();
    let builder = BatchBuilder::new(columns.clone(), projected_schema(&columns));
    let chunk = Chunk::new(log.display().to_string().into(), 1, data.into());
    let out = builder.build(&[chunk]).unwrap();
    let rejected = &out.tallies[0].rejected;
    assert!(rejected.is_empty(), "{}: rejected {rejected:?}", log.display());
    let mut json = Vec::new();
    write_batches(OutputFormat::Ndjson, &[out.batch], &mut json).unwrap();
    String::from_utf8(json)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap().as_object().unwrap().clone())
        .collect()
}

#[test]
fn every_stated_value_matches() {
    let mut files = 0;
    let mut checked = 0;
    for entry in std::fs::read_dir(conformance_dir()).expect("../shared/conformance is beside the repository") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "log") {
            continue;
        }
        files += 1;
        let rows = rows_of(&path);
        let line_count = std::fs::read_to_string(&path).unwrap().lines().count();
        assert_eq!(rows.len(), line_count, "{}: every line is a row", path.display());
        let expected_path = path.with_extension("expected.jsonl");
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        for (n, (want, got)) in expected.lines().zip(&rows).enumerate() {
            let want: serde_json::Map<String, Value> = serde_json::from_str(want).unwrap();
            for (key, value) in &want {
                assert_eq!(got.get(key), Some(value), "{}:{}: {key}", path.display(), n + 1);
                checked += 1;
            }
            assert_eq!(got["source_line"], Value::from(n as u64 + 1));
        }
    }
    assert_eq!(files, 6, "six conformance logs");
    assert!(checked > 400, "only {checked} values checked");
    println!("conformance: {checked} stated values checked in {files} files");
}

#[test]
fn unknown_28th_field_is_kept_and_filebeat_offset_converted() {
    let otel = rows_of(&conformance_dir().join("otel-awslogsencoding.log"));
    assert_eq!(otel[4]["extra_fields"], Value::from("ExtraUnknownField"));
    assert_eq!(otel[4]["source_region"], Value::from("us-east-1"));
    let filebeat = rows_of(&conformance_dir().join("filebeat-module.log"));
    assert_eq!(filebeat[5]["time"], Value::from("2021-02-09T12:48:42Z"));
    assert_eq!(filebeat[5]["request_path"], Value::from("*"));
    let dandi = rows_of(&conformance_dir().join("dandi-s3-log-parser.log"));
    assert_eq!(dandi[0]["user_agent"].as_str().unwrap().chars().next(), Some('"'));
    assert_eq!(dandi[2]["http_status"], Value::from(404));
    assert_eq!(dandi[2]["error_code"], Value::from("NoSuchKey"));
    assert_eq!(
        dandi[2]["user_agent"],
        Value::from("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)")
    );
    assert!(dandi[2]["referer"].as_str().unwrap().ends_with("$ch[1].$ch[3].$ch[4]);?>"));
    assert_eq!(dandi[1]["acl_required"], Value::Null);
    assert_eq!(dandi[4]["tls_version"], Value::from("TLSv1.3"));
}
