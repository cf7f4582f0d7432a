//! A technician forwards a user's mail to the desk, the way each common
//! client writes a forward: the ticket is the user's, their mail its first
//! article with its files, and the technician's words an internal note.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";

fn opened(desk: &Desk, raw: &[u8]) -> Value {
    let out = desk.ingest(raw);
    assert_eq!(out["outcome"], "ticket", "{out}");
    desk.ticket(as_i64(&out["ticket"]))
}

fn articles(t: &Value) -> &Vec<Value> {
    t["articles"].as_array().unwrap()
}

/// What the forwarded mail's sender got from the desk.
fn told(desk: &Desk, who: &str) -> Vec<Value> {
    desk.outbox().into_iter().filter(|m| m["recipients"].as_array().unwrap().iter().any(|r| r == who)).collect()
}

/// The ticket is Alice's, her words first and public, Marc's words after,
/// internal; she is acknowledged (once since `before` mails to her)
/// without his words.
fn assert_alices(desk: &Desk, t: &Value, before: usize, her_words: &str, his_words: &str) {
    assert_eq!(t["requester"], ALICE, "{t}");
    let a = articles(t);
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!((a[0]["from"].as_str(), a[0]["visibility"].as_str()), (Some(ALICE), Some("public")), "{}", a[0]);
    assert!(a[0]["trimmed_text"].as_str().unwrap().contains(her_words), "{}", a[0]);
    assert!(!a[0]["trimmed_text"].as_str().unwrap().contains(his_words), "{}", a[0]);
    assert_eq!((a[1]["from"].as_str(), a[1]["visibility"].as_str()), (Some(MARC), Some("internal")), "{}", a[1]);
    assert!(a[1]["trimmed_text"].as_str().unwrap().contains(his_words), "{}", a[1]);
    let acks = told(desk, ALICE).split_off(before);
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0]["template"], "acknowledgement");
    let text = body(&acks[0]);
    assert!(!text.contains(his_words), "the technician's note reached the requester:\n{text}");
}

#[test]
fn inline_forwards_of_gmail_outlook_apple_mail_and_thunderbird_open_the_senders_ticket() {
    let forwards = [
        (
            "Fwd: Imprimante en panne",
            "Peux-tu regarder ? Elle est au 2e.\n\n---------- Forwarded message ---------\nFrom: Alice Martin <alice.martin@example.test>\nDate: Mon, Nov 30, 2026 at 9:12 AM\nSubject: Imprimante en panne\nTo: Marc Dupont <marc.dupont@example.test>\n\nBonjour Marc,\nL'imprimante du 2e affiche erreur 52.\nAlice\n",
            "Imprimante en panne",
        ),
        (
            "TR: Écran noir",
            "Urgent, elle présente à 14 h.\n\n________________________________\nDe : Alice Martin <alice.martin@example.test>\nEnvoyé : lundi 30 novembre 2026 09:12\nÀ : Marc Dupont <marc.dupont@example.test>\nObjet : Écran noir\n\nBonjour,\nMon écran reste noir depuis ce matin.\n",
            "Écran noir",
        ),
        (
            "Fwd: Printer jam",
            "Can you take this one?\n\nBegin forwarded message:\n\nFrom: Alice Martin <alice.martin@example.test>\nSubject: Printer jam\nDate: 30 November 2026 at 09:12:00 CET\nTo: Marc Dupont <marc.dupont@example.test>\n\nHello,\nThe printer on floor 2 jams on every page.\n",
            "Printer jam",
        ),
        (
            "Fwd: Accès VPN",
            "À traiter en priorité.\n\n-------- Message transféré --------\nSujet : Accès VPN\nDate : Mon, 30 Nov 2026 09:12:00 +0100\nDe : Alice Martin <alice.martin@example.test>\nPour : Marc Dupont <marc.dupont@example.test>\n\nBonjour,\nLe VPN refuse mon mot de passe.\n",
            "Accès VPN",
        ),
    ];
    for (i, (subject, text, original_subject)) in forwards.iter().enumerate() {
        // One database a test on PostgreSQL: count from here.
        let desk = Desk::new();
        // `rules test` decides on the forwarded mail as ingest does.
        let eml = desk.path(&format!("forward{i}.eml"));
        std::fs::write(&eml, mail(MARC, subject, &format!("f{i}@example.test"), "", text)).unwrap();
        let tried: Value = serde_json::from_str(&desk.ok(&["rules", "test", "--json", eml.to_str().unwrap()])).unwrap();
        assert_eq!(tried["requester"], ALICE, "{tried}");
        let before = told(&desk, ALICE).len();
        let t = opened(&desk, &mail(MARC, subject, &format!("f{i}@example.test"), "", text));
        assert_eq!(t["subject"], *original_subject, "{subject}");
        let (his, hers) = text.split_once("\n\n").unwrap();
        let her_words = hers.lines().rev().find(|l| l.len() > 12).unwrap();
        assert_alices(&desk, &t, before, her_words, his.trim());
    }
}

#[test]
fn a_forward_attached_whole_keeps_the_senders_files_and_me_keeps_the_technician() {
    let original = "From: Alice Martin <alice.martin@example.test>\r\nTo: Marc Dupont <marc.dupont@example.test>\r\nSubject: Facture introuvable\r\nMessage-ID: <orig1@example.test>\r\nDate: Mon, 30 Nov 2026 09:12:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"in\"\r\n\r\n--in\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nJe ne retrouve pas la facture de novembre dans le logiciel.\r\n--in\r\nContent-Type: application/pdf; name=\"capture.pdf\"\r\nContent-Disposition: attachment; filename=\"capture.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--in--\r\n";
    let forward = |id: &str, words: &str| {
        format!("From: Marc Dupont <{MARC}>\r\nTo: {SUPPORT}\r\nSubject: Fwd: Facture introuvable\r\nMessage-ID: <{id}>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"out\"\r\n\r\n--out\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n--out\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"Facture introuvable.eml\"\r\n\r\n{original}--out--\r\n")
    };
    let desk = Desk::new();
    let t = opened(&desk, forward("f10@example.test", "Pour la compta, voir avec Paul.").as_bytes());
    assert_eq!(t["subject"], "Facture introuvable");
    assert_alices(&desk, &t, 0, "la facture de novembre", "Pour la compta");
    let files = articles(&t)[0]["attachments"].as_array().unwrap();
    assert!(files.iter().any(|f| f["filename"] == "capture.pdf"), "her file is on her article: {files:?}");

    // `#me`: the technician keeps the ticket for himself; the mail is still hers.
    let desk = Desk::new();
    let before = told(&desk, ALICE).len();
    let t = opened(&desk, forward("f11@example.test", "#me\nJe le garde pour moi.").as_bytes());
    assert_eq!(t["requester"], MARC);
    assert_eq!(articles(&t)[0]["from"], ALICE);
    assert_eq!(told(&desk, ALICE).len(), before, "she opened nothing: nothing is sent to her");
}

#[test]
fn only_a_proven_technicians_forward_changes_the_requester() {
    let text = "Regarde ça.\n\n---------- Forwarded message ---------\nFrom: Alice Martin <alice.martin@example.test>\nDate: Mon, Nov 30, 2026 at 9:12 AM\nSubject: Imprimante en panne\nTo: Bob <bob.durand@example.test>\n\nL'imprimante affiche erreur 52.\n";
    // A requester forwarding someone else's mail stays the requester.
    let desk = Desk::new();
    let t = opened(&desk, &mail("bob.durand@example.test", "Fwd: Imprimante en panne", "f20@example.test", "", text));
    assert_eq!(t["requester"], "bob.durand@example.test");
    assert_eq!(articles(&t).len(), 1);
    assert!(told(&desk, ALICE).is_empty());

    // A technician's address without the proof the desk asks for is anybody's.
    let desk = Desk::with_config(&Desk::config_text("", "trusted_authserv_ids = [\"mx.example.test\"]"));
    let before = told(&desk, ALICE).len();
    let t = opened(&desk, &mail(MARC, "Fwd: Imprimante en panne", "f21@example.test", "", text));
    assert_eq!(t["requester"], MARC, "not opened for Alice on an unproven word");
    assert_eq!(told(&desk, ALICE).len(), before);
}
