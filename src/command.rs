//! The commands behind the CLI, as library calls: each takes plain options,
//! wires the pipeline stages together and writes its output, so the binary
//! only parses arguments and maps errors to exit codes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::error::DataFusionError;

use crate::batch::{RejectSample, ScanReport, ScanTotals};
use crate::report::{OutputFormat, RenderError, redact_batch, write_batches};
use crate::schema::logs_schema;
use crate::source::{SourceError, resolve_inputs};
use crate::table::session;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0}")]
    Query(#[from] DataFusionError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{path}: {source}")]
    File { path: String, source: io::Error },
    #[error("{0} lines rejected and --strict is set (see them with --rejects FILE)")]
    Strict(u64),
}

impl CommandError {
    fn file(path: &Path, source: io::Error) -> Self {
        CommandError::File {
            path: path.display().to_string(),
            source,
        }
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
}

/// Options of `s3logq query`.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    pub sql: String,
    pub inputs: Vec<String>,
    pub format: OutputFormat,
    pub output: Option<PathBuf>,
    pub rejects: RejectPolicy,
    /// Leave signatures and session tokens in the output.
    pub unredacted: bool,
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

fn finish_scan(report: &ScanReport, policy: &RejectPolicy) -> Result<ScanSummary, CommandError> {
    if let Some(path) = &policy.rejects_file {
        report.flush().map_err(|e| CommandError::file(path, e))?;
    }
    Ok(ScanSummary {
        totals: report.totals(),
        samples: report.samples(),
    })
}

fn open_output(path: Option<&Path>) -> Result<Box<dyn Write>, CommandError> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).map_err(|e| CommandError::file(p, e))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// Runs one SQL statement over the table `logs` built from the inputs.
/// The summary is returned even when `--strict` fails the run.
pub async fn query(opts: &QueryOptions) -> (ScanSummary, Result<(), CommandError>) {
    let report = match scan_report(&opts.rejects) {
        Ok(r) => r,
        Err(e) => return (ScanSummary::default(), Err(e)),
    };
    let result = run_query(opts, &report).await;
    match finish_scan(&report, &opts.rejects) {
        Ok(summary) => {
            let strict = opts.rejects.strict && summary.totals.rejected > 0;
            let result = result.and_then(|()| {
                if strict {
                    Err(CommandError::Strict(summary.totals.rejected))
                } else {
                    Ok(())
                }
            });
            (summary, result)
        }
        Err(e) => (ScanSummary::default(), result.and(Err(e))),
    }
}

async fn run_query(opts: &QueryOptions, report: &Arc<ScanReport>) -> Result<(), CommandError> {
    let inputs = resolve_inputs(&opts.inputs)?;
    let ctx = session(inputs, report.clone())?;
    let batches = ctx.sql(&opts.sql).await?.collect().await?;
    let batches = if opts.unredacted {
        batches
    } else {
        batches
            .iter()
            .map(redact_batch)
            .collect::<Result<Vec<_>, _>>()
            .map_err(RenderError::from)?
    };
    let mut out = open_output(opts.output.as_deref())?;
    write_batches(opts.format, &batches, &mut out)?;
    out.flush().map_err(RenderError::from)?;
    Ok(())
}

/// Writes the `logs` columns and their types.
pub fn schema(out: &mut dyn Write) -> io::Result<()> {
    let schema = logs_schema();
    let width = schema
        .fields()
        .iter()
        .map(|f| f.name().len())
        .max()
        .unwrap_or(0);
    for f in schema.fields() {
        let null = if f.is_nullable() { "" } else { " not null" };
        writeln!(out, "{:width$}  {}{null}", f.name(), f.data_type())?;
    }
    Ok(())
}

/// Writes the rejected-line examples and the one-line summary (nothing when
/// every line was a record).
pub fn write_reject_summary(summary: &ScanSummary, out: &mut dyn Write) -> io::Result<()> {
    let t = &summary.totals;
    if t.lossy_lines > 0 {
        writeln!(
            out,
            "s3logq: {} lines held invalid UTF-8, replaced with U+FFFD",
            t.lossy_lines
        )?;
    }
    if t.rejected == 0 {
        return Ok(());
    }
    for s in &summary.samples {
        writeln!(out, "s3logq: {}:{}: {}", s.source, s.line, s.reason)?;
    }
    let more = t.rejected.saturating_sub(summary.samples.len() as u64);
    let more = if more > 0 {
        format!(", {more} more not shown")
    } else {
        String::new()
    };
    writeln!(
        out,
        "s3logq: {} lines rejected of {} read from {} inputs{more}",
        t.rejected, t.lines, t.inputs
    )
}
