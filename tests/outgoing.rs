//! How our outgoing mail reads in the clients people use (Gmail, Outlook,
//! mutt): one conversation per ticket, times in the reader's zone, each
//! reader greeted as themselves, French written as French is.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

fn tech_mail(from: &str, ticket: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{ticket}] Imprimante"), id, "", body)
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default()
}

/// Alice opens a ticket with Bob in copy; Marc answers, then resolves it.
fn a_ticket_with_an_answer_and_a_resolution() -> Desk {
    let desk = Desk::new();
    let raw = "From: Alice Martin <alice@example.test>\r\nTo: support@example.test\r\nCc: Bob Leroy <bob@example.test>\r\nSubject: Imprimante\r\nMessage-ID: <orig@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, elle ne marche plus.\r\n";
    desk.ingest(raw.as_bytes());
    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "Bonjour,\nJe passe cet après-midi."));
    desk.ingest(&tech_mail(MARC, 1, "t2@example.test", "#resolve\nC'est réparé."));
    desk
}

#[test]
fn every_mail_about_a_ticket_has_the_tag_and_the_tickets_subject_only() {
    let desk = a_ticket_with_an_answer_and_a_resolution();
    let about_ticket: Vec<Value> = desk.outbox().into_iter().filter(|m| m["ticket"] == 1).collect();
    let templates: Vec<&str> = about_ticket.iter().map(|m| m["template"].as_str().unwrap()).collect();
    for t in ["acknowledgement", "new_article", "reply", "status_changed"] {
        assert!(templates.contains(&t), "{t} missing in {templates:?}");
    }
    for m in &about_ticket {
        assert_eq!(m["subject"], "[Guichet #1] Imprimante", "{}", m["template"]);
        assert_eq!(parsed(m).subject, "[Guichet #1] Imprimante");
    }
    let title = |template: &str| {
        let m = desk.queued(template).into_iter().next().unwrap();
        (first_line(&body(&m)).to_string(), parsed(&m).html.unwrap_or_default())
    };
    let (text, html) = title("reply");
    assert_eq!(text, "Réponse à votre demande n°\u{a0}1");
    assert!(html.contains("Réponse à votre demande n°"), "{html}");
    let (text, _) = title("status_changed");
    assert_eq!(text, "Nouveau statut\u{a0}: «\u{a0}fermé résolu\u{a0}»");
    let (text, _) = title("acknowledgement");
    assert_eq!(text, "Votre demande n°\u{a0}1 est enregistrée");
}

#[test]
fn every_mail_about_a_ticket_shares_one_outlook_thread_index_root_and_topic() {
    let mut desk = Desk::new();
    desk.now = Some("2026-12-07T09:00:00Z".into());
    desk.ingest(&mail("alice@example.test", "Imprimante", "o@example.test", "", "Bonjour"));
    desk.now = Some("2026-12-07T10:30:00Z".into());
    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "Je passe."));
    let ack = parsed(&desk.queued("acknowledgement")[0]);
    let reply = parsed(&desk.queued("reply")[0]);
    assert_eq!(ack.facts.header("Thread-Topic"), Some("Imprimante"));
    assert_eq!(reply.facts.header("Thread-Topic"), Some("Imprimante"));
    let (root, later) = (ack.facts.header("Thread-Index").unwrap(), reply.facts.header("Thread-Index").unwrap());
    assert_eq!(root.len(), 32, "22 bytes in base64: {root}");
    assert_eq!(later.len(), 36, "a 5-byte child block more: {later}");
    assert_eq!(&later[..28], &root[..28], "the same 21 first bytes");
}

#[test]
fn mail_about_no_ticket_keeps_its_own_subject() {
    let desk = Desk::with("[limits]\nmax_message_bytes = 2000\n");
    let big = mail("alice@example.test", "Photos", "big@example.test", "", &"x".repeat(3000));
    desk.ingest(&big);
    let m = desk.queued("too_large").pop().unwrap();
    assert!(m["subject"].as_str().unwrap().contains("Photos"), "{}", m["subject"]);
    assert!(!m["subject"].as_str().unwrap().contains("[Guichet #"), "{}", m["subject"]);
    assert!(parsed(&m).facts.header("Thread-Index").is_none());
}
