//! Parse → Arrow throughput on one core, in bytes of log text per second, for
//! every column, for a 4-column projection, and for the same four with the
//! columns derived from a presigned request URI. The data comes from
//! `../shared/bench/gen_s3_logs.py` (32 MiB, seed 1) unless
//! `S3LOGQ_BENCH_LOG` names a log file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use s3logq::batch::BatchBuilder;
use s3logq::chunk::{BufferPool, CHUNK_BYTES, Chunk, LineChunker};
use s3logq::schema::{Column, projected_schema};

fn bench_log() -> PathBuf {
    if let Ok(path) = std::env::var("S3LOGQ_BENCH_LOG") {
        return PathBuf::from(path);
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/s3-32m-seed1.log");
    if !out.exists() {
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_s3_logs.py");
        let status = Command::new("python3")
            .arg(&generator)
            .args(["--seed", "1", "--bytes", "32M", "-o"])
            .arg(&out)
            .status()
            .expect("python3 runs the log generator");
        assert!(status.success(), "generator failed");
    }
    out
}

fn chunks(path: &Path) -> Vec<Chunk> {
    let file = std::fs::File::open(path).unwrap();
    // Every chunk is kept for the whole benchmark: no buffer comes back.
    let pool = BufferPool::new(0);
    LineChunker::new(file, path.display().to_string().into(), CHUNK_BYTES, pool).collect::<Result<_, _>>().unwrap()
}

fn parse_to_arrow(c: &mut Criterion) {
    let chunks = chunks(&bench_log());
    let bytes: usize = chunks.iter().map(|c| c.data.len()).sum();
    let four = [Column::Requester, Column::SignatureVersion, Column::AuthenticationType, Column::ErrorCode];
    let presign = [Column::PresignAccessKeyId, Column::PresignExpiresSeconds, Column::CredentialFailure];
    let projections: [(&str, Vec<Column>); 3] = [
        ("all columns", Column::ALL.to_vec()),
        ("4 columns", four.to_vec()),
        ("4 columns and 3 derived", [&four[..], &presign[..]].concat()),
    ];
    let mut group = c.benchmark_group("parse_to_arrow");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    for (name, columns) in projections {
        let columns: Arc<[Column]> = columns.into();
        let builder = BatchBuilder::new(columns.clone(), projected_schema(&columns));
        group.bench_function(name, |b| {
            b.iter(|| {
                chunks
                    .iter()
                    .map(|chunk| builder.build(std::slice::from_ref(chunk)).unwrap().batch.num_rows())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse_to_arrow);
criterion_main!(benches);
