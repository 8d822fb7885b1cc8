//! The `s3logq` binary: parses arguments, calls the library, prints errors
//! and maps them to exit codes (0 ok, 2 usage or input error).

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use s3logq::command::{self, CommandError};

const EXIT_INPUT: u8 = 2;

fn is_broken_pipe(e: &CommandError) -> bool {
    let io = match e {
        CommandError::Render(s3logq::report::RenderError::Io(io)) => io,
        _ => return false,
    };
    io.kind() == io::ErrorKind::BrokenPipe
}

async fn run(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        Command::Schema => {
            command::schema(&mut io::stdout().lock()).map_err(|e| CommandError::Render(e.into()))
        }
        Command::Query(args) => {
            let (summary, result) = command::query(&args.into_options()).await;
            let _ = command::write_reject_summary(&summary, &mut io::stderr().lock());
            result
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "s3logq: error: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}
