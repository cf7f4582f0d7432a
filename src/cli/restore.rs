//! `guichet restore FILE`: fills an empty desk from a `guichet backup`,
//! then brings its schema up to this release.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::store::backup::{self, BackupError};
use crate::store::queries::audit::{self, AuditEntry, Outcome};
use crate::store::Store;

use super::{Env, Failure};

/// Restore a backup made by `guichet backup` into the database the config
/// names, which must hold no ticket, mail or article (a new database, or a
/// SQLite file that does not exist yet). Stop every `guichet run` on it
/// first. Migrations of this release are applied after.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup to restore
    pub file: PathBuf,
}

pub fn run(env: Env, args: Args) -> Result<ExitCode, Failure> {
    let db = &env.settings.database;
    let now = env.clock.now().naive_utc();
    // The full path: a relative one says little in the log later.
    let subject = std::fs::canonicalize(&args.file).unwrap_or_else(|_| args.file.clone()).display().to_string();
    let held = match backup::restore(db, &args.file) {
        Ok(h) => h,
        Err(e @ BackupError::NotEmpty { .. }) => {
            // The refusal is kept on the desk it protected.
            if let Ok(store) = Store::connect(db) {
                let detail = e.to_string();
                let _ = store.write(|conn| -> Result<(), Failure> {
                    let entry = AuditEntry {
                        actor: &audit::cli_actor(),
                        action: "restore",
                        subject: &subject,
                        detail: &detail,
                    };
                    Ok(audit::record_outcome(conn, &entry, Outcome::Refused, now)?)
                });
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let store = Store::connect(db)?;
    let applied = store.migrate()?;
    for name in &applied {
        println!("applied {name}");
    }
    let detail = format!("{held}; {} migration(s) applied after", applied.len());
    store.write(|conn| -> Result<(), Failure> {
        let entry = AuditEntry { actor: &audit::cli_actor(), action: "restore", subject: &subject, detail: &detail };
        Ok(audit::record(conn, &entry, now)?)
    })?;
    println!("restored {} into {}: {held}", args.file.display(), db.display());
    Ok(ExitCode::SUCCESS)
}
