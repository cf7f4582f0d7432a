//! Mail in every charset people write in keeps its subject, its sender's
//! name and its text; a charset nobody knows loses no byte and the ticket's
//! history says how it was read. Fixtures: `scripts/charset-fixtures.py`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use guichet::mail::inbound::InboundMail;
use serde_json::Value;

fn expected() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(manifest_dir().join("tests/fixtures/charsets/expected.json")).unwrap();
    let map: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    map.into_iter().collect()
}

fn fixture_of(slug: &str) -> Vec<u8> {
    fixture(&format!("charsets/{slug}.eml"))
}

#[test]
fn every_charset_keeps_its_subject_name_and_text() {
    let all = expected();
    assert!(all.len() >= 34, "the fixtures are all there: {}", all.len());
    let mut wrong = Vec::new();
    for (slug, want) in &all {
        let mail = InboundMail::parse(&fixture_of(slug)).unwrap();
        for (what, got, want) in [
            ("subject", mail.subject.as_str(), want["subject"].as_str().unwrap()),
            ("name", mail.from.name.as_str(), want["name"].as_str().unwrap()),
            ("text", mail.text.trim_end(), want["body"].as_str().unwrap()),
        ] {
            if got != want {
                wrong.push(format!("{slug} {what}: {got:?}, not {want:?}"));
            }
        }
        assert_eq!(mail.unknown_charset, None, "{slug} is known");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn tickets_from_every_charset_read_as_written_and_are_answered_in_kind() {
    let desk = Desk::new();
    let all = expected();
    for (slug, want) in &all {
        let out = desk.ingest(&fixture_of(slug));
        assert_eq!(out["outcome"], "ticket", "{slug}: {out}");
        let t = desk.ticket(as_i64(&out["ticket"]));
        assert_eq!(t["subject"], want["subject"], "{slug}");
        assert_eq!(t["requester_name"], want["name"], "{slug}: {t}");
        let text = t["articles"][0]["text"].as_str().unwrap();
        let first_line = want["body"].as_str().unwrap().lines().nth(1).unwrap();
        assert!(text.contains(first_line), "{slug}: {text:?} lacks {first_line:?}");
        assert!(!text.contains('\u{FFFD}') && !t["subject"].as_str().unwrap().contains('\u{FFFD}'), "{slug}");
    }
    // The acknowledgement repeats the subject, encoded so it reads the same.
    for ack in desk.queued("acknowledgement") {
        let t = desk.ticket(as_i64(&ack["ticket"]));
        let subject = parsed(&ack).subject;
        assert!(subject.contains(t["subject"].as_str().unwrap()), "{subject:?}");
    }
    assert_eq!(desk.queued("acknowledgement").len(), all.len());
}

#[test]
fn an_unknown_charset_loses_no_byte_and_the_history_says_so() {
    let desk = Desk::new();
    let mut raw = b"From: Ren\xe9e <renee@example.test>\r\nTo: support@example.test\r\nSubject: =?x-mystery?Q?Probl=E8me_d'acc=E8s?=\r\nMessage-ID: <mystery@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-mystery\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".to_vec();
    raw.extend_from_slice(b"Bonjour,\r\nl'=E9cran co=FBte 200 =80.\r\n");
    let out = desk.ingest(&raw);
    assert_eq!(out["outcome"], "ticket", "{out}");
    let t = desk.ticket(as_i64(&out["ticket"]));
    assert_eq!(t["subject"], "Problème d'accès");
    assert!(t["articles"][0]["text"].as_str().unwrap().contains("l'écran coûte 200 €."), "{t}");
    let note = t["history"].as_array().unwrap().iter().find(|e| e["kind"] == "charset_unknown").expect("said");
    assert!(note.to_string().contains("x-mystery"), "{note}");

    // Bytes that are UTF-8 under an unknown name are read as UTF-8.
    let utf8 = "From: bob@example.test\r\nTo: support@example.test\r\nSubject: Accès\r\nMessage-ID: <mystery2@example.test>\r\nContent-Type: text/plain; charset=unknown-8bit\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÇa ne marche pas, 日本語.\r\n";
    let t = desk.ticket(as_i64(&desk.ingest(utf8.as_bytes())["ticket"]));
    assert!(t["articles"][0]["text"].as_str().unwrap().contains("Ça ne marche pas, 日本語."), "{t}");
}
