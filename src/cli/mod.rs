//! Command-line arguments (clap) and their translation into the library's
//! options; nothing else lives here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use s3logq::command::{IngestOptions, QueryOptions, RejectPolicy, ReportOptions, ScanOptions, SlackOptions};
use s3logq::report::render::ReportFormat;
use s3logq::report::{OutputFormat, Severity};
use s3logq::sink::lake::Engine;
use s3logq::sink::slack::DeliveryPolicy;
use s3logq::source::StoreOptions;
use s3logq::window::{TimeWindow, WindowError, now, parse_duration};

/// Turn Amazon S3 server access logs into answers.
#[derive(Debug, Parser)]
#[command(name = "s3logq", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the security and usage reports (all of them unless --only).
    ///
    /// Example: s3logq report --last 24h --format markdown logs/
    Report(ReportArgs),
    /// List the reports: name, severity and title.
    Reports {
        /// Also read the `*.sql` reports of this folder.
        #[arg(long, value_name = "DIR")]
        queries: Option<PathBuf>,
    },
    /// Run SQL over the table `logs` built from the inputs.
    ///
    /// Example: s3logq query "SELECT requester, count(*) FROM logs
    /// WHERE signature_version = 'SigV2' GROUP BY 1" logs/
    Query(QueryArgs),
    /// Parse logs into a Hive-partitioned Parquet lake, incrementally and
    /// exactly once; `query` and `report` read the lake like raw logs.
    ///
    /// Example: s3logq ingest logs/ --to lake/ --dedupe
    Ingest(IngestArgs),
    /// Print the table definition of a lake for another engine.
    Ddl {
        /// athena, trino, spark or duckdb.
        #[arg(long, value_parser = |s: &str| s.parse::<Engine>())]
        engine: Engine,
        /// Where the lake is, as that engine sees it (s3://bucket/lake, /data/lake).
        location: String,
    },
    /// Print the columns of the table `logs` and their types.
    Schema,
}

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// The lake folder (created when missing).
    #[arg(long, value_name = "DEST")]
    pub to: PathBuf,
    /// Drop records S3 delivered twice (same request id, host id, operation and key).
    #[arg(long)]
    pub dedupe: bool,
    /// Sources read together into shared files and committed at once (at
    /// most 256 MiB of them); a killed run reads the uncommitted ones again.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub commit_every: usize,
    #[command(flatten)]
    pub scan: ScanArgs,
}

impl IngestArgs {
    pub fn into_options(self) -> Result<IngestOptions, WindowError> {
        Ok(IngestOptions {
            scan: self.scan.into_options()?,
            dest: self.to,
            dedupe: self.dedupe,
            commit_every: self.commit_every.max(1),
        })
    }
}

/// Which inputs, which records, and what to do with lines that are not
/// records.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Only records at or after this time (2026-11-20 or 2026-11-20T08:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only records of the last DURATION before --until or now (90m, 24h, 7d).
    #[arg(long, value_name = "DURATION")]
    pub last: Option<String>,
    /// Write every rejected line (with file and line number) to FILE, by file and line.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Exit with code 2 when any line is rejected.
    #[arg(long)]
    pub strict: bool,
    /// No progress bar (there is none when stderr is not a terminal).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Log files, folders (read recursively), glob patterns, bucket URLs
    /// (s3://bucket/prefix, gs://…, az://…, file://…), `-` for stdin (not
    /// for ingest), or a lake written by ingest (for query and report).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
}

/// Reaching log buckets.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// AWS region of the log bucket.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// S3-compatible endpoint (http:// allowed), path-style addressing.
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Profile of ~/.aws/credentials and ~/.aws/config.
    #[arg(long, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Objects fetched at once.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub concurrency: usize,
    /// Report objects that still fail after retries, and files that cannot
    /// be opened, and go on without them; and files or objects whose
    /// reading breaks off (a gzip cut short), going on with the lines read
    /// before the break.
    #[arg(long)]
    pub skip_failed_objects: bool,
    /// How late S3 may deliver a record, for skipping objects by key time.
    #[arg(long, default_value = "6h", value_name = "DURATION")]
    pub late_delivery: String,
}

impl StoreArgs {
    fn into_options(self) -> Result<StoreOptions, WindowError> {
        Ok(StoreOptions {
            region: self.region,
            endpoint: self.endpoint_url,
            profile: self.profile,
            concurrency: self.concurrency.max(1),
            skip_failed: self.skip_failed_objects,
            late_delivery: parse_duration(&self.late_delivery)?,
            ..StoreOptions::default()
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Output format: table, csv, json or ndjson.
    #[arg(long, default_value = "table", value_parser = |s: &str| s.parse::<OutputFormat>())]
    pub format: OutputFormat,
    /// Write the result to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print signatures and session tokens as logged (redacted by default).
    #[arg(long)]
    pub unredacted: bool,
    /// The SQL statement; the table is `logs`.
    pub sql: String,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Run only this report (repeatable); see `s3logq reports`.
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,
    /// Also read the `*.sql` reports of this folder (same name overrides).
    #[arg(long, value_name = "DIR")]
    pub queries: Option<PathBuf>,
    /// Output format: text, markdown, json, csv or html (csv is for
    /// spreadsheets: a cell they would run as a formula gets a leading ').
    #[arg(long, default_value = "text", value_parser = |s: &str| s.parse::<ReportFormat>())]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rows shown per report in text, Markdown and HTML.
    #[arg(long, default_value_t = 20)]
    pub max_rows: usize,
    /// Exit with code 1 when a report of this severity or above finds rows
    /// (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY", value_parser = |s: &str| s.parse::<Severity>())]
    pub fail_on_findings: Option<Severity>,
    #[command(flatten)]
    pub slack: SlackArgs,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, clap::Args)]
pub struct SlackArgs {
    /// Post the report to the Slack incoming webhook in $S3LOGQ_SLACK_WEBHOOK_URL.
    #[arg(long)]
    pub slack: bool,
    /// Read the webhook URL from this file instead.
    #[arg(long, value_name = "PATH", requires = "slack")]
    pub slack_webhook_file: Option<PathBuf>,
    /// Print the Slack payload instead of sending it.
    #[arg(long, requires = "slack")]
    pub dry_run: bool,
    /// Attempts before giving up on Slack (429, 5xx and timeouts are retried).
    #[arg(long, default_value_t = 5, value_name = "N", requires = "slack")]
    pub slack_attempts: u32,
}

impl ScanArgs {
    fn into_options(self) -> Result<ScanOptions, WindowError> {
        let window = TimeWindow::from_args(self.since.as_deref(), self.until.as_deref(), self.last.as_deref(), now())?;
        Ok(ScanOptions {
            inputs: self.inputs,
            window,
            rejects: RejectPolicy { rejects_file: self.rejects, strict: self.strict },
            store: self.store.into_options()?,
            quiet: self.quiet,
        })
    }
}

impl QueryArgs {
    pub fn into_options(self) -> Result<QueryOptions, WindowError> {
        Ok(QueryOptions {
            sql: self.sql,
            scan: self.scan.into_options()?,
            format: self.format,
            output: self.output,
            unredacted: self.unredacted,
        })
    }
}

impl ReportArgs {
    pub fn into_options(self) -> Result<ReportOptions, WindowError> {
        Ok(ReportOptions {
            scan: self.scan.into_options()?,
            only: self.only,
            queries_dir: self.queries,
            format: self.format,
            output: self.output,
            max_rows: self.max_rows,
            slack: self.slack.slack.then(|| SlackOptions {
                webhook_file: self.slack.slack_webhook_file,
                dry_run: self.slack.dry_run,
                delivery: DeliveryPolicy { max_attempts: self.slack.slack_attempts, ..DeliveryPolicy::default() },
            }),
            fail_on: self.fail_on_findings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn query_arguments_parse() {
        let cli = Cli::try_parse_from(["s3logq", "query", "--format", "ndjson", "--strict", "SELECT 1", "a.log", "-"])
            .unwrap();
        let Command::Query(q) = cli.command else { panic!("not a query") };
        let opts = q.into_options().unwrap();
        assert_eq!(opts.format, OutputFormat::Ndjson);
        assert!(opts.scan.rejects.strict);
        assert_eq!(opts.scan.inputs, ["a.log", "-"]);
        assert!(Cli::try_parse_from(["s3logq", "query", "--format", "xml", "SELECT 1", "a"]).is_err());
        assert!(Cli::try_parse_from(["s3logq", "query", "SELECT 1"]).is_err());
    }

    #[test]
    fn report_arguments_parse() {
        let cli = Cli::try_parse_from([
            "s3logq",
            "report",
            "--only",
            "sigv2-callers",
            "--only",
            "top-talkers",
            "--since",
            "2026-11-20",
            "--until",
            "2026-11-21",
            "--format",
            "markdown",
            "logs/",
        ])
        .unwrap();
        let Command::Report(r) = cli.command else { panic!("not a report") };
        let opts = r.into_options().unwrap();
        assert_eq!(opts.only, ["sigv2-callers", "top-talkers"]);
        assert_eq!(opts.format, ReportFormat::Markdown);
        assert_eq!(opts.scan.window.since, Some(1_795_132_800_000_000));
        let bad = Cli::try_parse_from(["s3logq", "report", "--last", "soon", "logs/"]).unwrap();
        let Command::Report(r) = bad.command else { panic!("not a report") };
        assert!(r.into_options().is_err());
    }
}
