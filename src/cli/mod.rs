//! Command-line arguments (clap) and their translation into the library's
//! options; nothing else lives here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use s3logq::command::{QueryOptions, RejectPolicy};
use s3logq::report::OutputFormat;

/// Turn Amazon S3 server access logs into answers.
#[derive(Debug, Parser)]
#[command(name = "s3logq", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run SQL over the table `logs` built from the inputs.
    ///
    /// Example: s3logq query "SELECT requester, count(*) FROM logs
    /// WHERE signature_version = 'SigV2' GROUP BY 1" logs/
    Query(QueryArgs),
    /// Print the columns of the table `logs` and their types.
    Schema,
}

#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// Write every rejected line (with file and line number) to FILE.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Exit with code 2 when any line is rejected.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Output format.
    #[arg(long, default_value = "table", value_parser = parse_format)]
    pub format: OutputFormat,
    /// Write the result to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print signatures and session tokens as logged (redacted by default).
    #[arg(long)]
    pub unredacted: bool,
    #[command(flatten)]
    pub rejects: RejectArgs,
    /// The SQL statement; the table is `logs`.
    pub sql: String,
    /// Log files, folders (read recursively), glob patterns, or `-` for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
}

fn parse_format(s: &str) -> Result<OutputFormat, String> {
    s.parse()
}

impl RejectArgs {
    fn policy(self) -> RejectPolicy {
        RejectPolicy {
            rejects_file: self.rejects,
            strict: self.strict,
        }
    }
}

impl QueryArgs {
    pub fn into_options(self) -> QueryOptions {
        QueryOptions {
            sql: self.sql,
            inputs: self.inputs,
            format: self.format,
            output: self.output,
            rejects: self.rejects.policy(),
            unredacted: self.unredacted,
        }
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
        let cli = Cli::try_parse_from([
            "s3logq", "query", "--format", "ndjson", "--strict", "SELECT 1", "a.log", "-",
        ])
        .unwrap();
        let Command::Query(q) = cli.command else {
            panic!("not a query")
        };
        let opts = q.into_options();
        assert_eq!(opts.format, OutputFormat::Ndjson);
        assert!(opts.rejects.strict);
        assert_eq!(opts.inputs, ["a.log", "-"]);
        assert!(
            Cli::try_parse_from(["s3logq", "query", "--format", "xml", "SELECT 1", "a"]).is_err()
        );
        assert!(Cli::try_parse_from(["s3logq", "query", "SELECT 1"]).is_err());
    }
}
