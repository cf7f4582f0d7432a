//! Mail from an address written wrong still opens a ticket: nothing is
//! sent to the address, the history says why, and the technicians are told
//! so they can reach the person another way. Only a mail naming no sender
//! at all goes to quarantine.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

fn kinds(ticket: &Value) -> Vec<String> {
    ticket["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

fn from_mail(from: &str, subject: &str, id: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nl'imprimante du 2e ne marche plus.\r\n"
    )
    .into_bytes()
}

#[test]
fn a_malformed_from_opens_a_ticket_without_acknowledgement_and_the_technicians_are_told() {
    let desk = Desk::new();
    for (n, (from, kept)) in
        [("Test test@example.test", "test test@example.test"), ("Bob <bob@example.test.>", "bob@example.test.")]
            .into_iter()
            .enumerate()
    {
        let out = desk.ingest(&from_mail(from, "Imprimante en panne", &format!("broken{n}@example.test")));
        assert_eq!(out["outcome"], "ticket", "{from}: {out}");
        let t = desk.ticket(as_i64(&out["ticket"]));
        assert_eq!(t["requester"], kept, "the address is kept as written");
        assert_eq!(t["articles"][0]["visibility"], "public");
        assert!(t["articles"][0]["text"].as_str().unwrap().contains("imprimante du 2e"));
        let history = kinds(&t);
        assert!(history.contains(&"sender_address_unusable".to_string()), "{history:?}");
        let event = t["history"].as_array().unwrap().iter().find(|e| e["kind"] == "sender_address_unusable").unwrap();
        assert!(event.to_string().contains(kept), "the history shows what was written: {event}");
    }
    assert!(desk.queued("acknowledgement").is_empty(), "no acknowledgement is tried: {:?}", desk.outbox());
    let told = desk.queued("delivery_failed");
    let mut tickets: Vec<i64> = told.iter().map(|r| as_i64(&r["ticket"])).collect();
    tickets.dedup();
    assert_eq!(tickets, vec![1, 2], "the technicians are told, once per ticket and language");
    for row in &told {
        let mail = parsed(row);
        assert!(mail.to.iter().all(|m| m.email != "bob@example.test." && !m.email.contains(' ')));
        let text = body(row);
        assert!(text.contains("adresse mal formée") || text.contains("malformed address"), "{text}");
        assert!(text.contains("#requester"), "says how to fix it: {text}");
        assert!(
            !text.contains("non-distribution") && !text.contains("delivery report"),
            "no report to speak of: {text}"
        );
    }
    assert_eq!(desk.ok(&["quarantine", "list", "--json"]).trim(), "[]");
}

#[test]
fn a_technician_answer_to_a_malformed_address_is_kept_and_the_history_says_it_was_not_sent() {
    let desk = Desk::new();
    let out = desk.ingest(&from_mail("Test test@example.test", "Imprimante", "broken@example.test"));
    let n = as_i64(&out["ticket"]);
    let answer =
        mail(MARC, &format!("RE: [Guichet #{n}] Imprimante"), "answer@example.test", "", "Je passe cet après-midi.");
    let out = desk.ingest(&answer);
    assert_eq!(out["outcome"], "article", "{out}");
    assert!(desk.queued("reply").is_empty(), "nothing goes to an address that cannot receive mail");
    let t = desk.ticket(n);
    assert!(t["articles"].as_array().unwrap().iter().any(|a| a["text"].as_str().unwrap().contains("cet après-midi")));
    assert!(kinds(&t).contains(&"mail_not_sent".to_string()), "{:?}", kinds(&t));
    // The technician gives the right address: the next answer reaches it.
    let fix = mail(
        MARC,
        &format!("RE: [Guichet #{n}] Imprimante"),
        "fix@example.test",
        "",
        "#requester test@example.test\nC'est réparé.",
    );
    assert_eq!(desk.ingest(&fix)["outcome"], "article");
    assert_eq!(desk.ticket(n)["requester"], "test@example.test");
    let replies = desk.queued("reply");
    assert_eq!(replies.len(), 1, "{:?}", desk.outbox());
    assert_eq!(parsed(&replies[0]).to[0].email, "test@example.test");
}

#[test]
fn an_unbalanced_quote_in_from_is_read_and_answered() {
    let desk = Desk::new();
    let out = desk.ingest(&from_mail("\"Bob Martin <bob@example.test>", "Accès VPN", "quote@example.test"));
    assert_eq!(out["outcome"], "ticket", "{out}");
    assert_eq!(desk.ticket(as_i64(&out["ticket"]))["requester"], "bob@example.test");
    let ack = desk.queued("acknowledgement");
    assert_eq!(ack.len(), 1);
    assert_eq!(parsed(&ack[0]).to[0].email, "bob@example.test");
}

#[test]
fn only_a_mail_without_any_sender_address_goes_to_quarantine() {
    let desk = Desk::new();
    let out = desk.ingest(&from_mail("Jean Dupont", "Sans adresse", "none@example.test"));
    assert_eq!(out["outcome"], "quarantined", "{out}");
    assert!(out["reason"].as_str().unwrap().contains("no sender"));
}
