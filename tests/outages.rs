//! Outages against the real servers (see `tests/mailservers.rs`): Postfix
//! stopped for a minute, Dovecot restarted in the middle of a fetch,
//! PostgreSQL restarted under load, and the disk of the SQLite file full.
//! Each time `guichet run` keeps running, waits longer between attempts,
//! says what is wrong (its log and `guichet status`) and catches up once
//! the fault is gone, with no mail lost and none stored or sent twice.
//!
//! The tests stop shared servers: they take turns (one lock), and each
//! puts its server back when it ends, even when it fails. Run as root.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::running::{desk, desk_on, message, status, wait_until, Running};
use common::servers::Servers;
use common::Desk;
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use guichet::store::schema::{articles, inbound, outbox};
use serde_json::Value;

/// One outage at a time.
fn serial() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn var(key: &str) -> String {
    std::env::var(key)
        .unwrap_or_else(|_| panic!("{key} is not set: run the tests with scripts/test.sh (it starts the servers)"))
}

fn sh(what: &str, program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{what}: {program}: {e}"));
    assert!(out.status.success(), "{what}: {program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Runs its closure when dropped: the server comes back whatever happens.
struct Finally<F: FnMut()>(F);

impl<F: FnMut()> Drop for Finally<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

fn postfix(action: &str) {
    sh(&format!("postfix {action}"), "postfix", &["-c", &var("GUICHET_TEST_POSTFIX_DIR"), action]);
}

/// Stops Dovecot and ends the sessions its master leaves behind, as a
/// restart of the machine or the service does: connections drop.
fn dovecot_stop() {
    sh("stop dovecot", "doveadm", &["-c", &var("GUICHET_TEST_DOVECOT_CONF"), "stop"]);
    let _ = Command::new("pkill").args(["-KILL", "-f", "^dovecot-guichet-test/"]).status();
}

fn dovecot_start() {
    // Already running (stopped and started by an earlier step): fine.
    let conf = var("GUICHET_TEST_DOVECOT_CONF");
    let _ = Command::new("dovecot").args(["-c", &conf]).stderr(std::process::Stdio::null()).status();
    let port: u16 = var("GUICHET_TEST_IMAP_PORT").parse().unwrap();
    wait_until("dovecot listening", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

fn postgres_restart() {
    let cluster = var("GUICHET_TEST_PG_CLUSTER");
    let (version, name) = cluster.split_once(' ').expect("GUICHET_TEST_PG_CLUSTER is `<version> <name>`");
    sh("restart postgresql", "pg_ctlcluster", &["--skip-systemctl-redirect", version, name, "restart"]);
}

fn requests(requesters: &[String], support: &str, tag: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            message(
                &requesters[i % requesters.len()],
                support,
                &format!("{tag} {i}"),
                &format!("{tag}-{i}@requesters.example.test"),
                "",
                &format!("Bonjour, le poste {i} ne démarre plus."),
            )
        })
        .collect()
}

fn total(v: &Value) -> i64 {
    v.as_object().map_or(0, |m| m.values().filter_map(Value::as_i64).sum())
}

fn count(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or(0)
}

/// Mail recorded as taken in, read straight from the database (the
/// tests below watch it closely while a server goes away).
fn stored(desk: &Desk) -> i64 {
    inbound::table.count().get_result(&mut *desk.database()).unwrap_or(-1)
}

/// Articles by Message-ID: each mail must be exactly one.
fn articles_by_message_id(desk: &Desk) -> BTreeMap<String, usize> {
    let ids: Vec<Option<String>> = articles::table
        .filter(articles::direction.eq("in"))
        .select(articles::message_id)
        .load(&mut *desk.database())
        .unwrap();
    let mut by_id = BTreeMap::new();
    for id in ids.into_iter().flatten() {
        *by_id.entry(id).or_insert(0) += 1;
    }
    by_id
}

/// Every requester got exactly one acknowledgement per request, and
/// nothing else is in their mailboxes. guichet must hand each one to
/// Postfix once (one Postfix queue id per Message-ID). With
/// `delivery_cut`, Dovecot was killed while Postfix delivered to it: a
/// delivery Dovecot stored but died before confirming is delivered again
/// by Postfix under the same queue id — the MTA's at-least-once, not a
/// second sending; those are counted and returned.
fn assert_one_acknowledgement_each(
    srv: &Servers,
    requesters: &[String],
    per_requester: usize,
    within: Duration,
    delivery_cut: bool,
) -> usize {
    let mut redelivered = 0;
    for r in requesters {
        srv.wait_for(r, "INBOX", per_requester, within);
        let mut queue_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in srv.messages(r, "INBOX") {
            let id = message_id(&m);
            queue_ids.entry(id).or_default().push(postfix_queue_id(&m));
        }
        assert_eq!(queue_ids.len(), per_requester, "{r}: {queue_ids:?}");
        for (id, queued) in &queue_ids {
            let mut distinct = queued.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 1, "{r}: {id} handed to Postfix {} times: {queued:?}", distinct.len());
            if queued.len() > 1 {
                assert!(delivery_cut, "{r}: {id} delivered {} times: {queued:?}", queued.len());
                redelivered += queued.len() - 1;
            }
        }
    }
    redelivered
}

fn message_id(raw: &[u8]) -> String {
    common::servers::header(raw, "Message-ID").unwrap_or_default().trim_matches(['<', '>']).to_string()
}

/// The queue id in the `Received:` line Postfix wrote when it accepted the
/// message ("by host (Postfix) with ESMTP id 4Xyz…").
fn postfix_queue_id(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n", "\n");
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    unfolded
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("received:") && l.contains("(Postfix)"))
        .find_map(|l| l.split_whitespace().skip_while(|w| *w != "id").nth(1))
        .map(|id| id.trim_end_matches(';').to_string())
        .unwrap_or_else(|| panic!("no Received line from Postfix in:\n{head}"))
}

/// [`wait_until`], with the run's log in the failure.
fn wait_logged(run: &Running, what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "{what}: not after {within:?}; the log:\n{}", run.log());
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits, closely, until `n` mails are stored.
fn wait_stored(desk: &Desk, run: &Running, n: i64) {
    let start = Instant::now();
    while stored(desk) < n {
        assert!(start.elapsed() < Duration::from_secs(60), "{n} mails not stored in a minute:\n{}", run.log());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// After an outage: every mail stored, as one article, and out of the
/// support INBOX; `run` still running.
fn assert_all_stored_once(desk: &Desk, run: &mut Running, srv: &Servers, support: &str, mails: usize) {
    wait_logged(run, "every mail stored", Duration::from_secs(180), || stored(desk) >= mails as i64);
    wait_logged(run, "the support INBOX emptied", Duration::from_secs(60), || {
        srv.messages(support, "INBOX").is_empty()
    });
    alive(run);
    let by_id = articles_by_message_id(desk);
    assert_eq!(by_id.len(), mails, "mails stored as articles");
    assert!(by_id.values().all(|n| *n == 1), "a mail stored twice: {:?}", by_id.iter().find(|(_, n)| **n > 1));
}

fn alive(run: &mut Running) {
    assert!(run.child.try_wait().unwrap().is_none(), "guichet run exited:\n{}", run.log());
}

#[test]
fn mail_waits_while_postfix_is_stopped_and_goes_when_it_is_back() {
    let _turn = serial();
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let requesters: Vec<String> = (0..3).map(|_| srv.user("relay-out")).collect();
    let desk = desk(&srv, &support, &tech, "move:Processed", "");
    let mut run = Running::start(&desk, "run", &[]);
    run.wait_for_log("running", Duration::from_secs(30));

    postfix("stop");
    // Started again, if the test ends before it does so itself.
    let _back = Finally(|| {
        let dir = var("GUICHET_TEST_POSTFIX_DIR");
        if !Command::new("postfix").args(["-c", &dir, "status"]).status().is_ok_and(|s| s.success()) {
            postfix("start");
        }
    });
    let stopped = Instant::now();
    // Mail already delivered to the support mailbox is still read.
    srv.append_all(&support, "INBOX", &requests(&requesters, &support, "Relais", 30));
    wait_until("30 tickets", Duration::from_secs(60), || total(&status(&desk)["tickets"]) == 30);
    wait_until("the relay reported down", Duration::from_secs(30), || status(&desk)["outgoing"]["state"] == "failing");
    let v = status(&desk);
    let port = srv.smtp_port.to_string();
    assert!(v["outgoing"]["error"].as_str().unwrap().contains(&port), "{v:#}");
    // An acknowledgement and a notice to the technician per ticket.
    let waiting = count(&v["outbox"], "pending");
    assert_eq!(waiting, 60, "{v:#}");
    assert!(desk.ok(&["status"]).contains("relay:      failing"), "{}", desk.ok(&["status"]));

    // A minute down. It keeps trying, less and less often.
    std::thread::sleep(Duration::from_secs(60).saturating_sub(stopped.elapsed()));
    alive(&mut run);
    let tries = run.log().matches("outgoing relay unreachable").count();
    // 1 s, 2, 4, 8, 16, 30, 30: about seven in a minute, not sixty.
    assert!((4..=12).contains(&tries), "{tries} tries in a minute:\n{}", run.log());

    postfix("start");
    let back = Instant::now();
    assert_one_acknowledgement_each(&srv, &requesters, 10, Duration::from_secs(90), false);
    let caught_up = back.elapsed();
    let v = status(&desk);
    assert_eq!(v["outgoing"]["state"], "ok", "{v:#}");
    wait_until("the outbox empty", Duration::from_secs(30), || count(&status(&desk)["outbox"], "pending") == 0);
    assert_eq!(count(&status(&desk)["outbox"], "sent"), waiting);
    assert_eq!(srv.messages(&tech, "INBOX").len(), 30, "the technician's notices");
    // The outage was the relay's, not the mails': none was charged an attempt.
    let attempts: Vec<i32> = outbox::table.select(outbox::attempts).load(&mut *desk.database()).unwrap();
    assert!(attempts.iter().all(|a| *a == 1), "{attempts:?}");
    run.wait_for_log("outgoing relay reachable again", Duration::from_secs(5));
    alive(&mut run);
    eprintln!("postfix stopped 60 s: {tries} tries while down, {waiting} mails waiting; the 30 acknowledgements delivered {caught_up:?} after it was back");
}

#[test]
fn a_dovecot_restart_in_the_middle_of_a_fetch_loses_and_doubles_nothing() {
    const MAILS: usize = 2000;
    let _turn = serial();
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let requesters: Vec<String> = (0..4).map(|_| srv.user("imap-out")).collect();
    let desk = desk(&srv, &support, &tech, "move:Processed", "");
    srv.append_all(&support, "INBOX", &requests(&requesters, &support, "Coupure", MAILS));

    let mut run = Running::start(&desk, "run", &[]);
    let start = Instant::now();
    wait_stored(&desk, &run, 1);
    let _back = Finally(dovecot_start);
    dovecot_stop();
    let at_restart = stored(&desk);
    // Down long enough for `status` to say so.
    wait_logged(&run, "the mailbox reported failing", Duration::from_secs(30), || {
        status(&desk)["mailboxes"][0]["state"] == "failing"
    });
    let v = status(&desk);
    assert!(!v["mailboxes"][0]["error"].as_str().unwrap().is_empty(), "{v:#}");
    dovecot_start();
    assert!(at_restart < MAILS as i64, "the fetch was over before the restart ({at_restart} stored)");

    assert_all_stored_once(&desk, &mut run, &srv, &support, MAILS);
    assert_eq!(total(&status(&desk)["tickets"]), MAILS as i64);
    assert_eq!(srv.messages(&support, "Processed").len(), MAILS, "every mail moved once");
    let redelivered =
        assert_one_acknowledgement_each(&srv, &requesters, MAILS / requesters.len(), Duration::from_secs(120), true);
    let log = run.log();
    assert!(log.contains("mailbox failing"), "the log says nothing:\n{log}");
    eprintln!(
        "dovecot restarted after {at_restart} of {MAILS} mails: all stored once, {:?} in all; \
         {redelivered} acknowledgements delivered again by Postfix (Dovecot killed during the delivery)",
        start.elapsed()
    );
}

#[test]
fn a_postgresql_restart_under_load_loses_and_doubles_nothing() {
    const MAILS: usize = 200;
    let _turn = serial();
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let requesters: Vec<String> = (0..4).map(|_| srv.user("pg-out")).collect();
    let database = format!("url = \"{}\"", common::new_pg_database());
    let desk = desk_on(&database, &srv, &support, &tech, "move:Processed", "");
    let mails = requests(&requesters, &support, "Base", MAILS);
    srv.append_all(&support, "INBOX", &mails[..MAILS / 2]);

    let mut run = Running::start(&desk, "run", &[]);
    let start = Instant::now();
    wait_stored(&desk, &run, 20);
    postgres_restart();
    // More mail while it finds its feet.
    srv.append_all(&support, "INBOX", &mails[MAILS / 2..]);

    assert_all_stored_once(&desk, &mut run, &srv, &support, MAILS);
    assert_one_acknowledgement_each(&srv, &requesters, MAILS / requesters.len(), Duration::from_secs(120), false);
    let v = status(&desk);
    assert_eq!(v["database"]["writable"], true, "{v:#}");
    wait_until("the outbox empty", Duration::from_secs(30), || count(&status(&desk)["outbox"], "pending") == 0);
    let v = status(&desk);
    assert_eq!(count(&v["outbox"], "failed"), 0, "{v:#}");
    eprintln!(
        "{}",
        run.log().lines().filter(|l| l.contains("ERROR") || l.contains("WARN")).collect::<Vec<_>>().join("\n")
    );
    eprintln!("postgresql restarted under load: {MAILS} mails stored once and answered, {:?} in all", start.elapsed());
}

/// A small file system for the SQLite file, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(path: std::path::PathBuf, size: &str) -> SmallDisk {
        std::fs::create_dir_all(&path).unwrap();
        sh(
            "mount a small tmpfs (the test needs root)",
            "mount",
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", path.to_str().unwrap()],
        );
        SmallDisk(path)
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.0.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_under_the_sqlite_file_stops_nothing_for_good() {
    let _turn = serial();
    // The SQLite file on a 64 MB disk of its own; the maildir and the
    // outgoing files elsewhere.
    // Mail up to 1 MB: the disk has room for one once freed.
    let config = Desk::config_text("[limits]\nmax_message_bytes = 1000000\n", "")
        .replace(&common::database_keys(), "url = \"sqlite://var/guichet.db\"\nbusy_timeout_ms = 300")
        .replace("after = \"keep\"", "after = \"delete\"");
    let desk = Desk::with_config(&config);
    let disk = SmallDisk::mount(desk.path("var"), "64m");
    let mut run = Running::start(&desk, "run", &[]);
    run.wait_for_log("running", Duration::from_secs(30));
    let mail = |i: usize| {
        let body = format!("Le poste {i} ne démarre plus.\r\n{}", "Détail du journal.\r\n".repeat(2500));
        message(
            &format!("user{}@example.test", i % 5),
            common::SUPPORT,
            &format!("Disque {i}"),
            &format!("disk-{i}@example.test"),
            "",
            &body,
        )
    };
    for i in 0..10 {
        desk.deliver(&format!("{i}.eml"), &mail(i));
    }
    wait_until("10 tickets", Duration::from_secs(30), || total(&status(&desk)["tickets"]) == 10);

    let filler = disk.fill();
    for i in 10..40 {
        desk.deliver(&format!("{i}.eml"), &mail(i));
    }
    run.wait_for_log("database or disk is full", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(5));
    alive(&mut run);
    let v = status(&desk);
    assert_eq!(v["database"]["state"], "full", "{v:#}");
    assert!(v["database"]["free_bytes"].as_u64().unwrap() < 1 << 20, "{v:#}");
    assert!(desk.ok(&["status"]).contains("database:   sqlite, full"), "{}", desk.ok(&["status"]));
    // Each mail is stored (SQLite may still find room in its journal for
    // a few) or still waits in maildir/new: none is taken and dropped.
    let stored_full = total(&v["tickets"]);
    let waiting = common::files_in(&desk.path("maildir/new")).len() as i64;
    assert_eq!(stored_full + waiting, 40, "{waiting} waiting, {stored_full} stored");
    assert!(waiting > 0, "the disk was not full for guichet");
    // It tries less and less often: not once a second.
    let tries_full = run.log().matches("will try again").count();

    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    wait_logged(&run, "40 tickets", Duration::from_secs(60), || total(&status(&desk)["tickets"]) == 40);
    let caught_up = freed.elapsed();
    wait_logged(&run, "the outbox empty", Duration::from_secs(60), || count(&status(&desk)["outbox"], "pending") == 0);
    let v = status(&desk);
    // Each mail written once: those written while the database refused
    // to record it were recorded afterwards, not written again.
    let written = common::files_in(&desk.path("outbox")).len() as i64;
    assert_eq!(written, count(&v["outbox"], "sent"), "{v:#}");
    let acks = desk.queued("acknowledgement");
    assert_eq!(acks.len(), 40);
    assert_eq!(v["database"]["state"], "ok", "{v:#}");
    assert_eq!(v["quarantine_held"], 0, "{v:#}");
    alive(&mut run);
    assert!(tries_full <= 12, "{tries_full} failed passes in about 10 s:\n{}", run.log());
    eprintln!("disk full: {tries_full} failed passes logged, {waiting} mails waited and were stored {caught_up:?} after space came back");
    run.stop();
}
