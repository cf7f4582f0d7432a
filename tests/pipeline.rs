//! `guichet ingest` as an MTA and a script see it: exit codes, the JSON it
//! prints, the JSON `ticket` and `outbox` print of what it stored, and the
//! quarantine commands. What the pipeline decides of each mail is checked
//! in process, in `tests/flow/`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

#[test]
fn mail_without_a_sender_is_quarantined_kept_and_can_be_retried() {
    let desk = Desk::new();
    let raw = b"To: support@example.test\r\nSubject: nobody\r\nMessage-ID: <q@example.test>\r\n\r\nwho am I\r\n";
    let out = desk.ingest(raw);
    assert_eq!(out["outcome"], "quarantined");
    assert!(out["reason"].as_str().unwrap().contains("no sender"));
    let list: Vec<Value> = serde_json::from_str(&desk.ok(&["quarantine", "list", "--json"])).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["state"], "held");
    // Retrying without a fix keeps it held, with its reason.
    let id = list[0]["id"].to_string();
    assert!(desk.ok(&["quarantine", "retry", &id]).contains("quarantined"));
    assert_eq!(desk.tickets().len(), 0);
}

#[test]
fn an_oversized_mail_is_quarantined_and_released_once_the_limit_is_raised() {
    let small = Desk::config_text("[limits]\nmax_message_bytes = 2048", "");
    let desk = Desk::with_config(&small);
    let big = mail("alice@example.test", "Gros fichier", "big@example.test", "", &"x".repeat(4000));
    let out = desk.ingest(&big);
    assert_eq!(out["outcome"], "quarantined");
    assert!(out["reason"].as_str().unwrap().contains("limits.max_message_bytes"));
    std::fs::write(&desk.config, Desk::config_text("", "")).unwrap();
    let id = as_i64(&out["id"]).to_string();
    assert!(desk.ok(&["quarantine", "retry", &id]).contains("new ticket #1"));
    let all: Vec<Value> = serde_json::from_str(&desk.ok(&["quarantine", "list", "--all", "--json"])).unwrap();
    assert_eq!(all[0]["state"], "released");
    assert_eq!(desk.tickets().len(), 1);
    // Retrying a released entry would store the mail twice: refused.
    let again = desk.run(&["quarantine", "retry", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already released"));
    assert_eq!(desk.tickets().len(), 1);
    assert_eq!(desk.queued("acknowledgement").len(), 1);
}

#[test]
fn a_locked_database_makes_ingest_exit_75_so_the_mta_retries() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if on_postgres() {
        // A PostgreSQL server that does not answer is the same to the MTA.
        let desk = Desk::with_config(
            &Desk::config_text("", "").replace(&database_keys(), "url = \"postgres://postgres@127.0.0.1:9/none\""),
        );
        let out = desk.ingest_output(&mail("alice@example.test", "Hello", "down@example.test", "", "Hi"));
        assert_eq!(out.status.code(), Some(75), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    let desk = Desk::new();
    desk.ok(&["migrate"]);
    let db = desk.path("var/guichet.db");
    let mut lock = diesel::sqlite::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    lock.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let out = desk.ingest_output(&mail("alice@example.test", "Hello", "locked@example.test", "", "Hi"));
    assert_eq!(out.status.code(), Some(75), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    lock.batch_execute("COMMIT").unwrap();
    assert_eq!(desk.ingest(&mail("alice@example.test", "Hello", "locked@example.test", "", "Hi"))["outcome"], "ticket");
}

#[test]
fn a_broken_config_makes_ingest_exit_75_and_names_the_key() {
    let desk = Desk::with_config("[database]\nurl = \"sqlite://x.db\"\ncolour = 1\n");
    let out = desk.ingest_output(b"From: a@example.test\r\n\r\nx\r\n");
    assert_eq!(out.status.code(), Some(75));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`database.colour`"));
}

#[test]
fn ingest_ticket_and_outbox_print_what_the_pipeline_decided_as_json() {
    let mut desk = Desk::new();
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let raw = "From: Alice Martin <alice@example.test>\r\nTo: support@example.test\r\nCc: carol@example.test\r\nSubject: Imprimante\r\nMessage-ID: <j1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Elle ne marche plus.</p>\r\n--b\r\nContent-Type: application/pdf; name=\"capture.pdf\"\r\nContent-Disposition: attachment; filename=\"capture.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gUERG\r\n--b--\r\n";
    // One JSON object per mail, naming the outcome and where the mail came from.
    let out = desk.ingest(raw.as_bytes());
    assert_eq!(out, serde_json::json!({ "outcome": "ticket", "ticket": 1, "source": "stdin" }));
    assert_eq!(
        desk.ingest(raw.as_bytes()),
        serde_json::json!({ "outcome": "duplicate", "ticket": 1, "source": "stdin" })
    );
    let answer = mail(
        MARC,
        "RE: [Guichet #1] Imprimante",
        "j2@example.test",
        "",
        "#major\n#plan 2026-12-01 14:30\nJe passe demain.",
    );
    assert_eq!(desk.ingest(&answer), serde_json::json!({ "outcome": "article", "ticket": 1, "source": "stdin" }));
    let ooo = mail("bob@example.test", "Absent", "j3@example.test", "Auto-Submitted: auto-replied\r\n", "Absent.");
    assert_eq!(
        desk.ingest(&ooo),
        serde_json::json!({ "outcome": "automatic", "kind": "auto_reply", "ticket": null, "source": "stdin" })
    );

    let t = desk.ticket(1);
    for (key, want) in [
        ("number", serde_json::json!(1)),
        ("subject", "Imprimante".into()),
        ("type", "incident".into()),
        ("status", "planned".into()),
        ("major", true.into()),
        ("requester", "alice@example.test".into()),
        ("requester_name", "Alice Martin".into()),
        ("watchers", serde_json::json!(["carol@example.test"])),
        ("assignee", MARC.into()),
        ("planned_at", "2026-12-01T14:30:00Z".into()),
        ("created_at", "2026-11-30T09:00:00Z".into()),
        ("closed_at", Value::Null),
        ("related", Value::Null),
        ("children", serde_json::json!([])),
    ] {
        assert_eq!(t[key], want, "`{key}` in {t}");
    }
    for key in ["impact", "urgency", "priority", "group", "parent", "updated_at", "sla", "tags"] {
        assert!(t.get(key).is_some(), "`{key}` missing from {t}");
    }
    let a = &t["articles"][0];
    assert_eq!((a["direction"].as_str(), a["visibility"].as_str()), (Some("in"), Some("public")));
    assert_eq!(a["author_role"], "requester");
    assert_eq!(a["from"], "alice@example.test");
    assert_eq!(a["cc"], serde_json::json!(["carol@example.test"]));
    assert_eq!(a["message_id"], "j1@example.test");
    assert!(a["text"].as_str().unwrap().contains("Elle ne marche plus."), "{a}");
    assert!(a["html"].as_str().unwrap().contains("<p>Elle ne marche plus.</p>"), "{a}");
    assert!(a["trimmed_text"].is_string() && a["created_at"] == "2026-11-30T09:00:00Z", "{a}");
    let file = &a["attachments"][0];
    assert_eq!(
        (file["filename"].as_str(), file["content_type"].as_str()),
        (Some("capture.pdf"), Some("application/pdf"))
    );
    assert_eq!((file["size"].as_i64(), file["sha256"].as_str().map(str::len)), (Some(9), Some(64)));
    assert_eq!(t["articles"][1]["author_role"], "technician");
    let major = t["history"].as_array().unwrap().iter().find(|e| e["kind"] == "major").expect("a major event");
    assert_eq!((major["actor"].as_str(), major["at"].as_str()), (Some(MARC), Some("2026-11-30T09:00:00Z")));

    let listed = desk.tickets();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "planned");
    assert!(listed[0].get("articles").is_none());

    let ack = desk.queued("acknowledgement").remove(0);
    assert_eq!(ack["ticket"], 1);
    assert_eq!(ack["recipients"], serde_json::json!(["alice@example.test"]));
    assert_eq!(ack["state"], "pending", "waiting for the sender");
    assert!(ack["subject"].as_str().unwrap().starts_with("[Guichet #1] "));
    assert!(ack["content"]
        .as_str()
        .unwrap()
        .contains(&format!("Message-ID: <{}>", ack["message_id"].as_str().unwrap())));
    assert!(body(&ack).contains("enregistrée"), "{}", body(&ack));
}
