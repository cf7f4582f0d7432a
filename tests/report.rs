//! `guichet report` against a week of activity played through the binary
//! with the clock pinned, every figure computed by hand below; and the same
//! period reported again after later changes, unchanged.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::{json, Value};

const ALICE: &str = "alice.martin@example.test";
const BOB: &str = "bob.durand@example.test";
const CHLOE: &str = "chloe.bernard@example.test";

/// Working hours 09:00–17:00 UTC on weekdays, one policy for every
/// priority (first response 1 h, resolution 4 h), surveys at once.
const DESK: &str = r#"
[[calendar]]
name = "ouvre"
time_zone = "UTC"
working_hours = "mon-fri 09:00-17:00"

[report]
calendar = "ouvre"

[[sla]]
name = "standard"
priority = [1, 2, 3, 4, 5]
calendar = "ouvre"
first_response = "1h"
resolution = "4h"

[survey]
delay_hours = 0

[[rule]]
name = "poste"
[rule.when]
subject = "(?i)imprimante|écran"
[rule.then]
group = "poste"
assignee = "marc.dupont@example.test"

[[rule]]
name = "reseau"
[rule.when]
subject = "(?i)vpn"
[rule.then]
group = "reseau"
assignee = "sarah.lee@example.test"
"#;

fn at(desk: &mut Desk, now: &str) {
    desk.now = Some(now.to_string());
}

fn opens(desk: &mut Desk, now: &str, from: &str, subject: &str, id: &str) -> i64 {
    at(desk, now);
    let out = desk.ingest(&mail(from, subject, id, "", "Bonjour,\npouvez-vous m'aider ?"));
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

fn writes(desk: &mut Desk, now: &str, from: &str, n: i64, subject: &str, id: &str, body: &str) {
    at(desk, now);
    let out = desk.ingest(&mail(from, &format!("RE: [Guichet #{n}] {subject}"), id, "", body));
    assert_eq!(out["outcome"], "article", "{out}");
}

fn sweep(desk: &mut Desk, now: &str) -> String {
    at(desk, now);
    desk.ok(&["run", "--once"])
}

/// The requester answers the survey of ticket `n` by mail.
fn rates(desk: &mut Desk, now: &str, from: &str, n: i64, id: &str, text: &str) {
    let survey = desk.queued("survey").into_iter().find(|m| m["ticket"] == n).expect("a survey was sent");
    let mid = survey["message_id"].as_str().unwrap();
    let headers = format!("In-Reply-To: <{mid}>\r\nReferences: <{mid}>\r\n");
    at(desk, now);
    desk.ingest(&mail(from, &format!("RE: [Guichet #{n}] Votre avis"), id, &headers, text));
    assert!(!desk.ticket(n)["rating"].is_null(), "the rating is recorded");
}

/// The week of Monday 2026-11-30, with a ticket opened the Friday before
/// and one the Saturday after.
fn week() -> (Desk, [i64; 6]) {
    let mut d = Desk::with(DESK);
    let t1 = opens(&mut d, "2026-11-27T16:00:00Z", ALICE, "Imprimante en panne", "p1@example.test");
    let t2 = opens(&mut d, "2026-11-30T09:00:00Z", BOB, "VPN coupé", "v1@example.test");
    writes(&mut d, "2026-11-30T09:30:00Z", SARAH, t2, "VPN coupé", "s1@example.test", "Pouvez-vous redémarrer ?");
    writes(&mut d, "2026-11-30T10:00:00Z", MARC, t1, "Imprimante en panne", "m1@example.test", "#resolve\nToner.");
    writes(&mut d, "2026-11-30T11:00:00Z", BOB, t2, "VPN coupé", "v2@example.test", "Toujours coupé.");
    assert!(sweep(&mut d, "2026-11-30T15:00:00Z").contains("1 surveys sent"));
    writes(&mut d, "2026-11-30T16:00:00Z", SARAH, t2, "VPN coupé", "s2@example.test", "#resolve\nTunnel refait.");
    assert!(sweep(&mut d, "2026-11-30T16:30:00Z").contains("1 surveys sent"));
    rates(&mut d, "2026-12-01T09:00:00Z", ALICE, t1, "a5@example.test", "5, merci !");
    writes(&mut d, "2026-12-01T10:00:00Z", BOB, t2, "VPN coupé", "v3@example.test", "Le VPN recoupe ce matin.");
    assert_eq!(d.ticket(t2)["status"], "assigned", "reopened");
    writes(&mut d, "2026-12-01T11:00:00Z", SARAH, t2, "VPN coupé", "s3@example.test", "#resolve\nCertificat.");
    let t3 = opens(&mut d, "2026-12-01T14:00:00Z", CHLOE, "Mot de passe oublié", "c1@example.test");
    let t4 = opens(&mut d, "2026-12-02T09:00:00Z", ALICE, "Écran cassé", "e1@example.test");
    writes(&mut d, "2026-12-02T09:45:00Z", MARC, t4, "Écran cassé", "m2@example.test", "#status pending\nUne photo ?");
    sweep(&mut d, "2026-12-02T12:00:00Z");
    let t5 = opens(&mut d, "2026-12-03T15:00:00Z", BOB, "VPN lent", "v4@example.test");
    writes(&mut d, "2026-12-04T09:30:00Z", SARAH, t5, "VPN lent", "s4@example.test", "#resolve\nServeur relancé.");
    assert!(sweep(&mut d, "2026-12-04T10:00:00Z").contains("1 surveys sent"));
    rates(&mut d, "2026-12-04T11:00:00Z", BOB, t5, "b3@example.test", "3");
    let t6 = opens(&mut d, "2026-12-05T10:00:00Z", ALICE, "Imprimante bourrage", "p2@example.test");
    at(&mut d, "2026-12-07T08:00:00Z");
    (d, [t1, t2, t3, t4, t5, t6])
}

fn report(desk: &Desk, extra: &[&str]) -> Value {
    let mut args = vec!["report", "--since", "2026-11-30", "--until", "2026-12-04", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&desk.ok(&args)).unwrap()
}

#[test]
fn the_week_s_figures_are_the_hand_computed_ones() {
    let (desk, [t1, _, t3, t4, ..]) = week();
    assert_eq!(desk.ticket(t1)["status"], "resolved");
    assert_eq!(desk.ticket(t3)["status"], "new");
    assert_eq!(desk.ticket(t4)["status"], "pending");
    let r = report(&desk, &[]);

    assert_eq!(r["since"], "2026-11-30T00:00:00Z");
    assert_eq!(r["until"], "2026-12-05T00:00:00Z");
    // Opened: #2–#5 (#1 the Friday before, #6 the Saturday after). Resolved:
    // #1, #2 (twice, once counted), #5. #2 was reopened.
    assert_eq!(r["tickets"], json!({ "opened": 4, "resolved": 3, "unresolved": 0, "reopened": 1, "merged": 0 }));
    // Open at the end: #3 (new, no group), #4 (pending, poste).
    assert_eq!(r["backlog"]["total"], 2);
    assert_eq!(r["backlog"]["by_status"], json!({ "new": 1, "pending": 1 }));
    assert_eq!(r["backlog"]["by_priority"], json!({ "3": 2 }));
    assert_eq!(r["backlog"]["by_group"], json!({ "": 1, "poste": 1 }));
    // First answers in the week, business minutes from opening: #1 Fri
    // 16:00 → Mon 10:00 = 60 + 60; #2 30; #4 45; #5 Thu 15:00 → Fri 09:30 =
    // 120 + 30. Sorted 30, 45, 120, 150: median (rank 2) 45, p90 (rank 4) 150.
    assert_eq!(r["first_response"], json!({ "count": 4, "median_minutes": 45, "p90_minutes": 150 }));
    // Resolutions: #1 120; #2 Mon 09:00 → Tue 11:00 = 480 + 120 = 600;
    // #5 150. Median 150, p90 600.
    assert_eq!(r["resolution"], json!({ "count": 3, "median_minutes": 150, "p90_minutes": 600 }));
    // First response: met #2, #4; missed #1 and #5 (answered late), #3
    // (the sweeper, Wednesday). Resolution: met #1, #5; missed #2 (the
    // sweeper, Monday 15:00; its second resolution stays missed), #3.
    assert_eq!(
        r["sla"],
        json!([{
            "policy": "standard",
            "first_response_met": 2, "first_response_breached": 3,
            "resolution_met": 2, "resolution_breached": 2,
            "percent": 44.4
        }])
    );
    assert_eq!(r["reopen_rate"], 33.3);
    // #1 and #5 resolved with one answer; #2 took three and a reopening.
    assert_eq!(r["first_contact"], json!({ "count": 2, "percent": 66.7 }));
    assert_eq!(r["self_service"], json!({ "count": 0, "percent": 0.0 }));
    // Surveys sent: #1, #2, #5; answered: #1 (5), #5 (3).
    assert_eq!(
        r["satisfaction"],
        json!({
            "surveys_sent": 3, "response_rate": 66.7, "answers": 2,
            "average": 4.0, "satisfied": 50.0, "ratings": [0, 0, 1, 0, 1]
        })
    );
    let load = |who: &str| r["technicians"].as_array().unwrap().iter().find(|l| l["technician"] == who).cloned();
    assert_eq!(
        load(MARC).unwrap(),
        json!({ "technician": MARC, "name": "Marc Dupont", "open": 1, "resolved": 1, "answers": 2 })
    );
    assert_eq!(
        load(SARAH).unwrap(),
        json!({ "technician": SARAH, "name": "Sarah Lee", "open": 0, "resolved": 2, "answers": 4 })
    );
    let hours = r["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!((hours[9].clone(), hours[14].clone(), hours[15].clone()), (json!(2), json!(1), json!(1)));
    assert_eq!(hours.iter().map(as_i64).sum::<i64>(), 4);
    let days: Vec<(String, i64, i64, i64)> = r["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                as_i64(&d["opened"]),
                as_i64(&d["resolved"]),
                as_i64(&d["backlog"]),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-30".to_string(), 1, 2, 0),
            ("2026-12-01".to_string(), 1, 1, 1),
            ("2026-12-02".to_string(), 1, 0, 2),
            ("2026-12-03".to_string(), 1, 0, 3),
            ("2026-12-04".to_string(), 0, 1, 2),
        ]
    );
}

#[test]
fn a_group_s_report_counts_only_its_tickets_and_the_text_and_csv_say_the_same() {
    let (desk, _) = week();
    let r = report(&desk, &["--group", "reseau"]);
    assert_eq!(r["group"], "reseau");
    assert_eq!(r["tickets"], json!({ "opened": 2, "resolved": 2, "unresolved": 0, "reopened": 1, "merged": 0 }));
    assert_eq!(r["backlog"]["total"], 0);
    assert_eq!(r["resolution"], json!({ "count": 2, "median_minutes": 150, "p90_minutes": 600 }));

    let text = desk.ok(&["report", "--since", "2026-11-30", "--until", "2026-12-04"]);
    for line in [
        "Tickets          opened 4, resolved 3, closed unresolved 0, reopened 1",
        "Backlog          2 open: new 1, pending 1",
        "First response   median 45 min, p90 2 h 30 (4 tickets)",
        "Resolution       median 2 h 30, p90 10 h (3 tickets)",
        "SLA standard     44.4 % met (first response 2/5, resolution 2/4)",
        "Satisfaction     4.00/5, 50.0 % satisfied (4–5), 2 answers; response rate 66.7 % of 3 surveys sent",
        "Busiest hours    09h 2, 14h 1, 15h 1",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    let csv = desk.ok(&["report", "--since", "2026-11-30", "--until", "2026-12-04", "--csv"]);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "metric,dimension,value");
    for row in ["tickets.opened,,4", "sla.percent,standard,44.4", "day.backlog,2026-12-03,3", "hour.opened,9,2"] {
        assert!(rows.contains(&row), "no `{row}` in:\n{csv}");
    }
    assert!(rows.iter().all(|r| r.split(',').count() == 3), "three columns:\n{csv}");
}

#[test]
fn a_past_period_s_figures_do_not_change_when_its_tickets_change_later() {
    let (mut desk, [_, _, t3, t4, _, t6]) = week();
    let before = report(&desk, &[]);
    // The next Monday: #3 is taken by Sarah and raised to priority 1, #4
    // moves to reseau and is resolved, #6 is resolved.
    writes(
        &mut desk,
        "2026-12-07T09:00:00Z",
        SARAH,
        t3,
        "Mot de passe oublié",
        "s5@example.test",
        "#assign me\n#impact 1\n#urgency 1\nJe regarde.",
    );
    writes(
        &mut desk,
        "2026-12-07T09:10:00Z",
        MARC,
        t4,
        "Écran cassé",
        "m3@example.test",
        "#assign group:reseau\n#internal\nPour le réseau.",
    );
    writes(&mut desk, "2026-12-07T09:20:00Z", SARAH, t4, "Écran cassé", "s6@example.test", "#resolve\nÉcran changé.");
    writes(
        &mut desk,
        "2026-12-07T09:30:00Z",
        MARC,
        t6,
        "Imprimante bourrage",
        "m4@example.test",
        "#resolve\nDébloquée.",
    );
    let t = desk.ticket(t3);
    assert_eq!((t["priority"].clone(), t["assignee"].clone()), (json!(1), json!(SARAH)), "{t}");
    assert_eq!(desk.ticket(t4)["status"], "resolved");
    at(&mut desk, "2026-12-08T08:00:00Z");
    assert_eq!(report(&desk, &[]), before, "the week's report is what it was");
    assert_eq!(report(&desk, &["--group", "poste"])["backlog"]["total"], 1, "#4 was in poste at the week's end");

    let next = serde_json::from_str::<Value>(&desk.ok(&[
        "report",
        "--since",
        "2026-12-07",
        "--until",
        "2026-12-07",
        "--json",
    ]))
    .unwrap();
    assert_eq!(next["tickets"]["resolved"], 2, "#4 and #6, the next Monday");
    assert_eq!(next["backlog"]["by_priority"], json!({ "1": 1 }), "#3, raised");
}

#[test]
fn a_bad_period_is_refused_with_what_is_wrong() {
    let desk = Desk::with(DESK);
    let out = desk.run(&["report", "--since", "last week"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`last week` is not a date"), "{err}");
    let out = desk.run(&["report", "--since", "2026-12-04", "--until", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ends before it begins"));
    let bad = Desk::with("[report]\ncalendar = \"nulle-part\"\n");
    let out = bad.run(&["check"]);
    assert_ne!(out.status.code(), Some(0));
    let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(err.contains("report.calendar") && err.contains("nulle-part"), "{err}");
}
