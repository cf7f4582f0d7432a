//! Delivery reports: linked to the mail of ours they return, a permanent
//! failure marks the address undeliverable (no automatic mail for a while)
//! and tells the technicians; a delay is only recorded; the person writing
//! again makes the address good again. Never answered.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const ALICE: &str = "alice@example.test";

fn dsn(message_id: &str, recipient: &str, action: &str, status: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n\
To: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <dsn-{status}-{recipient}@mx.example.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nI'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n\
--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n\
Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\nAction: {action}\r\nStatus: {status}\r\n\
Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected: User unknown\r\n\r\n\
--b1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Support <{SUPPORT}>\r\nTo: {recipient}\r\n\
Subject: [Guichet #1] Accusé de réception\r\nMessage-ID: <{message_id}>\r\n\r\n--b1--\r\n"
    )
    .into_bytes()
}

fn history(t: &Value, kind: &str) -> Vec<Value> {
    t["history"].as_array().unwrap().iter().filter(|e| e["kind"] == kind).cloned().collect()
}

fn mails_to(desk: &Desk, who: &str) -> Vec<Value> {
    desk.outbox().into_iter().filter(|m| m["recipients"].to_string().contains(who)).collect()
}

fn opened(desk: &Desk) -> String {
    let out = desk.ingest(&mail(ALICE, "Imprimante", "alice-1@example.test", "", "Elle ne marche plus."));
    assert_eq!(out["ticket"], 1);
    desk.queued("acknowledgement")[0]["message_id"].as_str().unwrap().to_string()
}

#[test]
fn a_permanent_failure_is_linked_marks_the_address_and_tells_the_technicians() {
    let mut desk = Desk::new();
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let ack = opened(&desk);
    let out = desk.ingest(&dsn(&ack, ALICE, "failed", "5.1.1"));
    assert_eq!(out["outcome"], "article", "linked by the returned Message-ID: {out}");
    assert_eq!(out["ticket"], 1);
    let t = desk.ticket(1);
    let a = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((a["visibility"].as_str(), a["author_role"].as_str()), (Some("internal"), Some("automatic")));
    let failed = history(&t, "delivery_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["old"], ack.as_str(), "names the mail of ours that bounced");
    assert!(failed[0]["new"].as_str().unwrap().starts_with("alice@example.test 5.1.1 550"), "{}", failed[0]);
    // Marc (French) and Sarah (English) are told; nobody answers the daemon.
    let told = desk.queued("delivery_failed");
    assert_eq!(told.len(), 2);
    assert!(body(&told[0]).contains(ALICE) && body(&told[0]).contains("5.1.1"));
    assert!(mails_to(&desk, "mailer-daemon").is_empty());

    // Automatic mail to Alice is held back; a technician's own words still go.
    desk.ingest(&mail(MARC, "RE: [Guichet #1] Imprimante", "marc-1@example.test", "", "#status pending"));
    let held = history(&desk.ticket(1), "automatic_mail_suppressed");
    assert_eq!(held.len(), 1);
    assert!(held[0]["old"].as_str().unwrap().starts_with("undeliverable until 2026-12-07"), "{}", held[0]);
    assert_eq!(mails_to(&desk, ALICE).len(), 1, "only the acknowledgement that bounced");
    desk.ingest(&mail(MARC, "RE: [Guichet #1] Imprimante", "marc-2@example.test", "", "Pouvez-vous me rappeler ?"));
    assert_eq!(mails_to(&desk, ALICE).len(), 2, "a technician's reply is not automatic");

    // Alice writes again: her address works, automatic mail resumes.
    desk.ingest(&mail(ALICE, "RE: [Guichet #1] Imprimante", "alice-2@example.test", "", "Je suis là."));
    desk.ingest(&mail(MARC, "RE: [Guichet #1] Imprimante", "marc-3@example.test", "", "#resolve"));
    assert_eq!(desk.queued("status_changed").iter().filter(|m| m["recipients"].to_string().contains(ALICE)).count(), 1);
}

#[test]
fn a_delay_is_recorded_and_marks_nothing() {
    let desk = Desk::new();
    let ack = opened(&desk);
    let out = desk.ingest(&dsn(&ack, ALICE, "delayed", "4.4.1"));
    assert_eq!(out["outcome"], "article");
    let t = desk.ticket(1);
    assert_eq!(history(&t, "delivery_delayed").len(), 1);
    assert!(history(&t, "delivery_failed").is_empty());
    assert!(desk.queued("delivery_failed").is_empty());
    desk.ingest(&mail(MARC, "RE: [Guichet #1] Imprimante", "marc-1@example.test", "", "#status pending"));
    assert!(history(&desk.ticket(1), "automatic_mail_suppressed").is_empty());
}

#[test]
fn an_exim_bounce_quoting_our_headers_as_text_is_linked_too() {
    let desk = Desk::new();
    let ack = opened(&desk);
    let raw = format!(
        "From: Mail Delivery System <Mailer-Daemon@mx.example.test>\r\nTo: {SUPPORT}\r\n\
Subject: Mail delivery failed: returning message to sender\r\nMessage-ID: <exim-1@mx.example.test>\r\n\
X-Failed-Recipients: {ALICE}\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain\r\n\r\n\
This message was created automatically by mail delivery software.\r\n\r\n\
A message that you sent could not be delivered to one or more of its\r\nrecipients. This is a permanent error.\r\n\r\n\
  {ALICE}\r\n    SMTP error from remote mail server after RCPT TO:<{ALICE}>:\r\n    550 5.1.1 No such user\r\n\r\n\
------ This is a copy of the message, including all the headers. ------\r\n\r\n\
Message-ID: <{ack}>\r\nFrom: Support <{SUPPORT}>\r\nSubject: [Guichet #1] Accusé de réception\r\n"
    );
    let out = desk.ingest(raw.as_bytes());
    assert_eq!(out["outcome"], "article", "{out}");
    assert_eq!(history(&desk.ticket(1), "delivery_failed").len(), 1);
}

#[test]
fn a_bounce_for_mail_we_never_sent_marks_the_address_but_opens_nothing() {
    let desk = Desk::new();
    let raw = dsn("someone-else@elsewhere.example", "bob@example.test", "failed", "5.1.1");
    let out = desk.ingest(&raw);
    assert_eq!(out["outcome"], "automatic");
    assert!(desk.tickets().is_empty());
    assert!(desk.outbox().is_empty(), "never answered, nobody to tell");
    // Bob's own later request is acknowledged: writing proves the address.
    desk.ingest(&mail("bob@example.test", "Écran", "bob-1@example.test", "", "Noir."));
    assert_eq!(mails_to(&desk, "bob@example.test").len(), 1);
}
