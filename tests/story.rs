//! One ticket's whole story through real mailboxes (Dovecot and Postfix on
//! loopback), and what each person's INBOX holds at the end: a requester
//! with a colleague in copy, a technician answering with commands only, a
//! stranger writing in and the technician answering the alert, an
//! HTML-only mail, a planned visit, the resolution, and thanks after it.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::time::Duration;

use common::running::{desk, message};
use common::servers::{header, subject, text_body, Servers};
use common::*;

const WAIT: Duration = Duration::from_secs(30);

fn once(desk: &Desk) -> String {
    desk.ok(&["run", "--once"])
}

/// The desk's time is Paris's: its first calendar's, which Tess, who
/// gives no zone of her own, lives by too.
const PARIS: &str = r#"
[[calendar]]
name = "bureau"
time_zone = "Europe/Paris"
working_hours = "mon-fri 08:30-18:00"
"#;

/// Sends `raw` to the desk and lets guichet read it and send what it makes.
fn deliver(srv: &Servers, desk: &Desk, support: &str, from: &str, raw: &[u8]) {
    srv.send(from, &[support], raw);
    srv.wait_for(support, "INBOX", 1, WAIT);
    once(desk);
}

/// `user`'s INBOX once it holds `n` messages, and a moment later (nothing more came).
fn inbox(srv: &Servers, user: &str, n: usize) -> Vec<Vec<u8>> {
    srv.wait_for(user, "INBOX", n, WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let all = srv.messages(user, "INBOX");
    assert_eq!(all.len(), n, "{user}: {:?}", all.iter().map(|m| subject(m)).collect::<Vec<_>>());
    all
}

/// A technician's answer: `body` on top, `notice` quoted below.
fn answer(from: &str, to: &str, notice: &[u8], id: &str, body: &str) -> Vec<u8> {
    let quoted: String = text_body(notice).lines().map(|l| format!("> {l}\r\n")).collect();
    let notice_id = header(notice, "Message-ID").unwrap();
    message(
        from,
        to,
        &format!("Re: {}", subject(notice)),
        id,
        &format!("In-Reply-To: {notice_id}\r\nReferences: {notice_id}\r\n"),
        &format!("{body}\r\n\r\nLe sam. 5 déc. 2026 à 10:00, Support <{to}> a écrit :\r\n{quoted}"),
    )
}

#[test]
fn a_tickets_whole_story_leaves_each_mailbox_with_what_its_owner_should_read() {
    let srv = Servers::get();
    let (support, alice, bob, carol, tess) =
        (srv.user("support"), srv.user("alice"), srv.user("bob"), srv.user("carol"), srv.user("tess"));
    let desk = desk(&srv, &support, &tess, "move:Processed", PARIS);
    let thread = "[Guichet #1] Imprimante en panne";

    // Alice writes, Bob in copy.
    let first = format!(
        "From: Alice Martin <{alice}>\r\nTo: {support}\r\nCc: Bob Durand <{bob}>\r\nSubject: Imprimante en panne\r\nMessage-ID: <s1@alice.example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nL'imprimante du 2e étage ne répond plus.\r\nAlice\r\n"
    );
    srv.send(&alice, &[&support, &bob], first.as_bytes());
    srv.wait_for(&support, "INBOX", 1, WAIT);
    once(&desk);
    let notice = srv.wait_for(&tess, "INBOX", 1, WAIT).remove(0);
    let notice_text = text_body(&notice);
    assert!(notice_text.contains(&alice) && notice_text.contains(&bob), "Tess sees who is in copy:\n{notice_text}");

    // Tess answers with a command only, above the quoted notice.
    deliver(&srv, &desk, &support, &tess, &answer(&tess, &support, &notice, "s2@tess.example.test", "#status pending"));
    assert_eq!(desk.ticket(1)["status"], "pending");

    // Carol, who is not on the ticket, writes with its tag; Tess answers the alert.
    let stranger =
        message(&carol, &support, &format!("Re: {thread}"), "s3@carol.example.test", "", "J'ai le même souci.");
    deliver(&srv, &desk, &support, &carol, &stranger);
    let alert = srv.wait_for(&tess, "INBOX", 2, WAIT).pop().unwrap();
    let reply_to = header(&alert, "Reply-To").unwrap();
    let note_address = reply_to.rsplit('<').next().unwrap().trim_end_matches('>').to_string();
    assert!(note_address.ends_with("+1-internal@example.test"), "{reply_to}");
    let to_note = answer(&tess, &support, &alert, "s4@tess.example.test", "Bonjour Carole, c'est noté.")
        .into_iter()
        .collect::<Vec<u8>>();
    let to_note =
        String::from_utf8(to_note).unwrap().replacen(&format!("To: {support}"), &format!("To: {note_address}"), 1);
    srv.send(&tess, &[&note_address], to_note.as_bytes());
    srv.wait_for(&support, "INBOX", 1, WAIT);
    once(&desk);

    // Alice answers from a client that writes HTML only.
    let html = format!(
        "From: Alice Martin <{alice}>\r\nTo: {support}\r\nSubject: Re: {thread}\r\nMessage-ID: <s5@alice.example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div>Le voyant clignote en orange.</div><div><br></div><div>Merci,<br>Alice</div>\r\n"
    );
    deliver(&srv, &desk, &support, &alice, html.as_bytes());
    let relayed = srv.wait_for(&tess, "INBOX", 3, WAIT).pop().unwrap();
    let relayed_text = text_body(&relayed).replace("\r\n", "\n");
    assert!(relayed_text.contains("Merci,\n") && !relayed_text.contains("Merci,Alice"), "{relayed_text}");

    // Tess plans a visit (Paris time), then resolves.
    let plan = answer(&tess, &support, &relayed, "s6@tess.example.test", "#plan 2027-01-11 14:30\r\nJe passe lundi.");
    deliver(&srv, &desk, &support, &tess, &plan);
    let resolve = answer(&tess, &support, &relayed, "s7@tess.example.test", "#resolve\r\nLe tambour est changé.");
    deliver(&srv, &desk, &support, &tess, &resolve);

    // Alice thanks: the ticket stays resolved.
    let thanks = message(&alice, &support, &format!("Re: {thread}"), "s8@alice.example.test", "", "Merci beaucoup !");
    deliver(&srv, &desk, &support, &alice, &thanks);
    assert_eq!(desk.ticket(1)["status"], "resolved");
    assert_eq!(desk.tickets().len(), 1);

    // Alice: acknowledgement, pending, planned (with its date and Paris
    // time), resolved; every one on the same subject.
    let alice_mail = inbox(&srv, &alice, 4);
    // Bob also has Alice's first mail, which she copied him on.
    let mut bob_mail = inbox(&srv, &bob, 4);
    assert_eq!(header(&bob_mail.remove(0), "Message-ID").as_deref(), Some("<s1@alice.example.test>"));
    for m in alice_mail.iter().chain(&bob_mail) {
        assert_eq!(subject(m), thread, "one conversation in every client");
        let text = text_body(m);
        for leaked in ["Pour une note interne", "Carole", "même souci", "Répondez à ce message pour écrire"] {
            assert!(!text.contains(leaked), "`{leaked}` reached a requester:\n{text}");
        }
    }
    let planned = text_body(&alice_mail[2]);
    assert!(planned.contains("11 janvier 2027") && planned.contains("14"), "{planned}");
    assert!(planned.contains("14:30") || planned.contains("14 h 30"), "Paris time, not UTC:\n{planned}");
    assert!(planned.contains("Je passe lundi."), "{planned}");
    assert!(text_body(&alice_mail[3]).contains("Le tambour est changé."));
    // Bob is greeted as himself and told he is in copy.
    for m in &bob_mail {
        let text = text_body(m);
        assert!(text.contains("Bob") && !text.contains("Bonjour Alice"), "{text}");
        assert!(text.contains("copie"), "{text}");
    }
    // Carol got nothing: not an acknowledgement, not Tess's answer.
    assert_eq!(srv.messages_count(&carol, "INBOX"), 0);
    // Tess: the new ticket, the alert, Alice's answer, her thanks; one subject.
    let tess_mail = inbox(&srv, &tess, 4);
    let subjects: std::collections::BTreeSet<String> = tess_mail.iter().map(|m| subject(m)).collect();
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    let t = desk.ticket(1);
    let note =
        t["articles"].as_array().unwrap().iter().find(|a| a["text"].as_str().unwrap().contains("c'est noté")).unwrap();
    assert_eq!(note["visibility"], "internal");
}
