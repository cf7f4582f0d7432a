//! `guichet`: the command line. Sources feed the ingest pipeline, which
//! commits each mail whole to the store; workers send the outbox. See
//! `docs/architecture.md` for the data flow and the module map. Data goes
//! to stdout, logs to stderr; exit codes: 0 done, 1 failed, 2 usage,
//! 75 temporary failure (try again later), 78 configuration error.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = guichet::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GUICHET_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match guichet::cli::run(cli) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("guichet: {:#}", failure.error);
            ExitCode::from(failure.code)
        }
    }
}
