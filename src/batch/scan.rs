//! The concurrency seam: an async task fetches remote objects, reader
//! threads open files, decode compressed text and cut it into line-aligned
//! chunks (I/O and decoding stay off the rayon pool and the async runtime),
//! rayon builds one batch per parcel of chunks, and batches flow out
//! through a bounded channel, so memory stays bounded however large the
//! input. Every line becomes a row or a counted rejection.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::error::ArrowError;
use rayon::iter::{ParallelBridge, ParallelIterator};
use tokio::sync::mpsc;

use super::builder::{BatchBuilder, LineTally, Rejected};
use super::gather::{Parcel, SmallBatches};
use super::rejects::RejectsFile;
use crate::chunk::{BufferPool, CHUNK_BYTES, Chunk, LineChunker, WindowChunker};
use crate::source::{Body, BodyReader, Input, LogText, RemoteObject, SourceError, StoreOptions, fetched, open};
use crate::window::TimeSpan;
use futures::StreamExt;
use object_store::ObjectStoreExt;

/// How many rejected lines are kept as examples for the user.
pub const REJECT_SAMPLES: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0} (--skip-failed-objects goes on without it)")]
    Open(SourceError),
    #[error("{path}: read failed: {source}")]
    Read { path: String, source: io::Error },
    #[error("writing rejected lines failed: {0}")]
    Rejects(io::Error),
    #[error("building a batch failed: {0}")]
    Arrow(#[from] ArrowError),
    #[error("starting the parser threads failed: {0}")]
    Threads(rayon::ThreadPoolBuildError),
    #[error("{url}: fetch failed after retries: {message} (--skip-failed-objects goes on without it)")]
    Object { url: String, message: String },
    #[error("{path}: {what} (--skip-failed-objects keeps the lines before it and goes on)")]
    BrokeOff { path: String, what: String },
}

/// How remote objects are fetched.
#[derive(Debug, Clone, Copy)]
pub struct FetchPolicy {
    /// Objects fetched at once.
    pub concurrency: usize,
    /// Count an object that still fails, or a text whose reading breaks off
    /// (keeping the lines before), and go on.
    pub skip_failed: bool,
    /// Objects of more bytes than this are read as they arrive rather than
    /// fetched whole, so that `concurrency` large objects are not all held
    /// in memory at once.
    pub stream_over: u64,
}

/// [`FetchPolicy::stream_over`] unless told otherwise: S3's own log
/// objects are far smaller, and are fetched whole.
pub const STREAM_OVER: u64 = 16 << 20;

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy { concurrency: 64, skip_failed: false, stream_over: STREAM_OVER }
    }
}

impl FetchPolicy {
    /// The policy that `store` asks for.
    pub fn of(store: &StoreOptions) -> Self {
        FetchPolicy { concurrency: store.concurrency, skip_failed: store.skip_failed, ..FetchPolicy::default() }
    }
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
    /// Lines of a lake's sources that its ingest rejected (counted in
    /// `lines`, not in `rejected`: no line of them is read again).
    pub rejected_at_ingest: u64,
    pub lossy_lines: u64,
    pub outside_window: u64,
    /// The earliest and latest times of the records outside the window.
    pub outside_span: Option<TimeSpan>,
    /// Remote objects given up on (with `--skip-failed-objects`).
    pub failed_objects: u64,
    /// Texts read only up to where reading broke off (with
    /// `--skip-failed-objects`).
    pub partly_read: u64,
    /// Remote objects left unread because their key is outside the window.
    pub pruned_objects: u64,
    /// Files and objects the arguments name, whether or not a scan read
    /// them (a query need not read `logs`; ingest skips unchanged ones).
    pub named_inputs: u64,
}

/// The records a scan reads from storage (a lake's Parquet files) rather
/// than parses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredRecords {
    /// Records in the files read.
    pub stored: u64,
    /// Of them, those in the window.
    pub in_window: u64,
    /// Lines of the sources they came from that ingest rejected.
    pub rejected_at_ingest: u64,
    /// The earliest and latest times of the others.
    pub outside_span: Option<TimeSpan>,
}

/// Counters and rejected lines of the scans of one run, shared by threads.
/// A plan that reads `logs` twice (a self-join, an `IN (SELECT ... FROM
/// logs)`) scans every input twice; each input, line and rejection still
/// counts once.
#[derive(Default)]
pub struct ScanReport {
    inputs: AtomicU64,
    bytes: AtomicU64,
    lines: AtomicU64,
    rows: AtomicU64,
    rejected: AtomicU64,
    rejected_at_ingest: AtomicU64,
    lossy_lines: AtomicU64,
    outside_window: AtomicU64,
    outside_span: Mutex<Option<TimeSpan>>,
    failed_objects: AtomicU64,
    partly_read: AtomicU64,
    pruned_objects: AtomicU64,
    named_inputs: AtomicU64,
    /// The objects given up on, and the texts whose reading broke off: URL
    /// and what to tell the user.
    failures: Mutex<Vec<(String, String)>>,
    samples: Mutex<Vec<RejectSample>>,
    rejects_file: Option<Mutex<RejectsFile>>,
    /// The inputs counted so far, by name, and whether any of their lines
    /// was a record.
    counted_inputs: Mutex<HashMap<Arc<str>, bool>>,
    /// The chunks counted so far, by input and first line.
    counted_chunks: Mutex<HashSet<(Arc<str>, u64)>>,
    /// Rejected lines by input, for the inputs that had any.
    rejected_by_input: Mutex<HashMap<Arc<str>, u64>>,
}

impl ScanReport {
    /// `reject_sink` receives every rejected line as
    /// `file:line<TAB>reason<TAB>raw line`, by input name and line number
    /// (up to 64 MiB of them), once [`ScanReport::flush`] is called.
    pub fn new(reject_sink: Option<Box<dyn Write + Send>>) -> Self {
        ScanReport { rejects_file: reject_sink.map(|sink| Mutex::new(RejectsFile::new(sink))), ..Default::default() }
    }

    pub fn totals(&self) -> ScanTotals {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ScanTotals {
            inputs: get(&self.inputs),
            bytes: get(&self.bytes),
            lines: get(&self.lines),
            rows: get(&self.rows),
            rejected: get(&self.rejected),
            rejected_at_ingest: get(&self.rejected_at_ingest),
            lossy_lines: get(&self.lossy_lines),
            outside_window: get(&self.outside_window),
            outside_span: self.outside_span.lock().map_or(None, |span| *span),
            failed_objects: get(&self.failed_objects),
            partly_read: get(&self.partly_read),
            pruned_objects: get(&self.pruned_objects),
            named_inputs: get(&self.named_inputs),
        }
    }

    /// The first few rejected lines by input name and line number, whatever
    /// order the threads met them in.
    pub fn samples(&self) -> Vec<RejectSample> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Writes out and flushes the rejected-lines file.
    pub fn flush(&self) -> io::Result<()> {
        self.with_rejects_file(RejectsFile::flush)
    }

    /// Runs `write` on the rejected-lines file, if there is one.
    fn with_rejects_file(&self, write: impl FnOnce(&mut RejectsFile) -> io::Result<()>) -> io::Result<()> {
        match &self.rejects_file {
            Some(file) => write(&mut *file.lock().map_err(|_| io::Error::other("reject sink poisoned"))?),
            None => Ok(()),
        }
    }

    /// What became of the objects given up on and the texts whose reading
    /// broke off, one sentence each, by URL.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = self.failures.lock().map(|f| f.clone()).unwrap_or_default();
        failures.sort();
        failures.into_iter().map(|(_, told)| told).collect()
    }

    /// Counts what the arguments name: the inputs to read, and the objects
    /// skipped by their key.
    pub fn record_resolved(&self, inputs: u64, pruned_objects: u64) {
        self.named_inputs.fetch_add(inputs, Ordering::Relaxed);
        self.pruned_objects.fetch_add(pruned_objects, Ordering::Relaxed);
    }

    /// Counts an input the first time a scan starts on it.
    fn record_input(&self, name: &Arc<str>) {
        let first = self.counted_inputs.lock().is_ok_and(|mut seen| match seen.entry(name.clone()) {
            Entry::Vacant(slot) => {
                slot.insert(false);
                true
            }
            Entry::Occupied(_) => false,
        });
        if first {
            self.inputs.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The inputs that had lines and not one record among them (every line
    /// rejected), by name: most often not S3 server access logs at all.
    pub fn inputs_without_records(&self) -> Vec<String> {
        let Ok(rejected) = self.rejected_by_input.lock() else { return Vec::new() };
        let Ok(counted) = self.counted_inputs.lock() else { return Vec::new() };
        let mut names: Vec<String> =
            rejected.keys().filter(|name| counted.get(*name) == Some(&false)).map(|name| name.to_string()).collect();
        names.sort();
        names
    }

    /// The lines of `input` rejected so far.
    pub fn rejected_in(&self, input: &str) -> u64 {
        self.rejected_by_input.lock().ok().and_then(|by_input| by_input.get(input).copied()).unwrap_or(0)
    }

    /// True when the object `url` was given up on, or its reading broke off
    /// (`--skip-failed-objects`).
    pub fn gave_up_on(&self, url: &str) -> bool {
        self.failures.lock().is_ok_and(|failures| failures.iter().any(|(failed, _)| failed == url))
    }

    /// Counts the input `name`, which cannot be read (`error`), as skipped
    /// (`--skip-failed-objects`).
    pub fn record_unreadable(&self, name: &str, error: &dyn std::fmt::Display) {
        self.record_input(&name.into());
        self.record_failure(name, format!("skipped {error}"), &self.failed_objects);
    }

    /// Counts the object `url`, whose fetch still failed (`message`), as
    /// skipped.
    fn record_failed(&self, url: &str, message: &str) {
        self.record_unreadable(url, &format_args!("object {url}: {message}"));
    }

    /// Notes what became of the text `url`, and counts it in `count`, once
    /// however many scans read it.
    fn record_failure(&self, url: &str, told: String, count: &AtomicU64) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.iter().all(|(failed, _)| failed != url) {
            count.fetch_add(1, Ordering::Relaxed);
            failures.push((url.to_string(), told));
        }
    }

    /// Deals with a chunk after whose lines reading broke off: ends the scan
    /// with the error, or, when `skip_failed` is set, counts the text as
    /// read in part and goes on, its lines before the break read.
    fn broke_off(&self, chunk: &Chunk, tally: &LineTally, skip_failed: bool) -> Result<(), ScanError> {
        let Some(break_off) = &chunk.broke_off else { return Ok(()) };
        let what = break_off.describe(tally.first_line + tally.lines - 1);
        if !skip_failed {
            return Err(ScanError::BrokeOff { path: chunk.source.to_string(), what });
        }
        let told = format!("{}: {what}; the lines before it are read", chunk.source);
        self.record_failure(&chunk.source, told, &self.partly_read);
        Ok(())
    }

    /// Counts records read from storage (a lake) rather than parsed.
    pub fn record_stored(&self, inputs: u64, records: &StoredRecords) {
        self.inputs.fetch_add(inputs, Ordering::Relaxed);
        self.lines.fetch_add(records.stored + records.rejected_at_ingest, Ordering::Relaxed);
        self.rejected_at_ingest.fetch_add(records.rejected_at_ingest, Ordering::Relaxed);
        self.rows.fetch_add(records.in_window, Ordering::Relaxed);
        self.outside_window.fetch_add(records.stored.saturating_sub(records.in_window), Ordering::Relaxed);
        self.widen_outside_span(records.outside_span);
    }

    fn widen_outside_span(&self, span: Option<TimeSpan>) {
        if span.is_some()
            && let Ok(mut outside) = self.outside_span.lock()
        {
            *outside = TimeSpan::joined(*outside, span);
        }
    }

    fn record(&self, chunk: &Chunk, tally: &LineTally) -> io::Result<()> {
        let first =
            self.counted_chunks.lock().is_ok_and(|mut seen| seen.insert((chunk.source.clone(), tally.first_line)));
        if !first {
            return Ok(());
        }
        self.bytes.fetch_add(chunk.data.len() as u64, Ordering::Relaxed);
        self.lines.fetch_add(tally.lines, Ordering::Relaxed);
        // A record the query's test left out was still read.
        self.rows.fetch_add(tally.rows + tally.failed_test, Ordering::Relaxed);
        self.lossy_lines.fetch_add(tally.lossy_lines, Ordering::Relaxed);
        self.outside_window.fetch_add(tally.outside_window, Ordering::Relaxed);
        self.widen_outside_span(tally.outside_span);
        if tally.rows + tally.failed_test + tally.outside_window > 0
            && let Ok(mut counted) = self.counted_inputs.lock()
            && let Some(has_records) = counted.get_mut(&chunk.source)
        {
            *has_records = true;
        }
        if tally.rejected.is_empty() {
            return Ok(());
        }
        self.rejected.fetch_add(tally.rejected.len() as u64, Ordering::Relaxed);
        if let Ok(mut by_input) = self.rejected_by_input.lock() {
            *by_input.entry(chunk.source.clone()).or_default() += tally.rejected.len() as u64;
        }
        if let Ok(mut samples) = self.samples.lock() {
            keep_first_samples(&mut samples, &chunk.source, &tally.rejected);
        }
        self.with_rejects_file(|file| file.add(&chunk.source, &tally.rejected))
    }
}

/// Where the scan's threads send its batches, or the error that ends it.
type BatchSender = mpsc::Sender<Result<RecordBatch, ScanError>>;
/// Where the readers send parcels of chunks to the parsers.
type ChunkSender = mpsc::Sender<Vec<Chunk>>;

/// A fetched object's name and body, on their way to a reader.
type Fetched = (Arc<str>, Body);

/// Reads `inputs` and yields their batches, built by `builder`, on the
/// returned channel. Dropping the receiver stops the scan.
pub fn spawn_scan(
    inputs: Arc<[Input]>,
    builder: Arc<BatchBuilder>,
    report: Arc<ScanReport>,
    fetch: FetchPolicy,
) -> mpsc::Receiver<Result<RecordBatch, ScanError>> {
    let threads = rayon::current_num_threads();
    let capacity = threads.max(2);
    let (tx, rx) = mpsc::channel(capacity);
    let (chunk_tx, chunk_rx) = mpsc::channel::<Vec<Chunk>>(capacity);
    // Chunks wait in the channel, are parsed, and live on in the batches
    // waiting downstream: enough free buffers for all of those.
    let pool = BufferPool::new(4 * capacity);
    let readers = threads.min(inputs.len());
    let (local, remote): (Vec<Input>, Vec<Input>) =
        inputs.iter().cloned().partition(|i| !matches!(i, Input::Object(_)));
    let fetched = (!remote.is_empty()).then(|| {
        let (fetched_tx, fetched_rx) = mpsc::channel(capacity);
        spawn_fetcher(remote, fetch, fetched_tx, tx.clone(), report.clone());
        fetched_rx
    });
    let texts = Arc::new(Texts::new(local, fetched, report.clone()));
    spawn_readers(texts, readers, fetch.skip_failed, pool, chunk_tx, tx.clone());
    spawn_parsers(threads, chunk_rx, builder, report, fetch.skip_failed, tx);
    rx
}

/// The log texts the readers cut into chunks, each taken by one reader:
/// the local inputs (files, stdin), opened by the reader that takes them,
/// then the objects the fetcher hands over as they arrive.
struct Texts {
    local: Vec<Input>,
    taken: AtomicUsize,
    fetched: Option<Mutex<mpsc::Receiver<Fetched>>>,
    report: Arc<ScanReport>,
}

impl Texts {
    fn new(local: Vec<Input>, fetched: Option<mpsc::Receiver<Fetched>>, report: Arc<ScanReport>) -> Self {
        Texts { local, taken: AtomicUsize::new(0), fetched: fetched.map(Mutex::new), report }
    }

    /// The next text no reader has taken, with its name; waits for the
    /// fetcher when only objects are left, and is `None` once all are taken.
    fn next(&self) -> Option<(Arc<str>, Result<LogText, SourceError>)> {
        if let Some(input) = self.local.get(self.taken.fetch_add(1, Ordering::Relaxed)) {
            let name: Arc<str> = input.name().into();
            self.report.record_input(&name);
            return Some((name, open(input, CHUNK_BYTES as u64)));
        }
        let (name, body) = self.fetched.as_ref()?.lock().unwrap_or_else(PoisonError::into_inner).blocking_recv()?;
        let text = fetched(name.to_string(), body);
        Some((name, text))
    }
}

/// Cuts the texts into chunks on up to `readers` threads of their own, each
/// taking the next text no thread has taken, so that compressed files and
/// objects are decoded side by side; one text's chunks are sent in order,
/// in parcels. A failure to open or read a text ends the scan with its
/// error, but one to open it is counted and the text skipped when
/// `skip_failed` is set.
fn spawn_readers(
    texts: Arc<Texts>,
    readers: usize,
    skip_failed: bool,
    pool: BufferPool,
    chunks: ChunkSender,
    batches: BatchSender,
) {
    for _ in 0..readers {
        let (texts, pool, chunks, batches) = (texts.clone(), pool.clone(), chunks.clone(), batches.clone());
        std::thread::spawn(move || {
            let mut parcel = Parcel::default();
            while let Some((name, text)) = texts.next() {
                let text = match text {
                    Err(e) if skip_failed => {
                        texts.report.record_unreadable(&name, &e);
                        continue;
                    }
                    text => text.map_err(ScanError::Open),
                };
                match text.and_then(|text| send_chunks(text, name, &pool, &mut parcel, &chunks)) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let _ = batches.blocking_send(Err(e));
                        return;
                    }
                }
            }
            if let Some(rest) = parcel.rest() {
                let _ = chunks.blocking_send(rest);
            }
        });
    }
}

/// Adds the lines of `source` in `rejected` (in line order) to `samples`,
/// keeping the first [`REJECT_SAMPLES`] by input name and line number, so
/// that the same run shows the same examples however its chunks were shared
/// out between threads.
fn keep_first_samples(samples: &mut Vec<RejectSample>, source: &Arc<str>, rejected: &[Rejected]) {
    let sample = |r: &Rejected| RejectSample { source: source.clone(), line: r.line, reason: r.error.to_string() };
    samples.extend(rejected.iter().take(REJECT_SAMPLES).map(sample));
    samples.sort_by(|a, b| (&a.source, a.line).cmp(&(&b.source, b.line)));
    samples.truncate(REJECT_SAMPLES);
}

/// Parses the parcels of `chunks` on `threads` rayon workers into batches
/// on `batches`, until the chunks end, a chunk fails or no one reads the
/// batches. A text whose reading broke off fails the scan unless
/// `skip_failed`.
fn spawn_parsers(
    threads: usize,
    mut chunks: mpsc::Receiver<Vec<Chunk>>,
    builder: Arc<BatchBuilder>,
    report: Arc<ScanReport>,
    skip_failed: bool,
    batches: BatchSender,
) {
    std::thread::spawn(move || {
        // A rayon pool of this scan's own: a plan that reads `logs` twice (a
        // self-join) may leave one scan's batches unread until the other
        // ends, and that scan's workers then wait on its full channel. On
        // the shared pool they would be every worker, and the other scan
        // could never run.
        let workers = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(workers) => workers,
            Err(e) => {
                let _ = batches.blocking_send(Err(ScanError::Threads(e)));
                return;
            }
        };
        let parcels = std::iter::from_fn(|| chunks.blocking_recv());
        let small = SmallBatches::default();
        let parsed = workers.install(|| {
            parcels.par_bridge().try_for_each(|parcel| {
                let result = builder.build(&parcel).map_err(ScanError::from).and_then(|parsed| {
                    for (chunk, tally) in parcel.iter().zip(&parsed.tallies) {
                        report.record(chunk, tally).map_err(ScanError::Rejects)?;
                        report.broke_off(chunk, tally, skip_failed)?;
                    }
                    small.add(parsed.batch, &parcel).map_err(ScanError::from)
                });
                send_parsed(&batches, result)
            })
        });
        if parsed.is_ok() {
            let _ = send_parsed(&batches, small.rest().map_err(ScanError::from));
        }
    });
}

/// Sends a parsed batch, if there is one, or the error that ends the scan;
/// an error when the scan is to stop.
fn send_parsed(batches: &BatchSender, parsed: Result<Option<RecordBatch>, ScanError>) -> Result<(), ()> {
    let failed = parsed.is_err();
    let sent = match parsed.transpose() {
        Some(message) => batches.blocking_send(message).is_ok(),
        None => true,
    };
    if failed || !sent { Err(()) } else { Ok(()) }
}

/// Puts the chunks of one input in `parcel`, sending it each time it is
/// full; false when the parser side is gone.
fn send_chunks(
    text: LogText,
    name: Arc<str>,
    pool: &BufferPool,
    parcel: &mut Parcel,
    chunks: &ChunkSender,
) -> Result<bool, ScanError> {
    let read_error = |source| ScanError::Read { path: name.to_string(), source };
    let chunker = chunks_of(text, &name, pool).map_err(read_error)?;
    for chunk in chunker {
        let full = parcel.add(chunk.map_err(read_error)?);
        if full.is_some_and(|full| chunks.blocking_send(full).is_err()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Fetches remote objects, `fetch.concurrency` at once, on the async
/// runtime, and hands each to the readers; decoding and cutting them is the
/// readers' work, off the runtime.
fn spawn_fetcher(
    objects: Vec<Input>,
    fetch: FetchPolicy,
    texts: mpsc::Sender<Fetched>,
    batches: BatchSender,
    report: Arc<ScanReport>,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        let _ = batches.try_send(Err(ScanError::Object { url: "-".into(), message: "no async runtime".into() }));
        return;
    };
    runtime.spawn(async move {
        let mut fetched = futures::stream::iter(objects.into_iter().filter_map(|i| match i {
            Input::Object(o) => Some(o),
            _ => None,
        }))
        .map(|o| async move {
            let body = fetch_body(&o, fetch.stream_over).await;
            (o, body)
        })
        .buffered(fetch.concurrency.max(1));
        while let Some((object, bytes)) = fetched.next().await {
            match hand_over(object, bytes, fetch.skip_failed, &report, &texts).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    let _ = batches.send(Err(e)).await;
                    return;
                }
            }
        }
    });
}

/// The body of `object`: fetched whole when it is `stream_over` bytes or
/// fewer, else to be read as it arrives.
async fn fetch_body(object: &RemoteObject, stream_over: u64) -> object_store::Result<Body> {
    let got = object.store.get(&object.location).await?;
    if object.size > stream_over {
        return Ok(Body::Arriving(BodyReader::start(got.into_stream())));
    }
    Ok(Body::Whole(got.bytes().await?))
}

/// Hands one fetched object to the readers, or, when it failed and
/// `skip_failed` is set, counts it instead; false when the readers are gone.
async fn hand_over(
    object: RemoteObject,
    body: object_store::Result<Body>,
    skip_failed: bool,
    report: &ScanReport,
    texts: &mpsc::Sender<Fetched>,
) -> Result<bool, ScanError> {
    let name: Arc<str> = object.url.clone().into();
    report.record_input(&name);
    match body {
        Ok(body) => Ok(texts.send((name, body)).await.is_ok()),
        Err(e) if skip_failed => {
            report.record_failed(&object.url, &e.to_string());
            Ok(true)
        }
        Err(e) => Err(ScanError::Object { url: object.url, message: e.to_string() }),
    }
}

/// The chunker for `text`: a plain file (of more than one chunk) mapped and
/// text in memory (a file of one chunk, a fetched object) sliced where they
/// lie; a stream read into buffers of the pool.
fn chunks_of(
    text: LogText,
    name: &Arc<str>,
    pool: &BufferPool,
) -> io::Result<Box<dyn Iterator<Item = io::Result<Chunk>>>> {
    Ok(match text {
        LogText::PlainFile { file, len } => Box::new(WindowChunker::mapped(file, len, name.clone(), CHUNK_BYTES)),
        LogText::InMemory(bytes) => Box::new(WindowChunker::in_memory(bytes.into(), name.clone(), CHUNK_BYTES)),
        LogText::Stream(reader) => Box::new(LineChunker::new(reader, name.clone(), CHUNK_BYTES, pool.clone())),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::buffer::Buffer;
    use datafusion::arrow::datatypes::Int64Type;
    use object_store::ObjectStore;
    use object_store::local::LocalFileSystem;
    use object_store::path::Path as ObjectPath;

    use super::*;
    use crate::schema::{Column, projected_schema};

    /// Rows per `source_file`: (file, rows, sum of `source_line`, largest).
    async fn lines_by_object(objects: &[Input], fetch: FetchPolicy) -> Vec<(String, u64, i64, i64)> {
        let columns: Arc<[Column]> = [Column::SourceFile, Column::SourceLine].into();
        let builder = Arc::new(BatchBuilder::new(columns.clone(), projected_schema(&columns)));
        let mut batches = spawn_scan(objects.into(), builder, Arc::new(ScanReport::default()), fetch);
        let mut by_object = std::collections::BTreeMap::<String, (u64, i64, i64)>::new();
        while let Some(batch) = batches.recv().await {
            let batch = batch.expect("scan");
            let files = batch.column(0).as_string_view();
            let lines = batch.column(1).as_primitive::<Int64Type>();
            for (file, line) in files.iter().zip(lines.values()) {
                let seen = by_object.entry(file.expect("a file name").to_string()).or_default();
                *seen = (seen.0 + 1, seen.1 + line, seen.2.max(*line));
            }
        }
        by_object.into_iter().map(|(file, (rows, sum, last))| (file, rows, sum, last)).collect()
    }

    #[test]
    fn the_rejected_lines_shown_are_the_first_by_input_and_line_whatever_order_chunks_finish_in() {
        let bad_lines = |count: usize| Buffer::from_vec("not a log line\n".repeat(count).into_bytes());
        let chunks = [
            Chunk::new("b.log".into(), 1, bad_lines(3)),
            Chunk::new("a.log".into(), 20, bad_lines(2)),
            Chunk::new("a.log".into(), 7, bad_lines(2)),
        ];
        let columns: Arc<[Column]> = [Column::SourceLine].into();
        let parsed = BatchBuilder::new(columns.clone(), projected_schema(&columns)).build(&chunks).expect("parse");
        let report = ScanReport::default();
        for (chunk, tally) in chunks.iter().zip(&parsed.tallies) {
            report.record(chunk, tally).expect("record");
        }
        let shown: Vec<_> = report.samples().iter().map(|s| format!("{}:{}", s.source, s.line)).collect();
        assert_eq!(shown, ["a.log:7", "a.log:8", "a.log:20", "a.log:21", "b.log:1"]);
        assert_eq!(report.totals().rejected, 7);
        assert!(report.samples()[0].reason.contains("field `"), "{:?}", report.samples()[0].reason);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_body_that_breaks_off_while_it_arrives_ends_in_its_whole_lines_and_the_error() {
        let broken = object_store::Error::Generic { store: "S3", source: "connection reset".into() };
        let pieces = [Ok(bytes::Bytes::from_static(b"one\ntwo\nthr")), Err(broken)];
        let body = Body::Arriving(BodyReader::start(futures::stream::iter(pieces).boxed()));
        // Read as the readers read it: off the runtime.
        let chunks = tokio::task::spawn_blocking(move || {
            let name: Arc<str> = "s3://logs/cut".into();
            let text = fetched(name.to_string(), body).expect("a text");
            chunks_of(text, &name, &BufferPool::new(2)).expect("chunker").collect::<io::Result<Vec<_>>>()
        })
        .await
        .expect("chunker thread")
        .expect("chunks");
        let [chunk] = &chunks[..] else { panic!("{chunks:?}") };
        assert_eq!(&chunk.data[..], b"one\ntwo\n");
        let break_off = chunk.broke_off.as_ref().expect("the break is told");
        assert_eq!(break_off.torn_bytes, 3);
        assert_eq!(
            break_off.describe(2),
            "reading broke off after line 2 (3 bytes of line 3 left out): Generic S3 error: connection reset"
        );
    }

    #[test]
    fn objects_given_up_on_are_listed_by_url_whatever_order_they_failed_in() {
        let report = ScanReport::default();
        report.record_failed("s3://logs/b", "timed out");
        report.record_failed("s3://logs/a", "broken body");
        report.record_failed("s3://logs/a", "broken body");
        assert_eq!(
            report.failures(),
            ["skipped object s3://logs/a: broken body", "skipped object s3://logs/b: timed out"]
        );
        assert_eq!(report.totals().failed_objects, 2);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn objects_read_as_they_arrive_give_the_rows_of_objects_fetched_whole() {
        // A sample log object repeated past one chunk, stored plain and
        // gzipped, read from a real (local) object store.
        let sample =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/legacy/2026-11-22-02-10-00-0F1E2D3C4B5A6978");
        let text = std::fs::read(sample).expect("sample log").repeat(2_500);
        assert!(text.len() > CHUNK_BYTES, "the text must be more than one chunk");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&text).expect("gzip");
        std::fs::write(dir.path().join("plain.log"), &text).expect("write");
        std::fs::write(dir.path().join("packed.gz"), gzip.finish().expect("gzip")).expect("write");
        let store: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("store"));
        let objects: Vec<Input> = ["plain.log", "packed.gz"]
            .iter()
            .map(|name| {
                let size = std::fs::metadata(dir.path().join(name)).expect("stat").len();
                let (location, url) = (ObjectPath::from(*name), format!("file:///{name}"));
                Input::Object(RemoteObject { store: store.clone(), location, size, modified: 0, url })
            })
            .collect();
        let lines = 5 * 2_500;
        let expected: Vec<_> = ["packed.gz", "plain.log"]
            .iter()
            .map(|name| (format!("file:///{name}"), lines as u64, lines * (lines + 1) / 2, lines))
            .collect();
        let whole = FetchPolicy { stream_over: u64::MAX, ..FetchPolicy::default() };
        let arriving = FetchPolicy { stream_over: 0, ..FetchPolicy::default() };
        assert_eq!(lines_by_object(&objects, whole).await, expected);
        assert_eq!(lines_by_object(&objects, arriving).await, expected);
    }
}
