//! Who may run a technician's commands, out of the box: the technician
//! who answers a mail the desk sent them (its Reply-To carries a reply
//! token), not whoever writes their address in From. A mail from their
//! address without proof is held, and they are asked to confirm it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

/// A desk as an admin writes it: no `technician_proof`, no trusted
/// authentication.
fn default_desk() -> Desk {
    let text = Desk::config_text("", "").replace("technician_proof = \"address\"\n", "");
    assert!(!text.contains("technician_proof"), "the default is under test");
    Desk::with_config(&text)
}

fn header(row: &Value, name: &str) -> String {
    parsed(row).facts.header(name).unwrap_or_default().trim().to_string()
}

/// Alice's request, ticket 1, in Marc's group.
fn opened(desk: &Desk) {
    let got = desk.ingest(&mail("alice@example.test", "Imprimante", "a1@example.test", "", "Elle ne répond plus."));
    assert_eq!(got["ticket"], 1, "{got}");
}

/// Mail from `from` to `to` on ticket 1.
fn answer(from: &str, to: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: RE: [Guichet #1] Imprimante\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 16 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// The rows queued to `who`.
fn to(desk: &Desk, who: &str) -> Vec<Value> {
    desk.outbox().into_iter().filter(|m| parsed(m).to.iter().any(|t| t.email == who)).collect()
}

fn status(desk: &Desk) -> String {
    desk.ticket(1)["status"].as_str().unwrap().to_string()
}

#[test]
fn a_forged_from_runs_nothing_and_the_technician_confirms_by_replying() {
    let desk = default_desk();
    opened(&desk);
    let before_alice = to(&desk, "alice@example.test").len();

    // Anyone can write Marc's address: the mail is held, nothing is run,
    // nothing reaches Alice.
    let forged = answer(MARC, SUPPORT, "forged@elsewhere.test", "#resolve\nC'est réglé, bonne journée.");
    let got = desk.ingest(&forged);
    assert_eq!(got["outcome"], "quarantined", "{got}");
    assert!(got["reason"].as_str().unwrap().contains("no reply token"), "{got}");
    assert_ne!(status(&desk), "resolved");
    assert_eq!(to(&desk, "alice@example.test").len(), before_alice, "nothing reaches the requester");
    let articles = desk.ticket(1)["articles"].as_array().unwrap().len();
    assert_eq!(articles, 1, "nothing is added to the ticket");
    let listed = desk.ok(&["quarantine", "list"]);
    assert!(listed.contains("held until the technician confirms it"), "{listed}");

    // Marc gets one mail that says what is held, with a Reply-To of its own.
    let asks = desk.queued("confirm");
    assert_eq!(asks.len(), 1, "{asks:?}");
    let ask = &asks[0];
    assert_eq!(parsed(ask).to.iter().map(|t| t.email.as_str()).collect::<Vec<_>>(), [MARC]);
    let text = body(ask);
    assert!(text.contains("#resolve") && text.contains("[Guichet #1] Imprimante"), "{text}");
    let confirm_at = header(ask, "Reply-To");
    assert!(confirm_at.contains("support+confirm-1."), "{confirm_at}");

    // The same words to that address from anybody else confirm nothing.
    let mallory = answer("mallory@elsewhere.test", &confirm_at, "m2@elsewhere.test", "ok");
    let got = desk.ingest(&mallory);
    assert_ne!(got["outcome"], "confirmed", "{got}");
    assert_ne!(status(&desk), "resolved");

    // Marc replies: the held mail runs as his.
    let yes = answer(MARC, &confirm_at, "yes@example.test", "Oui, c'est moi.");
    let got = desk.ingest(&yes);
    assert_eq!(got["outcome"], "confirmed", "{got}");
    assert_eq!(got["ticket"], 1, "{got}");
    assert_eq!(status(&desk), "resolved");
    let told = to(&desk, "alice@example.test");
    assert!(told.iter().any(|m| body(m).contains("C'est réglé")), "Alice reads Marc's answer: {told:?}");
    assert!(!told.iter().any(|m| body(m).contains("Oui, c'est moi")), "the confirmation stays with the desk");
    let listed = desk.ok(&["quarantine", "list"]);
    assert!(!listed.contains("held until the technician confirms it"), "released: {listed}");

    // Confirming twice runs nothing twice.
    let again = answer(MARC, &confirm_at, "yes2@example.test", "Oui.");
    let got = desk.ingest(&again);
    assert_eq!(got["outcome"], "confirmed", "{got}");
    assert_eq!(desk.queued("status_changed").len(), 1, "{:?}", desk.queued("status_changed"));
}

#[test]
fn answering_a_notice_proves_the_technician_and_only_them() {
    let desk = default_desk();
    opened(&desk);
    // Each technician told of the ticket has a mail of their own, whose
    // Reply-To is theirs.
    let notices = to(&desk, MARC);
    assert!(!notices.is_empty(), "Marc hears of the ticket: {:?}", desk.outbox());
    let reply_to = header(&notices[0], "Reply-To");
    assert!(reply_to.starts_with("support+1.") || reply_to.contains("<support+1."), "{reply_to}");
    let address = parsed(&notices[0]).reply_to.unwrap().email;
    for m in &notices {
        assert_eq!(parsed(m).to.len(), 1, "one reader per mail: {:?}", parsed(m).to);
    }

    // Sarah (a technician too) cannot use Marc's token.
    let got = desk.ingest(&answer(SARAH, &address, "s1@example.test", "#assign me"));
    assert_eq!(got["outcome"], "quarantined", "{got}");
    assert!(desk.ticket(1)["assignee"] != SARAH, "{}", desk.ticket(1));

    // An altered token proves nothing.
    let (local, domain) = address.split_once('@').unwrap();
    let last = local.chars().last().unwrap();
    let altered = format!("{}{}@{domain}", &local[..local.len() - 1], if last == 'a' { 'b' } else { 'a' });
    let got = desk.ingest(&answer(MARC, &altered, "m0@example.test", "#status pending"));
    assert_eq!(got["outcome"], "quarantined", "{got}");

    // Marc's answer to his notice runs at once, whatever case his client
    // writes the address in.
    let got = desk.ingest(&answer(MARC, &address.to_uppercase(), "m1@example.test", "#resolve\nRemplacée."));
    assert_eq!(got["outcome"], "article", "{got}");
    assert_eq!(status(&desk), "resolved");
}

#[test]
fn trusting_the_address_is_a_choice_the_config_says() {
    let desk = Desk::new();
    opened(&desk);
    let got = desk.ingest(&answer(MARC, SUPPORT, "m1@example.test", "#resolve\nRemplacée."));
    assert_eq!(got["outcome"], "article", "{got}");
    assert_eq!(status(&desk), "resolved");
    assert!(desk.queued("confirm").is_empty());
    let said = desk.ok(&["check"]);
    assert!(said.contains("warning: `tickets.technician_proof`"), "{said}");
    let safe = default_desk().ok(&["check"]);
    assert!(!safe.contains("technician_proof"), "the default is not weak: {safe}");
}

#[test]
fn an_unknown_proof_is_a_config_error_naming_its_key() {
    let text = Desk::config_text("", "").replace("technician_proof = \"address\"", "technician_proof = \"from\"");
    let desk = Desk::with_config(&text);
    let out = desk.run(&["check"]);
    assert_ne!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("tickets.technician_proof"), "{said}");
}
