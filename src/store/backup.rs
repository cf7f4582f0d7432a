//! Backups and restores of the whole store. SQLite: `VACUUM INTO`, a
//! consistent copy taken inside one read transaction while other processes
//! keep writing (WAL). PostgreSQL: `pg_dump --format=custom` and
//! `pg_restore`, run with the config's connection (the password handed
//! over in `PGPASSWORD`, never on the command line). A restore only fills
//! an empty desk, and nothing here ever migrates the backup it reads or
//! writes: a backup taken before an upgrade is the old schema, whole.

use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{AnyConnection, Store, StoreError};
use crate::config::Database;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists: a backup never overwrites a file (choose a new name, or remove it first)")]
    Exists(PathBuf),
    #[error("there is no database at {0}: nothing to back up")]
    NoDatabase(PathBuf),
    #[error(
        "the desk at {database} already holds {what}: restore only fills an empty desk \
         (a new database, or a SQLite file that does not exist yet); nothing was changed"
    )]
    NotEmpty { database: String, what: String },
    #[error("{0}")]
    WrongKind(String),
    #[error("{tool}: {why}")]
    Tool { tool: &'static str, why: String },
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BackupError {
    /// The database was busy or out of reach: the same call may work later.
    pub fn is_transient(&self) -> bool {
        matches!(self, BackupError::Store(e) if e.is_transient())
    }
}

impl From<diesel::result::Error> for BackupError {
    fn from(e: diesel::result::Error) -> Self {
        BackupError::Store(StoreError::Query(e))
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |error| BackupError::Io { path: path.to_path_buf(), error }
}

/// What a desk holds, counted to say what a restore would cover.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    pub tickets: i64,
    pub mails: i64,
    pub kb_articles: i64,
}

impl Holdings {
    pub fn is_empty(&self) -> bool {
        self.tickets == 0 && self.mails == 0 && self.kb_articles == 0
    }
}

impl std::fmt::Display for Holdings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ticket(s), {} stored mail(s), {} knowledge-base article(s)",
            self.tickets, self.mails, self.kb_articles
        )
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Counts what the desk holds; a table that does not exist yet holds
/// nothing.
pub fn holdings(conn: &mut AnyConnection) -> Result<Holdings, diesel::result::Error> {
    let mut count = |table: &str| -> Result<i64, diesel::result::Error> {
        let exists = match conn {
            AnyConnection::Sqlite(c) => {
                diesel::sql_query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?")
                    .bind::<Text, _>(table)
                    .get_result::<Count>(c)?
            }
            AnyConnection::Postgres(c) => diesel::sql_query(
                "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1",
            )
            .bind::<Text, _>(table)
            .get_result::<Count>(c)?,
        };
        if exists.n == 0 {
            return Ok(0);
        }
        // The name is one of ours, not input.
        Ok(diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<Count>(conn)?.n)
    };
    Ok(Holdings { tickets: count("tickets")?, mails: count("raw_messages")?, kb_articles: count("kb_articles")? })
}

/// Writes a backup of `db` to `file`, which must not exist. The copy is
/// written beside it under another name and moved into place only when
/// whole. Returns its size in bytes.
pub fn backup(db: &Database, file: &Path) -> Result<u64, BackupError> {
    if file.exists() {
        return Err(BackupError::Exists(file.to_path_buf()));
    }
    let partial = partial_name(file);
    let _ = std::fs::remove_file(&partial);
    let made = match db {
        Database::Sqlite { path, busy_timeout } => {
            if !path.exists() {
                return Err(BackupError::NoDatabase(path.clone()));
            }
            let mut c = diesel::SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
            c.batch_execute(&format!("PRAGMA busy_timeout = {};", busy_timeout.as_millis()))
                .map_err(StoreError::Query)?;
            let target = partial.to_string_lossy().replace('\'', "''");
            c.batch_execute(&format!("VACUUM INTO '{target}'")).map_err(|e| BackupError::Store(classify(e)))
        }
        Database::Postgres { url, .. } => {
            let (url, password) = split_password(url);
            let mut cmd = Command::new("pg_dump");
            cmd.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(&partial)
                .arg("--dbname")
                .arg(&url);
            run_tool("pg_dump", cmd, password.as_deref())
        }
    };
    if let Err(e) = made {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    // A hard link fails when `file` appeared meanwhile: never overwritten.
    let placed = std::fs::hard_link(&partial, file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists(file.to_path_buf())
        } else {
            BackupError::Io { path: file.to_path_buf(), error: e }
        }
    });
    let _ = std::fs::remove_file(&partial);
    placed?;
    Ok(std::fs::metadata(file).map_err(io(file))?.len())
}

/// Fills the empty desk `db` from `file` (a backup made by [`backup`] on
/// the same backend) and returns what it held. Migrations are left to the
/// caller: the backup may be of an older release.
pub fn restore(db: &Database, file: &Path) -> Result<Holdings, BackupError> {
    let head = {
        use std::io::Read;
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(file).map_err(io(file))?;
        let n = f.read(&mut head).map_err(io(file))?;
        head[..n].to_vec()
    };
    let is_sqlite = head.starts_with(b"SQLite format 3\0");
    let is_pg = head.starts_with(b"PGDMP");
    match db {
        Database::Sqlite { path, .. } => {
            if !is_sqlite {
                return Err(BackupError::WrongKind(format!(
                    "{} is not a SQLite backup{}: this desk is configured for SQLite",
                    file.display(),
                    if is_pg { " (it is a PostgreSQL one)" } else { "" }
                )));
            }
            let target = Database::Sqlite { path: path.clone(), busy_timeout: std::time::Duration::from_secs(10) };
            if path.exists() {
                let store = Store::connect(&target)?;
                let found = holdings(&mut *store.conn()?)?;
                if !found.is_empty() {
                    return Err(BackupError::NotEmpty { database: db.display(), what: found.to_string() });
                }
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            let incoming = partial_name(path);
            std::fs::copy(file, &incoming).map_err(io(&incoming))?;
            let checked = check_sqlite(&incoming);
            let held = match checked {
                Ok(h) => h,
                Err(e) => {
                    let _ = std::fs::remove_file(&incoming);
                    return Err(e);
                }
            };
            for side in ["-wal", "-shm"] {
                let mut name = path.as_os_str().to_owned();
                name.push(side);
                let _ = std::fs::remove_file(PathBuf::from(name));
            }
            std::fs::rename(&incoming, path).map_err(io(path))?;
            Ok(held)
        }
        Database::Postgres { url, .. } => {
            if !is_pg {
                return Err(BackupError::WrongKind(format!(
                    "{} is not a PostgreSQL backup (pg_dump --format=custom){}: this desk is configured for PostgreSQL",
                    file.display(),
                    if is_sqlite { " (it is a SQLite one)" } else { "" }
                )));
            }
            let store = Store::connect(db)?;
            let mut conn = store.conn()?;
            let found = holdings(&mut conn)?;
            if !found.is_empty() {
                return Err(BackupError::NotEmpty { database: db.display(), what: found.to_string() });
            }
            // An empty desk may still have its tables (it was migrated):
            // they go, so that the backup's own schema comes back whole.
            if let AnyConnection::Postgres(c) = &mut *conn {
                #[derive(QueryableByName)]
                struct Name {
                    #[diesel(sql_type = Text)]
                    tablename: String,
                }
                let tables: Vec<Name> =
                    diesel::sql_query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").load(c)?;
                if !tables.is_empty() {
                    let list: Vec<String> =
                        tables.iter().map(|t| format!("\"{}\"", t.tablename.replace('"', "\"\""))).collect();
                    c.batch_execute(&format!("DROP TABLE IF EXISTS {} CASCADE", list.join(", ")))?;
                }
            }
            drop(conn);
            drop(store);
            let (url, password) = split_password(url);
            let mut cmd = Command::new("pg_restore");
            cmd.args(["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname"])
                .arg(&url)
                .arg(file);
            run_tool("pg_restore", cmd, password.as_deref())?;
            let store = Store::connect(db)?;
            let held = holdings(&mut *store.conn()?)?;
            Ok(held)
        }
    }
}

/// Reads what a SQLite backup holds, after SQLite's own quick check.
fn check_sqlite(path: &Path) -> Result<Holdings, BackupError> {
    let bad = |why: String| BackupError::WrongKind(format!("{} is not a usable SQLite backup: {why}", path.display()));
    let mut c = diesel::SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| bad(e.to_string()))?;
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        quick_check: String,
    }
    let check: Vec<Check> = diesel::sql_query("PRAGMA quick_check").load(&mut c).map_err(|e| bad(e.to_string()))?;
    if check.len() != 1 || check[0].quick_check != "ok" {
        let said: Vec<&str> = check.iter().map(|c| c.quick_check.as_str()).take(3).collect();
        return Err(bad(said.join("; ")));
    }
    let mut any = AnyConnection::Sqlite(c);
    holdings(&mut any).map_err(|e| bad(e.to_string()))
}

/// `file.partial` beside `file`.
fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// SQLite's busy and locked answers are worth trying again.
fn classify(e: diesel::result::Error) -> StoreError {
    let s = StoreError::Query(e);
    if s.is_transient() {
        StoreError::Unavailable(s.to_string())
    } else {
        s
    }
}

fn run_tool(tool: &'static str, mut cmd: Command, password: Option<&str>) -> Result<(), BackupError> {
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().map_err(|e| BackupError::Tool {
        tool,
        why: if e.kind() == std::io::ErrorKind::NotFound {
            format!("not found on PATH: install the PostgreSQL client tools (the server's major version or newer): {e}")
        } else {
            e.to_string()
        },
    })?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let why = format!("{} — {}", out.status, if said.is_empty() { "no message" } else { &said });
    // Out of reach or refusing connections: the database's fault, not the file's.
    if ["could not connect", "connection refused", "the database system is"].iter().any(|w| said.contains(w)) {
        return Err(BackupError::Store(StoreError::Unavailable(format!("{tool}: {why}"))));
    }
    Err(BackupError::Tool { tool, why })
}

/// The URL without its password, and the password (percent-decoded), so
/// that it reaches the tool through its environment and not its command
/// line, which every user of the machine can read.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url.to_string(), None) };
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return (url.to_string(), None) };
    let Some((user, password)) = userinfo.split_once(':') else { return (url.to_string(), None) };
    (format!("{scheme}://{user}@{host}{tail}"), Some(percent_decode(password)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_leaves_the_url_decoded_and_the_rest_stays() {
        assert_eq!(
            split_password("postgres://guichet:p%40ss%2Fw@db.example.test:5432/desk?sslmode=require"),
            ("postgres://guichet@db.example.test:5432/desk?sslmode=require".to_string(), Some("p@ss/w".to_string()))
        );
        assert_eq!(
            split_password("postgres://guichet@db.example.test/desk"),
            ("postgres://guichet@db.example.test/desk".to_string(), None)
        );
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
