//! Mail loops end by themselves: an autoresponder that hides what it is
//! meets the per-address cap on automatic mail; two desks writing to each
//! other stop at the first automatic mail; our own mail never opens a
//! ticket.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const BOT: &str = "robot@bots.example.test";

/// Plays an autoresponder that answers every mail it gets, strips the
/// subject tag and the threading headers and sets no automatic-mail
/// header: each answer looks like a person's new request. Returns how many
/// mails the desk sent it before the exchange stopped, and the rounds.
fn play_hidden_autoresponder(desk: &Desk) -> (usize, usize) {
    desk.ingest(&mail(BOT, "Hello", "bot-0@bots.example.test", "", "Hello, I answer everything."));
    let mut answered = 0;
    let mut rounds = 0;
    loop {
        let to_bot: Vec<Value> =
            desk.outbox().into_iter().filter(|m| m["recipients"].to_string().contains(BOT)).collect();
        if to_bot.len() == answered {
            return (to_bot.len(), rounds);
        }
        rounds += 1;
        assert!(rounds < 100, "the loop does not end");
        for m in &to_bot[answered..] {
            let subject = m["subject"].as_str().unwrap().replace("[Guichet #", "ref ").replace(']', "");
            let id = format!("bot-{}@bots.example.test", m["id"]);
            desk.ingest(&mail(BOT, &format!("Thanks for: {subject}"), &id, "", "Thank you for your message!"));
        }
        answered = to_bot.len();
    }
}

#[test]
fn an_autoresponder_that_hides_what_it_is_gets_no_more_than_the_hourly_cap() {
    let mut desk = Desk::new();
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let (sent, rounds) = play_hidden_autoresponder(&desk);
    assert_eq!(sent, 10, "limits.automatic_per_hour (default 10), then silence");
    assert_eq!(rounds, 10);
    let suppressed = desk
        .tickets()
        .iter()
        .filter(|t| {
            desk.ticket(t["number"].as_i64().unwrap())["history"].to_string().contains("automatic_mail_suppressed")
        })
        .count();
    assert_eq!(suppressed, 1, "the ticket whose acknowledgement was held says so");
}

#[test]
fn a_per_address_override_tightens_or_lifts_the_cap() {
    let mut desk =
        Desk::with("[limits]\nautomatic_per_hour_for = { \"@bots.example.test\" = 2, \"ops@example.test\" = 50 }\n");
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let (sent, _) = play_hidden_autoresponder(&desk);
    assert_eq!(sent, 2);
    for i in 0..12 {
        desk.ingest(&mail("ops@example.test", &format!("Alerte {i}"), &format!("ops-{i}@example.test"), "", "x"));
    }
    let to_ops = desk.outbox().iter().filter(|m| m["recipients"].to_string().contains("ops@example.test")).count();
    assert_eq!(to_ops, 12, "above the default of 10 for this address");
}

fn partner_desk() -> Desk {
    let mut text = Desk::config_text("", "");
    // A database of its own (on PostgreSQL a test's desks share one).
    if on_postgres() {
        text = text.replace(&database_keys(), &format!("url = \"{}\"", new_pg_database()));
    }
    let text = text
        .replace(SUPPORT, "helpdesk@partner.example")
        .replace("subject_tag = \"Guichet\"", "subject_tag = \"Partner\"")
        .replace("message_id_domain = \"example.test\"", "message_id_domain = \"partner.example\"");
    Desk::with_config(&text)
}

#[test]
fn two_desks_writing_to_each_other_stop_at_the_first_automatic_mail() {
    let ours = Desk::new();
    let theirs = partner_desk();
    // Their desk forwards an incident to ours, from its own address.
    let first = mail("helpdesk@partner.example", "Incident réseau chez vous", "p-1@partner.example", "", "Bonjour");
    assert_eq!(ours.ingest(&first)["outcome"], "ticket");
    let mut exchanged = 0;
    let (mut from_ours, mut from_theirs) = (0, 0);
    for _ in 0..10 {
        let mut moved = false;
        let out: Vec<Value> = ours.outbox();
        for m in out.iter().skip(from_ours).filter(|m| m["recipients"].to_string().contains("partner.example")) {
            exchanged += 1;
            theirs.ingest(m["content"].as_str().unwrap().as_bytes());
            moved = true;
        }
        from_ours = out.len();
        let back: Vec<Value> = theirs.outbox();
        for m in back.iter().skip(from_theirs).filter(|m| m["recipients"].to_string().contains(SUPPORT)) {
            exchanged += 1;
            ours.ingest(m["content"].as_str().unwrap().as_bytes());
            moved = true;
        }
        from_theirs = back.len();
        if !moved {
            break;
        }
    }
    assert_eq!(exchanged, 1, "our acknowledgement reaches them, marked automatic, and is never answered");
    assert!(theirs.tickets().is_empty(), "an automatic mail opens no ticket there");
    assert_eq!(ours.tickets().len(), 1);
}

#[test]
fn our_own_mail_coming_back_is_recorded_and_opens_nothing() {
    let desk = Desk::new();
    desk.ingest(&mail("alice@example.test", "Imprimante", "a-1@example.test", "", "HS"));
    let ack = desk.queued("acknowledgement")[0]["content"].as_str().unwrap().to_string();
    let before = desk.outbox().len();
    // A list or a forwarding rule sends it back to the support address.
    let out = desk.ingest(ack.as_bytes());
    assert_eq!(out["outcome"], "automatic", "{out}");
    assert_eq!(desk.tickets().len(), 1);
    assert_eq!(desk.outbox().len(), before, "nothing answers it");
}

#[test]
fn check_names_a_bad_override() {
    let desk = Desk::with("[limits]\nautomatic_per_hour_for = { \"not an address\" = 3, \"@ok.example.test\" = -1 }\n");
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("limits.automatic_per_hour_for.\"not an address\""), "{text}");
    assert!(text.contains("limits.automatic_per_hour_for.\"@ok.example.test\""), "{text}");
}
