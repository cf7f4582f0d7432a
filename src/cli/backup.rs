//! `guichet backup FILE`: a consistent copy of the store while the desk
//! keeps working (see `store::backup`). The database is not migrated
//! first, so a backup taken with a new release before `guichet migrate` is
//! the old schema, ready to roll back to.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::store::backup::{self, BackupError};
use crate::store::queries::audit::{self, AuditEntry};
use crate::store::{Backend, Store};

use super::{exit, Env, Failure};

/// Write a backup of the database to FILE (never overwritten). SQLite: a
/// copy made with VACUUM INTO while `guichet run` goes on; PostgreSQL:
/// `pg_dump --format=custom` with the config's connection. Restore it with
/// `guichet restore FILE` into an empty desk.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the backup; must not exist
    pub file: PathBuf,
}

impl From<BackupError> for Failure {
    fn from(e: BackupError) -> Self {
        Failure::new(if e.is_transient() { exit::TEMPFAIL } else { exit::FAILURE }, e)
    }
}

pub fn run(env: Env, args: Args) -> Result<ExitCode, Failure> {
    let db = &env.settings.database;
    let size = backup::backup(db, &args.file)?;
    let store = Store::connect(db)?;
    let held = backup::holdings(&mut *store.conn()?)?;
    let kind = match store.backend() {
        Backend::Sqlite => "SQLite copy",
        Backend::Postgres => "pg_dump custom format",
    };
    // The full path: a relative one says little in the log later.
    let subject = std::fs::canonicalize(&args.file).unwrap_or_else(|_| args.file.clone()).display().to_string();
    let detail = format!("{kind}, {size} bytes: {held}");
    let now = env.clock.now().naive_utc();
    // A database not migrated yet has no audit table: the backup stands,
    // and the admin is told it went unrecorded.
    let recorded = store.write(|conn| -> Result<(), Failure> {
        let entry = AuditEntry { actor: &audit::cli_actor(), action: "backup", subject: &subject, detail: &detail };
        Ok(audit::record(conn, &entry, now)?)
    });
    if let Err(e) = recorded {
        eprintln!("warning: the backup was not recorded in the audit log: {:#}", e.error);
    }
    println!("backup of {} written to {} ({detail})", db.display(), args.file.display());
    Ok(ExitCode::SUCCESS)
}
