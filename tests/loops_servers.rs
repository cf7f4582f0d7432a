//! Mail loops through the real Postfix and Dovecot (see
//! `tests/mailservers.rs`; `tests/loops.rs` plays the same games with
//! files): an autoresponder mailbox that answers everything, honestly or
//! hiding what it is, and two guichet desks writing to each other. Each
//! exchange stops by itself within a bounded number of mails.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::running::{desk, message, status, Running};
use common::servers::{header, subject, Servers};
use serde_json::Value;

/// Answers every mail in `robot`'s INBOX it has not answered yet, from
/// `robot` to the mail's sender. `honest`: with `Auto-Submitted` and
/// threaded; otherwise a fresh mail that looks like a person's. Returns
/// how many it answered.
fn answer_everything(srv: &Servers, robot: &str, to: &str, honest: bool, done: &mut BTreeSet<String>) -> usize {
    let mut answered = 0;
    for m in srv.messages(robot, "INBOX") {
        let id = header(&m, "Message-ID").unwrap_or_default();
        if !done.insert(id.clone()) {
            continue;
        }
        let n = done.len();
        let (subject, headers) = if honest {
            (format!("Absence : {}", subject(&m)), format!("Auto-Submitted: auto-replied\r\nIn-Reply-To: {id}\r\n"))
        } else {
            // No header says what it is, no thread: each answer looks like
            // a new request from a person.
            (format!("Message {n} de {robot}"), String::new())
        };
        let raw = message(
            robot,
            to,
            &subject,
            &format!("robot-{n}-{}", robot.replace('@', ".")),
            &headers,
            "Je suis absent.",
        );
        srv.send(robot, &[to], &raw);
        answered += 1;
    }
    answered
}

/// Plays the robot until nothing has moved for `quiet`.
fn play(srv: &Servers, robot: &str, support: &str, honest: bool, quiet: Duration) -> usize {
    let mut done = BTreeSet::new();
    let (mut answered, mut last_move, start) = (0, Instant::now(), Instant::now());
    while last_move.elapsed() < quiet {
        assert!(start.elapsed() < Duration::from_secs(240), "still exchanging after 4 minutes: {answered} answers");
        let n = answer_everything(srv, robot, support, honest, &mut done);
        if n > 0 {
            answered += n;
            last_move = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    answered
}

fn tickets(v: &Value) -> i64 {
    v["tickets"].as_object().map_or(0, |m| m.values().filter_map(Value::as_i64).sum())
}

#[test]
fn an_autoresponder_mailbox_that_answers_everything_stops_by_itself() {
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let (honest, hidden) = (srv.user("absent"), srv.user("robot"));
    // Five automatic mails an hour to the hidden robot, ten (the default
    // for everyone else) would do too, only slower.
    let desk =
        desk(&srv, &support, &tech, "move:Processed", &format!("automatic_per_hour_for = {{ \"{hidden}\" = 5 }}"));
    let _run = Running::start(&desk, "run", &[]);

    // Each writes once to the desk; from then on they answer whatever
    // comes.
    for robot in [&honest, &hidden] {
        let first =
            message(robot, &support, "Bonjour", &format!("first.{}", robot.replace('@', ".")), "", "Première demande.");
        srv.send(robot, &[&support], &first);
    }
    let honest_answers = std::thread::scope(|s| {
        let h = s.spawn(|| play(&srv, &honest, &support, true, Duration::from_secs(15)));
        let hidden_answers = play(&srv, &hidden, &support, false, Duration::from_secs(15));
        (h.join().unwrap(), hidden_answers)
    });
    let (honest_answers, hidden_answers) = honest_answers;

    // The honest one answered the acknowledgement once; its answer is
    // recorded as automatic and gets nothing back.
    assert_eq!(honest_answers, 1, "the honest autoresponder got one mail");
    assert_eq!(srv.messages(&honest, "INBOX").len(), 1);
    // The hidden one got the hourly cap, no more.
    let got = srv.messages(&hidden, "INBOX").len();
    assert_eq!(got, 5, "automatic mails the hidden robot received");
    assert_eq!(hidden_answers, 5);
    let v = status(&desk);
    // Its first mail and five answers made six tickets; the honest one's
    // first mail one more; its automatic answer none.
    assert_eq!(tickets(&v), 7, "{v:#}");
    // The honest answer sits on its ticket as an internal note.
    assert_eq!(v["mail"]["article"], 1, "{v:#}");
    let list = desk.tickets();
    let of_honest = list.iter().find(|t| t["requester"] == honest.as_str()).unwrap();
    let t = desk.ticket(of_honest["number"].as_i64().unwrap());
    let last = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["visibility"], "internal", "{last:#}");
    assert_eq!(last["author_role"], "automatic", "{last:#}");
    // Our own mail never came back in as a ticket.
    let requesters: BTreeSet<String> =
        desk.tickets().iter().map(|t| t["requester"].as_str().unwrap().to_string()).collect();
    assert_eq!(requesters, BTreeSet::from([honest.clone(), hidden.clone()]));
    eprintln!("autoresponders: honest answered {honest_answers} time(s), hidden {hidden_answers} times, then silence");
}

#[test]
fn two_desks_writing_to_each_other_stop_by_themselves() {
    let srv = Servers::get();
    let (support_a, tech_a, support_b, tech_b) =
        (srv.user("desk-a"), srv.user("tech-a"), srv.user("desk-b"), srv.user("tech-b"));
    let a = desk(&srv, &support_a, &tech_a, "move:Processed", "");
    let b = desk(&srv, &support_b, &tech_b, "move:Processed", "");
    let _run_a = Running::start(&a, "run-a", &[]);
    let _run_b = Running::start(&b, "run-b", &[]);

    // Desk B's address writes to desk A (a rule forwarding, a person
    // using the shared address): A opens a ticket and acknowledges it to
    // B, which opens one and acknowledges it to A, and so on — unless the
    // exchange stops.
    let first =
        message(&support_b, &support_a, "Commande de toner", "toner@desk-b.example.test", "", "Merci de livrer.");
    srv.send(&support_b, &[&support_a], &first);

    // Wait until neither desk has moved for 15 s.
    let (mut last, mut since, start) = ((0, 0), Instant::now(), Instant::now());
    loop {
        let (va, vb) = (status(&a), status(&b));
        let now = (mail_in(&va) + sent(&va), mail_in(&vb) + sent(&vb));
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() > Duration::from_secs(15) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(180), "still exchanging after 3 minutes: {va:#} {vb:#}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let (va, vb) = (status(&a), status(&b));
    // A: one ticket, one acknowledgement to B. B: A's acknowledgement
    // recorded as automatic mail, answered by nothing.
    assert_eq!(tickets(&va), 1, "{va:#}");
    assert_eq!(tickets(&vb), 0, "{vb:#}");
    assert_eq!(vb["mail"]["automatic"], 1, "{vb:#}");
    assert_eq!(srv.messages(&support_b, "Processed").len(), 1, "B received one mail from A");
    eprintln!("two desks: {} mails in all, then silence", mail_in(&va) + mail_in(&vb));
}

fn mail_in(v: &Value) -> i64 {
    v["mail"].as_object().map_or(0, |m| m.values().filter_map(Value::as_i64).sum())
}

fn sent(v: &Value) -> i64 {
    v["outbox"]["sent"].as_i64().unwrap_or(0)
}
