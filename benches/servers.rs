//! Throughput against the test servers, on mail from `scripts/bench-mail.py`:
//!
//! - `imap DIR`: a Dovecot mailbox holding every mail of DIR/new is
//!   drained by `guichet run` (IDLE, `after = "move:Processed"`, outgoing
//!   mail written as files): the time until every mail is committed and
//!   the folder is empty (all moved).
//! - `smtp DIR`: every mail of DIR/new is stored with `guichet ingest`,
//!   then one `guichet run --once` sends what that queued to Postfix (STARTTLS):
//!   the time until every queued mail is accepted by Postfix and recorded.
//!
//! `--database URL` runs on PostgreSQL (a fresh, empty database); SQLite
//! otherwise. Needs the test servers; `scripts/bench.sh` starts them and
//! calls `cargo bench --bench servers -- imap|smtp DIR [--database URL]`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::{QueryDsl, RunQueryDsl};
use guichet::store::schema::{inbound, outbox};
use servers::Servers;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let (what, dir) = match (args.first(), args.get(1)) {
        (Some(what), Some(dir)) => (what.as_str(), PathBuf::from(dir)),
        _ => panic!("usage: cargo bench --bench servers -- imap|smtp DIR [--database URL]"),
    };
    let database = args.iter().position(|a| a == "--database").and_then(|i| args.get(i + 1)).cloned();
    let mails = mail_files(&dir);
    let srv = Servers::get();
    let work = tempfile::tempdir().unwrap();
    let backend = if database.is_some() { "postgresql" } else { "sqlite" };
    match what {
        "imap" => imap(&srv, work.path(), database, &mails, backend),
        "smtp" => smtp(&srv, work.path(), database, &mails, backend),
        other => panic!("unknown measure `{other}`: imap or smtp"),
    }
}

fn mail_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("new")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

fn config(work: &Path, database: Option<String>, mailbox: &str, outgoing: &str, tech: &str) -> PathBuf {
    let url = database.unwrap_or_else(|| "sqlite://guichet.db".into());
    let path = work.join("guichet.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[database]
url = "{url}"
{mailbox}
{outgoing}
[templates]
dir = "{templates}"

[[technician]]
email = "{tech}"
name = "Tess Tech"
"#,
            templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
        ),
    )
    .unwrap();
    guichet(&path, &["migrate"]);
    path
}

fn guichet(config: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_guichet")).arg("--config").arg(config).args(args).output().unwrap();
    assert!(out.status.success(), "guichet {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn count<T>(config: &Path, f: impl FnOnce(&mut guichet::store::Conn) -> T) -> T {
    let settings = guichet::config::Settings::load(config).unwrap();
    let store = guichet::store::Store::connect(&settings.database).unwrap();
    let mut conn = store.conn().unwrap();
    f(&mut conn)
}

/// (b) A mailbox holding every mail, drained by `guichet run`.
fn imap(srv: &Servers, work: &Path, database: Option<String>, mails: &[PathBuf], backend: &str) {
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let raws: Vec<Vec<u8>> = mails.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let bytes: usize = raws.iter().map(Vec::len).sum();
    let t = Instant::now();
    srv.append_all(&support, "INBOX", &raws);
    eprintln!(
        "{} mails ({} MB) appended to the mailbox in {:.1} s",
        raws.len(),
        bytes >> 20,
        t.elapsed().as_secs_f64()
    );
    let outgoing = format!("[outgoing]\ntransport = \"file\"\ndir = \"{}\"\n", work.join("outbox").display());
    let config = config(work, database, &srv.mailbox_toml("support", &support, "move:Processed"), &outgoing, &tech);

    let start = Instant::now();
    let mut run = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("GUICHET_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(work.join("run.log")).unwrap())
        .spawn()
        .unwrap();
    let wanted = raws.len() as i64;
    let mut stored_at = None;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        assert!(run.try_wait().unwrap().is_none(), "guichet run stopped: {}", log(work));
        assert!(start.elapsed() < Duration::from_secs(3600), "not drained after an hour: {}", log(work));
        if stored_at.is_none() {
            let stored: i64 = count(&config, |c| inbound::table.count().get_result(c).unwrap());
            if stored < wanted {
                continue;
            }
            stored_at = Some(start.elapsed());
        }
        if srv.messages_count(&support, "INBOX") == 0 {
            break;
        }
    }
    let moved = start.elapsed();
    let _ = run.kill();
    let _ = run.wait();
    let processed = srv.messages_count(&support, "Processed");
    assert_eq!(processed, raws.len(), "every mail moved to Processed");
    let stored = stored_at.unwrap().as_secs_f64();
    println!(
        "{backend:<10} imap   {wanted} mails committed in {stored:6.2} s, all moved in {:6.2} s: {:7.0} mails/s",
        moved.as_secs_f64(),
        wanted as f64 / moved.as_secs_f64()
    );
}

/// (d) Queued mail sent to Postfix by one `guichet run --once`.
fn smtp(srv: &Servers, work: &Path, database: Option<String>, mails: &[PathBuf], backend: &str) {
    let tech = srv.user("tech");
    // Every requester gets a mailbox, so that Postfix delivers rather
    // than bounces.
    let mut requesters: Vec<String> = mails
        .iter()
        .filter_map(|p| {
            let raw = std::fs::read(p).ok()?;
            let from = servers::header(&raw, "From")?;
            Some(from.rsplit('<').next()?.trim_end_matches('>').trim().to_string())
        })
        .collect();
    requesters.sort();
    requesters.dedup();
    let mut users =
        std::fs::OpenOptions::new().append(true).open(std::env::var("GUICHET_TEST_PASSWD_FILE").unwrap()).unwrap();
    for r in &requesters {
        writeln!(users, "{r}:{{PLAIN}}secret").unwrap();
    }
    let empty = work.join("maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(empty.join(sub)).unwrap();
    }
    let mailbox = format!(
        "[[mailbox]]\nname = \"support\"\nkind = \"maildir\"\naddress = \"support@example.test\"\npath = \"{}\"\n",
        empty.display()
    );
    let config = config(work, database, &mailbox, &srv.outgoing_toml(), &tech);
    for chunk in mails.chunks(5000) {
        let files: Vec<&str> = chunk.iter().map(|p| p.to_str().unwrap()).collect();
        let mut args = vec!["ingest"];
        args.extend(files);
        guichet(&config, &args);
    }
    let queued: i64 = count(&config, |c| outbox::table.count().get_result(c).unwrap());
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&config)
        .args(["run", "--once"])
        .env("GUICHET_LOG", "warn")
        .output()
        .unwrap();
    let took = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "run --once: {}", String::from_utf8_lossy(&out.stderr));
    let sent: i64 = count(&config, |c| {
        use diesel::ExpressionMethods;
        outbox::table.filter(outbox::state.eq("sent")).count().get_result(c).unwrap()
    });
    println!(
        "{backend:<10} smtp   {sent} of {queued} queued mails sent to Postfix in {took:6.2} s: {:7.0} mails/s",
        sent as f64 / took
    );
}

fn log(work: &Path) -> String {
    std::fs::read_to_string(work.join("run.log")).unwrap_or_default()
}
