//! One identity per address: a ticket answers from the support address it
//! came in by, with that address's name, Message-ID domain, note address and
//! signature, and replies to any of them thread back.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;
use serde_json::Value;

const RH: &str = "rh@people.example.test";

/// Two addresses: support@ (group `poste`, whose signature is its own) and
/// rh@ at another domain, with its own name and signature. No
/// `message_id_domain`: each address's domain is its Message-IDs'.
fn two_addresses() -> Desk {
    let extra = format!(
        r#"
[[mailbox]]
name = "rh"
path = "maildir-rh"
address = "{RH}"
group = "reseau"
from_name = {{ fr = "Ressources humaines", en = "Human resources" }}
signature = "L'équipe RH\nBâtiment B, bureau 12"

[[group]]
name = "poste"
signature = {{ fr = "L'équipe poste de travail", en = "The workstation team" }}
"#
    );
    let text = Desk::config_text(&extra, "")
        .replace("message_id_domain = \"example.test\"\n", "")
        .replace("name = \"support\"\npath = \"maildir\"", "name = \"support\"\npath = \"maildir\"\ngroup = \"poste\"");
    let desk = Desk::with_config(&text);
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(desk.path("maildir-rh").join(sub)).unwrap();
    }
    desk
}

fn ingest_by(desk: &Desk, mailbox: &str, raw: &[u8]) -> Value {
    let mut child = desk
        .command(&["ingest", "--mailbox", mailbox, "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn to_rh(from: &str, subject: &str, id: &str, headers: &str, body: &str) -> Vec<u8> {
    let raw = String::from_utf8(mail(from, subject, id, headers, body)).unwrap();
    raw.replacen(&format!("To: {SUPPORT}"), &format!("To: {RH}"), 1).into_bytes()
}

fn rows_of(desk: &Desk, ticket: i64) -> Vec<Value> {
    desk.outbox().into_iter().filter(|m| m["ticket"] == ticket).collect()
}

fn header(row: &Value, name: &str) -> String {
    parsed(row).facts.header(name).unwrap_or_default().to_string()
}

/// Support's ticket 1, then rh's ticket 2 (Bob in copy), Marc's answer on
/// 2 and his `#resolve`.
fn a_ticket_at_each_address() -> Desk {
    let desk = two_addresses();
    let one = ingest_by(&desk, "support", &mail("alice@example.test", "Imprimante", "a1@example.test", "", "Bonjour"));
    assert_eq!(one["ticket"], 1);
    let cc = "Cc: Bob Leroy <bob@example.test>\r\n";
    let two = ingest_by(&desk, "rh", &to_rh("claire@example.test", "Congés", "c1@example.test", cc, "Bonjour"));
    assert_eq!(two["ticket"], 2);
    let answer = mail(MARC, "RE: [Guichet #2] Congés", "m1@example.test", "", "Bonjour,\nC'est noté.");
    ingest_by(&desk, "support", &answer);
    let resolve = mail(MARC, "RE: [Guichet #2] Congés", "m2@example.test", "", "#resolve\nVoilà.");
    ingest_by(&desk, "support", &resolve);
    desk
}

#[test]
fn every_mail_about_a_ticket_leaves_from_the_address_it_came_in_by() {
    let desk = a_ticket_at_each_address();
    let rh = rows_of(&desk, 2);
    let templates: Vec<&str> = rh.iter().map(|m| m["template"].as_str().unwrap()).collect();
    for t in ["acknowledgement", "reply", "status_changed"] {
        assert!(templates.contains(&t), "{t} missing in {templates:?}");
    }
    let mut to_watcher = false;
    for m in &rh {
        let p = parsed(m);
        assert_eq!(p.from.email, RH, "{} {}", m["template"], m["content"]);
        let id = p.message_id.clone().unwrap();
        assert!(id.ends_with("@people.example.test"), "{} Message-ID {id}", m["template"]);
        assert_eq!(header(m, "X-Loop"), format!("guichet {RH}"));
        assert!(
            !m["content"].as_str().unwrap().contains(SUPPORT),
            "{} names support@:\n{}",
            m["template"],
            m["content"]
        );
        to_watcher |= p.to.iter().any(|t| t.email == "bob@example.test");
    }
    assert!(to_watcher, "the watcher's copy is among them");
    let shown = desk.ticket(2);
    assert_eq!((shown["mailbox"].as_str(), shown["address"].as_str()), (Some("rh"), Some(RH)));
    assert_eq!(desk.ticket(1)["address"], SUPPORT);
    let ack = rh.iter().find(|m| m["template"] == "acknowledgement").unwrap();
    assert_eq!(parsed(ack).from.name, "Ressources humaines");
    let reply = rh.iter().find(|m| m["template"] == "reply").unwrap();
    assert_eq!(parsed(reply).from.name, "Marc Dupont (Ressources humaines)");

    for m in rows_of(&desk, 1) {
        let p = parsed(&m);
        assert_eq!(p.from.email, SUPPORT, "{}", m["template"]);
        assert!(p.message_id.unwrap().ends_with("@example.test"));
        assert_eq!(p.from.name, "Support");
    }
}

#[test]
fn technicians_hear_of_a_ticket_from_its_address_and_their_note_address_is_there() {
    let desk = two_addresses();
    ingest_by(&desk, "rh", &to_rh("claire@example.test", "Congés", "c1@example.test", "", "Bonjour"));
    // A stranger's mail on the ticket: the technicians are alerted, and
    // their answer is a note on the rh address.
    let stranger = to_rh("mallory@elsewhere.test", "RE: [Guichet #1] Congés", "x1@elsewhere.test", "", "Moi aussi");
    ingest_by(&desk, "rh", &stranger);
    let staff: Vec<Value> = rows_of(&desk, 1)
        .into_iter()
        .filter(|m| parsed(m).to.iter().all(|t| t.email == MARC || t.email == SARAH))
        .collect();
    assert!(!staff.is_empty(), "technicians were told: {:?}", desk.outbox());
    for m in &staff {
        assert_eq!(parsed(m).from.email, RH, "{}", m["template"]);
    }
    let alert = staff.iter().find(|m| m["template"] == "stranger_alert").unwrap();
    assert!(header(alert, "Reply-To").contains("rh+1-internal@people.example.test"), "{}", header(alert, "Reply-To"));
}

#[test]
fn replies_to_mail_from_either_address_thread_back() {
    let desk = a_ticket_at_each_address();
    let ack = desk.queued("acknowledgement").into_iter().find(|m| m["ticket"] == 2).unwrap();
    let ack_id = parsed(&ack).message_id.unwrap();
    let headers = format!("In-Reply-To: <{ack_id}>\r\nReferences: <{ack_id}>\r\n");
    let reply = to_rh("claire@example.test", "Re: merci", "c2@example.test", &headers, "Merci !");
    let got = ingest_by(&desk, "rh", &reply);
    assert_eq!((got["outcome"].as_str(), got["ticket"].as_i64()), (Some("article"), Some(2)), "{got}");

    // Our own mail from the rh address coming back is recognised as ours
    // by its Message-ID alone.
    let back = String::from_utf8(ack_bytes(&ack)).unwrap().replace(&format!("X-Loop: guichet {RH}\r\n"), "");
    let back = back.replace(&format!("From: \"Ressources humaines\" <{RH}>"), "From: claire@example.test");
    let got = ingest_by(&desk, "rh", back.as_bytes());
    assert_eq!(got["outcome"], "automatic", "{got}");
}

fn ack_bytes(row: &Value) -> Vec<u8> {
    row["content"].as_str().unwrap().as_bytes().to_vec()
}

#[test]
fn the_signature_is_the_groups_else_the_mailboxs_else_the_desks() {
    let desk = a_ticket_at_each_address();
    let ack = |n: i64| desk.queued("acknowledgement").into_iter().find(|m| m["ticket"] == n).unwrap();
    let (support, rh) = (parsed(&ack(1)), parsed(&ack(2)));
    assert!(support.text.contains("Bien cordialement,\nL'équipe poste de travail\n"), "{}", support.text);
    assert!(rh.text.contains("Bien cordialement,\nL'équipe RH\nBâtiment B, bureau 12"), "{}", rh.text);
    let html = rh.html.unwrap();
    assert!(html.contains("RH<br>Bâtiment B, bureau 12"), "{html}");
}

#[test]
fn without_a_signature_the_closing_is_the_desks_name_and_address() {
    let plain = Desk::new();
    plain.ingest(&mail("alice@example.test", "Écran", "e1@example.test", "", "Bonjour"));
    let text = body(&plain.queued("acknowledgement")[0]);
    assert!(text.contains(&format!("Bien cordialement,\nSupport\n{SUPPORT}")), "{text}");
}

#[test]
fn mail_about_no_ticket_leaves_from_the_address_it_answers() {
    let text = two_addresses_config().replace("[tickets]", "[limits]\nmax_message_bytes = 2000\n\n[tickets]");
    let desk = Desk::with_config(&text);
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(desk.path("maildir-rh").join(sub)).unwrap();
    }
    let big = to_rh("claire@example.test", "Photos", "big@example.test", "", &"x".repeat(3000));
    ingest_by(&desk, "rh", &big);
    let m = desk.queued("too_large").pop().unwrap();
    let p = parsed(&m);
    assert_eq!((p.from.email.as_str(), p.from.name.as_str()), (RH, "Ressources humaines"));
    assert!(p.message_id.unwrap().ends_with("@people.example.test"));
    assert!(p.text.contains("L'équipe RH"), "{}", p.text);
}

fn two_addresses_config() -> String {
    std::fs::read_to_string(&two_addresses().config).unwrap()
}

#[test]
fn a_set_message_id_domain_is_every_addresss() {
    let text = two_addresses_config()
        .replace("[tickets]", "[tickets]\n")
        .replace("from_name = \"Support\"\n", "from_name = \"Support\"\nmessage_id_domain = \"desk.example.test\"\n");
    let desk = Desk::with_config(&text);
    ingest_by(&desk, "rh", &to_rh("claire@example.test", "Congés", "c1@example.test", "", "Bonjour"));
    let ack = parsed(&desk.queued("acknowledgement")[0]);
    assert_eq!(ack.from.email, RH);
    assert!(ack.message_id.unwrap().ends_with("@desk.example.test"));
}

#[test]
fn check_names_a_bad_signature_or_name_on_a_mailbox() {
    let text = two_addresses_config()
        .replace("signature = \"L'équipe RH\\nBâtiment B, bureau 12\"", "signature = 3")
        .replace("from_name = { fr = \"Ressources humaines\", en = \"Human resources\" }", "from_name = \"RH\\nx\"");
    let desk = Desk::with_config(&text);
    let out = desk.run(&["check"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("mailbox[1].signature"), "{err}");
    assert!(err.contains("mailbox[1].from_name"), "{err}");
}

#[test]
fn a_ticket_older_than_its_address_answers_from_its_mailbox_else_the_first() {
    use diesel::RunQueryDsl;
    let desk = two_addresses();
    ingest_by(&desk, "rh", &to_rh("claire@example.test", "Congés", "c1@example.test", "", "Bonjour"));
    ingest_by(&desk, "rh", &to_rh("denis@example.test", "Mutuelle", "d1@example.test", "", "Bonjour"));
    // As the migration leaves tickets opened before it: no address. The
    // second was read by a mailbox since removed from the config.
    let mut db = desk.database();
    diesel::sql_query("UPDATE tickets SET desk_address = ''").execute(&mut db).unwrap();
    diesel::sql_query("UPDATE tickets SET mailbox = 'gone' WHERE id = 2").execute(&mut db).unwrap();
    drop(db);
    for n in [1, 2] {
        let answer =
            mail(MARC, &format!("RE: [Guichet #{n}] Question"), &format!("m{n}@example.test"), "", "C'est noté.");
        ingest_by(&desk, "support", &answer);
    }
    let reply_from = |n: i64| {
        let row = rows_of(&desk, n).into_iter().find(|m| m["template"] == "reply").unwrap();
        parsed(&row).from.email
    };
    assert_eq!(reply_from(1), RH, "by its mailbox's name");
    assert_eq!(reply_from(2), SUPPORT, "the first mailbox's");
}
