//! Crash safety against the real Dovecot and Postfix (see
//! `tests/mailservers.rs`): `guichet run` is killed with SIGKILL at 20
//! pseudo-random moments while it reads 1,000 mails over IMAP and answers
//! them through Postfix, restarted each time, then left to finish. No mail
//! may be lost or stored twice. A notice may go out twice only when a kill
//! lands between the relay taking it and the commit that records the
//! attempt: at most once per kill.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use common::running::{copies, desk, message, status, wait_until, Running};
use common::servers::{header, subject, Servers};
use common::Desk;
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
use guichet::store::schema::{articles, inbound, outbox};
use serde_json::Value;

const MAILS: usize = 1000;
const KILLS: usize = 20;
const REQUESTERS: usize = 8;
/// The outbox lease on SQLite (`LEASE` in src/notify/sender.rs).
const LEASE_MINUTES: i64 = 10;

/// A small linear congruential generator (Knuth's MMIX constants): the
/// same seed, the same kill times.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// Mail `i` answers mail `i - 5` (a new request of the same requester)
/// when `i` ends in 7; every other mail is a new request.
fn answers(i: usize) -> Option<usize> {
    (i % 10 == 7).then(|| i - 5)
}

fn requester_of(i: usize) -> usize {
    answers(i).unwrap_or(i) % REQUESTERS
}

fn message_id(i: usize) -> String {
    match answers(i) {
        Some(_) => format!("crash-reply{i}@requesters.example.test"),
        None => format!("crash-request{i}@requesters.example.test"),
    }
}

/// The 1,000 mails, in the order they reach the support mailbox. Replies
/// thread by `In-Reply-To`: ticket numbers cannot be known in advance (a
/// PostgreSQL sequence keeps the numbers a killed transaction took), so a
/// subject tag could not be written beforehand.
fn mails(requesters: &[String], support: &str) -> Vec<Vec<u8>> {
    (0..MAILS)
        .map(|i| {
            let from = &requesters[requester_of(i)];
            match answers(i) {
                Some(first) => message(
                    from,
                    support,
                    &format!("Re: Demande {first}"),
                    &message_id(i),
                    &format!("In-Reply-To: <{}>\r\nReferences: <{}>\r\n", message_id(first), message_id(first)),
                    &format!("Toujours en panne (suite de la demande {first}, message {i})."),
                ),
                None => message(
                    from,
                    support,
                    &format!("Demande {i}"),
                    &message_id(i),
                    "",
                    &format!("Bonjour, le poste {i} ne démarre plus."),
                ),
            }
        })
        .collect()
}

fn now_utc() -> NaiveDateTime {
    let since = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap();
    chrono::DateTime::from_timestamp(since.as_secs() as i64, since.subsec_nanos()).unwrap().naive_utc()
}

/// `1-3, 7, 9-12`
fn ranges(ids: impl Iterator<Item = i64>) -> String {
    let mut spans: Vec<(i64, i64)> = Vec::new();
    for id in ids {
        match spans.last_mut() {
            Some((_, end)) if *end + 1 == id => *end = id,
            _ => spans.push((id, id)),
        }
    }
    spans.iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect::<Vec<_>>().join(", ")
}

fn mail_stored(v: &Value) -> i64 {
    v["mail"].as_object().map_or(0, |m| m.values().filter_map(Value::as_i64).sum())
}

fn outbox_count(v: &Value, state: &str) -> i64 {
    v["outbox"][state].as_i64().unwrap_or(0)
}

/// (id, template, ticket, message id, recipients, state, attempts, next attempt)
type OutboxLine = (i64, String, Option<i64>, String, String, String, i32, NaiveDateTime);

fn outbox_rows(desk: &Desk) -> Vec<OutboxLine> {
    outbox::table
        .order(outbox::id.asc())
        .select((
            outbox::id,
            outbox::template,
            outbox::ticket_id,
            outbox::message_id,
            outbox::recipients,
            outbox::state,
            outbox::attempts,
            outbox::next_attempt_at,
        ))
        .load(&mut *desk.database())
        .unwrap()
}

#[test]
fn a_thousand_mails_survive_twenty_kills_of_guichet_run() {
    let started = Instant::now();
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let requesters: Vec<String> = (0..REQUESTERS).map(|_| srv.user("crash")).collect();
    let desk = desk(&srv, &support, &tech, "move:Processed", "");
    let requests: Vec<usize> = (0..MAILS).filter(|i| answers(*i).is_none()).collect();
    let replies = MAILS - requests.len();
    srv.append_all(&support, "INBOX", &mails(&requesters, &support));
    let appended = started.elapsed();

    // Kill `guichet run` at seeded pseudo-random moments, each measured
    // from the moment it says it is running (so that it lands in its work,
    // not in its start), and start it again at once.
    let seed = std::env::var("GUICHET_TEST_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_128);
    let mut lcg = Lcg(seed);
    let killing = Instant::now();
    let mut run = Running::start(&desk, "run-0", &[]);
    let (mut stored_before, mut sent_before) = (0, 0);
    for kill in 1..=KILLS {
        run.wait_for_log("running", Duration::from_secs(30));
        let delay = lcg.between(50, 1000);
        std::thread::sleep(Duration::from_millis(delay));
        run.kill();
        let v = status(&desk);
        let (stored, sent) = (mail_stored(&v), outbox_count(&v, "sent"));
        eprintln!(
            "kill {kill:2}, {delay:4} ms after `running`: {stored:4} mails stored (+{:3}), outbox {sent:4} sent (+{:3}), {:4} pending",
            stored - stored_before,
            sent - sent_before,
            outbox_count(&v, "pending"),
        );
        (stored_before, sent_before) = (stored, sent);
        // The last one is left to finish.
        run = Running::start(&desk, &format!("run-{kill}"), &[]);
    }
    let killed_for = killing.elapsed();

    // Left alone, it reads every mail...
    wait_until("every mail stored", Duration::from_secs(150), || mail_stored(&status(&desk)) >= MAILS as i64);
    wait_until("the support INBOX emptied", Duration::from_secs(30), || srv.messages(&support, "INBOX").is_empty());
    // ...and sends what it can: until three seconds go by without a row
    // sent (it sends every second, and at once when mail is stored).
    let waiting = Instant::now();
    let (mut sent_before, mut quiet_since) = (usize::MAX, Instant::now());
    loop {
        let sent = outbox_rows(&desk).iter().filter(|r| r.5 == "sent").count();
        if sent != sent_before {
            (sent_before, quiet_since) = (sent, Instant::now());
        } else if quiet_since.elapsed() >= Duration::from_secs(3) {
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(120), "the outbox still sends after 2 min: {sent} sent");
        std::thread::sleep(Duration::from_millis(250));
    }
    let settled = started.elapsed();
    run.stop();
    let rows = outbox_rows(&desk);
    let stranded: Vec<&OutboxLine> = rows.iter().filter(|r| r.5 != "sent").collect();
    assert!(stranded.iter().all(|r| r.5 == "pending" && r.6 == 0), "no attempt failed: {stranded:?}");
    let store_errors: usize = common::files_in(desk.dir.path())
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default().matches("outbox: database error").count())
        .sum();
    // Such a pass leaves the row it had just sent unrecorded: it goes out
    // again, without any kill.
    eprintln!("outbox passes stopped by a database error: {store_errors}");
    if !stranded.is_empty() {
        // Rows a sender claimed and never sent: its lease holds them.
        let now = now_utc();
        let (first, last) = (stranded.iter().map(|r| r.7).min().unwrap(), stranded.iter().map(|r| r.7).max().unwrap());
        eprintln!(
            "left unsent: {} of {} outbox rows (next attempt in {:.1} to {:.1} min): ids {}",
            stranded.len(),
            rows.len(),
            (first - now).num_seconds() as f64 / 60.0,
            (last - now).num_seconds() as f64 / 60.0,
            ranges(stranded.iter().map(|r| r.0)),
        );
    }
    if common::on_postgres() {
        // Row locks, not leases: they end with the process.
        assert!(stranded.is_empty(), "PostgreSQL leaves no row to a dead sender: {stranded:?}");
    } else if !stranded.is_empty() {
        // The test cannot wait for the leases (ten minutes): one pass
        // whose clock reads eleven minutes later stands for the wait.
        let later = (now_utc() + chrono::Duration::minutes(LEASE_MINUTES + 1)).and_utc().to_rfc3339();
        let out = desk.command(&["run", "--once"]).env("GUICHET_NOW", &later).output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains(&format!("outbox: {} sent, 0 to retry, 0 failed", stranded.len())),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v = status(&desk);
    assert_eq!(v["outbox"], serde_json::json!({ "sent": rows.len() }), "{v}");

    // Every mail is one ticket or one article, none twice, none lost.
    assert_eq!(v["mail"], serde_json::json!({ "ticket": requests.len(), "article": replies }), "{v}");
    assert_eq!(v["quarantine_held"], 0, "{v}");
    let tickets: i64 = v["tickets"].as_object().unwrap().values().filter_map(Value::as_i64).sum();
    assert_eq!(tickets, requests.len() as i64, "{v}");
    let stored: Vec<(Option<String>, String, Option<i64>)> = inbound::table
        .select((inbound::message_id, inbound::outcome, inbound::ticket_id))
        .load(&mut *desk.database())
        .unwrap();
    assert_eq!(stored.len(), MAILS);
    let by_id: BTreeMap<String, (String, i64)> =
        stored.into_iter().map(|(id, outcome, ticket)| (id.unwrap(), (outcome, ticket.unwrap()))).collect();
    assert_eq!(by_id.len(), MAILS, "one inbound row per Message-ID");
    let ticket_of = |i: usize| by_id.get(&message_id(i)).unwrap_or_else(|| panic!("mail {i} not stored")).1;
    for i in 0..MAILS {
        let (outcome, ticket) = &by_id[&message_id(i)];
        match answers(i) {
            Some(first) => assert_eq!((outcome.as_str(), *ticket), ("article", ticket_of(first)), "mail {i}"),
            None => assert_eq!(outcome, "ticket", "mail {i}"),
        }
    }
    let distinct: BTreeSet<i64> = requests.iter().map(|i| ticket_of(*i)).collect();
    assert_eq!(distinct.len(), requests.len(), "each request its own ticket");
    let articles: i64 = articles::table
        .filter(articles::raw_message_id.is_not_null())
        .count()
        .get_result(&mut *desk.database())
        .unwrap();
    assert_eq!(articles, MAILS as i64, "one article per mail");
    assert!(srv.messages(&support, "INBOX").is_empty());
    let processed = copies(&srv, &support, "Processed");
    assert_eq!(processed.len(), MAILS, "every mail in Processed");
    assert!(processed.values().all(|n| *n == 1), "no mail moved twice");

    // One acknowledgement row per ticket, one notice to the technician per
    // mail, all sent.
    let acks: BTreeMap<i64, &OutboxLine> =
        rows.iter().filter(|r| r.1 == "acknowledgement").map(|r| (r.2.unwrap(), r)).collect();
    assert_eq!(acks.len(), requests.len());
    assert_eq!(rows.iter().filter(|r| r.1 == "acknowledgement").count(), requests.len(), "one per ticket");
    let to_tech: Vec<&OutboxLine> = rows.iter().filter(|r| r.4 == tech).collect();
    assert_eq!(to_tech.len(), MAILS, "a notice per mail to the technician");
    assert_eq!(rows.len(), requests.len() + MAILS);

    // Every acknowledgement reaches its requester, on its ticket; some
    // may have gone twice. Postfix delivers the last ones within moments.
    for (r, who) in requesters.iter().enumerate() {
        let expected = requests.iter().filter(|i| requester_of(**i) == r).count();
        srv.wait_for(who, "INBOX", expected, Duration::from_secs(120));
    }
    srv.wait_for(&tech, "INBOX", MAILS, Duration::from_secs(120));
    let everyone: Vec<&String> = requesters.iter().chain(std::iter::once(&tech)).collect();
    let count = || everyone.iter().map(|u| srv.messages(u, "INBOX").len()).sum::<usize>();
    let mut seen = count();
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let now = count();
        if now == seen {
            break;
        }
        seen = now;
    }
    let mut acks_twice = 0;
    for (r, who) in requesters.iter().enumerate() {
        let inbox = srv.messages(who, "INBOX");
        let mut got: BTreeMap<usize, Vec<&Vec<u8>>> = BTreeMap::new();
        for m in &inbox {
            let answered = header(m, "In-Reply-To").unwrap_or_default();
            let i = requests
                .iter()
                .find(|i| answered == format!("<{}>", message_id(**i)))
                .unwrap_or_else(|| panic!("{who}: an acknowledgement of no request: {}", subject(m)));
            got.entry(*i).or_default().push(m);
        }
        for i in requests.iter().filter(|i| requester_of(**i) == r) {
            let ticket = ticket_of(*i);
            let delivered = got.get(i).unwrap_or_else(|| panic!("no acknowledgement of mail {i} to {who}"));
            for m in delivered {
                assert!(subject(m).starts_with(&format!("[Guichet #{ticket}] ")), "{}", subject(m));
                assert_eq!(header(m, "Message-ID").unwrap(), format!("<{}>", acks[&ticket].3), "the row's own mail");
            }
            acks_twice += delivered.len() - 1;
        }
        assert_eq!(got.len(), requests.iter().filter(|i| requester_of(**i) == r).count());
    }
    let notices = copies(&srv, &tech, "INBOX");
    for row in &to_tech {
        assert!(notices.contains_key(&row.3), "notice {} never reached the technician", row.0);
    }
    assert_eq!(notices.len(), to_tech.len(), "{notices:?}");
    let notices_twice: usize = notices.values().map(|n| n - 1).sum();

    // On SQLite a copy sent twice is known for what it is: the row was
    // taken over from a sender that stopped, and carries an `unknown`
    // attempt that says it may have gone out already. (On PostgreSQL the
    // row lock leaves no trace; the copies share a Message-ID.)
    let outbox: Vec<Value> = serde_json::from_str(&desk.ok(&["outbox", "list", "--json"])).unwrap();
    let flagged: BTreeSet<String> = outbox
        .iter()
        .filter(|r| r["history"].as_array().unwrap().iter().any(|a| a["result"] == "unknown"))
        .map(|r| r["message_id"].as_str().unwrap().to_string())
        .collect();
    let mut twice: BTreeSet<String> = notices.iter().filter(|(_, n)| **n > 1).map(|(id, _)| id.clone()).collect();
    for who in &requesters {
        twice.extend(copies(&srv, who, "INBOX").into_iter().filter(|(_, n)| *n > 1).map(|(id, _)| id));
    }
    if !common::on_postgres() {
        let unflagged: Vec<&String> = twice.iter().filter(|id| !flagged.contains(*id)).collect();
        assert!(unflagged.is_empty(), "sent twice without a flag: {unflagged:?}");
        eprintln!("rows flagged as maybe sent at a takeover: {}; sent twice: {}", flagged.len(), twice.len());
    }

    eprintln!("acknowledgements sent twice after {KILLS} kills: {acks_twice} of {}", requests.len());
    eprintln!("technician notices sent twice after {KILLS} kills: {notices_twice} of {MAILS}");
    eprintln!(
        "timings: mails appended {:.1}s, {KILLS} kills over {:.1}s, settled {:.1}s, total {:.1}s (seed {seed})",
        appended.as_secs_f64(),
        killed_for.as_secs_f64(),
        settled.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    // A row goes out again only when a kill fell between the relay's
    // answer and the commit of the attempt: one row per kill at most.
    assert!(
        acks_twice + notices_twice <= KILLS,
        "{acks_twice} acknowledgements and {notices_twice} notices sent twice"
    );
}
