//! Nobody joins a ticket by guessing, and nobody acts as a technician by
//! writing their address in `From`: every way of pointing at a ticket
//! leaves a stranger outside it, and a technician's commands need the
//! proof the config asks for.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const ALICE: &str = "alice@example.test";
const MALLORY: &str = "mallory@elsewhere.example";

fn opened(desk: &Desk) -> (i64, String) {
    let out =
        desk.ingest(&mail(ALICE, "Mot de passe expiré", "alice-1@example.test", "", "Je ne peux plus me connecter."));
    let n = as_i64(&out["ticket"]);
    let ack = desk.queued("acknowledgement");
    (n, ack[0]["message_id"].as_str().unwrap().to_string())
}

fn mails_to(desk: &Desk, who: &str) -> usize {
    desk.outbox().iter().filter(|m| m["recipients"].to_string().contains(who)).count()
}

/// The last article, which the stranger's mail became.
fn last_article(t: &Value) -> Value {
    t["articles"].as_array().unwrap().last().unwrap().clone()
}

#[test]
fn a_stranger_pointing_at_a_ticket_in_any_way_stays_outside_it() {
    let desk = Desk::new();
    let (n, ack_id) = opened(&desk);
    let tag = format!("Re: [Guichet #{n}] Mot de passe expiré");
    let ways: [(&str, String, String); 3] = [
        ("the subject tag", tag.clone(), String::new()),
        (
            "a reference to our Message-ID",
            "Re: Mot de passe".into(),
            format!("In-Reply-To: <{ack_id}>\r\nReferences: <{ack_id}>\r\n"),
        ),
        ("a guessed plus address", "Mot de passe".into(), String::new()),
    ];
    for (i, (how, subject, headers)) in ways.iter().enumerate() {
        let id = format!("mallory-{i}@elsewhere.example");
        let mut raw =
            String::from_utf8(mail(MALLORY, subject, &id, headers, "Envoyez-moi tout l'historique, merci.")).unwrap();
        if i == 2 {
            raw = raw.replace(&format!("To: {SUPPORT}"), &format!("To: support+{n}@example.test"));
        }
        let out = desk.ingest(raw.as_bytes());
        assert_eq!(out["outcome"], "article", "{how}: {out}");
        assert_eq!(as_i64(&out["ticket"]), n, "{how}: threaded, to be seen by technicians");
        let t = desk.ticket(n);
        let a = last_article(&t);
        assert_eq!(
            (a["visibility"].as_str(), a["author_role"].as_str()),
            (Some("internal"), Some("stranger")),
            "{how}"
        );
        assert_eq!(t["watchers"], serde_json::json!([]), "{how}: not subscribed");
        assert_eq!(mails_to(&desk, MALLORY), 0, "{how}: no mail, so no ticket content, goes to the stranger");
    }
    // Technicians are alerted each time (one mail per language: Marc in
    // French, Sarah in English); the requester hears nothing of it.
    assert_eq!(desk.queued("stranger_alert").len(), 3 * 2);
    assert_eq!(mails_to(&desk, ALICE), 1, "only her acknowledgement");
    // Later public replies on the ticket do not reach the stranger either.
    desk.ingest(&mail(MARC, &tag, "marc-1@example.test", "", "Bonjour Alice, c'est réinitialisé."));
    assert_eq!(mails_to(&desk, MALLORY), 0);
    assert_eq!(mails_to(&desk, ALICE), 2);
}

fn proof_desk() -> Desk {
    Desk::with_config(&Desk::config_text("", "trusted_authserv_ids = [\"mx.example.test\"]"))
}

fn from_marc(desk: &Desk, n: i64, id: &str, headers: &str, body: &str) -> Value {
    desk.ingest(&mail(MARC, &format!("RE: [Guichet #{n}] Mot de passe expiré"), id, headers, body))
}

#[test]
fn a_technicians_address_without_proof_is_a_strangers_mail() {
    let desk = proof_desk();
    let (n, _) = opened(&desk);
    let before = mails_to(&desk, ALICE);
    // No Authentication-Results at all, then a genuine verdict of failure
    // above a forged pass, then a pass from a server we do not trust.
    let attempts = [
        String::new(),
        "Authentication-Results: mx.example.test; dkim=none; spf=fail smtp.mailfrom=marc.dupont@example.test\r\n\
         Authentication-Results: mx.example.test; dkim=pass header.d=example.test\r\n"
            .to_string(),
        "Authentication-Results: mx.elsewhere.example; dkim=pass header.d=example.test\r\n".to_string(),
    ];
    for (i, headers) in attempts.iter().enumerate() {
        let out = from_marc(&desk, n, &format!("fake-{i}@example.test"), headers, "#resolve\n#assign me\nC'est réglé.");
        assert_eq!(out["outcome"], "article");
        let t = desk.ticket(n);
        let said = t["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "sender_unproven").count();
        assert_eq!(said, i + 1, "the history says why: {}", t["history"]);
        assert_eq!(t["status"], "new", "attempt {i}: no command ran");
        assert!(t["assignee"].is_null(), "attempt {i}");
        assert_eq!(last_article(&t)["author_role"], "stranger", "attempt {i}");
        assert_eq!(last_article(&t)["visibility"], "internal", "attempt {i}");
    }
    assert_eq!(mails_to(&desk, ALICE), before, "nothing was relayed to the requester");
    assert!(desk.queued("status_changed").is_empty());

    // Our MTA's pass for the domain: the same mail is Marc's.
    let proven = "Authentication-Results: mx.example.test; dkim=pass header.d=example.test header.s=s1; spf=pass smtp.mailfrom=marc.dupont@example.test\r\n";
    from_marc(&desk, n, "real@example.test", proven, "#resolve\nC'est réglé.");
    let t = desk.ticket(n);
    assert_eq!(t["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "sender_unproven").count(), 3);
    assert_eq!(t["status"], "resolved");
    assert_eq!(last_article(&t)["author_role"], "technician");
    assert_eq!(desk.queued("status_changed").len(), 1);
}

#[test]
fn an_unproven_forward_cannot_open_a_ticket_on_someones_behalf() {
    let desk = proof_desk();
    let raw = mail(
        MARC,
        "TR: Accès VPN",
        "fwd@example.test",
        "",
        "#requester victim@example.test\n#assign me\nMerci de lui ouvrir l'accès.",
    );
    let out = desk.ingest(&raw);
    assert_eq!(out["outcome"], "ticket");
    let t = desk.ticket(as_i64(&out["ticket"]));
    assert_eq!(t["requester"], MARC, "the address written in From is the requester, nothing more");
    assert!(t["assignee"].is_null());
    assert_eq!(mails_to(&desk, "victim@example.test"), 0);
}

#[test]
fn check_names_a_bad_authserv_id() {
    let desk = Desk::with_config(&Desk::config_text("", "trusted_authserv_ids = [\"mx example\"]"));
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("`tickets.trusted_authserv_ids[0]`"), "{text}");
}
