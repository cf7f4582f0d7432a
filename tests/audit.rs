//! The audit log through the binary: knowledge-base drafts, publishing and
//! edits, quarantine retries and exports, dashboard sign-ins (never the
//! password tried), and `audit list` with its filters, newest first.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::web::{free_port, send, serve};
use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";
const PASSWORD: &str = "une phrase de passe assez longue";

/// `audit list --json` with its extra arguments.
fn audit(desk: &Desk, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["audit", "list", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&desk.ok(&args)).unwrap()
}

/// Runs as the unix user `user`, as far as the audit log can tell.
fn ok_as(desk: &Desk, user: &str, args: &[&str]) -> String {
    let out = desk.command(args).env("USER", user).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn actions(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|r| r["action"].as_str().unwrap()).collect()
}

#[test]
fn knowledge_base_drafts_publishing_and_edits_are_recorded_with_who_did_them() {
    let mut desk = Desk::new();
    desk.now = Some("2026-12-07T09:00:00Z".into());
    let t =
        desk.ingest(&mail(ALICE, "Imprimante : erreur 52", "a1@example.test", "", "L'imprimante affiche erreur 52."));
    let n = as_i64(&t["ticket"]);
    desk.now = Some("2026-12-07T10:00:00Z".into());
    desk.ingest(&mail(
        MARC,
        &format!("RE: [Guichet #{n}] Imprimante : erreur 52"),
        "a2@example.test",
        "",
        "#resolve\n#kb\nC'est un bourrage papier : ouvrez le capot arrière et retirez la feuille.",
    ));
    let drafted = audit(&desk, &[]);
    assert_eq!(actions(&drafted), ["kb.draft"], "{drafted:?}");
    assert_eq!(drafted[0]["actor"], MARC, "the technician whose #kb made it");
    assert_eq!(drafted[0]["subject"], "kb:1");
    assert_eq!(drafted[0]["at"], "2026-12-07T10:00:00Z");
    assert!(drafted[0]["detail"].as_str().unwrap().contains(&format!("#{n}")), "{drafted:?}");

    desk.now = Some("2026-12-07T11:00:00Z".into());
    ok_as(&desk, "alice", &["kb", "publish", "1"]);
    desk.now = Some("2026-12-07T12:00:00Z".into());
    let edited = desk.path("article.md");
    std::fs::write(
        &edited,
        "---\ntitle: Erreur 52\nlang: fr\nstatus: published\n---\nOuvrez le capot arrière, retirez la feuille.\n",
    )
    .unwrap();
    ok_as(&desk, "bob", &["kb", "edit", "1", "--file", edited.to_str().unwrap()]);
    desk.now = Some("2026-12-07T13:00:00Z".into());
    ok_as(&desk, "alice", &["kb", "unpublish", "1"]);

    let rows = audit(&desk, &[]);
    assert_eq!(actions(&rows), ["kb.unpublish", "kb.edit", "kb.publish", "kb.draft"], "newest first: {rows:?}");
    assert_eq!(rows[0]["actor"], "cli:alice");
    assert_eq!(rows[1]["actor"], "cli:bob");
    assert_eq!(rows[2]["at"], "2026-12-07T11:00:00Z");
    assert!(rows.iter().all(|r| r["outcome"] == "ok"), "{rows:?}");

    // A missing article is refused and nothing is recorded.
    let missing = desk.run(&["kb", "publish", "99"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(audit(&desk, &[]).len(), 4);

    // Filters: by action, and since a time.
    let published = audit(&desk, &["--action", "kb.publish"]);
    assert_eq!(actions(&published), ["kb.publish"]);
    let recent = audit(&desk, &["--since", "2026-12-07T11:30:00Z"]);
    assert_eq!(actions(&recent), ["kb.unpublish", "kb.edit"]);
    assert_eq!(audit(&desk, &["--since", "2026-12-08"]).len(), 0);
    let bad = desk.run(&["audit", "list", "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since `yesterday`"), "{bad:?}");

    // The table for people.
    let table = desk.ok(&["audit", "list"]);
    assert!(table.lines().nth(1).unwrap().contains("cli:alice"), "{table}");
    assert!(table.contains("2026-12-07T11:00:00Z") && table.contains("kb.publish"), "{table}");
}

#[test]
fn quarantine_exports_and_retries_are_recorded_with_how_they_went() {
    let limited = Desk::config_text("[limits]\nmax_message_bytes = 2000\n", "");
    let mut desk = Desk::with_config(&limited);
    desk.now = Some("2026-12-07T09:00:00Z".into());
    let big = mail(ALICE, "Photos", "big@example.test", "", &"x".repeat(5000));
    let held = desk.ingest(&big);
    assert_eq!(held["outcome"], "quarantined", "{held}");
    let id = as_i64(&held["id"]).to_string();

    desk.now = Some("2026-12-07T10:00:00Z".into());
    let exported = desk.command(&["quarantine", "export", &id]).env("USER", "carol").output().unwrap();
    assert_eq!(exported.stdout, big);
    // Still too large: the retry is recorded as failed.
    ok_as(&desk, "carol", &["quarantine", "retry", &id]);
    // The limit raised, the retry opens a ticket.
    std::fs::write(&desk.config, Desk::config_text("", "")).unwrap();
    desk.now = Some("2026-12-07T11:00:00Z".into());
    ok_as(&desk, "carol", &["quarantine", "retry", &id]);
    // Once released it cannot be retried again: refused, and recorded.
    let again = desk.command(&["quarantine", "retry", &id]).env("USER", "carol").output().unwrap();
    assert_eq!(again.status.code(), Some(1));

    let rows = audit(&desk, &[]);
    assert_eq!(actions(&rows), ["quarantine.retry", "quarantine.retry", "quarantine.retry", "quarantine.export"]);
    let subject = format!("quarantine:{id}");
    assert!(rows.iter().all(|r| r["actor"] == "cli:carol" && r["subject"] == subject), "{rows:?}");
    let outcomes: Vec<&str> = rows.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["refused", "ok", "failed", "ok"]);
    assert!(rows[1]["detail"].as_str().unwrap().contains("new ticket #1"), "{rows:?}");
    assert!(rows[3]["detail"].as_str().unwrap().contains(&format!("{} bytes", big.len())), "{rows:?}");
}

fn hash(password: &str) -> String {
    common::web::password_hash(password, 1000)
}

#[test]
fn dashboard_sign_ins_are_recorded_with_the_login_and_address_but_never_the_password_tried() {
    let port = free_port();
    let desk = Desk::with(&format!(
        "[[admin]]\nlogin = \"claire\"\npassword_hash = \"{}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"http://127.0.0.1:{port}\"\n",
        hash(PASSWORD)
    ));
    let _server = serve(&desk, port);
    assert_eq!(send(port, "POST", "/login", &[], Some("login=claire&password=tentative-secrete")).status, 401);
    assert_eq!(send(port, "POST", "/login", &[], Some("login=mallory&password=autre-secret")).status, 401);
    let form = format!("login=claire&password={}", PASSWORD.replace(' ', "+"));
    assert_eq!(send(port, "POST", "/login", &[], Some(&form)).status, 303);

    let rows = audit(&desk, &[]);
    let seen: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r["actor"].as_str().unwrap(), r["action"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("dashboard:claire", "dashboard.sign_in", "ok"),
            ("dashboard:mallory", "dashboard.sign_in_failed", "failed"),
            ("dashboard:claire", "dashboard.sign_in_failed", "failed"),
        ],
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r["detail"] == "from 127.0.0.1"), "{rows:?}");
    let failed = audit(&desk, &["--action", "dashboard.sign_in_failed"]);
    assert_eq!(failed.len(), 2);
    // Nowhere in what the log shows, nor in the database's audit table.
    let everything = desk.ok(&["audit", "list", "--json"]) + &desk.ok(&["audit", "list"]);
    for secret in ["tentative-secrete", "autre-secret", "phrase"] {
        assert!(!everything.contains(secret), "{secret} written: {everything}");
    }
    use diesel::prelude::*;
    let mut conn = desk.database();
    let stored: Vec<(String, String, String, String)> = guichet::store::schema::audit_log::table
        .select((
            guichet::store::schema::audit_log::actor,
            guichet::store::schema::audit_log::action,
            guichet::store::schema::audit_log::subject,
            guichet::store::schema::audit_log::detail,
        ))
        .load(&mut *conn)
        .unwrap();
    assert_eq!(stored.len(), 3);
    assert!(!format!("{stored:?}").contains("secret"), "{stored:?}");
}
