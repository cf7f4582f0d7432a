//! `guichet`: the command line. Sources feed the ingest pipeline, which
//! commits each mail whole to the store; workers send the outbox. See
//! `docs/architecture.md` for the data flow and the module map. Data goes
//! to stdout, logs to stderr; exit codes: 0 done, 1 failed, 2 usage,
//! 75 temporary failure (try again later), 78 configuration error.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = guichet::cli::Cli::parse();
    // Colours for a terminal only: the journal and log files get plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(colour).with_env_filter(
        tracing_subscriber::EnvFilter::try_from_env("GUICHET_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    );
    match cli.log_format {
        guichet::cli::LogFormat::Text => logs.init(),
        // Whole objects on one line each, flushed per event: a shipper
        // reading the journal or a pipe never sees half a record.
        guichet::cli::LogFormat::Json => logs.json().with_current_span(false).init(),
    }
    // A panic inside the MIME parser is caught and the mail quarantined
    // with the reason: one log line, not a trace that reads like a crash.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if guichet::mail::inbound::parser_guarded() {
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            tracing::warn!(at, "the MIME parser gave up on a mail; it goes to quarantine");
        } else {
            report(info);
        }
    }));
    let format = cli.log_format;
    let code = match guichet::cli::run(cli) {
        Ok(code) => code,
        Err(failure) => {
            match format {
                guichet::cli::LogFormat::Text => eprintln!("guichet: {:#}", failure.error),
                // A shipper reads stderr as JSON lines: the last word too.
                guichet::cli::LogFormat::Json => {
                    tracing::error!(exit_code = failure.code, "{:#}", failure.error)
                }
            }
            ExitCode::from(failure.code)
        }
    };
    guichet::store::trace::write_report();
    code
}
