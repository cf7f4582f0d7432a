//! The store: diesel over SQLite (WAL, the embedded default) or PostgreSQL
//! (several instances on one database). Tables are in [`schema`], the rows
//! we read and write in [`models`], and the queries each part of guichet
//! needs beside them. Migrations, one set per backend, are embedded and
//! applied on open.

pub mod backup;
pub mod behind;
pub mod incidents;
pub mod kb;
pub mod lock;
pub mod metrics;
pub mod models;
pub mod privacy;
pub mod queries;
pub mod report;
pub mod retention;
pub mod schema;
pub mod trace;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Database;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. Queries are written once against it;
/// the few statements that differ (`ON CONFLICT`, row locks) go through
/// [`per_backend!`].
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// The connection type every query takes.
pub type Conn = AnyConnection;

/// Runs `$body` with `$c` bound to the backend's own connection, for SQL
/// that diesel only builds per backend.
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::AnyConnection::Postgres($c) => $body,
            $crate::store::AnyConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use per_backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

/// A store failure, and whether trying again later may succeed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database is busy or unavailable ({0}); try again later")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("cannot apply migrations: {0}")]
    Migration(String),
}

impl StoreError {
    /// Locked, busy, full or unwritable: the same operation may work later.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Open(_) => true,
            StoreError::Query(e) => {
                use diesel::result::{DatabaseErrorKind, Error};
                matches!(
                    e,
                    Error::DatabaseError(
                        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                        _
                    )
                ) || is_transient_message(&e.to_string())
            }
            StoreError::Migration(m) => is_transient_message(m),
        }
    }
}

fn is_transient_message(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    [
        "locked",
        "busy",
        "disk i/o",
        "readonly",
        "read-only",
        "disk is full",
        "unable to open",
        "database or disk is full",
        // PostgreSQL restarting or out of reach.
        "terminating connection",
        "closed the connection",
        "the database system is",
        "could not connect",
        "connection refused",
        "no connection to the server",
        "server conn crashed",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Opens connections the way the config says: no guessing from the URL.
#[derive(Debug)]
pub struct Manager {
    db: Database,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        use diesel::r2d2::Error as E;
        match &self.db {
            Database::Sqlite { path, busy_timeout } => {
                let mut c = SqliteConnection::establish(&path.to_string_lossy()).map_err(E::ConnectionError)?;
                // busy_timeout first: switching to WAL itself needs the lock.
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON;",
                    busy_timeout.as_millis()
                ))
                .map_err(E::QueryError)?;
                Ok(AnyConnection::Sqlite(c))
            }
            Database::Postgres { url, .. } => {
                let mut c = PgConnection::establish(url).map_err(E::ConnectionError)?;
                // A statement stuck behind a lock fails instead of hanging a
                // poller or sender forever.
                c.batch_execute("SET lock_timeout = '30s'; SET idle_in_transaction_session_timeout = '5min';")
                    .map_err(E::QueryError)?;
                Ok(AnyConnection::Postgres(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Options that create a file readable and writable by this user only
/// (mode 0600): what the desk keeps is people's mail. A file that exists
/// keeps its mode.
pub(crate) fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates the SQLite database file private (0600) when it is not there
/// yet; SQLite gives its `-wal` and `-shm` files the database's mode. An
/// existing database keeps the mode its admin gave it.
fn create_private(path: &std::path::Path) -> Result<(), StoreError> {
    match private_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Open(format!("cannot create {}: {e}", path.display()))),
    }
}

/// A pool of connections to the store.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    db: Database,
    /// SQLite: the lock that makes this process the outbox's one sender,
    /// once taken; and a queue for this process's write transactions, so
    /// that they take turns at once instead of in SQLite's busy-wait
    /// sleeps (which would leave a sent mail unrecorded for longer).
    sender: std::sync::Arc<std::sync::Mutex<Option<lock::MailboxLock>>>,
    writer: std::sync::Arc<std::sync::Mutex<()>>,
}

impl Store {
    /// Opens (creating if needed) the database and applies pending
    /// migrations.
    pub fn open(db: &Database) -> Result<Store, StoreError> {
        let store = Store::connect(db)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens (creating if needed) the database, without migrating.
    pub fn connect(db: &Database) -> Result<Store, StoreError> {
        trace::install();
        // (max size, idle connections kept, wait for a connection)
        let (size, idle, timeout) = match db {
            Database::Sqlite { path, busy_timeout } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| StoreError::Open(format!("cannot create {}: {e}", dir.display())))?;
                }
                create_private(path)?;
                (4, 1, *busy_timeout + Duration::from_secs(5))
            }
            // No connection is opened ahead of need: the pool opens them on
            // its own threads, and libpq setting up TLS there while the
            // process exits crashes inside OpenSSL's clean-up.
            Database::Postgres { pool_size, .. } => (*pool_size, 0, Duration::from_secs(15)),
        };
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(idle))
            .connection_timeout(timeout)
            .build(Manager { db: db.clone() })
            .map_err(|e| StoreError::Open(format!("{}: {e}", db.display())))?;
        Ok(Store { pool, db: db.clone(), sender: Default::default(), writer: Default::default() })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Database::Sqlite { .. } => Backend::Sqlite,
            Database::Postgres { .. } => Backend::Postgres,
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn conn(&self) -> Result<PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Applies pending migrations; returns their names.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        let set = || match self.backend() {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        if let AnyConnection::Postgres(c) = &mut *conn {
            // Two instances starting together must not both migrate.
            c.batch_execute("SELECT pg_advisory_lock(7317065)").map_err(|e| StoreError::Migration(e.to_string()))?;
        }
        // Likewise on SQLite (a file lock beside the database, held until
        // the end of this call): a migration that rebuilds a table runs
        // outside diesel's transaction, and must not run twice.
        let _migrating = match &self.db {
            Database::Sqlite { path, .. } => {
                let mut name = path.as_os_str().to_owned();
                name.push(".migrate.lock");
                let file =
                    private_options().create(true).truncate(false).write(true).open(&name).map_err(|e| {
                        StoreError::Migration(format!("{}: {e}", std::path::Path::new(&name).display()))
                    })?;
                file.lock().map_err(|e| StoreError::Migration(e.to_string()))?;
                Some(file)
            }
            Database::Postgres { .. } => None,
        };
        // Named as their directories are (`2026-12-06-100000_audit`), so an
        // admin can tell what an upgrade did.
        let applied = conn.pending_migrations(set()).and_then(|pending| {
            let names: Vec<String> = pending.iter().map(|m| m.name().to_string()).collect();
            conn.run_pending_migrations(set()).map(|_| names)
        });
        if let AnyConnection::Postgres(c) = &mut *conn {
            let _ = c.batch_execute("SELECT pg_advisory_unlock(7317065)");
        }
        applied.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Runs `f` in one write transaction. On SQLite the write lock is taken
    /// at once, so two writers never deadlock upgrading a read lock.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let mut conn = self.conn()?;
        let _turn = match self.db {
            Database::Sqlite { .. } => Some(self.writer.lock().unwrap_or_else(|e| e.into_inner())),
            Database::Postgres { .. } => None,
        };
        transaction(&mut conn, f)
    }
}

/// Runs `f` in a transaction on `conn` (see [`Store::write`]).
pub fn transaction<T, E>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    begin(conn)?;
    match f(conn) {
        Ok(v) => {
            commit(conn)?;
            Ok(v)
        }
        Err(e) => {
            // The error that stopped us matters more than a failed rollback;
            // the pool drops a connection left inside a transaction.
            let _ = rollback(conn);
            Err(e)
        }
    }
}

/// Runs `f` in a savepoint of the caller's transaction: when it fails,
/// its changes alone are undone and the transaction goes on.
pub fn savepoint<T, E>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    per_backend!(&mut *conn, c => AnsiTransactionManager::begin_transaction(c))?;
    let mark = behind::mark(conn);
    match f(conn) {
        Ok(v) => {
            per_backend!(&mut *conn, c => AnsiTransactionManager::commit_transaction(c))?;
            Ok(v)
        }
        Err(e) => {
            per_backend!(&mut *conn, c => AnsiTransactionManager::rollback_transaction(c))?;
            if let Some(mark) = mark {
                behind::undo(conn, mark);
            }
            Err(e)
        }
    }
}

/// Starts a write transaction by hand, for work that awaits in between
/// (prefer [`transaction`]).
pub fn begin(conn: &mut Conn) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        AnyConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
    }
}

pub fn commit(conn: &mut Conn) -> diesel::QueryResult<()> {
    per_backend!(conn, c => AnsiTransactionManager::commit_transaction(c))
}

pub fn rollback(conn: &mut Conn) -> diesel::QueryResult<()> {
    per_backend!(conn, c => AnsiTransactionManager::rollback_transaction(c))
}
