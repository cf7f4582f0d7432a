//! The ITIL commands' contract through the binary: `rules test`, `check`
//! on rules, `ticket open`, `ticket list` filters, rules edited under a
//! running `run`. What the pipeline decides (rules, assignment, commands,
//! parents, monitoring) is checked in process, in `tests/flow/`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::team::*;
use common::*;
use serde_json::Value;

fn tech_mail(from: &str, ticket: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{ticket}] Imprimante"), id, "", body)
}

fn new_ticket(desk: &Desk, from: &str, subject: &str, id: &str, body: &str) -> i64 {
    let out = desk.ingest(&mail(from, subject, id, "", body));
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

#[test]
fn rules_test_shows_the_matched_rules_and_fields_and_stores_nothing() {
    let desk = Desk::with(
        r#"
[[rule]]
name = "nagios"
[rule.when]
from = "@monitoring.example.test"
subject = 'PROBLEM Service Alert: (?P<host>[^/]+)/(?P<service>\S+)'
[rule.then]
event_key = "${host}/${service}"
group = "reseau"
tags = ["${host}"]

[[rule]]
name = "printers"
[rule.when]
subject = "(?i)imprimante"
[rule.then]
group = "poste"
"#,
    );
    let eml = desk.path("alert.eml");
    std::fs::write(
        &eml,
        mail(
            "nagios@monitoring.example.test",
            "** PROBLEM Service Alert: web01/HTTP is CRITICAL **",
            "a1@x.test",
            "",
            "down",
        ),
    )
    .unwrap();
    let text = desk.ok(&["rules", "test", eml.to_str().unwrap()]);
    assert!(text.contains("1. nagios") && text.contains("matched"), "{text}");
    assert!(text.contains("2. printers") && text.contains("no (subject does not match)"), "{text}");
    assert!(text.contains("type       event"), "{text}");
    assert!(text.contains("event      web01/HTTP"), "{text}");
    assert!(text.contains("group      reseau (from the rule)"), "{text}");
    assert!(text.contains("answer     none"), "monitoring is not answered: {text}");
    let v: Value = serde_json::from_str(&desk.ok(&["rules", "test", "--json", eml.to_str().unwrap()])).unwrap();
    assert_eq!(v["ticket"]["tags"], serde_json::json!(["web01"]));
    assert_eq!(v["rules"][0]["matched"], true);
    assert_eq!(v["rules"][1]["failed"], "subject");
    assert_eq!(v["assignment"]["assignee"], SARAH);
    // Mail the pipeline sets aside before any rule says so.
    let ooo = desk.path("ooo.eml");
    std::fs::write(
        &ooo,
        mail("bob@example.test", "Absent", "a2@x.test", "Auto-Submitted: auto-replied\r\n", "Absent."),
    )
    .unwrap();
    let text = desk.ok(&["rules", "test", ooo.to_str().unwrap()]);
    assert!(text.contains("auto_reply mail") && text.contains("opens no ticket"), "{text}");
    // Nothing was stored: not even a database was made.
    if !on_postgres() {
        assert!(!desk.path("var/guichet.db").exists());
    }
    assert!(desk.tickets().is_empty());
}

#[test]
fn check_names_the_key_of_every_rule_mistake() {
    let desk = Desk::with(
        r#"
[[rule]]
name = "bad"
stop = "yes"
[rule.when]
subject = "(unclosed"
from = "not an address"
colour = "red"
[rule.then]
group = "nobody"
assignee = "ghost@example.test"
type = "ticket"
urgency = 7
event_recovery = true

[[technician]]
email = "x@example.test"
working_hours = "lundi 8h-12h"
time_zone = "Mars/Olympus"
away = ["2026-12-24..2026-12-01"]
"#,
    );
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = String::from_utf8_lossy(&out.stdout);
    for key in [
        "`rule[0].stop`",
        "`rule[0].when.subject`: not a valid regular expression",
        "`rule[0].when.from[0]`",
        "`rule[0].when.colour`: unknown key",
        "`rule[0].then.group`: no technician is in group `nobody`",
        "`rule[0].then.assignee`: `ghost@example.test` is not a [[technician]]",
        "`rule[0].then.type`: unknown ticket type `ticket`",
        "`rule[0].then.urgency`: 7 is out of range",
        "`rule[0].then.event_recovery`: needs `event_key`",
        "`technician[2].working_hours[0]`",
        "`technician[2].time_zone`: `Mars/Olympus` is not a time zone",
        "`technician[2].away[0]`: `2026-12-24..2026-12-01`: the last day comes before the first",
    ] {
        assert!(text.contains(key), "missing {key} in:\n{text}");
    }
}

fn poste_desk(extra: &str) -> Desk {
    let text = Desk::config_text(&format!("{POSTE_TEAM}\n{extra}"), "")
        .replace("poll_seconds = 1\n", "poll_seconds = 1\ngroup = \"poste\"\n");
    let mut desk = Desk::with_config(&text);
    desk.now = Some(MONDAY_MORNING.into());
    desk
}

#[test]
fn a_call_taken_by_phone_is_acknowledged_and_a_noticed_problem_is_not() {
    let mut desk = Desk::new();
    desk.now = Some(MONDAY_MORNING.into());
    let mut open = desk.command(&[
        "ticket",
        "open",
        "--requester",
        "alice@example.test",
        "--name",
        "Alice Martin",
        "--subject",
        "Écran qui clignote",
        "--by",
        MARC,
        "--urgency",
        "2",
        "--json",
    ]);
    open.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = open.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), "Appel de 9 h 50 : l'écran clignote.".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["requester"], "alice@example.test");
    assert_eq!(t["requester_name"], "Alice Martin");
    assert_eq!(t["subject"], "Écran qui clignote");
    assert_eq!(t["urgency"], 2);
    let n = as_i64(&t["number"]);
    let full = desk.ticket(n);
    assert_eq!(full["articles"][0]["trimmed_text"], "Appel de 9 h 50 : l'écran clignote.");
    let created = &full["history"][0];
    assert_eq!(
        (created["kind"].as_str(), created["actor"].as_str(), created["new"].as_str()),
        (Some("created"), Some(MARC), Some("phone"))
    );
    let ack = desk.queued("acknowledgement");
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0]["recipients"], serde_json::json!(["alice@example.test"]));
    // Her reply to the acknowledgement threads onto the ticket.
    let reply = mail("alice@example.test", &format!("RE: [Guichet #{n}] Écran"), "c2@x.test", "", "Toujours pareil.");
    assert_eq!(desk.ingest(&reply)["ticket"], n);

    // A problem Sarah noticed herself: type problem, nobody acknowledged.
    let mut open = desk.command(&["ticket", "open", "--subject", "Disque du serveur presque plein", "--by", SARAH]);
    open.stdin(std::process::Stdio::null());
    let out = open.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = desk.ticket(n + 1);
    assert_eq!(t["type"], "problem");
    assert_eq!(t["requester"], SARAH);
    assert_eq!(desk.queued("acknowledgement").len(), 1);
    // Mistakes are named.
    let bad = desk.run(&["ticket", "open", "--subject", "x", "--by", "nobody@example.test"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--by `nobody@example.test` is not a [[technician]]"));
}

#[test]
fn edited_rules_apply_without_a_restart_and_a_broken_edit_keeps_the_old_ones() {
    let desk = Desk::with(
        r#"
[[rule]]
name = "printers"
[rule.when]
subject = "(?i)imprimante"
[rule.then]
urgency = 2
"#,
    );
    let (mut child, rx) = start_run(&desk);
    let original = std::fs::read_to_string(&desk.config).unwrap();
    write_atomic(&desk.config, &original.replace("urgency = 2", "urgency = 1"));
    wait_for(&rx, "config reloaded");
    desk.deliver("5000.a.host", &mail("alice@example.test", "Imprimante", "h1@x.test", "", "Bonjour"));
    wait_for(&rx, "mail stored");
    write_atomic(
        &desk.config,
        &original.replace("(?i)imprimante", "(?i)imprimante(").replace("urgency = 2", "urgency = 4"),
    );
    wait_for(&rx, "config edit rejected");
    desk.deliver("5001.b.host", &mail("bob@example.test", "Imprimante", "h2@x.test", "", "Bonjour"));
    wait_for(&rx, "mail stored");
    let _ = std::process::Command::new("kill").arg(child.id().to_string()).status();
    assert!(child.wait().unwrap().success());
    std::fs::write(&desk.config, &original).unwrap();
    let urgencies: Vec<i64> = desk.tickets().iter().map(|t| t["urgency"].as_i64().unwrap()).collect();
    assert_eq!(urgencies, [1, 1], "the broken edit changed nothing");
}

#[test]
fn check_names_a_rule_template_that_does_not_exist() {
    let desk = Desk::with(
        r#"
[[rule]]
name = "rh"
[rule.when]
to = "rh@example.test"
[rule.then]
internal = true

[[rule]]
name = "vip"
[rule.when]
from = "ceo@example.test"
[rule.then]
template = "nope"
"#,
    );
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`rule[1].then.template`: no template `nope`"), "{text}");
}

#[test]
fn ticket_list_narrows_by_assignee_group_and_open() {
    let desk = poste_desk("");
    // Marc first (config order), then Paul (Léa works afternoons).
    let first = new_ticket(&desk, "alice@example.test", "Imprimante", "l1@x.test", "Bonjour");
    let second = new_ticket(&desk, "bob@example.test", "Écran", "l2@x.test", "Bonjour");
    desk.ingest(&tech_mail(MARC, first, "l3@x.test", "#resolve\nRéparée."));
    let list = |args: &[&str]| -> Vec<i64> {
        let mut all = vec!["ticket", "list", "--json"];
        all.extend_from_slice(args);
        let v: Vec<Value> = serde_json::from_str(&desk.ok(&all)).unwrap();
        assert!(v.iter().all(|t| t.get("articles").is_none()), "a list has no articles");
        v.iter().map(|t| as_i64(&t["number"])).collect()
    };
    assert_eq!(list(&["--assignee", MARC]), [first]);
    assert_eq!(list(&["--assignee", MARC, "--open"]), Vec::<i64>::new());
    assert_eq!(list(&["--assignee", &PAUL.to_uppercase(), "--open"]), [second], "addresses in any case");
    assert_eq!(list(&["--group", "poste"]), [first, second]);
    assert_eq!(list(&["--status", "resolved"]), [first]);
    assert_eq!(list(&["--group", "reseau"]), Vec::<i64>::new());
}
