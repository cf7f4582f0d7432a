//! A desk on the real Dovecot and Postfix, and a `guichet run` in the
//! background: the helpers of `tests/mailservers.rs`, for other test files.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::servers::{header, Servers};
use super::{database_keys, manifest_dir, Desk};

/// A desk reading `support`'s INBOX over IMAP and sending through Postfix,
/// with `tech` as its technician.
pub fn desk(srv: &Servers, support: &str, tech: &str, after: &str, extra: &str) -> Desk {
    desk_on(&database_keys(), srv, support, tech, after, extra)
}

/// [`desk`] with the given `[database]` keys.
pub fn desk_on(database: &str, srv: &Servers, support: &str, tech: &str, after: &str, extra: &str) -> Desk {
    Desk::with_config(&format!(
        r#"
[database]
{database}
{mailbox}
{outgoing}

[tickets]
subject_tag = "Guichet"
# The tests write technicians' mail by hand: their address proves them.
technician_proof = "address"
language = "fr"

[templates]
dir = "{templates}"

[[technician]]
email = "{tech}"
name = "Tess Tech"
groups = ["poste"]
language = "fr"

[limits]
automatic_per_hour = 1000
{extra}
"#,
        mailbox = srv.mailbox_toml("support", support, after),
        outgoing = srv.outgoing_toml(),
        templates = manifest_dir().join("templates").display(),
    ))
}

pub fn message(from: &str, to: &str, subject: &str, id: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Sat, 28 Nov 2026 09:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{extra_headers}\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A `guichet run` in the background, its log in a file; killed (SIGKILL)
/// when dropped.
pub struct Running {
    pub child: std::process::Child,
    pub log: std::path::PathBuf,
}

impl Running {
    pub fn start(desk: &Desk, name: &str, env: &[(&str, &str)]) -> Running {
        let log = desk.path(&format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut cmd = desk.command(&["run"]);
        cmd.env("GUICHET_LOG", "info").stdout(std::process::Stdio::null()).stderr(file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Running { child: cmd.spawn().expect("run guichet"), log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log has a line that contains `needle`.
    pub fn wait_for_log(&self, needle: &str, within: Duration) {
        let start = std::time::Instant::now();
        while !self.log().contains(needle) {
            assert!(start.elapsed() < within, "`{needle}` not in the log after {within:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGTERM: guichet ends the pass it is in and exits.
    pub fn stop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "{what}: not after {within:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn status(desk: &Desk) -> Value {
    serde_json::from_str(&desk.ok(&["status", "--json"])).expect("status json")
}

/// Copies of each message, by Message-ID, in `user`'s `folder`.
pub fn copies(srv: &Servers, user: &str, folder: &str) -> BTreeMap<String, usize> {
    let mut by_id = BTreeMap::new();
    for m in srv.messages(user, folder) {
        let id = header(&m, "Message-ID").unwrap_or_default();
        *by_id.entry(id.trim_matches(['<', '>']).to_string()).or_default() += 1;
    }
    by_id
}
