//! The subcommands, one file each. Raw arguments (clap) are turned into
//! settings here; failures carry the exit code they mean.

mod audit;
mod auth;
mod backup;
mod check;
mod contact;
mod demo;
mod hash_password;
mod ingest;
mod kb;
mod migrate;
mod outbox;
mod quarantine;
mod report;
mod restore;
mod retention;
mod rules;
mod run;
mod serve;
mod status;
mod template;
mod ticket;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, Settings, DEFAULT_PATH};
use std::sync::Arc;

use crate::domain::clock::{Clock, SystemClock};
use crate::notify::templates::Templates;
use crate::store::{Store, StoreError};

/// An e-mail driven ITIL service desk.
#[derive(Debug, Parser)]
#[command(name = "guichet", version, about)]
pub struct Cli {
    /// Config file [default: config/guichet.toml]
    #[arg(long, global = true, env = "GUICHET_CONFIG")]
    pub config: Option<PathBuf>,
    /// How log lines on stderr are written: `text` for people, `json` (one
    /// object per line) for log shippers
    #[arg(long, global = true, env = "GUICHET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// The shape of the log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event (the default).
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields`
    /// (the message and the event's fields) and the open `spans`.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Run(run::Args),
    Ingest(ingest::Args),
    #[command(subcommand)]
    Ticket(ticket::Command),
    Check(check::Args),
    Migrate(migrate::Args),
    #[command(subcommand)]
    Quarantine(quarantine::Command),
    /// The knowledge base: articles drafted from resolved tickets (#kb) or
    /// imported, suggested in acknowledgements once published.
    #[command(subcommand)]
    Kb(kb::Command),
    #[command(subcommand)]
    Template(template::Command),
    #[command(subcommand)]
    Outbox(outbox::Command),
    #[command(subcommand)]
    Rules(rules::Command),
    Status(status::Args),
    Serve(serve::Args),
    Demo(demo::Args),
    Report(report::Args),
    /// The rights of the people who write to the desk: export what the
    /// desk holds about a person, or erase them.
    #[command(subcommand)]
    Contact(contact::Command),
    Retention(retention::Args),
    HashPassword(hash_password::Args),
    #[command(subcommand)]
    Auth(auth::Command),
    /// The audit log: what admins did to the desk.
    #[command(subcommand)]
    Audit(audit::Command),
    Backup(backup::Args),
    Restore(restore::Args),
}

/// Exit codes (sysexits.h where one fits).
pub mod exit {
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const TEMPFAIL: u8 = 75;
    pub const CONFIG: u8 = 78;
}

/// An error and the exit code it means.
#[derive(Debug)]
pub struct Failure {
    pub error: anyhow::Error,
    pub code: u8,
}

impl Failure {
    pub fn new(code: u8, error: impl Into<anyhow::Error>) -> Failure {
        Failure { error: error.into(), code }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure { error, code: exit::FAILURE }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::new(exit::CONFIG, e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let code = if e.is_transient() { exit::TEMPFAIL } else { exit::FAILURE };
        Failure::new(code, e)
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Query(e).into()
    }
}

/// What every subcommand that works on the desk needs.
pub struct Env {
    pub settings: Settings,
    pub clock: Arc<dyn Clock>,
}

impl Env {
    fn load(config: Option<PathBuf>) -> Result<Env, Failure> {
        let path = config.unwrap_or_else(|| PathBuf::from(DEFAULT_PATH));
        let settings = Settings::load(&path)?;
        Ok(Env { settings, clock: clock()? })
    }

    fn store(&self) -> Result<Store, Failure> {
        Ok(Store::open(&self.settings.database)?)
    }

    fn templates(&self) -> Result<Templates, Failure> {
        Templates::load(self.settings.templates_dir.as_deref(), &self.settings.tickets.languages).map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
            Failure::new(exit::CONFIG, anyhow::anyhow!("templates have problems:\n{}", list.join("\n")))
        })
    }
}

/// The tokio runtime of `run` and `serve`: two workers, as many cores as
/// the machines guichet is sized for.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("cannot start the runtime: {e}")))
}

/// Times as every command prints them: RFC 3339, UTC, to the second.
pub(crate) fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `GUICHET_NOW` pins the clock (RFC 3339), for reproducible runs and tests.
fn clock() -> Result<Arc<dyn Clock>, Failure> {
    match std::env::var("GUICHET_NOW") {
        Ok(v) => {
            let at = chrono::DateTime::parse_from_rfc3339(&v)
                .map_err(|e| Failure::new(exit::CONFIG, anyhow::anyhow!("GUICHET_NOW `{v}`: {e}")))?;
            Ok(Arc::new(crate::domain::clock::FixedClock(at.with_timezone(&chrono::Utc))))
        }
        Err(_) => Ok(Arc::new(SystemClock)),
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let config = cli.config;
    match cli.command {
        Command::Run(args) => run::run(Env::load(config)?, args),
        Command::Ingest(args) => ingest::run(config, args),
        Command::Ticket(cmd) => ticket::run(Env::load(config)?, cmd),
        Command::Check(args) => check::run(config, args),
        Command::Migrate(args) => migrate::run(Env::load(config)?, args),
        Command::Quarantine(cmd) => quarantine::run(Env::load(config)?, cmd),
        Command::Kb(cmd) => kb::run(Env::load(config)?, cmd),
        Command::Template(cmd) => template::run(config, cmd),
        Command::Outbox(cmd) => outbox::run(Env::load(config)?, cmd),
        Command::Rules(cmd) => rules::run(Env::load(config)?, cmd),
        Command::Status(args) => status::run(Env::load(config)?, args),
        Command::Serve(args) => serve::run(Env::load(config)?, args),
        Command::Demo(args) => demo::run(Env::load(config)?, args),
        Command::Report(args) => report::run(Env::load(config)?, args),
        Command::Contact(cmd) => contact::run(Env::load(config)?, cmd),
        Command::Retention(args) => retention::run(Env::load(config)?, args),
        Command::HashPassword(args) => hash_password::run(args),
        Command::Auth(cmd) => auth::run(Env::load(config)?, cmd),
        Command::Audit(cmd) => audit::run(Env::load(config)?, cmd),
        Command::Backup(args) => backup::run(Env::load(config)?, args),
        Command::Restore(args) => restore::run(Env::load(config)?, args),
    }
}

impl From<crate::notify::outbox::QueueError> for Failure {
    fn from(e: crate::notify::outbox::QueueError) -> Self {
        Failure::new(exit::FAILURE, e)
    }
}
