//! DKIM: every mail guichet sends is signed with the key of its From
//! domain, and an independent verifier (dkimpy, Debian's python3-dkim)
//! given the public key accepts the signature. Keys are made per test with
//! openssl.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::dkim::*;
use common::*;

/// A desk whose `[outgoing]` (file transport) signs with `dkim` (TOML),
/// put right after `[outgoing]`'s own keys.
fn signing_desk(dkim: &str) -> Desk {
    let line = "message_id_domain = \"example.test\"\n";
    Desk::with_config(&Desk::config_text("", "").replace(line, &format!("{line}{dkim}")))
}

/// The mails `run --once` wrote through the file transport.
fn sent(desk: &Desk) -> Vec<Vec<u8>> {
    desk.ok(&["run", "--once"]);
    files_in(&desk.path("outbox"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn subject_of(raw: &[u8]) -> String {
    guichet::mail::inbound::InboundMail::parse(raw).unwrap().subject
}

fn with_attachment(from: &str, subject: &str, id: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 16 Nov 2026 10:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\nContent-Disposition: attachment; filename=\"rapport.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\r\n\
         --b1\r\nContent-Type: image/png; name=\"écran.png\"\r\nContent-Disposition: attachment; filename=\"écran.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n\
         --b1--\r\n"
    )
    .into_bytes()
}

/// Alice opens a ticket whose subject is not ASCII; Marc answers with two
/// files. Returns every mail sent.
fn a_conversation(desk: &Desk) -> Vec<Vec<u8>> {
    desk.ingest(&mail("alice@example.test", "Écran cassé — 画面が割れた", "a1@example.test", "", "Bonjour"));
    let answer =
        with_attachment(MARC, "RE: [Guichet #1] Écran cassé", "m1@example.test", "Voici le rapport et la capture.");
    desk.ingest(&answer);
    sent(desk)
}

fn check_all_pass(mails: &[Vec<u8>], records: &[(&str, &str, &str)], want: &str) {
    assert!(!mails.is_empty());
    for raw in mails {
        match verify(raw, records) {
            Ok(said) => assert!(said.contains(want), "{said}"),
            Err(why) => panic!("{why}\n{}", String::from_utf8_lossy(raw)),
        }
    }
}

#[test]
fn an_acknowledgement_a_relayed_answer_with_files_and_a_non_ascii_subject_verify_with_rsa() {
    let keys = tempfile::tempdir().unwrap();
    let key = rsa_key(keys.path(), "rsa", false);
    let desk = signing_desk(&dkim_toml("example.test", "desk2026", &key));
    let mails = a_conversation(&desk);
    let subjects: Vec<String> = mails.iter().map(|m| subject_of(m)).collect();
    assert!(subjects.iter().any(|s| s.contains("画面が割れた")), "{subjects:?}");
    let reply = mails.iter().find(|m| String::from_utf8_lossy(m).contains("rapport.pdf")).expect("the relayed answer");
    assert!(String::from_utf8_lossy(reply).contains("multipart/mixed"));
    check_all_pass(&mails, &[("desk2026", "example.test", &key.txt)], "pass d=example.test s=desk2026 a=rsa-sha256");
}

#[test]
fn the_same_mails_verify_with_ed25519() {
    let keys = tempfile::tempdir().unwrap();
    let key = ed25519_key(keys.path(), "ed");
    let desk = signing_desk(&dkim_toml("example.test", "ed2026", &key));
    let mails = a_conversation(&desk);
    check_all_pass(&mails, &[("ed2026", "example.test", &key.txt)], "pass d=example.test s=ed2026 a=ed25519-sha256");
}

#[test]
fn a_pkcs1_rsa_key_signs_too() {
    let keys = tempfile::tempdir().unwrap();
    let key = rsa_key(keys.path(), "rsa1", true);
    let desk = signing_desk(&dkim_toml("example.test", "old", &key));
    desk.ingest(&mail("alice@example.test", "Imprimante", "a1@example.test", "", "Bonjour"));
    check_all_pass(&sent(&desk), &[("old", "example.test", &key.txt)], "pass");
}

#[test]
fn a_changed_mail_or_a_wrong_public_key_fails_verification() {
    let keys = tempfile::tempdir().unwrap();
    let (key, other) = (rsa_key(keys.path(), "rsa", false), rsa_key(keys.path(), "other", false));
    let desk = signing_desk(&dkim_toml("example.test", "s1", &key));
    desk.ingest(&mail("alice@example.test", "Imprimante", "a1@example.test", "", "Bonjour"));
    let raw = sent(&desk).pop().unwrap();
    assert!(verify(&raw, &[("s1", "example.test", &key.txt)]).is_ok());
    assert!(verify(&raw, &[("s1", "example.test", &other.txt)]).is_err(), "another key does not verify it");
    let text = String::from_utf8(raw.clone()).unwrap();
    let changed = text.replacen("Subject: ", "Subject: Re: ", 1);
    assert!(verify(changed.as_bytes(), &[("s1", "example.test", &key.txt)]).is_err(), "a changed subject fails");
}

#[test]
fn each_address_is_signed_with_its_own_domains_key() {
    let keys = tempfile::tempdir().unwrap();
    let (rsa, ed) = (rsa_key(keys.path(), "rsa", false), ed25519_key(keys.path(), "ed"));
    let dkim = dkim_toml("example.test", "s1", &rsa) + &dkim_toml("people.example.test", "rh1", &ed);
    let extra = "\n[[mailbox]]\nname = \"rh\"\npath = \"maildir\"\naddress = \"rh@people.example.test\"\n";
    let text = Desk::config_text(extra, "")
        .replace("message_id_domain = \"example.test\"\n", &format!("message_id_domain = \"example.test\"\n{dkim}"));
    let desk = Desk::with_config(&text);
    desk.ingest(&mail("alice@example.test", "Imprimante", "a1@example.test", "", "Bonjour"));
    let mut c = desk.command(&["ingest", "--mailbox", "rh", "--json"]);
    let raw = mail("claire@example.test", "Congés", "c1@example.test", "", "Bonjour").to_vec();
    let out = {
        use std::io::Write;
        let mut child = c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(&raw).unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(out.status.success());
    let records = [("s1", "example.test", rsa.txt.as_str()), ("rh1", "people.example.test", ed.txt.as_str())];
    let mails = sent(&desk);
    let mut seen = (false, false);
    for m in &mails {
        let p = guichet::mail::inbound::InboundMail::parse(m).unwrap();
        let said = verify(m, &records).unwrap_or_else(|e| panic!("{e}"));
        if p.from.email == "rh@people.example.test" {
            assert!(said.contains("d=people.example.test s=rh1 a=ed25519-sha256"), "{said}");
            seen.1 = true;
        } else {
            assert!(said.contains("d=example.test s=s1 a=rsa-sha256"), "{said}");
            seen.0 = true;
        }
    }
    assert_eq!(seen, (true, true), "mail from both addresses");
}

#[test]
fn mail_from_a_domain_without_a_key_goes_unsigned() {
    let keys = tempfile::tempdir().unwrap();
    let key = rsa_key(keys.path(), "rsa", false);
    let desk = signing_desk(&dkim_toml("elsewhere.test", "s1", &key));
    desk.ingest(&mail("alice@example.test", "Imprimante", "a1@example.test", "", "Bonjour"));
    for raw in sent(&desk) {
        assert!(!String::from_utf8_lossy(&raw).contains("DKIM-Signature"));
    }
}

fn check_output(desk: &Desk) -> String {
    let out = desk.run(&["check"]);
    assert!(!out.status.success(), "check accepts a bad key");
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn check_says_when_a_key_is_unreadable_not_a_key_or_not_of_its_algorithm() {
    let keys = tempfile::tempdir().unwrap();
    let missing = TestKey { file: keys.path().join("missing.pem"), algorithm: "rsa-sha256", txt: String::new() };
    let said = check_output(&signing_desk(&dkim_toml("example.test", "s1", &missing)));
    assert!(said.contains("`outgoing.dkim[0].key_file`: cannot read"), "{said}");

    std::fs::write(keys.path().join("junk.pem"), "hello\n").unwrap();
    let junk = TestKey { file: keys.path().join("junk.pem"), algorithm: "rsa-sha256", txt: String::new() };
    let said = check_output(&signing_desk(&dkim_toml("example.test", "s1", &junk)));
    assert!(said.contains("`outgoing.dkim[0].key_file`") && said.contains("not a key"), "{said}");

    let ed = ed25519_key(keys.path(), "ed");
    let as_rsa = TestKey { algorithm: "rsa-sha256", ..ed };
    let said = check_output(&signing_desk(&dkim_toml("example.test", "s1", &as_rsa)));
    assert!(said.contains("an Ed25519 key, and the algorithm is rsa-sha256"), "{said}");

    let rsa = rsa_key(keys.path(), "rsa", false);
    let as_ed = TestKey { algorithm: "ed25519-sha256", ..rsa };
    let single = dkim_toml("example.test", "s1", &as_ed).replace("[[outgoing.dkim]]", "[outgoing.dkim]");
    let said = check_output(&signing_desk(&single));
    assert!(
        said.contains("`outgoing.dkim.key_file`") && said.contains("an RSA key, and the algorithm is ed25519-sha256"),
        "{said}"
    );

    let public = keys.path().join("public.pem");
    openssl(&[
        "pkey",
        "-in",
        rsa_key(keys.path(), "r2", false).file.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    let public = TestKey { file: public, algorithm: "rsa-sha256", txt: String::new() };
    let said = check_output(&signing_desk(&dkim_toml("example.test", "s1", &public)));
    assert!(said.contains("a public key"), "{said}");
}

#[test]
fn check_tells_which_key_signs_each_address_and_which_goes_unsigned() {
    let keys = tempfile::tempdir().unwrap();
    let key = ed25519_key(keys.path(), "ed");
    let extra = "\n[[mailbox]]\nname = \"rh\"\npath = \"maildir\"\naddress = \"rh@people.test\"\n";
    let line = "message_id_domain = \"example.test\"\n";
    let dkim = dkim_toml("example.test", "ed2026", &key);
    let desk = Desk::with_config(&Desk::config_text(extra, "").replace(line, &format!("{line}{dkim}")));
    let out = desk.ok(&["check"]);
    assert!(
        out.contains(&format!("mail from {SUPPORT} is DKIM-signed: d=example.test s=ed2026 a=ed25519-sha256")),
        "{out}"
    );
    assert!(out.contains("note: mail from rh@people.test goes out unsigned"), "{out}");
}
