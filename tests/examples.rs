//! The sample mailbox the README's demo reads tells the story its README
//! promises, through `guichet run --once` on the shipped config.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

/// The shipped config, pointed at a copy of the examples and a fresh var/.
fn demo_desk() -> Desk {
    let shipped = std::fs::read_to_string(manifest_dir().join("config/guichet.toml")).unwrap();
    let text = shipped
        .replace("\"../examples/mail\"", "\"maildir\"")
        .replace("\"sqlite://../var/guichet.db\"", "\"sqlite://var/guichet.db\"")
        .replace("\"../var/outbox\"", "\"outbox\"");
    assert_ne!(text, shipped);
    let desk = Desk::with_config(&text);
    for f in files_in(&manifest_dir().join("examples/mail/new")) {
        desk.deliver(f.file_name().unwrap().to_str().unwrap(), &std::fs::read(&f).unwrap());
    }
    desk
}

fn last_article(t: &Value) -> Value {
    t["articles"].as_array().unwrap().last().unwrap().clone()
}

#[test]
fn the_sample_mailbox_becomes_six_tickets_with_their_story() {
    let desk = demo_desk();
    let out = desk.ok(&["run", "--once"]);
    assert!(out.contains("6 new tickets") && out.contains("7 articles"), "{out}");
    assert!(out.contains("0 failed"), "{out}");
    let tickets = desk.tickets();
    assert_eq!(tickets.len(), 6);

    // #1: a watcher from Cc, a technician's answer relayed, the requester's
    // Outlook reply trimmed of its quoted history.
    let t1 = desk.ticket(1);
    assert_eq!(t1["watchers"], serde_json::json!(["julien.roux@example.test"]));
    assert_eq!(t1["assignee"], "marc.dupont@example.test");
    assert_eq!(t1["status"], "assigned");
    let outlook = last_article(&t1);
    assert!(!outlook["trimmed_text"].as_str().unwrap().contains("Envoyé"), "{}", outlook["trimmed_text"]);
    assert!(outlook["text"].as_str().unwrap().contains("Envoy"));

    // #2: English acknowledgement; the reply without tag threads by
    // In-Reply-To; the out-of-office and the stranger stay internal.
    let t2 = desk.ticket(2);
    let roles: Vec<&str> =
        t2["articles"].as_array().unwrap().iter().map(|a| a["author_role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["requester", "requester", "automatic", "stranger"]);
    assert!(desk.outbox().iter().all(|m| !m["recipients"].to_string().contains("mallory")));

    // The shipped rules route printers and network trouble to their
    // group, where the only technician takes them.
    assert_eq!(t1["category"], "impression");
    let t4 = desk.ticket(4);
    assert_eq!((t4["group"].as_str(), t4["assignee"].as_str()), (Some("reseau"), Some("sarah.lee@example.test")));
    assert_eq!(desk.ticket(6)["tags"], serde_json::json!(["reseau"]));

    // #3: Latin-1 decoded, resolved by `#resolve`, the requester told.
    let t3 = desk.ticket(3);
    assert_eq!(t3["subject"], "Problème d'accès à la messagerie");
    assert_eq!(t3["status"], "resolved");

    // #4: the script is gone, the note is internal and sent to nobody.
    let t4 = desk.ticket(4);
    let html = t4["articles"][0]["html"].as_str().unwrap();
    assert!(!html.contains("<script") && !html.contains("onerror") && !html.contains("javascript:"));
    assert_eq!(last_article(&t4)["visibility"], "internal");

    // #5: the screenshot is kept.
    let files = desk.ticket(5)["articles"][0]["attachments"].as_array().unwrap().clone();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["content_type"], "image/png");

    let templates: Vec<(i64, String)> =
        desk.outbox().iter().map(|m| (as_i64(&m["ticket"]), m["template"].as_str().unwrap().to_string())).collect();
    let count = |t: &str| templates.iter().filter(|(_, x)| x == t).count();
    assert_eq!(count("acknowledgement"), 6);
    assert_eq!(
        count("reply"),
        2,
        "Marc's answer on #1, to the requester and, in a mail of its own, the person in copy"
    );
    assert_eq!(count("status_changed"), 1, "#3 resolved");
    assert_eq!(count("stranger_alert"), 2, "both technicians, about #2");
    let acks: Vec<Value> = desk.queued("acknowledgement");
    let ack2 = acks.iter().find(|m| m["ticket"] == 2).unwrap();
    assert!(body(ack2).contains("received"), "English mail, English answer: {}", body(ack2));

    // Every outgoing mail was written as a file.
    assert_eq!(files_in(&desk.path("outbox")).len(), templates.len());
}
