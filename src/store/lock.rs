//! One poller per mailbox at a time, across every guichet process that
//! shares the store. The lock dies with its holder, so another instance
//! takes the mailbox over when the holder crashes or loses its database:
//! on PostgreSQL a session advisory lock on a connection of its own, on
//! SQLite an advisory file lock beside the database file.

use std::fs::{File, TryLockError};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sql_types::{Bool, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};

use super::{Store, StoreError};
use crate::config::Database;

/// Held while a mailbox is being polled; dropping it lets another take it.
pub struct MailboxLock {
    held: Held,
}

enum Held {
    File(#[allow(dead_code)] File),
    Postgres(Box<PgConnection>),
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Bool)]
    taken: bool,
}

impl Store {
    /// Takes the mailbox's lock if no one holds it. `Ok(None)`: another
    /// process polls it.
    pub fn try_lock_mailbox(&self, mailbox: &str) -> Result<Option<MailboxLock>, StoreError> {
        match self.database() {
            Database::Sqlite { path, .. } => {
                let mut name = path.as_os_str().to_owned();
                name.push(format!(
                    ".{}.lock",
                    crate::mail::inbound::sha256_hex(mailbox.as_bytes()).get(..16).unwrap_or("")
                ));
                let file = super::private_options()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&name)
                    .map_err(|e| StoreError::Open(format!("lock file {}: {e}", name.to_string_lossy())))?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(MailboxLock { held: Held::File(file) })),
                    Err(TryLockError::WouldBlock) => Ok(None),
                    Err(TryLockError::Error(e)) => Err(StoreError::Unavailable(format!("lock file: {e}"))),
                }
            }
            Database::Postgres { url, .. } => {
                let mut conn = PgConnection::establish(url).map_err(|e| StoreError::Unavailable(e.to_string()))?;
                let got: Taken = diesel::sql_query("SELECT pg_try_advisory_lock(hashtext($1)::bigint) AS taken")
                    .bind::<Text, _>(format!("guichet mailbox {mailbox}"))
                    .get_result(&mut conn)?;
                Ok(got.taken.then(|| MailboxLock { held: Held::Postgres(Box::new(conn)) }))
            }
        }
    }
}

impl Store {
    /// SQLite: whether this process sends the outbox (one process at a
    /// time, by a file lock). The process that takes the lock gives back
    /// the rows a sender that is gone had claimed, at once rather than when
    /// their lease ends. PostgreSQL needs none of this: rows are sent under
    /// row locks that end with their holder.
    pub fn outbox_sender(&self, now: chrono::NaiveDateTime) -> Result<bool, StoreError> {
        if let Database::Postgres { .. } = self.database() {
            return Ok(true);
        }
        let mut held = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        if held.is_some() {
            return Ok(true);
        }
        let Some(lock) = self.try_lock_mailbox("outbox sender")? else { return Ok(false) };
        *held = Some(lock);
        drop(held);
        let released = self
            .write(|conn| -> Result<usize, StoreError> { Ok(super::queries::release_leases_after_stop(conn, now)?) })?;
        if released > 0 {
            tracing::warn!(rows = released, "outbox rows claimed by a sender that stopped are due again");
        }
        Ok(true)
    }
}

impl MailboxLock {
    /// Whether the lock is still ours: false once the connection that holds
    /// a PostgreSQL lock is gone (the server then released it).
    pub fn still_held(&mut self) -> bool {
        match &mut self.held {
            Held::File(_) => true,
            Held::Postgres(conn) => conn.batch_execute("SELECT 1").is_ok(),
        }
    }
}
