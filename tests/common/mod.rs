//! A desk in a temporary directory, driven through the `guichet` binary
//! (the same desk in process, without the binary: [`harness`]).
#![allow(dead_code)]

pub mod browser;
pub mod dkim;
pub mod harness;
pub mod running;
pub mod servers;
pub mod team;
pub mod web;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub struct Desk {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    /// `GUICHET_NOW` for the next commands, when set.
    pub now: Option<String>,
}

pub const SUPPORT: &str = "support@example.test";
pub const MARC: &str = "marc.dupont@example.test";
pub const SARAH: &str = "sarah.lee@example.test";

/// The `[database]` keys of a test desk: SQLite in the desk's directory,
/// or, with `GUICHET_TEST_BACKEND=postgres`, a new database of its own on
/// the server `GUICHET_TEST_PG_URL` names (see `scripts/postgres.sh`).
/// One database per test: each test runs on a thread of its own, and a
/// config rewritten during a test keeps pointing at the same database.
pub fn database_keys() -> String {
    thread_local! {
        static PG: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
    }
    if on_postgres() {
        PG.with(|pg| format!("url = \"{}\"", pg.get_or_init(new_pg_database)))
    } else {
        "url = \"sqlite://var/guichet.db\"\nbusy_timeout_ms = 300".to_string()
    }
}

pub fn on_postgres() -> bool {
    std::env::var("GUICHET_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// Creates an empty PostgreSQL database for one test; returns its URL.
pub fn new_pg_database() -> String {
    use diesel::{Connection, RunQueryDsl};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::var("GUICHET_TEST_PG_URL")
        .expect("GUICHET_TEST_PG_URL is not set: run the tests through scripts/test.sh, which starts PostgreSQL");
    let base = base.trim_end_matches('/');
    let name = format!(
        "guichet_t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.subsec_nanos()).unwrap_or(0)
    );
    let mut admin = diesel::PgConnection::establish(&format!("{base}/postgres")).expect("connect to PostgreSQL");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create test database");
    format!("{base}/{name}")
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Desk {
    pub fn new() -> Desk {
        Desk::with("")
    }

    /// A desk whose config has `extra` appended (tables and keys of its own).
    pub fn with(extra: &str) -> Desk {
        Desk::with_config(&Desk::config_text(extra, ""))
    }

    pub fn config_text(extra: &str, tickets: &str) -> String {
        format!(
            r#"
[database]
{database}

[[mailbox]]
name = "support"
path = "maildir"
address = "{SUPPORT}"
after = "keep"
poll_seconds = 1

[outgoing]
transport = "file"
dir = "outbox"
from_name = "Support"
message_id_domain = "example.test"

[tickets]
subject_tag = "Guichet"
reopen_days = 14
language = "fr"
# The tests write technicians' mail by hand: their address proves them.
technician_proof = "address"
{tickets}

[[technician]]
email = "{MARC}"
name = "Marc Dupont"
groups = ["poste"]
language = "fr"
digest = "off"

[[technician]]
email = "{SARAH}"
name = "Sarah Lee"
groups = ["reseau"]
language = "en"
digest = "off"
{extra}
"#,
            database = database_keys()
        )
    }

    /// A `[templates]` table naming `dir` as the override directory, to
    /// append to a config (the default desk has none: the built-ins).
    pub fn templates_table(dir: &std::path::Path) -> String {
        format!("\n[templates]\ndir = \"{}\"\n", dir.display())
    }

    pub fn with_config(text: &str) -> Desk {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["maildir/new", "maildir/cur", "maildir/tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("maildir");
        }
        let config = dir.path().join("guichet.toml");
        std::fs::write(&config, text).expect("config");
        Desk { dir, config, now: None }
    }

    /// A connection to the desk's database, whichever the backend.
    pub fn database(&self) -> diesel::r2d2::PooledConnection<guichet::store::Manager> {
        let settings = guichet::config::Settings::load(&self.config).expect("test config");
        guichet::store::Store::connect(&settings.database).expect("open store").conn().expect("connection")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_guichet"));
        c.arg("--config").arg(&self.config).args(args).env_remove("GUICHET_CONFIG").env("GUICHET_LOG", "warn");
        match &self.now {
            Some(now) => c.env("GUICHET_NOW", now),
            None => c.env_remove("GUICHET_NOW"),
        };
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run guichet")
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "guichet {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `guichet ingest --json` with the mail on stdin.
    pub fn ingest_output(&self, raw: &[u8]) -> Output {
        let mut child = self
            .command(&["ingest", "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn guichet");
        // guichet may exit before reading stdin (a broken config): a broken
        // pipe here is its answer, not a test failure.
        let _ = child.stdin.take().expect("stdin").write_all(raw);
        child.wait_with_output().expect("wait guichet")
    }

    /// Ingests and returns the outcome object.
    pub fn ingest(&self, raw: &[u8]) -> Value {
        let out = self.ingest_output(raw);
        assert_eq!(
            out.status.code(),
            Some(0),
            "ingest failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("one JSON outcome")
    }

    pub fn ticket(&self, n: i64) -> Value {
        serde_json::from_str(&self.ok(&["ticket", "show", &n.to_string(), "--json"])).expect("ticket json")
    }

    pub fn tickets(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["ticket", "list", "--json"])).expect("ticket list json")
    }

    pub fn outbox(&self) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["outbox", "list", "--json"])).expect("outbox json")
    }

    /// Outbox rows queued with this template.
    pub fn queued(&self, template: &str) -> Vec<Value> {
        self.outbox().into_iter().filter(|m| m["template"] == template).collect()
    }

    /// Delivers as an MTA does: written in tmp/, then renamed into new/.
    pub fn deliver(&self, name: &str, raw: &[u8]) -> PathBuf {
        let tmp = self.path("maildir/tmp").join(name);
        std::fs::write(&tmp, raw).expect("deliver");
        let path = self.path("maildir/new").join(name);
        std::fs::rename(&tmp, &path).expect("deliver");
        path
    }
}

/// A small mail; `headers` are extra header lines ending in \r\n.
pub fn mail(from: &str, subject: &str, message_id: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nDate: Mon, 16 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{headers}\r\n{body}\r\n"
    )
    .into_bytes()
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(manifest_dir().join("tests/fixtures").join(rel)).expect("fixture")
}

pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    v.sort();
    v
}

pub fn as_i64(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// An outbox row's mail, parsed as a recipient's client would.
pub fn parsed(row: &Value) -> guichet::mail::inbound::InboundMail {
    let content = row["content"].as_str().expect("content");
    guichet::mail::inbound::InboundMail::parse(content.as_bytes()).expect("our mail parses")
}

/// The decoded text part of an outbox row.
pub fn body(row: &Value) -> String {
    parsed(row).text
}

/// Waits for a line on the child's stderr that contains `needle`.
pub fn wait_for(lines: &std::sync::mpsc::Receiver<String>, needle: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    panic!("`{needle}` never appeared in the log");
}

/// As an editor saves: the reloader never sees a half-written file.
pub fn write_atomic(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text).expect("run guichet");
    std::fs::rename(&tmp, path).expect("run guichet");
}

/// `guichet run` in the background, its log lines on a channel; returns
/// once it says it is running.
pub fn start_run(desk: &Desk) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = desk
        .command(&["run"])
        .env("GUICHET_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run guichet");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("run guichet");
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    wait_for(&rx, "running");
    (child, rx)
}
