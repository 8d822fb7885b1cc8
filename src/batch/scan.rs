//! The concurrency seam: one reader thread turns inputs into line-aligned
//! chunks (I/O stays off the rayon pool), rayon builds one batch per chunk,
//! and batches flow out through a bounded channel, so memory stays bounded
//! however large the input. Every line becomes a row or a counted rejection.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::error::ArrowError;
use rayon::iter::{ParallelBridge, ParallelIterator};
use tokio::sync::mpsc;

use super::builder::{BatchBuilder, ChunkOutput};
use crate::chunk::{CHUNK_BYTES, Chunk, LineChunker};
use crate::source::{Input, SourceError, open};

/// How many rejected lines are kept as examples for the user.
pub const REJECT_SAMPLES: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{path}: read failed: {source}")]
    Read { path: String, source: io::Error },
    #[error("writing rejected lines failed: {0}")]
    Rejects(io::Error),
    #[error("building a batch failed: {0}")]
    Arrow(#[from] ArrowError),
}

/// A rejected line, as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectSample {
    pub source: Arc<str>,
    pub line: u64,
    pub reason: String,
}

/// Totals of a scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanTotals {
    pub inputs: u64,
    pub bytes: u64,
    pub lines: u64,
    pub rows: u64,
    pub rejected: u64,
    pub lossy_lines: u64,
    pub outside_window: u64,
}

/// Counters and rejected lines of the scans of one run, shared by threads.
#[derive(Default)]
pub struct ScanReport {
    inputs: AtomicU64,
    bytes: AtomicU64,
    lines: AtomicU64,
    rows: AtomicU64,
    rejected: AtomicU64,
    lossy_lines: AtomicU64,
    outside_window: AtomicU64,
    samples: Mutex<Vec<RejectSample>>,
    reject_sink: Option<Mutex<Box<dyn Write + Send>>>,
}

impl ScanReport {
    /// `reject_sink` receives every rejected line as
    /// `file:line<TAB>reason<TAB>raw line`.
    pub fn new(reject_sink: Option<Box<dyn Write + Send>>) -> Self {
        ScanReport { reject_sink: reject_sink.map(Mutex::new), ..Default::default() }
    }

    pub fn totals(&self) -> ScanTotals {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ScanTotals {
            inputs: get(&self.inputs),
            bytes: get(&self.bytes),
            lines: get(&self.lines),
            rows: get(&self.rows),
            rejected: get(&self.rejected),
            lossy_lines: get(&self.lossy_lines),
            outside_window: get(&self.outside_window),
        }
    }

    /// The first few rejected lines, in the order they were met.
    pub fn samples(&self) -> Vec<RejectSample> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Flushes the rejected-lines file.
    pub fn flush(&self) -> io::Result<()> {
        match &self.reject_sink {
            Some(sink) => sink.lock().map_err(|_| io::Error::other("reject sink poisoned"))?.flush(),
            None => Ok(()),
        }
    }

    /// Counts records read from storage (a lake) rather than parsed.
    pub fn record_stored(&self, inputs: u64, rows: u64) {
        self.inputs.fetch_add(inputs, Ordering::Relaxed);
        self.lines.fetch_add(rows, Ordering::Relaxed);
        self.rows.fetch_add(rows, Ordering::Relaxed);
    }

    fn record(&self, chunk: &Chunk, out: &ChunkOutput) -> io::Result<()> {
        self.bytes.fetch_add(chunk.data.len() as u64, Ordering::Relaxed);
        self.lines.fetch_add(out.lines, Ordering::Relaxed);
        self.rows.fetch_add(out.batch.num_rows() as u64, Ordering::Relaxed);
        self.lossy_lines.fetch_add(out.lossy_lines, Ordering::Relaxed);
        if out.rejected.is_empty() {
            return Ok(());
        }
        self.rejected.fetch_add(out.rejected.len() as u64, Ordering::Relaxed);
        if let Ok(mut samples) = self.samples.lock() {
            let room = REJECT_SAMPLES.saturating_sub(samples.len());
            samples.extend(out.rejected.iter().take(room).map(|r| RejectSample {
                source: chunk.source.clone(),
                line: r.line,
                reason: r.error.to_string(),
            }));
        }
        let Some(sink) = &self.reject_sink else {
            return Ok(());
        };
        let mut sink = sink.lock().map_err(|_| io::Error::other("reject sink poisoned"))?;
        for r in &out.rejected {
            write!(sink, "{}:{}\t{}\t", chunk.source, r.line, r.error)?;
            sink.write_all(&r.raw)?;
            sink.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// Reads `inputs` and yields their batches, built by `builder`, on the
/// returned channel. Dropping the receiver stops the scan.
pub fn spawn_scan(
    inputs: Arc<[Input]>,
    builder: Arc<BatchBuilder>,
    report: Arc<ScanReport>,
) -> mpsc::Receiver<Result<RecordBatch, ScanError>> {
    let capacity = rayon::current_num_threads().max(2);
    let (tx, rx) = mpsc::channel(capacity);
    let (chunk_tx, chunk_rx) = sync_channel::<Chunk>(capacity);
    let stopped = Arc::new(AtomicBool::new(false));
    let reader_tx = tx.clone();
    let reader_report = report.clone();
    let reader_stopped = stopped.clone();
    std::thread::spawn(move || {
        for input in inputs.iter() {
            if reader_stopped.load(Ordering::Relaxed) {
                return;
            }
            reader_report.inputs.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = read_input(input, &chunk_tx) {
                let _ = reader_tx.blocking_send(Err(e));
                return;
            }
        }
    });
    std::thread::spawn(move || {
        let _ = chunk_rx.into_iter().par_bridge().try_for_each(|chunk| {
            let result = builder.build(&chunk).map_err(ScanError::from).and_then(|out| {
                report.record(&chunk, &out).map_err(ScanError::Rejects)?;
                Ok(out.batch)
            });
            let failed = result.is_err();
            if tx.blocking_send(result).is_err() || failed {
                stopped.store(true, Ordering::Relaxed);
                return Err(());
            }
            Ok(())
        });
    });
    rx
}

/// Sends the chunks of one input; stops quietly when the parser side is gone.
fn read_input(input: &Input, chunks: &std::sync::mpsc::SyncSender<Chunk>) -> Result<(), ScanError> {
    let name: Arc<str> = input.name().into();
    let reader = open(input)?;
    for chunk in LineChunker::new(reader, name.clone(), CHUNK_BYTES) {
        let chunk = chunk.map_err(|source| ScanError::Read { path: name.to_string(), source })?;
        if chunks.send(chunk).is_err() {
            break;
        }
    }
    Ok(())
}
