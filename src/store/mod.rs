//! The store: diesel over SQLite (WAL). Tables are in [`schema`], the rows
//! we read and write in [`models`], and the queries each part of guichet
//! needs beside them. Migrations are embedded and applied on open.

pub mod models;
pub mod queries;
pub mod schema;

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Database;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The connection type every query takes.
pub type Conn = SqliteConnection;

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
            StoreError::Query(e) => is_transient_message(&e.to_string()),
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
    ]
    .iter()
    .any(|w| m.contains(w))
}

#[derive(Debug)]
struct Pragmas {
    busy_timeout: Duration,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // busy_timeout first: switching to WAL itself needs the lock.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            self.busy_timeout.as_millis()
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A pool of connections to the store.
#[derive(Clone)]
pub struct Store {
    pool: Pool<ConnectionManager<SqliteConnection>>,
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
        let Database::Sqlite { path, busy_timeout } = db;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Open(format!("cannot create {}: {e}", dir.display())))?;
        }
        Store::open_sqlite(path, *busy_timeout)
    }

    fn open_sqlite(path: &Path, busy_timeout: Duration) -> Result<Store, StoreError> {
        let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
        let pool = Pool::builder()
            .max_size(4)
            .min_idle(Some(1))
            .connection_timeout(busy_timeout + Duration::from_secs(5))
            .connection_customizer(Box::new(Pragmas { busy_timeout }))
            .build(manager)
            .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
        Ok(Store { pool })
    }

    pub fn conn(&self) -> Result<PooledConnection<ConnectionManager<SqliteConnection>>, StoreError> {
        self.pool.get().map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Applies pending migrations; returns their names.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        let applied =
            conn.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(applied.iter().map(|m| m.to_string()).collect())
    }

    /// Runs `f` in one write transaction (taken at once, so two writers
    /// never deadlock upgrading a read lock).
    pub fn write<T, E>(&self, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let mut conn = self.conn()?;
        conn.immediate_transaction(f)
    }
}
