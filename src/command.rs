//! The commands behind the CLI, as library calls: each takes plain options,
//! wires the pipeline stages together and writes its output, so the binary
//! only parses arguments and maps errors to exit codes.

use std::fs::File;
use std::future::Future;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::error::DataFusionError;

use crate::batch::{BatchBuilder, FetchPolicy, spawn_scan};
use crate::batch::{RejectSample, ScanReport, ScanTotals};
use crate::counts::{counted, grouped};
use crate::progress::Progress;
use crate::report::catalog::CatalogError;
use crate::report::render::{ReportDocument, ReportFormat, counted_rows, render, span_text};
use crate::report::slack::{SlackMessage, slack_payload};
use crate::report::{
    OutputFormat, RenderError, Report, ReportResult, RunError, Severity, Timeline, catalog, redact_batch, run_reports,
    select, write_batches,
};
use crate::schema::logs_schema;
use crate::schema::{Column, projected_schema};
use crate::sink::file::AtomicFile;
use crate::sink::lake::{Engine, GroupSource, LakeError, LakeWriter, SourceOutcome, SourceVersion, ddl as lake_ddl};
use crate::sink::slack::{DeliveryPolicy, SlackError, Webhook, post};
use crate::source::Input;
use crate::source::manifest::names_a_lake;
use crate::source::{Identified, SourceError, StoreOptions, is_remote, local_arg, resolve_all};
use crate::table::{Logs, LogsError, TABLE_NAME, session_config, session_with};
use crate::window::TimeWindow;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A query or report failed; the message is DataFusion's innermost
    /// error (an input error keeps its own words), after the report's name.
    #[error("{0}")]
    Query(String),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{path}: {source}")]
    File { path: String, source: io::Error },
    #[error("{path}: {source} (--skip-failed-objects goes on without it)")]
    Unreadable { path: String, source: io::Error },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Logs(#[from] LogsError),
    #[error(transparent)]
    Slack(#[from] SlackError),
    #[error("reports found rows at or above the chosen severity: {0}")]
    Findings(String),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("ingest reads files (stdin has no name to remember in the lake's manifest)")]
    StdinIngest,
    #[error("{0}: a lake written by `s3logq ingest`; ingest reads raw logs (query and report read the lake)")]
    LakeIngest(String),
    #[error("{} rejected and --strict is set (see them with --rejects FILE)", counted(*.0, "line"))]
    Strict(u64),
}

impl From<DataFusionError> for CommandError {
    fn from(e: DataFusionError) -> Self {
        CommandError::Query(innermost(&e))
    }
}

impl From<RunError> for CommandError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Input(e) => e.into(),
            RunError::Report { report, source } => CommandError::Query(format!("{report}: {}", innermost(&source))),
        }
    }
}

/// DataFusion's innermost error (an input error keeps its own words); a
/// table it does not know is told which one it does.
fn innermost(e: &DataFusionError) -> String {
    match e.find_root() {
        DataFusionError::External(inner) => inner.to_string(),
        DataFusionError::Plan(msg) if msg.starts_with("table '") && msg.ends_with("' not found") => {
            format!("{msg} (the inputs are the table `{TABLE_NAME}`; `s3logq schema` lists its columns)")
        }
        root => root.strip_backtrace(),
    }
}

impl CommandError {
    fn file(path: &Path, source: io::Error) -> Self {
        CommandError::File { path: path.display().to_string(), source }
    }
}

/// Where rejected lines go and whether any is an error.
#[derive(Debug, Clone, Default)]
pub struct RejectPolicy {
    /// Write every rejected line here.
    pub rejects_file: Option<PathBuf>,
    /// Fail the run when any line is rejected.
    pub strict: bool,
}

/// What a scan read, for the summary on stderr.
#[derive(Debug, Clone, Default)]
pub struct ScanSummary {
    pub totals: ScanTotals,
    pub samples: Vec<RejectSample>,
    /// Remote objects given up on, as `url: error`.
    pub failures: Vec<String>,
    /// The inputs resolved to no file at all (an empty folder or bucket
    /// prefix) and the run went on; not set when it failed, whose error
    /// then says what went wrong.
    pub no_files: bool,
    /// The inputs every line of which was rejected, by name.
    pub inputs_without_records: Vec<String>,
}

/// What to read and how to treat it, shared by the commands that read logs.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Files, folders, glob patterns, bucket URLs or `-`.
    pub inputs: Vec<String>,
    pub window: TimeWindow,
    pub rejects: RejectPolicy,
    pub store: StoreOptions,
    /// No progress bar, even on a terminal.
    pub quiet: bool,
}

/// Options of `s3logq query`.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    pub sql: String,
    pub scan: ScanOptions,
    pub format: OutputFormat,
    pub output: Option<PathBuf>,
    /// Leave signatures and session tokens in the output.
    pub unredacted: bool,
}

/// Options of `s3logq report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub scan: ScanOptions,
    /// Run only these reports (all when empty).
    pub only: Vec<String>,
    /// A folder of extra or overriding `*.sql` reports.
    pub queries_dir: Option<PathBuf>,
    pub format: ReportFormat,
    pub output: Option<PathBuf>,
    /// Rows shown per report in text, Markdown and HTML.
    pub max_rows: usize,
    /// Post to Slack instead of writing the report.
    pub slack: Option<SlackOptions>,
    /// Fail (exit 1) when a report at or above this severity found rows.
    pub fail_on: Option<Severity>,
}

/// Options of the Slack delivery.
#[derive(Debug, Clone, Default)]
pub struct SlackOptions {
    /// Read the webhook URL from this file instead of the environment.
    pub webhook_file: Option<PathBuf>,
    /// Print the payload instead of sending it.
    pub dry_run: bool,
    pub delivery: DeliveryPolicy,
}

fn scan_report(policy: &RejectPolicy) -> Result<Arc<ScanReport>, CommandError> {
    let sink = match &policy.rejects_file {
        Some(path) => {
            let file = File::create(path).map_err(|e| CommandError::file(path, e))?;
            Some(Box::new(BufWriter::new(file)) as Box<dyn Write + Send>)
        }
        None => None,
    };
    Ok(Arc::new(ScanReport::new(sink)))
}

/// Where `query` and `report` write: stdout, or a file (`-o`) that appears
/// whole once the run succeeds.
enum Output {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File(AtomicFile),
}

impl Output {
    /// Opened before the scan, so that a path that cannot be written fails
    /// at once rather than after it.
    fn open(path: Option<&Path>) -> Result<Output, CommandError> {
        Ok(match path {
            Some(p) => Output::File(AtomicFile::create(p).map_err(|e| CommandError::file(p, e))?),
            None => Output::Stdout(BufWriter::new(io::stdout().lock())),
        })
    }

    /// Flushes what was written, and puts a file in place.
    fn finish(self) -> Result<(), CommandError> {
        match self {
            Output::Stdout(mut out) => Ok(out.flush().map_err(RenderError::from)?),
            Output::File(file) => {
                let path = file.path().to_path_buf();
                file.commit().map_err(|e| CommandError::file(&path, e))
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::File(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File(file) => file.flush(),
        }
    }
}

/// Runs `body` over the table `logs` of `scan`, then gathers what the scan
/// read. The summary is returned even when the run fails.
async fn with_scan<F, Fut>(scan: &ScanOptions, body: F) -> (ScanSummary, Result<(), CommandError>)
where
    F: FnOnce(Logs, Arc<ScanReport>) -> Fut,
    Fut: Future<Output = Result<(), CommandError>>,
{
    let report = match scan_report(&scan.rejects) {
        Ok(r) => r,
        Err(e) => return (ScanSummary::default(), Err(e)),
    };
    let listing = listing_progress(scan);
    let opened = Logs::open(&scan.inputs, scan.window, &scan.store, report.clone()).await;
    drop(listing);
    let result = match opened {
        Ok(logs) => {
            let progress = Progress::scan(&report, || logs.input_bytes(), scan.quiet);
            let result = body(logs, report.clone()).await;
            drop(progress);
            result
        }
        Err(e) => Err(e.into()),
    };
    finish_scan(&report, &scan.rejects, result)
}

/// Flushes the rejected-lines file, gathers the summary and applies
/// `--strict` to the run's result.
fn finish_scan<T>(
    report: &ScanReport,
    policy: &RejectPolicy,
    result: Result<T, CommandError>,
) -> (ScanSummary, Result<T, CommandError>) {
    let totals = report.totals();
    let no_files = result.is_ok() && totals.named_inputs == 0 && totals.inputs == 0 && totals.pruned_objects == 0;
    let summary = ScanSummary {
        totals,
        samples: report.samples(),
        failures: report.failures(),
        no_files,
        inputs_without_records: report.inputs_without_records(),
    };
    let flushed = match &policy.rejects_file {
        Some(path) => report.flush().map_err(|e| CommandError::file(path, e)),
        None => Ok(()),
    };
    let rejected = summary.totals.rejected;
    let result = result.and_then(|o| flushed.map(|()| o)).and_then(|o| match policy.strict && rejected > 0 {
        true => Err(CommandError::Strict(rejected)),
        false => Ok(o),
    });
    (summary, result)
}

/// Keys listed, shown while the inputs are resolved if any is a bucket URL.
fn listing_progress(scan: &ScanOptions) -> Option<Progress> {
    let remote = scan.inputs.iter().any(|input| is_remote(input));
    Progress::listing(&scan.store.listed_keys, scan.quiet || !remote)
}

/// Runs one SQL statement over the table `logs` built from the inputs.
pub async fn query(opts: &QueryOptions) -> (ScanSummary, Result<(), CommandError>) {
    let mut out = match Output::open(opts.output.as_deref()) {
        Ok(out) => out,
        Err(e) => return (ScanSummary::default(), Err(e)),
    };
    with_scan(&opts.scan, |logs, _| async move {
        let (table, parses_raw) = logs.provider()?;
        let ctx = session_with(table, session_config(parses_raw))?;
        let batches = ctx.sql(&opts.sql).await?.collect().await?;
        let batches = if opts.unredacted {
            batches
        } else {
            batches.iter().map(redact_batch).collect::<Result<Vec<_>, _>>().map_err(RenderError::from)?
        };
        write_batches(opts.format, &batches, &mut out)?;
        out.finish()
    })
    .await
}

/// Runs the named reports over one parse of the inputs, then writes them,
/// or posts them to Slack.
pub async fn report(opts: &ReportOptions) -> (ScanSummary, Result<(), CommandError>) {
    // The HTML page also shows the records over time, from the same parse.
    let timeline = opts.slack.is_none() && opts.format == ReportFormat::Html;
    let queries = catalog(opts.queries_dir.as_deref())
        .and_then(|all| select(all, &opts.only))
        .and_then(|reports| with_timeline_query(reports, timeline));
    let queries = match queries {
        Ok(q) => q,
        Err(e) => return (ScanSummary::default(), Err(e.into())),
    };
    let destination = match &opts.slack {
        Some(slack) => Destination::Slack(slack),
        None => match Output::open(opts.output.as_deref()) {
            Ok(out) => Destination::Writer(out),
            Err(e) => return (ScanSummary::default(), Err(e)),
        },
    };
    let queries = &queries;
    with_scan(&opts.scan, |logs, scan| async move {
        let (table, _) = logs.provider()?;
        let (results, timeline) = split_timeline(run_reports(queries, table).await?, timeline)?;
        let reports = &queries[..results.len()];
        let doc = ReportDocument {
            results: &results,
            totals: scan.totals(),
            window: opts.scan.window,
            max_rows: opts.max_rows,
            timeline: timeline.as_ref(),
        };
        match destination {
            Destination::Writer(mut out) => {
                render(opts.format, &doc, &mut out)?;
                out.finish()?;
            }
            Destination::Slack(slack) => {
                let previous_logs = logs.previous_window().await?;
                post_to_slack(slack, &doc, &opts.scan.inputs, reports, previous_logs).await?
            }
        }
        check_findings(&results, opts.fail_on)
    })
    .await
}

/// `reports`, then the timeline's query when `timeline` is asked for.
fn with_timeline_query(mut reports: Vec<Report>, timeline: bool) -> Result<Vec<Report>, CatalogError> {
    if timeline {
        reports.push(Timeline::query()?);
    }
    Ok(reports)
}

/// The reports' results and, when its query ran last, the timeline.
fn split_timeline(
    mut results: Vec<ReportResult>,
    timeline: bool,
) -> Result<(Vec<ReportResult>, Option<Timeline>), CommandError> {
    let last = if timeline { results.pop() } else { None };
    let timeline = last.map(|r| Timeline::from_result(&r)).transpose().map_err(DataFusionError::from)?.flatten();
    Ok((results, timeline))
}

/// Where a report goes: a file or stdout, or Slack.
enum Destination<'a> {
    Writer(Output),
    Slack(&'a SlackOptions),
}

async fn post_to_slack(
    slack: &SlackOptions,
    doc: &ReportDocument<'_>,
    inputs: &[String],
    reports: &[Report],
    previous_logs: Option<(Logs, Arc<ScanReport>)>,
) -> Result<(), CommandError> {
    // The previous window of the same length, when the input covers it.
    let previous = match previous_logs {
        Some((logs, seen)) => {
            let (table, _) = logs.provider()?;
            let results = run_reports(reports, table).await?;
            (seen.totals().rows > 0).then_some(results)
        }
        None => None,
    };
    let message = SlackMessage { doc, inputs: &inputs.join(", "), previous: previous.as_deref() };
    let payload = slack_payload(&message)?;
    if slack.dry_run {
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &payload).map_err(io::Error::from).map_err(RenderError::from)?;
        writeln!(out).map_err(RenderError::from)?;
        return Ok(());
    }
    let hook = Webhook::locate(slack.webhook_file.as_deref())?;
    let attempts = post(&hook, &payload, &slack.delivery).await?;
    eprintln!(
        "s3logq: report posted to Slack ({} blocks, {attempts} attempt(s))",
        payload["blocks"].as_array().map_or(0, Vec::len)
    );
    Ok(())
}

fn check_findings(results: &[ReportResult], fail_on: Option<Severity>) -> Result<(), CommandError> {
    let Some(level) = fail_on else { return Ok(()) };
    let hits: Vec<String> = results
        .iter()
        .filter(|r| r.report.severity >= level && r.total_rows > 0)
        .map(|r| format!("{} ({})", r.report.name, counted_rows(r.total_rows)))
        .collect();
    if hits.is_empty() { Ok(()) } else { Err(CommandError::Findings(hits.join(", "))) }
}

/// Options of `s3logq ingest`.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub scan: ScanOptions,
    /// The lake folder.
    pub dest: PathBuf,
    /// Drop records delivered twice (same request id, host id, operation, key).
    pub dedupe: bool,
    /// Sources read together and committed at once (at most 256 MiB of them).
    pub commit_every: usize,
}

/// What an ingest run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    pub ingested: usize,
    pub unchanged: usize,
    pub rows: u64,
    pub lake_rows: u64,
    pub lake_files: usize,
}

/// The most log bytes (as stored) read into one group of lake files and
/// committed at once, whatever `commit_every` allows; a larger source is a
/// group of its own.
const COMMIT_BYTES: u64 = 256 << 20;

/// The size and modification time of the input file at `path`.
fn file_version(path: &Path) -> io::Result<SourceVersion> {
    let meta = std::fs::metadata(path)?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    Ok(SourceVersion { size: meta.len(), modified })
}

/// Parses the inputs into the lake at `dest`: new and changed sources only,
/// each exactly once, safe to kill at any moment and run again. Blocking:
/// call it off the async runtime.
pub fn ingest(opts: &IngestOptions) -> (ScanSummary, Result<IngestOutcome, CommandError>) {
    let report = match scan_report(&opts.scan.rejects) {
        Ok(r) => r,
        Err(e) => return (ScanSummary::default(), Err(e)),
    };
    let result = run_ingest(opts, &report);
    finish_scan(&report, &opts.scan.rejects, result)
}

fn run_ingest(opts: &IngestOptions, report: &Arc<ScanReport>) -> Result<IngestOutcome, CommandError> {
    let scan = &opts.scan;
    if let Some(lake) = scan.inputs.iter().find(|a| names_a_lake(a) && !names_the_folder(a, &opts.dest)) {
        return Err(CommandError::LakeIngest(lake.clone()));
    }
    let runtime = tokio::runtime::Handle::current();
    let listing = listing_progress(scan);
    let (inputs, pruned) = runtime.block_on(resolve_all(&scan.inputs, &scan.store, &scan.window))?;
    drop(listing);
    report.record_resolved(inputs.len() as u64, pruned as u64);
    let fetch = FetchPolicy::of(&scan.store);
    let mut lake = LakeWriter::open(&opts.dest, opts.dedupe)?;
    let columns: Arc<[Column]> = Column::ALL.into();
    let builder = Arc::new(BatchBuilder::new(columns.clone(), projected_schema(&columns)).with_window(scan.window));
    let mut outcome = IngestOutcome::default();
    let unchanged = Arc::new(AtomicU64::new(0));
    let _progress = Progress::ingest(report, &unchanged, inputs.len() as u64, scan.quiet);
    let skip_unreadable = scan.store.skip_failed.then_some(&**report);
    let todo = new_or_changed(inputs, &lake, &unchanged, skip_unreadable)?;
    outcome.unchanged = unchanged.load(Ordering::Relaxed) as usize;
    for group in commit_groups(todo, opts.commit_every) {
        let (inputs, sources): (Vec<Input>, Vec<GroupSource>) = group.into_iter().unzip();
        let mut batches = spawn_scan(inputs.into(), builder.clone(), report.clone(), fetch);
        let (entered, rows) =
            lake.write_group(&sources, std::iter::from_fn(|| batches.blocking_recv()), |source_file| SourceOutcome {
                rejected: report.rejected_in(source_file),
                gave_up: report.gave_up_on(source_file),
            })?;
        lake.commit()?;
        outcome.ingested += entered;
        outcome.rows += rows;
    }
    outcome.lake_rows = lake.manifest().rows();
    outcome.lake_files = lake.manifest().files().count();
    Ok(outcome)
}

/// True when the input `arg` names the folder `dest`: a lake kept in the
/// very folder it is fed from, whose walk leaves the lake's own files out.
fn names_the_folder(arg: &str, dest: &Path) -> bool {
    let path = Path::new(local_arg(arg));
    matches!((path.canonicalize(), dest.canonicalize()), (Ok(arg), Ok(dest)) if arg == dest)
}

/// The inputs that are new to the lake or changed since they were
/// ingested, each with what the lake will know it by; the others are
/// counted in `unchanged`. A file that cannot be looked at fails the run,
/// or is counted in `skip_unreadable` (`--skip-failed-objects`) and left
/// for the next run.
fn new_or_changed(
    inputs: Vec<Identified>,
    lake: &LakeWriter,
    unchanged: &AtomicU64,
    skip_unreadable: Option<&ScanReport>,
) -> Result<Vec<(Input, GroupSource)>, CommandError> {
    let mut todo = Vec::new();
    for Identified { input, identity: name } in inputs {
        let version = match &input {
            Input::File(path) => match (file_version(path), skip_unreadable) {
                (Ok(version), _) => version,
                (Err(e), Some(report)) => {
                    report.record_unreadable(&input.name(), &CommandError::file(path, e));
                    continue;
                }
                (Err(source), None) => {
                    return Err(CommandError::Unreadable { path: path.display().to_string(), source });
                }
            },
            Input::Object(o) => SourceVersion { size: o.size, modified: o.modified },
            Input::Stdin => return Err(CommandError::StdinIngest),
        };
        if lake.needs(&name, version) {
            let source_file = input.name();
            todo.push((input, GroupSource { name, source_file, version }));
        } else {
            unchanged.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(todo)
}

/// `todo` in groups to read together and commit at once: at most `count`
/// sources and [`COMMIT_BYTES`] (or one larger source).
fn commit_groups<T>(todo: Vec<(T, GroupSource)>, count: usize) -> Vec<Vec<(T, GroupSource)>> {
    let mut groups: Vec<Vec<(T, GroupSource)>> = Vec::new();
    let mut bytes = 0;
    for (item, source) in todo {
        let size = source.version.size;
        match groups.last_mut() {
            Some(group) if group.len() < count && bytes + size <= COMMIT_BYTES => {
                bytes += size;
                group.push((item, source));
            }
            _ => {
                bytes = size;
                groups.push(vec![(item, source)]);
            }
        }
    }
    groups
}

/// Writes the table definition of a lake for another engine.
pub fn ddl(engine: Engine, location: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(lake_ddl(engine, location).as_bytes())
}

/// Lists the reports: name, severity and title.
pub fn list_reports(queries_dir: Option<&Path>, out: &mut dyn Write) -> Result<(), CommandError> {
    let reports = catalog(queries_dir)?;
    let width = reports.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in reports {
        writeln!(out, "{:width$}  {:8}  {}", r.name, r.severity.as_str(), r.title).map_err(RenderError::from)?;
    }
    Ok(())
}

/// Writes the `logs` columns and their types.
pub fn schema(out: &mut dyn Write) -> io::Result<()> {
    let schema = logs_schema();
    let width = schema.fields().iter().map(|f| f.name().len()).max().unwrap_or(0);
    for f in schema.fields() {
        let null = if f.is_nullable() { "" } else { " not null" };
        writeln!(out, "{:width$}  {}{null}", f.name(), f.data_type())?;
    }
    Ok(())
}

/// Writes what the scan could not read or use: inputs given up on, a window
/// that no record read lies in (and when those read were), lines with
/// invalid UTF-8, and the rejected-line examples with their one-line summary
/// (nothing when every line was a record in the window).
pub fn write_scan_summary(summary: &ScanSummary, out: &mut dyn Write) -> io::Result<()> {
    let t = &summary.totals;
    for failure in &summary.failures {
        writeln!(out, "s3logq: {failure}")?;
    }
    if let (0, Some(span)) = (t.rows, t.outside_span) {
        let read = counted(t.outside_window, "record");
        writeln!(out, "s3logq: no record read lies in the window; the {read} read date from {}", span_text(span))?;
    }
    if t.failed_objects > 0 || t.pruned_objects > 0 || t.partly_read > 0 {
        write_objects_read(t, out)?;
    }
    if summary.no_files {
        writeln!(out, "s3logq: the inputs hold no files (an empty folder or bucket prefix?)")?;
    }
    if t.lossy_lines > 0 {
        writeln!(out, "s3logq: {} held invalid UTF-8, replaced with U+FFFD", counted(t.lossy_lines, "line"))?;
    }
    if t.rejected > 0 {
        write_rejected(summary, out)?;
    }
    Ok(())
}

/// How many objects were read, skipped and given up on, where any was not
/// simply read whole.
fn write_objects_read(t: &ScanTotals, out: &mut dyn Write) -> io::Result<()> {
    let partly = match t.partly_read {
        0 => String::new(),
        n => format!(", {} only in part", grouped(n)),
    };
    writeln!(
        out,
        "s3logq: {} read ({} bytes of log text){partly}, {} skipped by their key's time, {} failed",
        counted(t.inputs - t.failed_objects, "object"),
        grouped(t.bytes),
        grouped(t.pruned_objects),
        grouped(t.failed_objects)
    )
}

/// The first rejected lines, then how many there were in all.
fn write_rejected(summary: &ScanSummary, out: &mut dyn Write) -> io::Result<()> {
    let t = &summary.totals;
    for s in &summary.samples {
        writeln!(out, "s3logq: {}:{}: {}", s.source, s.line, s.reason)?;
    }
    let more = t.rejected.saturating_sub(summary.samples.len() as u64);
    let more = if more > 0 { format!(", {} more not shown", grouped(more)) } else { String::new() };
    writeln!(
        out,
        "s3logq: {} rejected of {} read from {}{more}",
        counted(t.rejected, "line"),
        grouped(t.lines),
        counted(t.inputs, "input")
    )?;
    write_inputs_without_records(summary, out)
}

/// Says which inputs held no record at all, most often because they are not
/// S3 server access logs (the wrong bucket, folder or prefix), rather than
/// leave the user to tell it from the reasons line by line.
fn write_inputs_without_records(summary: &ScanSummary, out: &mut dyn Write) -> io::Result<()> {
    const OTHER_LOGS: &str = "(CloudTrail, CloudFront and load balancer logs have other formats)";
    let t = &summary.totals;
    if t.rejected == t.lines {
        return writeln!(
            out,
            "s3logq: no line read is an S3 server access log record: are these S3 server access logs? {OTHER_LOGS}"
        );
    }
    let Some(first) = summary.inputs_without_records.first() else { return Ok(()) };
    let (more, they) = match summary.inputs_without_records.len() - 1 {
        0 => (String::new(), "is it an S3 server access log?"),
        n => (format!(", nor of {}", counted(n as u64, "more input")), "are they S3 server access logs?"),
    };
    writeln!(out, "s3logq: no line of {first} is an S3 server access log record{more}: {they} {OTHER_LOGS}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_grouped_by_count_and_by_bytes() {
        let source = |n: usize, size: u64| {
            (
                n,
                GroupSource {
                    name: n.to_string(),
                    source_file: n.to_string(),
                    version: SourceVersion { size, modified: 0 },
                },
            )
        };
        let numbers = |groups: Vec<Vec<(usize, GroupSource)>>| -> Vec<Vec<usize>> {
            groups.into_iter().map(|g| g.into_iter().map(|(n, _)| n).collect()).collect()
        };
        let small: Vec<_> = (0..7).map(|n| source(n, 10)).collect();
        assert_eq!(numbers(commit_groups(small, 3)), [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let half = COMMIT_BYTES / 2;
        let sized = vec![source(0, half), source(1, half), source(2, 1), source(3, 2 * COMMIT_BYTES), source(4, 1)];
        assert_eq!(numbers(commit_groups(sized, 100)), [vec![0, 1], vec![2], vec![3], vec![4]]);
        assert!(commit_groups(Vec::<(usize, GroupSource)>::new(), 3).is_empty());
    }

    #[tokio::test]
    async fn a_query_of_another_table_is_told_the_table_it_may_query() {
        let ctx = datafusion::prelude::SessionContext::new();
        let error = ctx.sql("SELECT count(*) FROM log").await.unwrap_err();
        assert_eq!(
            CommandError::from(error).to_string(),
            "table 'datafusion.public.log' not found (the inputs are the table `logs`; `s3logq schema` lists its columns)"
        );
        let error = ctx.sql("SELECT nope()").await.unwrap_err();
        assert!(!CommandError::from(error).to_string().contains("the inputs are"));
    }
}
