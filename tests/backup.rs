//! `guichet backup` and `guichet restore` through the binary, on SQLite and
//! PostgreSQL: a backup taken while another process keeps writing is whole;
//! a restored desk has every ticket, article, attachment, timer and outbox
//! row and goes on working; a backup never overwrites a file and a restore
//! never goes into a desk that holds tickets; both are in the audit log.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";
const BOB: &str = "bob.durand@example.test";

const SERVICE: &str = r#"
[[calendar]]
name = "ouvre"
time_zone = "Europe/Paris"
working_hours = "mon-fri 08:00-18:00"

[[sla]]
name = "standard"
calendar = "ouvre"
first_response = "2h"
resolution = "8h"

[survey]
delay_hours = 0
"#;

/// A second, empty desk with the same config but a database of its own.
fn empty_desk(extra: &str) -> Desk {
    let other = if on_postgres() {
        format!("url = \"{}\"", new_pg_database())
    } else {
        "url = \"sqlite://var/restored.db\"".to_string()
    };
    Desk::with_config(&Desk::config_text(extra, "").replace(&database_keys(), &other))
}

fn with_attachment(from: &str, subject: &str, id: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0100\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Le journal est joint.\r\n--b\r\nContent-Type: text/plain; name=\"journal.txt\"\r\nContent-Disposition: attachment; filename=\"journal.txt\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMDk6MDAgZXJyZXVyIDUyCjA5OjAxIGVycmV1ciA1Mgo=\r\n--b--\r\n"
    )
    .into_bytes()
}

fn json(desk: &Desk, args: &[&str]) -> Value {
    serde_json::from_str(&desk.ok(args)).unwrap()
}

/// What a desk holds, as its commands print it, at the desk's pinned time.
fn everything(desk: &Desk) -> Value {
    let tickets = desk.tickets();
    let shown: Vec<Value> = tickets.iter().map(|t| desk.ticket(as_i64(&t["number"]))).collect();
    let outbox: Vec<Value> = desk
        .outbox()
        .iter()
        .map(|m| serde_json::json!([m["id"], m["template"], m["recipients"], m["state"], m["ticket"]]))
        .collect();
    serde_json::json!({
        "tickets": tickets,
        "shown": shown,
        "outbox": outbox,
        "quarantine": json(desk, &["quarantine", "list", "--all", "--json"]),
        "kb": json(desk, &["kb", "list", "--json"]),
    })
}

#[test]
fn a_restored_desk_has_every_ticket_article_attachment_timer_and_outbox_row_and_goes_on_working() {
    let mut desk = Desk::with(SERVICE);
    desk.now = Some("2026-11-30T08:00:00Z".into());
    let first = as_i64(&desk.ingest(&with_attachment(ALICE, "Imprimante en panne", "b1@example.test"))["ticket"]);
    desk.ingest(&mail(BOB, "VPN refusé", "b2@example.test", "", "Le VPN refuse la connexion."));
    desk.now = Some("2026-11-30T08:30:00Z".into());
    desk.ingest(&mail(
        MARC,
        &format!("RE: [Guichet #{first}] Imprimante en panne"),
        "b3@example.test",
        "",
        "#assign me\n#impact 2\nJe regarde.",
    ));
    desk.ingest(&mail(
        MARC,
        "RE: [Guichet #2] VPN refusé",
        "b4@example.test",
        "",
        "#resolve\n#kb\nRedémarrez le client VPN.",
    ));
    desk.ingest(b"not a mail at all");
    desk.now = Some("2026-11-30T09:00:00Z".into());
    desk.ok(&["run", "--once"]);
    desk.now = Some("2026-11-30T09:30:00Z".into());
    desk.ingest(&mail("carole.petit@example.test", "Wi-Fi lent", "b5@example.test", "", "Le Wi-Fi est lent."));

    desk.now = Some("2026-11-30T10:00:00Z".into());
    let before = everything(&desk);
    assert_eq!(before["shown"][0]["articles"][0]["attachments"][0]["filename"], "journal.txt", "{before}");
    assert!(before["shown"][0]["sla"].as_array().is_some_and(|t| !t.is_empty()), "timers: {before}");
    assert!(before["outbox"].as_array().unwrap().iter().any(|m| m[3] == "sent"));
    assert!(before["outbox"].as_array().unwrap().iter().any(|m| m[3] != "sent"), "some still queued");
    assert_eq!(before["quarantine"].as_array().unwrap().len(), 1);
    assert_eq!(before["kb"].as_array().unwrap().len(), 1);

    let file = desk.path("desk.backup");
    let said = desk.ok(&["backup", file.to_str().unwrap()]);
    assert!(said.contains("3 ticket(s)"), "{said}");

    let mut restored = empty_desk(SERVICE);
    restored.now = desk.now.clone();
    let said = restored.ok(&["restore", file.to_str().unwrap()]);
    assert!(said.contains("3 ticket(s), 6 stored mail(s), 1 knowledge-base article(s)"), "{said}");
    assert_eq!(everything(&restored), before, "the restored desk prints what the original did");

    // It goes on: a reply threads onto the old ticket, the outbox still sends.
    let reply = restored.ingest(&mail(
        ALICE,
        &format!("RE: [Guichet #{first}] Imprimante en panne"),
        "b6@example.test",
        "",
        "Merci !",
    ));
    assert_eq!(reply["outcome"], "article", "{reply}");
    assert_eq!(reply["ticket"], first);
    restored.ok(&["run", "--once"]);
    assert!(restored.outbox().iter().all(|m| m["state"] == "sent"), "{:?}", restored.outbox());

    let log: Vec<Value> = serde_json::from_str(&restored.ok(&["audit", "list", "--json"])).unwrap();
    assert_eq!(log[0]["action"], "restore", "{log:?}");
    assert_eq!(log[0]["subject"], file.to_str().unwrap());
    let log: Vec<Value> = serde_json::from_str(&desk.ok(&["audit", "list", "--json", "--action", "backup"])).unwrap();
    assert_eq!(log.len(), 1, "the backup is in the original's log");
}

#[test]
fn a_backup_never_overwrites_a_file_and_a_restore_never_fills_a_desk_that_holds_tickets() {
    let desk = Desk::new();
    desk.ingest(&mail(ALICE, "Imprimante", "c1@example.test", "", "En panne."));
    let file = desk.path("existing.backup");
    std::fs::write(&file, "précieux").unwrap();
    let out = desk.run(&["backup", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "précieux", "left as it was");

    let good = desk.path("good.backup");
    desk.ok(&["backup", good.to_str().unwrap()]);
    let out = desk.run(&["restore", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already holds 1 ticket(s)") && err.contains("nothing was changed"), "{err}");
    assert_eq!(desk.tickets().len(), 1);
    let log: Vec<Value> = serde_json::from_str(&desk.ok(&["audit", "list", "--json"])).unwrap();
    let seen: Vec<(&str, &str)> =
        log.iter().map(|r| (r["action"].as_str().unwrap(), r["outcome"].as_str().unwrap())).collect();
    assert_eq!(seen, [("restore", "refused"), ("backup", "ok")]);

    // Not a backup of this desk's kind.
    let empty = empty_desk("");
    let out = empty.run(&["restore", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let kind = if on_postgres() { "is not a PostgreSQL backup" } else { "is not a SQLite backup" };
    assert!(err.contains(kind), "{err}");
    let missing = empty.run(&["restore", desk.path("nowhere.backup").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nowhere.backup"));
}

/// Ingests a new mail at a time until `stop` appears; prints how many.
fn writer(desk: &Desk, stop: &Path) -> std::process::Child {
    let script = r#"i=0
while [ ! -e "$STOP" ]; do
  i=$((i+1))
  printf 'From: w%s@example.test\r\nTo: support@example.test\r\nSubject: Poste %s\r\nMessage-ID: <w%s@example.test>\r\n\r\nBonjour %s\r\n' "$i" "$i" "$i" "$i" \
    | "$BIN" --config "$CFG" ingest >/dev/null || { echo "ingest $i failed"; exit 1; }
done
echo "$i""#;
    Command::new("sh")
        .args(["-c", script])
        .env("STOP", stop)
        .env("BIN", env!("CARGO_BIN_EXE_guichet"))
        .env("CFG", &desk.config)
        .env("GUICHET_LOG", "warn")
        .env_remove("GUICHET_NOW")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Every ticket has its article and the same outbox rows: nothing torn.
fn whole(desk: &Desk) -> usize {
    let tickets = desk.tickets();
    let outbox = desk.outbox();
    for t in &tickets {
        let shown = desk.ticket(as_i64(&t["number"]));
        assert_eq!(shown["articles"].as_array().unwrap().len(), 1, "{shown}");
    }
    let acks = outbox.iter().filter(|m| m["template"] == "acknowledgement").count();
    assert_eq!(acks, tickets.len(), "one acknowledgement per ticket");
    tickets.len()
}

#[test]
fn a_backup_taken_while_another_process_writes_is_whole() {
    let desk = Desk::new();
    desk.ingest(&mail(ALICE, "Premier", "first@example.test", "", "Bonjour"));
    let stop = desk.path("stop");
    let mut child = writer(&desk, &stop);
    // Until the writer has written something of its own.
    while desk.tickets().len() < 3 {
        assert!(child.try_wait().unwrap().is_none(), "the writer stopped before writing");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let files: Vec<_> = (1..=3).map(|i| desk.path(&format!("live-{i}.backup"))).collect();
    for f in &files {
        desk.ok(&["backup", f.to_str().unwrap()]);
    }
    std::fs::write(&stop, "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the writer never failed: {}", String::from_utf8_lossy(&out.stdout));
    let written: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();

    let mut counts = Vec::new();
    for f in &files {
        let restored = empty_desk("");
        restored.ok(&["restore", f.to_str().unwrap()]);
        counts.push(whole(&restored));
    }
    assert!(counts[0] >= 3 && counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    // The writer's mails and the first one.
    assert!(counts[2] <= written + 1, "{counts:?} of {written}");
    assert_eq!(whole(&desk), written + 1, "every mail the writer sent is in the desk");
}
