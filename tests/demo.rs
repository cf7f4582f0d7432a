//! `guichet demo` on a fresh desk with the shipped config: weeks of
//! activity with everything the KPIs are computed from, the same for the
//! same seed, nothing sent, and never on a desk that holds data.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::collections::BTreeSet;

use common::*;
use diesel::prelude::*;
use guichet::store::schema::events;
use serde_json::Value;

/// The shipped config (its technicians, rules, SLA policies, survey and
/// knowledge settings) on a database of the test's own.
fn fresh_desk() -> Desk {
    let shipped = std::fs::read_to_string(manifest_dir().join("config/guichet.toml")).unwrap();
    let text = shipped
        .replace("url = \"sqlite://../var/guichet.db\"", &database_keys())
        .replace("\"../examples/mail\"", "\"maildir\"")
        .replace("\"../var/outbox\"", "\"outbox\"");
    assert!(!text.contains("\"../"), "every path of the shipped config is replaced");
    Desk::with_config(&text)
}

const DEMO: &[&str] = &["demo", "--weeks", "3", "--seed", "7", "--until", "2026-11-20"];

fn subjects(tickets: &[Value]) -> Vec<(i64, String)> {
    tickets.iter().map(|t| (as_i64(&t["number"]), t["subject"].as_str().unwrap().to_string())).collect()
}

fn day(t: &Value) -> chrono::NaiveDate {
    chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().unwrap()).unwrap().date_naive()
}

#[test]
fn three_weeks_of_demo_give_every_kpi_something_to_count_and_send_nothing() {
    // The same seed on another desk (a database of its own: made on its
    // own thread), at the same time.
    let again = std::thread::spawn(|| {
        let twin = fresh_desk();
        twin.ok(DEMO);
        twin.tickets()
    });
    let desk = fresh_desk();
    let out = desk.ok(DEMO);
    for line in ["played 3 week(s), 2026-10-31 to 2026-11-20 (seed 7)", "tickets: ", "surveys: "] {
        assert!(out.contains(line), "{line} in\n{out}");
    }
    let tickets = desk.tickets();
    assert!((200..=500).contains(&tickets.len()), "{} tickets in three weeks", tickets.len());

    // Created over the three weeks, at office hours more than at night.
    let days: BTreeSet<_> = tickets.iter().map(day).collect();
    let (first, last) = (*days.first().unwrap(), *days.last().unwrap());
    assert!((last - first).num_days() >= 18, "{first} to {last}");
    assert!(first >= chrono::NaiveDate::from_ymd_opt(2026, 10, 30).unwrap(), "{first}");
    assert!(last <= chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), "{last}");
    let weeks: BTreeSet<i64> = days.iter().map(|d| (*d - first).num_days() / 7).collect();
    assert_eq!(weeks, BTreeSet::from([0, 1, 2]));

    // Open and closed, French and English, several groups, a major incident.
    let field = |name: &str| -> BTreeSet<String> {
        tickets.iter().filter_map(|t| t[name].as_str()).map(str::to_string).collect()
    };
    let statuses = field("status");
    assert!(statuses.contains("resolved") && statuses.contains("unresolved"), "{statuses:?}");
    assert!(statuses.iter().any(|s| ["new", "assigned", "pending", "planned"].contains(&s.as_str())), "{statuses:?}");
    assert_eq!(field("language"), BTreeSet::from(["en".to_string(), "fr".to_string()]));
    assert!(field("group").len() >= 2, "{:?}", field("group"));
    let major = tickets.iter().find(|t| t["major"] == true).expect("a major incident");
    assert!(major["children"].as_array().unwrap().len() >= 5, "{major}");
    let priorities: BTreeSet<i64> = tickets.iter().map(|t| as_i64(&t["priority"])).collect();
    assert!(priorities.len() >= 2, "{priorities:?}");

    // SLA targets met and missed, recorded by the sweeper.
    let timers: Vec<&Value> = tickets.iter().flat_map(|t| t["sla"].as_array().unwrap()).collect();
    assert!(timers.iter().any(|s| s["met_at"].is_string() && s["breached_at"].is_null()), "a target met in time");
    assert!(timers.iter().any(|s| s["breached_at"].is_string()), "a target missed");
    assert!(timers.iter().any(|s| s["warned_at"].is_string()), "a warning");

    // Surveys answered with ratings from low to high.
    let ratings: BTreeSet<i64> = tickets.iter().filter_map(|t| t["rating"].as_i64()).collect();
    assert!(ratings.len() >= 3 && ratings.contains(&5), "{ratings:?}");
    let unanswered = tickets.iter().filter(|t| t["survey"]["state"] == "sent").count();
    assert!(unanswered > 0, "some surveys stay unanswered");

    // Every technician answered some of them from their mail client.
    for tech in [MARC, SARAH] {
        let theirs = tickets
            .iter()
            .find(|t| t["assignee"] == tech && t["status"] == "resolved" && t["major"] == false)
            .unwrap_or_else(|| panic!("a ticket resolved by {tech}"));
        let shown = desk.ticket(as_i64(&theirs["number"]));
        let answers = shown["articles"].as_array().unwrap().iter().filter(|a| a["direction"] == "out");
        assert!(answers.clone().any(|a| a["from"] == tech), "{tech} wrote on {}", theirs["number"]);
    }

    // Knowledge base articles were published and solved some requests.
    let articles: Vec<Value> = serde_json::from_str(&desk.ok(&["kb", "list", "--json"])).unwrap();
    let useful: i64 = articles.iter().map(|a| as_i64(&a["useful"])).sum();
    assert!(useful > 0, "self-service: {articles:?}");
    let count = |kind: &str| -> i64 {
        events::table.filter(events::kind.eq(kind)).count().get_result(&mut *desk.database()).unwrap()
    };
    assert!(count("self_service") > 0);
    assert!(count("reopened") > 0, "a requester came back");
    assert!(count("auto_closed") > 0, "a pending ticket closed unanswered");
    assert!(count("sla_breached") > 0 && count("sla_warning") > 0);

    // Nothing went out: every queued mail is marked handled, none is left
    // for a sender, no file was written.
    let outbox = desk.outbox();
    assert!(outbox.len() > tickets.len(), "{} mails queued", outbox.len());
    for m in &outbox {
        assert_eq!(m["state"], "sent", "{}", m["id"]);
        let history = m["history"].as_array().unwrap();
        assert!(history.len() == 1 && history[0]["result"] == "simulated", "{history:?}");
    }
    assert!(files_in(&desk.path("outbox")).is_empty());

    // The same seed played the same weeks.
    let twin = again.join().unwrap();
    assert_eq!(subjects(&twin), subjects(&tickets));
}

#[test]
fn demo_refuses_a_desk_that_holds_anything() {
    let desk = fresh_desk();
    desk.ingest(&mail("alice@example.test", "Imprimante en panne", "real-1@example.test", "", "Bonjour"));
    let out = desk.run(&["demo", "--weeks", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already holds 1 ticket(s), 1 mail(s)") && stderr.contains("only an empty desk"),
        "{stderr}"
    );
    assert_eq!(desk.tickets().len(), 1, "nothing added");
    assert!(desk.outbox().iter().all(|m| m["state"] == "pending"), "the desk's own mail is left alone");
}

#[test]
fn demo_refuses_to_play_weeks_that_have_not_come_yet() {
    let mut desk = fresh_desk();
    desk.now = Some("2026-11-29T12:00:00Z".into());
    for until in ["2026-12-01", "2026-11-30T00:00:00Z"] {
        let out = desk.run(&["demo", "--until", until]);
        assert_eq!(out.status.code(), Some(2), "{until}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("in the future"));
    }
    let out = desk.run(&["demo", "--weeks", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(desk.tickets().is_empty());
}
