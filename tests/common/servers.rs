//! The real Dovecot and Postfix that `scripts/mailservers.sh` starts on
//! loopback: users made per test, mail sent over SMTP and read over IMAP
//! the way people's mail clients do.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use guichet::config::{Imap, Tls};

pub struct Servers {
    pub imap_port: u16,
    pub imaps_port: u16,
    pub smtp_port: u16,
    pub smtps_port: u16,
    /// Submission: STARTTLS and AUTH required.
    pub submission_port: u16,
    pub ca_file: PathBuf,
    passwd_file: PathBuf,
    pub password: String,
}

fn var(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| {
        panic!(
            "{key} is not set: the mail servers are not running. Run the tests with scripts/test.sh, \
             or `scripts/servers.sh start` and source /tmp/guichet-servers/env first."
        )
    })
}

fn port(key: &str) -> u16 {
    var(key).parse().unwrap_or_else(|_| panic!("{key} is not a port"))
}

impl Servers {
    /// The running servers; panics (the test fails) when they are missing.
    pub fn get() -> Servers {
        Servers {
            imap_port: port("GUICHET_TEST_IMAP_PORT"),
            imaps_port: port("GUICHET_TEST_IMAPS_PORT"),
            smtp_port: port("GUICHET_TEST_SMTP_PORT"),
            smtps_port: port("GUICHET_TEST_SMTPS_PORT"),
            submission_port: port("GUICHET_TEST_SUBMISSION_PORT"),
            ca_file: PathBuf::from(var("GUICHET_TEST_CA_FILE")),
            passwd_file: PathBuf::from(var("GUICHET_TEST_PASSWD_FILE")),
            password: var("GUICHET_TEST_MAIL_PASSWORD"),
        }
    }

    /// A new mail user named after `prefix`, unique to this test run;
    /// returns the address.
    pub fn user(&self, prefix: &str) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let stamp = std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.as_millis() % 1_000_000).unwrap_or(0);
        let address =
            format!("{prefix}-{}-{}-{stamp}@example.test", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let suffix = std::env::var("GUICHET_TEST_PASSWD_LINE_SUFFIX").unwrap_or_default();
        let mut f = std::fs::OpenOptions::new().append(true).open(&self.passwd_file).expect("open the passwd-file");
        // One write: tests running at once must not mix their lines.
        let line = format!("{address}:{{PLAIN}}{}{suffix}\n", self.password);
        f.write_all(line.as_bytes()).expect("add a mail user");
        drop(f);
        self.wait_until_known(&address);
        address
    }

    /// Dovecot reads the users file on every login (see
    /// `scripts/mailservers.sh`): a new user can log in at once.
    fn wait_until_known(&self, address: &str) {
        let cfg = self.imap(address, Tls::None);
        if let Err(e) = self.block_on(guichet::ingest::imap::connect(&cfg)) {
            panic!("Dovecot does not know {address}: {e}");
        }
    }

    /// IMAP settings for `user`, as guichet's config would give them.
    pub fn imap(&self, user: &str, tls: Tls) -> Imap {
        Imap {
            host: "127.0.0.1".into(),
            port: if tls == Tls::Tls { self.imaps_port } else { self.imap_port },
            tls,
            username: user.into(),
            auth: guichet::config::Auth::Password(self.password.clone()),
            folder: "INBOX".into(),
            ca_file: Some(self.ca_file.clone()),
            idle: true,
            idle_renew: Duration::from_secs(60),
        }
    }

    /// The `[[mailbox]]` keys that read `user`'s INBOX over IMAP.
    /// The same mailbox read through the address where the IMAP server
    /// offers neither MOVE nor UIDPLUS (plain text: its certificate does
    /// not name that address; it is loopback all the same).
    pub fn basic_mailbox_toml(&self, name: &str, user: &str, after: &str) -> String {
        let host = var("GUICHET_TEST_IMAP_BASIC_HOST");
        self.mailbox_toml(name, user, after)
            .replace("host = \"127.0.0.1\"", &format!("host = \"{host}\""))
            .replace("tls = \"starttls\"", "tls = \"none\"")
    }

    pub fn mailbox_toml(&self, name: &str, user: &str, after: &str) -> String {
        format!(
            r#"
[[mailbox]]
name = "{name}"
kind = "imap"
address = "{user}"
host = "127.0.0.1"
port = {port}
tls = "starttls"
ca_file = "{ca}"
username = "{user}"
password_env = "GUICHET_TEST_MAIL_PASSWORD"
after = "{after}"
poll_seconds = 2
"#,
            port = self.imap_port,
            ca = self.ca_file.display()
        )
    }

    /// The `[outgoing]` table that sends through Postfix with STARTTLS.
    pub fn outgoing_toml(&self) -> String {
        format!(
            r#"
[outgoing]
transport = "smtp"
host = "127.0.0.1"
port = {port}
tls = "starttls"
ca_file = "{ca}"
from_name = "Support"
message_id_domain = "example.test"
"#,
            port = self.smtp_port,
            ca = self.ca_file.display()
        )
    }

    /// Sends `raw` over SMTP, as a mail client would.
    pub fn send(&self, from: &str, to: &[&str], raw: &[u8]) {
        use lettre::Transport;
        let envelope = lettre::address::Envelope::new(
            Some(from.parse().expect("from address")),
            to.iter().map(|t| t.parse().expect("to address")).collect(),
        )
        .expect("envelope");
        let smtp = lettre::SmtpTransport::builder_dangerous("127.0.0.1").port(self.smtp_port).build();
        smtp.send_raw(&envelope, raw).expect("Postfix accepts the mail");
    }

    fn block_on<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
    }

    /// Every message in `user`'s `folder`, read without changing flags.
    pub fn messages(&self, user: &str, folder: &str) -> Vec<Vec<u8>> {
        self.block_on(async {
            let mut s = guichet::ingest::imap::connect(&self.imap(user, Tls::None)).await.expect("IMAP login");
            let mailbox = match s.select(folder).await {
                Ok(m) => m,
                Err(_) => return Vec::new(),
            };
            if mailbox.exists == 0 {
                return Vec::new();
            }
            let fetched: Vec<_> =
                s.fetch("1:*", "(UID BODY.PEEK[])").await.expect("fetch").try_collect().await.expect("fetch");
            let mut out: Vec<(u32, Vec<u8>)> =
                fetched.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec()))).collect();
            out.sort_by_key(|(uid, _)| *uid);
            let _ = s.logout().await;
            out.into_iter().map(|(_, b)| b).collect()
        })
    }

    /// Waits until `user`'s `folder` holds at least `n` messages (mail
    /// travels through Postfix and LMTP), then returns them all.
    pub fn wait_for(&self, user: &str, folder: &str, n: usize, within: Duration) -> Vec<Vec<u8>> {
        let start = Instant::now();
        loop {
            let got = self.messages(user, folder);
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "{user}/{folder}: {} message(s) after {within:?}, expected {n}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// How many messages `user`'s `folder` holds (0 when there is no such folder).
    pub fn messages_count(&self, user: &str, folder: &str) -> usize {
        self.block_on(async {
            let mut s = guichet::ingest::imap::connect(&self.imap(user, Tls::None)).await.expect("IMAP login");
            let n = s.select(folder).await.map_or(0, |m| m.exists as usize);
            let _ = s.logout().await;
            n
        })
    }

    /// Puts `raw` in `user`'s `folder` directly (IMAP APPEND).
    pub fn append(&self, user: &str, folder: &str, raw: &[u8]) {
        self.append_all(user, folder, &[raw.to_vec()]);
    }

    pub fn append_all(&self, user: &str, folder: &str, raws: &[Vec<u8>]) {
        self.block_on(async {
            let mut s = guichet::ingest::imap::connect(&self.imap(user, Tls::None)).await.expect("IMAP login");
            for raw in raws {
                s.append(folder, None, None, raw).await.expect("APPEND");
            }
            let _ = s.logout().await;
        })
    }

    /// Marks every message of `user`'s INBOX \Seen, as another mail
    /// client reading the mailbox would.
    pub fn mark_all_seen(&self, user: &str) {
        self.block_on(async {
            let mut s = guichet::ingest::imap::connect(&self.imap(user, Tls::None)).await.expect("IMAP login");
            s.select("INBOX").await.expect("select");
            let _: Vec<_> = s.store("1:*", "+FLAGS (\\Seen)").await.expect("store").try_collect().await.expect("store");
            let _ = s.logout().await;
        })
    }
}

/// A header's value in a raw message (first occurrence, unfolded).
pub fn header(raw: &[u8], name: &str) -> Option<String> {
    let msg = mail_parser::MessageParser::default().parse(raw)?;
    msg.header_raw(name).map(|v| v.trim().replace("\r\n", "").replace('\n', ""))
}

pub fn subject(raw: &[u8]) -> String {
    mail_parser::MessageParser::default().parse(raw).and_then(|m| m.subject().map(str::to_string)).unwrap_or_default()
}

pub fn text_body(raw: &[u8]) -> String {
    mail_parser::MessageParser::default()
        .parse(raw)
        .and_then(|m| m.body_text(0).map(|b| b.into_owned()))
        .unwrap_or_default()
}
