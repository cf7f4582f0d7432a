//! DKIM through the real Postfix: what guichet signs still verifies once
//! Postfix has relayed it and Dovecot has stored it, read back over IMAP
//! (dkimpy, Debian's python3-dkim, given the public key).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::time::Duration;

use common::dkim::*;
use common::running::{desk, message};
use common::servers::{header, subject, Servers};

const WAIT: Duration = Duration::from_secs(30);

fn with_files(from: &str, to: &str, subject: &str, id: &str, in_reply_to: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nIn-Reply-To: {in_reply_to}\r\n\
         Date: Sat, 28 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\nContent-Disposition: attachment; filename=\"rapport.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\r\n\
         --b1\r\nContent-Type: image/png; name=\"capture.png\"\r\nContent-Disposition: attachment; filename=\"capture.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n\
         --b1--\r\n"
    )
    .into_bytes()
}

/// Alice writes with a non-ASCII subject, the technician answers the
/// notice with two files: her acknowledgement, the notice and the relayed
/// answer all arrive signed, and verify.
fn signed_mail_survives_the_relay(key: &TestKey, selector: &str) {
    let srv = Servers::get();
    let (support, alice, tech) = (srv.user("support"), srv.user("alice"), srv.user("tech"));
    let desk = desk(&srv, &support, &tech, "move:Processed", &dkim_toml("example.test", selector, key));
    let records = [(selector, "example.test", key.txt.as_str())];
    let want = format!("pass d=example.test s={selector} a={}", key.algorithm);

    let first = message(&alice, &support, "Écran cassé — 画面が割れた", "p1@alice.example.test", "", "Il est fendu.");
    srv.send(&alice, &[&support], &first);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    desk.ok(&["run", "--once"]);
    let ack = srv.wait_for(&alice, "INBOX", 1, WAIT).remove(0);
    assert!(subject(&ack).contains("画面が割れた"), "{}", subject(&ack));
    assert!(header(&ack, "Received").is_some(), "relayed by Postfix");
    let said = verify(&ack, &records).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&ack)));
    assert!(said.contains(&want), "{said}");

    let notice = srv.wait_for(&tech, "INBOX", 1, WAIT).remove(0);
    assert!(verify(&notice, &records).is_ok(), "the technician's notice verifies");

    let answer = with_files(
        &tech,
        &support,
        &format!("Re: {}", subject(&notice)),
        "t1@tech.example.test",
        &header(&notice, "Message-ID").unwrap(),
        "Bonjour, voici le rapport et une capture.",
    );
    srv.send(&tech, &[&support], &answer);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    desk.ok(&["run", "--once"]);
    let inbox = srv.wait_for(&alice, "INBOX", 2, WAIT);
    let relayed = inbox.last().unwrap();
    let text = String::from_utf8_lossy(relayed);
    assert!(text.contains("rapport.pdf") && text.contains("capture.png"), "{text}");
    let said = verify(relayed, &records).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(said.contains(&want), "{said}");
}

#[test]
fn rsa_signed_mail_verifies_after_postfix_and_dovecot() {
    let keys = tempfile::tempdir().unwrap();
    signed_mail_survives_the_relay(&rsa_key(keys.path(), "rsa", false), "desk2026");
}

#[test]
fn ed25519_signed_mail_verifies_after_postfix_and_dovecot() {
    let keys = tempfile::tempdir().unwrap();
    signed_mail_survives_the_relay(&ed25519_key(keys.path(), "ed"), "ed2026");
}
