//! Upgrading from the previous release: the desk `scripts/upgrade-fixture.sh`
//! made with v0.1.0 (kept in tests/fixtures/v0.1.0) is opened with this
//! binary after `guichet migrate`, on SQLite and, from its plain-SQL dump,
//! on PostgreSQL. Every ticket, article, attachment and timer prints as the
//! old binary printed it (fields this release adds aside), and the desk
//! still works: a reply to an old ticket threads, queued mail is sent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    manifest_dir().join("tests/fixtures/v0.1.0")
}

/// A desk holding what v0.1.0 left: its SQLite file, or its dump loaded
/// into a new PostgreSQL database; the old config, pointed at it.
fn old_desk() -> (Desk, &'static str) {
    let dir = fixture_dir();
    let config = std::fs::read_to_string(dir.join("guichet.toml"))
        .unwrap()
        .replace("TEMPLATES_DIR", &manifest_dir().join("templates").display().to_string());
    if on_postgres() {
        let url = new_pg_database();
        let out = std::process::Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(dir.join("postgres.sql"))
            .arg(&url)
            .output()
            .unwrap();
        assert!(out.status.success(), "loading the dump: {}", String::from_utf8_lossy(&out.stderr));
        let config = config.replace("url = \"sqlite://guichet.db\"", &format!("url = \"{url}\""));
        (Desk::with_config(&config), "postgres")
    } else {
        let desk = Desk::with_config(&config);
        std::fs::copy(dir.join("sqlite/guichet.db"), desk.path("guichet.db")).unwrap();
        (desk, "sqlite")
    }
}

fn printed(kind: &str, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture_dir().join(kind).join(name)).unwrap()).unwrap()
}

/// Where `new` differs from `old`, ignoring keys only `new` has.
fn differences(old: &Value, new: &Value, at: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in o {
                match n.get(k) {
                    Some(w) => differences(v, w, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}: gone (was {v})")),
                }
            }
        }
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => {
            for (i, (v, w)) in o.iter().zip(n).enumerate() {
                differences(v, w, &format!("{at}[{i}]"), out);
            }
        }
        _ if old == new => {}
        _ => out.push(format!("{at}: was {old}, now {new}")),
    }
}

fn same(kind: &str, name: &str, new: &Value) {
    let old = printed(kind, name);
    let mut diffs = Vec::new();
    differences(&old, new, name, &mut diffs);
    assert!(diffs.is_empty(), "{kind}: {} difference(s):\n{}", diffs.len(), diffs.join("\n"));
}

#[test]
fn a_desk_from_the_previous_release_migrates_and_prints_what_the_old_binary_printed() {
    let (mut desk, kind) = old_desk();
    let migrated = desk.ok(&["migrate"]);
    assert!(migrated.contains("applied 2026-12-06-100000_audit"), "{migrated}");
    assert!(!desk.ok(&["migrate"]).contains("applied 2"), "nothing left to apply");

    desk.now = Some(std::fs::read_to_string(fixture_dir().join("now")).unwrap().trim().to_string());
    let old_list = printed(kind, "tickets.json");
    let tickets = desk.tickets();
    assert_eq!(tickets.len(), old_list.as_array().unwrap().len());
    assert!(tickets.len() >= 4, "the fixture has its tickets");
    same(kind, "tickets.json", &Value::Array(tickets.clone()));
    let mut attachments = 0;
    let mut timers = 0;
    for t in &tickets {
        let n = as_i64(&t["number"]);
        let shown = desk.ticket(n);
        attachments += shown["articles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["attachments"].as_array().unwrap().len())
            .sum::<usize>();
        timers += shown["sla"].as_array().unwrap().len();
        same(kind, &format!("ticket-{n}.json"), &shown);
    }
    assert!(attachments >= 2 && timers >= 4, "{attachments} attachments, {timers} timers");
    let report: Value = serde_json::from_str(&desk.ok(&["report", "--json", "--since", "2026-11-30"])).unwrap();
    same(kind, "report.json", &report);
    let quarantine: Value = serde_json::from_str(&desk.ok(&["quarantine", "list", "--all", "--json"])).unwrap();
    same(kind, "quarantine.json", &quarantine);
    let rows = |v: &Value| -> Value {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| serde_json::json!([m["id"], m["template"], m["recipients"], m["state"], m["ticket"]]))
            .collect()
    };
    let outbox = desk.outbox();
    assert_eq!(rows(&Value::Array(outbox.clone())), rows(&printed(kind, "outbox.json")), "the outbox rows");
    assert!(outbox.iter().any(|m| m["state"] != "sent"), "some were still queued at the upgrade");
}

#[test]
fn a_desk_from_the_previous_release_still_threads_replies_and_sends_its_queued_mail() {
    let (mut desk, _) = old_desk();
    desk.ok(&["migrate"]);
    desk.now = Some("2026-11-30T13:00:00Z".into());
    let before = desk.ticket(1)["articles"].as_array().unwrap().len();
    let reply = desk.ingest(&mail(
        "Alice Martin <alice.martin@example.test>",
        "RE: [Guichet #1] Imprimante du 2e en panne",
        "after-upgrade@example.test",
        "",
        "Elle imprime de nouveau, merci.",
    ));
    assert_eq!(reply["outcome"], "article", "{reply}");
    assert_eq!(reply["ticket"], 1);
    assert_eq!(desk.ticket(1)["articles"].as_array().unwrap().len(), before + 1);
    let fresh = desk.ingest(&mail("zoe@example.test", "Clavier cassé", "after-2@example.test", "", "Bonjour"));
    assert_eq!(fresh["outcome"], "ticket");
    let highest = desk.tickets().iter().map(|t| as_i64(&t["number"])).max().unwrap();
    assert_eq!(fresh["ticket"], highest, "numbers go on from the old ones");
    desk.ok(&["run", "--once"]);
    assert!(desk.outbox().iter().all(|m| m["state"] == "sent"), "{:?}", desk.outbox());
}
