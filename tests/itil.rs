//! The ITIL ticket through the binary: rules, urgency read from the mail,
//! automatic assignment, tickets opened by hand or on someone's behalf,
//! technician commands, parent and child tickets, monitoring events.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const PAUL: &str = "paul.martin@example.test";
const LEA: &str = "lea.roux@example.test";

/// Marc and Paul in `poste` (Paul knows printers), Léa in `poste` too but
/// works afternoons only (Paris time).
const POSTE_TEAM: &str = r#"
[[technician]]
email = "paul.martin@example.test"
name = "Paul Martin"
groups = ["poste"]
skills = ["imprimante"]
language = "fr"

[[technician]]
email = "lea.roux@example.test"
name = "Léa Roux"
groups = ["poste"]
working_hours = "mon-fri 14:00-18:00"
time_zone = "Europe/Paris"
"#;

/// Monday 30 November 2026, 10:00 in Paris.
const MONDAY_MORNING: &str = "2026-11-30T09:00:00Z";

fn history_kinds(t: &Value) -> Vec<String> {
    t["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

fn tech_mail(from: &str, ticket: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{ticket}] Imprimante"), id, "", body)
}

fn new_ticket(desk: &Desk, from: &str, subject: &str, id: &str, body: &str) -> i64 {
    let out = desk.ingest(&mail(from, subject, id, "", body));
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

#[test]
fn rules_route_in_order_and_stop_ends_the_chain() {
    let desk = Desk::with(
        r#"
[[requester_group]]
name = "direction"
members = ["@direction.example.test"]
vip = true

[[rule]]
name = "imprimantes"
[rule.when]
subject = "(?i)imprimante|printer"
[rule.then]
group = "poste"
tags = ["imprimante"]
category = "materiel"

[[rule]]
name = "direction"
stop = true
[rule.when]
sender_vip = true
[rule.then]
impact = 2
urgency = 1
tags = ["vip"]

[[rule]]
name = "never after a stop"
[rule.then]
type = "request"
"#,
    );
    let n = new_ticket(&desk, "ceo@direction.example.test", "Imprimante HS", "r1@x.test", "Bonjour");
    let t = desk.ticket(n);
    assert_eq!(t["group"], "poste");
    assert_eq!(t["tags"], serde_json::json!(["imprimante", "vip"]));
    assert_eq!(t["category"], "materiel");
    assert_eq!((t["impact"].as_i64(), t["urgency"].as_i64(), t["priority"].as_i64()), (Some(2), Some(1), Some(1)));
    assert_eq!(t["type"], "incident", "the rule after the stop did not run");
    let rules: Vec<&Value> = t["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "rule").collect();
    assert_eq!(rules.iter().map(|e| e["new"].as_str().unwrap()).collect::<Vec<_>>(), ["imprimantes", "direction"]);

    // Someone else: the last rule applies, the VIP one does not.
    let n = new_ticket(&desk, "alice@example.test", "VPN", "r2@x.test", "Bonjour");
    let t = desk.ticket(n);
    assert_eq!(t["type"], "request");
    assert_eq!(t["group"], Value::Null);
    assert_eq!(t["priority"], 3);
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
fn urgency_and_impact_come_from_priority_headers_and_words() {
    let desk = Desk::new();
    let n = desk.ingest(&mail("alice@example.test", "Question", "u1@x.test", "X-Priority: 1 (Highest)\r\n", "Bonjour"));
    let t = desk.ticket(as_i64(&n["ticket"]));
    assert_eq!((t["urgency"].as_i64(), t["priority"].as_i64()), (Some(2), Some(2)));
    let n = new_ticket(
        &desk,
        "bob@example.test",
        "Réseau",
        "u2@x.test",
        "C'est bloquant : plus personne ne peut se connecter.",
    );
    let t = desk.ticket(n);
    assert_eq!((t["impact"].as_i64(), t["urgency"].as_i64(), t["priority"].as_i64()), (Some(2), Some(2), Some(2)));
    assert!(history_kinds(&t).contains(&"classified".to_string()));
    let n = new_ticket(&desk, "carol@example.test", "Souris", "u3@x.test", "Pas pressé, merci.");
    assert_eq!(desk.ticket(n)["priority"], 3);
}

#[test]
fn a_rule_holds_mail_in_quarantine_silences_the_answer_or_picks_its_template() {
    let templates = desk_templates_with_vip();
    let desk = Desk::with_config(
        &Desk::config_text(
            r#"
[[rule]]
name = "spam"
[rule.when]
header = { "X-Spam-Flag" = "(?i)yes" }
[rule.then]
quarantine = "marked as spam"

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
template = "acknowledgement_vip"
"#,
            "",
        )
        .replace(&manifest_dir().join("templates").display().to_string(), &templates.path().display().to_string()),
    );
    let out = desk.ingest(&mail("spammer@example.test", "Gagnez", "q1@x.test", "X-Spam-Flag: YES\r\n", "..."));
    assert_eq!(out["outcome"], "quarantined");
    assert_eq!(out["reason"], "held by rule `spam`: marked as spam");
    let raw = String::from_utf8(mail("bob@example.test", "Salaire", "q2@x.test", "", "Confidentiel"))
        .unwrap()
        .replace("To: support@example.test", "To: support@example.test, rh@example.test");
    let n = as_i64(&desk.ingest(raw.as_bytes())["ticket"]);
    assert_eq!(desk.ticket(n)["articles"][0]["visibility"], "internal");
    assert!(desk.queued("acknowledgement").is_empty(), "an internal ticket is not answered");
    new_ticket(&desk, "ceo@example.test", "Écran", "q3@x.test", "Bonjour");
    let vip = desk.queued("acknowledgement_vip");
    assert_eq!(vip.len(), 1);
    assert!(body(&vip[0]).starts_with("Priorité direction"), "{}", body(&vip[0]));
    // `check` catches a rule naming a template that does not exist.
    let text = std::fs::read_to_string(&desk.config).unwrap().replace("acknowledgement_vip", "nope");
    std::fs::write(&desk.config, text).unwrap();
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stdout).contains("`rule[2].then.template`: no template `nope`"));
}

/// The shipped templates plus an `acknowledgement_vip` in both languages.
fn desk_templates_with_vip() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for lang in ["fr", "en"] {
        let src = manifest_dir().join("templates").join(lang);
        let dst = dir.path().join(lang);
        std::fs::create_dir_all(&dst).unwrap();
        for f in files_in(&src) {
            std::fs::copy(&f, dst.join(f.file_name().unwrap())).unwrap();
        }
        for part in ["text", "html"] {
            std::fs::copy(
                src.join(format!("acknowledgement.{part}.hbs")),
                dst.join(format!("acknowledgement_vip.{part}.hbs")),
            )
            .unwrap();
        }
        std::fs::write(dst.join("acknowledgement_vip.subject.hbs"), "Priorité direction : {{ticket.subject}}").unwrap();
    }
    dir
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
fn a_ticket_goes_to_the_skilled_then_available_then_least_loaded_technician_in_turn() {
    let desk = poste_desk(
        r#"
[[rule]]
name = "printers"
[rule.when]
subject = "(?i)imprimante"
[rule.then]
tags = ["imprimante"]
"#,
    );
    // Skill: Paul knows printers.
    let n = new_ticket(&desk, "alice@example.test", "Imprimante en panne", "a1@x.test", "Bonjour");
    let t = desk.ticket(n);
    assert_eq!(t["group"], "poste", "from the mailbox");
    assert_eq!(t["assignee"], PAUL);
    assert_eq!(t["status"], "assigned");
    let assigned = desk.queued("assigned");
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0]["recipients"], serde_json::json!([PAUL]));
    assert!(desk.queued("new_article").is_empty(), "the others are not bothered");
    // No skill asked: Léa is not at work at 10:00, Marc has no ticket, Paul has one.
    let n = new_ticket(&desk, "bob@example.test", "Écran noir", "a2@x.test", "Bonjour");
    assert_eq!(desk.ticket(n)["assignee"], MARC);
    let why = desk.ticket(n)["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "assignment")
        .map(|e| e["new"].as_str().unwrap().to_string())
        .unwrap();
    assert!(why.contains("2 of 3 available"), "{why}");
    // Both have one now: in turn, Paul (assigned longest ago).
    let n = new_ticket(&desk, "carol@example.test", "Clavier", "a3@x.test", "Bonjour");
    assert_eq!(desk.ticket(n)["assignee"], PAUL);
    // In the afternoon Léa is there and has nothing.
    let mut desk = desk;
    desk.now = Some("2026-11-30T14:30:00Z".into());
    let n = new_ticket(&desk, "dave@example.test", "Souris", "a4@x.test", "Bonjour");
    assert_eq!(desk.ticket(n)["assignee"], LEA);
    // Each technician lists their own open tickets.
    let mine = |who: &str| -> Vec<i64> {
        let v: Vec<Value> =
            serde_json::from_str(&desk.ok(&["ticket", "list", "--assignee", who, "--open", "--json"])).unwrap();
        v.iter().map(|t| as_i64(&t["number"])).collect()
    };
    assert_eq!(mine(PAUL), [1, 3]);
    assert_eq!(mine(LEA), [4]);
    desk.ingest(&tech_mail(PAUL, 1, "a5@x.test", "#resolve\nRéparée."));
    assert_eq!(mine(PAUL), [3]);
    let poste: Vec<Value> = serde_json::from_str(&desk.ok(&["ticket", "list", "--group", "poste", "--json"])).unwrap();
    assert_eq!(poste.len(), 4);
}

#[test]
fn days_away_and_an_out_of_office_reply_keep_new_tickets_from_a_technician() {
    let desk = poste_desk("");
    // Paul's out-of-office answers the notice he was sent.
    let n = new_ticket(&desk, "alice@example.test", "Imprimante", "o1@x.test", "Bonjour");
    let first = desk.ticket(n)["assignee"].as_str().unwrap().to_string();
    assert_eq!(first, MARC, "Marc first: config order when all else is equal");
    let ooo = mail(
        MARC,
        "Absence du bureau",
        "o2@x.test",
        "Auto-Submitted: auto-replied\r\n",
        "Je suis absent jusqu'au 7 décembre.",
    );
    desk.ingest(&ooo);
    // Marc is away now: the next tickets go to Paul, twice (Léa not at work).
    for (i, who) in ["bob", "carol"].iter().enumerate() {
        let n = new_ticket(&desk, &format!("{who}@example.test"), "Écran", &format!("o3{i}@x.test"), "Bonjour");
        assert_eq!(desk.ticket(n)["assignee"], PAUL, "ticket {n}");
    }
    // Marc writes again: he is back, and has the fewest tickets.
    desk.ingest(&tech_mail(MARC, 1, "o4@x.test", "#internal\nJe suis de retour."));
    let n = new_ticket(&desk, "dave@example.test", "Souris", "o5@x.test", "Bonjour");
    assert_eq!(desk.ticket(n)["assignee"], MARC);
}

#[test]
fn configured_days_away_are_respected_and_nobody_available_leaves_it_to_the_group() {
    let text = Desk::config_text(
        r#"
[[technician]]
email = "paul.martin@example.test"
name = "Paul Martin"
groups = ["compta"]
away = ["2026-11-28..2026-12-04"]
"#,
        "",
    )
    .replace("poll_seconds = 1\n", "poll_seconds = 1\ngroup = \"compta\"\n");
    let mut desk = Desk::with_config(&text);
    desk.now = Some(MONDAY_MORNING.into());
    let n = new_ticket(&desk, "alice@example.test", "Facture", "d1@x.test", "Bonjour");
    let t = desk.ticket(n);
    assert_eq!(t["assignee"], Value::Null);
    assert_eq!(t["status"], "new");
    assert_eq!(t["group"], "compta");
    // The group is told (Paul), not every technician.
    let notices = desk.queued("new_article");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["recipients"], serde_json::json!([PAUL]));
    // Manual assignment wins over everything.
    desk.ingest(&tech_mail(
        MARC,
        n,
        "d2@x.test",
        "#assign paul.martin@example.test\n#internal\nPour toi à ton retour.",
    ));
    assert_eq!(desk.ticket(n)["assignee"], PAUL);
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
fn a_technician_forwards_a_users_mail_to_open_it_on_their_behalf() {
    let desk = Desk::new();
    let body = "#requester alice@example.test\n#urgency 2\n\n---------- Forwarded message ---------\nDe : Alice Martin <alice@example.test>\nObjet : Imprimante\n\nBonjour Marc, l'imprimante ne marche plus.";
    let out = desk.ingest(&mail(MARC, "TR: Imprimante", "f1@x.test", "", body));
    assert_eq!(out["outcome"], "ticket");
    let t = desk.ticket(as_i64(&out["ticket"]));
    assert_eq!(t["requester"], "alice@example.test");
    assert_eq!(t["requester_name"], "Alice Martin");
    assert_eq!(t["subject"], "Imprimante");
    assert_eq!(t["urgency"], 2);
    assert!(!t["articles"][0]["trimmed_text"].as_str().unwrap().contains("#requester"));
    let ack = desk.queued("acknowledgement");
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0]["recipients"], serde_json::json!(["alice@example.test"]));
}

#[test]
fn major_plan_watch_unwatch_and_requester_commands() {
    let mut desk = Desk::new();
    desk.now = Some(MONDAY_MORNING.into());
    let n = new_ticket(&desk, "alice@example.test", "Imprimante", "m1@x.test", "Bonjour");
    desk.ingest(&tech_mail(
        MARC,
        n,
        "m2@x.test",
        "#major\n#plan 2026-12-01 14:30\n#watch bob@example.test\n#requester carol@example.test\nJe passe demain après-midi.",
    ));
    let t = desk.ticket(n);
    assert_eq!(t["major"], true);
    assert_eq!(t["status"], "planned");
    // Marc has no time zone set: UTC.
    assert_eq!(t["planned_at"], "2026-12-01T14:30:00Z");
    assert_eq!(t["requester"], "carol@example.test");
    assert!(t["watchers"].as_array().unwrap().contains(&Value::from("bob@example.test")));
    let notices = desk.queued("status_changed");
    let notice = notices.iter().find(|m| m["recipients"][0] == "carol@example.test").unwrap();
    assert!(body(notice).contains("une intervention est prévue"), "{}", body(notice));
    assert!(notices.iter().any(|m| m["recipients"][0] == "bob@example.test"), "the new watcher gets a copy");
    desk.ingest(&tech_mail(
        MARC,
        n,
        "m3@x.test",
        "#unwatch bob@example.test\n#unwatch dave@example.test\n#major off\n#internal\nok",
    ));
    let t = desk.ticket(n);
    assert_eq!(t["major"], false);
    assert!(!t["watchers"].as_array().unwrap().contains(&Value::from("bob@example.test")));
    let refused = desk.queued("command_error");
    assert_eq!(refused.len(), 1);
    assert!(
        body(&refused[0]).contains("«\u{a0}dave@example.test\u{a0}» ne suit pas ce ticket"),
        "{}",
        body(&refused[0])
    );
    // A closed ticket cannot be planned: refused, and nothing planned.
    desk.ingest(&tech_mail(MARC, n, "m4@x.test", "#resolve\nC'est fait."));
    desk.ingest(&tech_mail(MARC, n, "m5@x.test", "#plan 2026-12-03\n#internal\nEncore ?"));
    let t = desk.ticket(n);
    assert_eq!(t["planned_at"], "2026-12-01T14:30:00Z");
    let refused = body(&desk.queued("command_error")[1]);
    assert!(refused.contains("de «\u{a0}fermé résolu\u{a0}» à «\u{a0}planifié\u{a0}»"), "{refused}");
    let kinds = history_kinds(&t);
    for k in ["major", "planned", "watcher_added", "requester", "watcher_removed"] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
}

#[test]
fn assigning_to_a_group_hands_it_to_someone_of_that_group() {
    let mut desk = poste_desk("");
    desk.now = Some(MONDAY_MORNING.into());
    let text = std::fs::read_to_string(&desk.config).unwrap().replace("group = \"poste\"\n", "");
    std::fs::write(&desk.config, text).unwrap();
    let n = new_ticket(&desk, "alice@example.test", "Wifi", "g1@x.test", "Bonjour");
    assert_eq!(desk.ticket(n)["assignee"], Value::Null, "no group, nobody chosen");
    desk.ingest(&tech_mail(SARAH, n, "g2@x.test", "#assign group:poste\n#internal\nPour le poste de travail."));
    let t = desk.ticket(n);
    assert_eq!(t["group"], "poste");
    assert_eq!(t["assignee"], MARC);
    assert_eq!(t["status"], "assigned");
    let assigned = desk.queued("assigned");
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0]["recipients"], serde_json::json!([MARC]));
}

#[test]
fn resolving_a_parent_resolves_its_children_and_tells_each_requester() {
    let desk = Desk::new();
    let problem = new_ticket(&desk, "alice@example.test", "Serveur de fichiers lent", "p1@x.test", "Bonjour");
    let a = new_ticket(&desk, "bob@example.test", "Fichiers lents", "p2@x.test", "Bonjour");
    let b = new_ticket(&desk, "carol@example.test", "Partage inaccessible", "p3@x.test", "Bonjour");
    for (child, id) in [(a, "p4@x.test"), (b, "p5@x.test")] {
        desk.ingest(&tech_mail(MARC, child, id, &format!("#parent {problem}\n#internal\nMême cause.")));
    }
    assert_eq!(desk.ticket(problem)["children"], serde_json::json!([a, b]));
    desk.ingest(&tech_mail(MARC, problem, "p6@x.test", "#type problem\n#resolve\nLe disque a été remplacé."));
    for n in [problem, a, b] {
        assert_eq!(desk.ticket(n)["status"], "resolved", "ticket {n}");
    }
    assert!(history_kinds(&desk.ticket(a)).contains(&"closed_with_parent".to_string()));
    let notices = desk.queued("status_changed");
    let told: Vec<&str> = notices.iter().map(|m| m["recipients"][0].as_str().unwrap()).collect();
    for who in ["alice@example.test", "bob@example.test", "carol@example.test"] {
        assert_eq!(told.iter().filter(|t| **t == who).count(), 1, "{who} in {told:?}");
    }
    let to_bob = notices.iter().find(|m| m["recipients"][0] == "bob@example.test").unwrap();
    assert!(body(to_bob).contains("Le disque a été remplacé."), "{}", body(to_bob));
    assert!(body(to_bob).contains("fermé résolu"));
}

const MONITORING: &str = r#"
[[rule]]
name = "problem"
[rule.when]
from = "@monitoring.example.test"
subject = 'PROBLEM Service Alert: (?P<host>[^/]+)/(?P<service>\S+)'
[rule.then]
event_key = "${host}/${service}"
group = "reseau"

[[rule]]
name = "recovery"
[rule.when]
from = "@monitoring.example.test"
subject = 'RECOVERY Service Alert: (?P<host>[^/]+)/(?P<service>\S+)'
[rule.then]
event_key = "${host}/${service}"
event_recovery = true
"#;

#[test]
fn monitoring_alerts_gather_on_one_ticket_per_key_and_a_recovery_resolves_it() {
    let desk = Desk::with(MONITORING);
    let alert = |kind: &str, host: &str, id: &str| {
        mail(
            "nagios@monitoring.example.test",
            &format!(
                "** {kind} Service Alert: {host}/HTTP is {} **",
                if kind == "PROBLEM" { "CRITICAL" } else { "OK" }
            ),
            id,
            "",
            "Service: HTTP\nState: CRITICAL",
        )
    };
    let first = desk.ingest(&alert("PROBLEM", "web01", "e1@x.test"));
    assert_eq!(first["outcome"], "ticket");
    let n = as_i64(&first["ticket"]);
    let again = desk.ingest(&alert("PROBLEM", "web01", "e2@x.test"));
    assert_eq!((again["outcome"].as_str(), again["ticket"].as_i64()), (Some("article"), Some(n)));
    let other = desk.ingest(&alert("PROBLEM", "db01", "e3@x.test"));
    assert_ne!(as_i64(&other["ticket"]), n, "another key, another ticket");
    let t = desk.ticket(n);
    assert_eq!(t["type"], "event");
    assert_eq!(t["event_key"], "web01/HTTP");
    assert_eq!(t["event_count"], 2);
    assert_eq!(t["assignee"], SARAH);
    assert!(desk.queued("acknowledgement").is_empty(), "monitoring is never answered");
    desk.ingest(&alert("RECOVERY", "web01", "e4@x.test"));
    assert_eq!(desk.ticket(n)["status"], "resolved");
    assert!(history_kinds(&desk.ticket(n)).contains(&"event_recovered".to_string()));
    // A recovery with nothing open is kept, and opens nothing.
    let lone = desk.ingest(&alert("RECOVERY", "web01", "e5@x.test"));
    assert_eq!(lone["outcome"], "automatic");
    // The next failure is a new ticket.
    let next = desk.ingest(&alert("PROBLEM", "web01", "e6@x.test"));
    assert_eq!(next["outcome"], "ticket");
    assert_eq!(desk.tickets().len(), 3);
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
