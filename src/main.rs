//! The `s3logq` binary: parses arguments, calls the library, prints errors
//! and maps them to exit codes (0 ok, 1 findings with --fail-on-findings,
//! 2 usage, input or delivery error, 130 interrupted by Ctrl-C, 143 stopped
//! by SIGTERM).

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command};
use s3logq::command::{self, CommandError, ScanSummary};
use s3logq::counts::{counted, grouped};

const EXIT_FINDINGS: u8 = 1;
const EXIT_INPUT: u8 = 2;

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || matches!(
                c.downcast_ref::<CommandError>(),
                Some(CommandError::Render(s3logq::report::RenderError::Io(io))) if io.kind() == io::ErrorKind::BrokenPipe
            )
    })
}

/// The error and its causes, each cause left out where the text before it
/// already says it (most errors name their source in their own message).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1).map(ToString::to_string) {
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// Prints what a scan rejected, then passes its result on.
fn finish(summary: ScanSummary, result: Result<(), CommandError>) -> anyhow::Result<()> {
    let _ = command::write_scan_summary(&summary, &mut io::stderr().lock());
    Ok(result?)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => command::schema(&mut io::stdout().lock()).context("writing the schema"),
        Command::Ddl { engine, location } => {
            command::ddl(engine, &location, &mut io::stdout().lock()).context("writing the table definition")
        }
        Command::Ingest(args) => {
            let opts = args.into_options()?;
            let dest = opts.dest.display().to_string();
            let (summary, result) = tokio::task::spawn_blocking(move || command::ingest(&opts)).await?;
            let _ = command::write_scan_summary(&summary, &mut io::stderr().lock());
            let o = result?;
            eprintln!(
                "s3logq: ingested {} ({}), {} unchanged skipped; {dest} holds {} in {}",
                counted(o.ingested as u64, "source"),
                counted(o.rows, "record"),
                grouped(o.unchanged as u64),
                counted(o.lake_rows, "record"),
                counted(o.lake_files as u64, "file")
            );
            Ok(())
        }
        Command::Reports { queries } => Ok(command::list_reports(queries.as_deref(), &mut io::stdout().lock())?),
        Command::Query(args) => {
            let (summary, result) = command::query(&args.into_options()?).await;
            finish(summary, result)
        }
        Command::Report(args) => {
            let (summary, result) = command::report(&args.into_options()?).await;
            finish(summary, result)
        }
    }
}

/// Resolves when the process is asked to stop, by Ctrl-C (SIGINT) or by a
/// scheduler's SIGTERM, to the exit code that says which (128 + the
/// signal's number). Both are watched from the call on.
#[cfg(unix)]
fn stop_asked() -> io::Result<impl Future<Output = u8>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => 130,
            _ = terminate.recv() => 143,
        }
    })
}

#[cfg(not(unix))]
fn stop_asked() -> io::Result<impl Future<Output = u8>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        130
    })
}

/// What a run of `command` stopped by a signal leaves, in words.
fn left_when_stopped(command: &Command) -> &'static str {
    match command {
        Command::Ingest(_) => "the lake holds what was committed, and the same ingest run again goes on from there",
        _ => "an output file (-o) is left as it was",
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let left = left_when_stopped(&cli.command);
    let stop = match stop_asked() {
        Ok(stop) => stop,
        Err(e) => {
            let _ = writeln!(io::stderr(), "s3logq: error: cannot watch for Ctrl-C: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    // Asked to stop, the command is dropped before the process ends: an
    // output file it was writing goes with it, and the old one stays.
    let outcome = tokio::select! {
        biased;
        code = stop => Err(code),
        result = run(cli) => Ok(result),
    };
    let result = match outcome {
        Ok(result) => result,
        Err(code) => {
            let _ = writeln!(io::stderr(), "s3logq: interrupted; {left}");
            // Work still running on other threads is not waited for, but a
            // lake commit in flight is finished (milliseconds).
            let _commits = s3logq::sink::lake::hold_commits();
            std::process::exit(code.into());
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "s3logq: error: {}", error_text(&e));
            match e.downcast_ref::<CommandError>() {
                Some(CommandError::Findings(_)) => ExitCode::from(EXIT_FINDINGS),
                _ => ExitCode::from(EXIT_INPUT),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_each_cause_once() {
        let missing = || io::Error::new(io::ErrorKind::NotFound, "No such file or directory");
        let named = anyhow::Error::new(CommandError::File { path: "out/x.json".into(), source: missing() });
        assert_eq!(error_text(&named), "out/x.json: No such file or directory");
        let wrapped = anyhow::Error::new(missing()).context("writing the schema");
        assert_eq!(error_text(&wrapped), "writing the schema: No such file or directory");
    }
}
