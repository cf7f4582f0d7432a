//! Service levels through the binary, with the clock pinned: SLA timers in
//! business time, warnings and breaches, pending tickets reminded and
//! closed, satisfaction surveys answered by mail.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::team::*;
use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";

fn at(desk: &mut Desk, now: &str) {
    desk.now = Some(now.to_string());
}

fn once(desk: &Desk) -> String {
    desk.ok(&["run", "--once"])
}

fn open(desk: &mut Desk, now: &str, id: &str) -> i64 {
    at(desk, now);
    let out = desk.ingest(&mail(ALICE, "L'imprimante ne marche plus", id, "", "Bonjour,\nelle affiche erreur 52."));
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

fn from_marc(desk: &Desk, ticket: i64, id: &str, body: &str) {
    let out = desk.ingest(&mail(MARC, &format!("RE: [Guichet #{ticket}] L'imprimante ne marche plus"), id, "", body));
    assert_eq!(out["outcome"], "article", "{out}");
}

fn timer<'a>(t: &'a Value, kind: &str) -> &'a Value {
    t["sla"].as_array().unwrap().iter().find(|s| s["kind"] == kind).unwrap_or_else(|| panic!("no {kind} timer: {t}"))
}

fn history(t: &Value, kind: &str) -> Vec<Value> {
    t["history"].as_array().unwrap().iter().filter(|e| e["kind"] == kind).cloned().collect()
}

fn recipients(row: &Value) -> Vec<String> {
    row["recipients"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
}

#[test]
fn timers_count_business_hours_warn_the_assignee_and_tell_the_lead_at_breach() {
    let mut desk = Desk::with(SERVICE);
    // Friday 27 November 2026, 17:00 in Paris: one business hour left that day.
    let n = open(&mut desk, "2026-11-27T16:00:00Z", "printer-1@example.test");
    let t = desk.ticket(n);
    assert_eq!(t["assignee"], MARC);
    let first = timer(&t, "first_response");
    assert_eq!(first["state"], "running");
    assert_eq!(first["policy"], "standard");
    // 17:00-18:00 Friday, then 09:00-10:00 Monday.
    assert_eq!(first["due_at"], "2026-11-30T09:00:00+00:00");
    assert_eq!(first["left_business_minutes"], 120);
    // 8 h: one on Friday, seven on Monday.
    assert_eq!(timer(&t, "resolution")["due_at"], "2026-11-30T15:00:00+00:00");

    // Friday's hour is used; the weekend counts for nothing.
    at(&mut desk, "2026-11-28T12:00:00Z");
    assert!(once(&desk).contains("timers: 0 warned, 0 breached"));
    assert_eq!(timer(&desk.ticket(n), "first_response")["left_business_minutes"], 60);

    // Monday 09:35 in Paris: 95 of 120 minutes used, past 75%.
    at(&mut desk, "2026-11-30T08:35:00Z");
    assert!(once(&desk).contains("timers: 1 warned, 0 breached"), "warning fired");
    let warnings = desk.queued("sla_warning");
    assert_eq!(warnings.len(), 1);
    assert_eq!(recipients(&warnings[0]), [MARC]);
    assert!(body(&warnings[0]).contains("standard"), "{}", body(&warnings[0]));
    // A second pass at the same moment fires nothing again.
    assert!(once(&desk).contains("timers: 0 warned, 0 breached"));
    assert_eq!(desk.queued("sla_warning").len(), 1);

    // Monday 10:05: breached. Paul, the lead, is told; the priority goes up.
    at(&mut desk, "2026-11-30T09:05:00Z");
    assert!(once(&desk).contains("0 warned, 1 breached"));
    let breaches = desk.queued("sla_breached");
    assert_eq!(breaches.len(), 1);
    assert_eq!(recipients(&breaches[0]), [PAUL]);
    let t = desk.ticket(n);
    assert_eq!(t["priority"], 2, "escalation raised the priority");
    let first = timer(&t, "first_response");
    assert_eq!(first["state"], "breached");
    assert_eq!(first["left_business_minutes"], -5);
    assert_eq!(history(&t, "sla_breached").len(), 1);
    assert_eq!(history(&t, "priority")[0]["new"], "2");
    // Priority 2 has no policy here: the resolution timer keeps its terms.
    assert_eq!(timer(&t, "resolution")["policy"], "standard");

    // Marc answers: the first response is recorded, late.
    from_marc(&desk, n, "marc-1@example.test", "Bonjour, je passe dans la matinée.");
    let t = desk.ticket(n);
    let first = timer(&t, "first_response");
    assert_eq!(first["state"], "breached");
    assert!(first["due_at"].is_null(), "a stopped timer has no due time: {first}");
    assert!(!first["met_at"].is_null());
    assert_eq!(desk.queued("sla_breached").len(), 1, "nothing fires twice");
}

#[test]
fn a_timely_answer_meets_the_target_and_waiting_for_the_requester_stops_the_clock() {
    let mut desk = Desk::with(SERVICE);
    // Monday 30 November, 10:00 in Paris.
    let n = open(&mut desk, "2026-11-30T09:00:00Z", "printer-2@example.test");
    at(&mut desk, "2026-11-30T09:30:00Z");
    from_marc(&desk, n, "marc-2@example.test", "#status pending\nPouvez-vous m'envoyer une photo de l'écran ?");
    let t = desk.ticket(n);
    assert_eq!(t["status"], "pending");
    assert_eq!(timer(&t, "first_response")["state"], "met");
    let resolution = timer(&t, "resolution");
    assert_eq!(resolution["state"], "paused");
    assert_eq!(resolution["left_business_minutes"], 450);
    assert!(resolution["due_at"].is_null());

    // Alice answers the next day at 14:00 Paris: the clock resumes with
    // the 7 h 30 it had left, to Wednesday 12:30 Paris.
    at(&mut desk, "2026-12-01T13:00:00Z");
    let out = desk.ingest(&mail(
        ALICE,
        &format!("RE: [Guichet #{n}] L'imprimante ne marche plus"),
        "alice-2@example.test",
        "",
        "Voici la photo.",
    ));
    assert_eq!(out["outcome"], "article");
    let t = desk.ticket(n);
    assert_eq!(t["status"], "assigned");
    let resolution = timer(&t, "resolution");
    assert_eq!(resolution["state"], "running");
    assert_eq!(resolution["due_at"], "2026-12-02T11:30:00+00:00");
    let kinds: Vec<String> = history(&t, "sla").iter().map(|e| e["new"].as_str().unwrap().to_string()).collect();
    assert!(kinds.contains(&"resolution paused".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"resolution running".to_string()), "{kinds:?}");

    // Resolved in time: met, and no breach ever fires.
    from_marc(&desk, n, "marc-3@example.test", "#resolve\nLe toner était mal engagé.");
    assert_eq!(timer(&desk.ticket(n), "resolution")["state"], "met");
    at(&mut desk, "2026-12-10T09:00:00Z");
    once(&desk);
    assert!(desk.queued("sla_breached").is_empty());
}

#[test]
fn a_requester_who_never_answers_is_reminded_then_the_ticket_is_closed_unresolved() {
    let mut desk = Desk::with(SERVICE);
    let n = open(&mut desk, "2026-11-30T09:00:00Z", "printer-3@example.test");
    from_marc(&desk, n, "marc-4@example.test", "#status pending\nQuel est le numéro inscrit sous l'imprimante ?");

    at(&mut desk, "2026-12-02T09:00:00Z");
    assert!(once(&desk).contains("0 reminded, 0 closed"));

    // Three days later: one reminder, with Marc's question in it.
    at(&mut desk, "2026-12-03T10:00:00Z");
    assert!(once(&desk).contains("1 reminded, 0 closed"));
    let reminders = desk.queued("pending_reminder");
    assert_eq!(reminders.len(), 1);
    assert_eq!(recipients(&reminders[0]), [ALICE]);
    let text = body(&reminders[0]);
    assert!(text.contains("numéro inscrit"), "{text}");
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("fermée le lundi 7 décembre 2026"), "says when it closes, as people write a day: {text}");
    at(&mut desk, "2026-12-04T10:00:00Z");
    assert!(once(&desk).contains("0 reminded, 0 closed"), "one reminder only");

    // Seven days: closed as unresolved, and Alice is told.
    at(&mut desk, "2026-12-07T10:00:00Z");
    assert!(once(&desk).contains("0 reminded, 1 closed"));
    let t = desk.ticket(n);
    assert_eq!(t["status"], "unresolved");
    assert_eq!(history(&t, "auto_closed").len(), 1);
    assert_eq!(history(&t, "status").last().unwrap()["actor"], "guichet");
    let closed = desk.queued("auto_closed");
    assert_eq!(closed.len(), 1);
    assert_eq!(recipients(&closed[0]), [ALICE]);
    assert_eq!(timer(&t, "resolution")["state"], "met");
    // No survey for a ticket nobody solved.
    at(&mut desk, "2026-12-08T10:00:00Z");
    once(&desk);
    assert!(desk.queued("survey").is_empty());
}

#[test]
fn an_answer_from_the_requester_restarts_the_wait_before_any_reminder() {
    let mut desk = Desk::with(SERVICE);
    let n = open(&mut desk, "2026-11-30T09:00:00Z", "printer-4@example.test");
    from_marc(&desk, n, "marc-5@example.test", "#status pending\nEst-elle allumée ?");
    at(&mut desk, "2026-12-02T09:00:00Z");
    desk.ingest(&mail(ALICE, &format!("RE: [Guichet #{n}] L'imprimante"), "alice-5@example.test", "", "Oui."));
    from_marc(&desk, n, "marc-6@example.test", "#status pending\nEt le voyant ?");
    // Three days after the first question, one after the second: nothing yet.
    at(&mut desk, "2026-12-03T10:00:00Z");
    assert!(once(&desk).contains("0 reminded, 0 closed"));
    at(&mut desk, "2026-12-05T10:00:00Z");
    assert!(once(&desk).contains("1 reminded, 0 closed"));
    assert!(body(&desk.queued("pending_reminder")[0]).contains("voyant"));
}

/// Resolves ticket `n` and sends its survey; returns the survey mail.
fn resolved_and_surveyed(desk: &mut Desk, n: i64, marc_id: &str) -> Value {
    at(desk, "2026-11-30T10:00:00Z");
    from_marc(desk, n, marc_id, "#resolve\nC'est réparé.");
    at(desk, "2026-11-30T10:30:00Z");
    assert!(once(desk).contains("0 surveys sent"), "not before the delay");
    at(desk, "2026-11-30T11:05:00Z");
    assert!(once(desk).contains("1 surveys sent"));
    let survey: Vec<Value> = desk.queued("survey").into_iter().filter(|m| m["ticket"] == n).collect();
    assert_eq!(survey.len(), 1);
    assert_eq!(recipients(&survey[0]), [ALICE]);
    survey[0].clone()
}

fn reply_to(desk: &Desk, n: i64, survey: &Value, id: &str, text: &str) -> Value {
    let mid = survey["message_id"].as_str().unwrap();
    let headers = format!("In-Reply-To: <{mid}>\r\nReferences: <{mid}>\r\n");
    desk.ingest(&mail(ALICE, &format!("RE: [Guichet #{n}] Votre avis"), id, &headers, text))
}

#[test]
fn a_survey_is_sent_once_after_resolution_and_a_reply_rates_without_reopening() {
    let mut desk = Desk::with(SERVICE);
    let n = open(&mut desk, "2026-11-30T09:00:00Z", "printer-5@example.test");
    let survey = resolved_and_surveyed(&mut desk, n, "marc-7@example.test");
    let text = body(&survey);
    assert!(text.contains("1") && text.contains("5"), "{text}");
    at(&mut desk, "2026-12-01T11:05:00Z");
    assert!(once(&desk).contains("0 surveys sent"), "one survey per ticket");

    at(&mut desk, "2026-11-30T12:00:00Z");
    let out = reply_to(&desk, n, &survey, "alice-7@example.test", "4, merci beaucoup !\n\n> Votre avis compte");
    assert_eq!(out["outcome"], "article", "{out}");
    let t = desk.ticket(n);
    assert_eq!(t["status"], "resolved", "a rating does not reopen");
    assert_eq!(t["rating"], 4);
    assert_eq!(t["survey"]["answered_via"], "mail");
    assert_eq!(t["survey"]["state"], "answered");
    assert_eq!(history(&t, "satisfaction")[0]["new"], "4");
    assert!(desk.queued("low_rating").is_empty());
}

#[test]
fn an_unclear_answer_is_kept_as_a_comment_and_a_low_rating_alerts_the_lead() {
    let mut desk = Desk::with(SERVICE);
    let n = open(&mut desk, "2026-11-30T09:00:00Z", "printer-6@example.test");
    let survey = resolved_and_surveyed(&mut desk, n, "marc-8@example.test");
    reply_to(&desk, n, &survey, "alice-8@example.test", "Entre 3 et 4, le technicien était sympa mais lent.");
    let t = desk.ticket(n);
    assert!(t["rating"].is_null(), "no guess: {}", t["survey"]);
    assert!(t["survey"]["comment"].as_str().unwrap().contains("sympa mais lent"));
    assert_eq!(t["status"], "resolved");

    reply_to(&desk, n, &survey, "alice-9@example.test", "Finalement : 2.");
    let t = desk.ticket(n);
    assert_eq!(t["rating"], 2);
    let low = desk.queued("low_rating");
    assert_eq!(low.len(), 1);
    assert_eq!(recipients(&low[0]), [PAUL]);
    assert!(body(&low[0]).contains("sympa mais lent"), "the comment goes along: {}", body(&low[0]));
}

#[test]
fn a_survey_reply_saying_the_problem_is_back_reopens_the_ticket() {
    let mut desk = Desk::with(SERVICE);
    let n = open(&mut desk, "2026-11-30T09:00:00Z", "printer-7@example.test");
    let survey = resolved_and_surveyed(&mut desk, n, "marc-9@example.test");
    reply_to(&desk, n, &survey, "alice-10@example.test", "Le problème est revenu ce matin, erreur 52 encore.");
    let t = desk.ticket(n);
    assert_eq!(t["status"], "assigned", "reopened");
    assert!(t["rating"].is_null());
    assert_eq!(timer(&t, "resolution")["state"], "running", "the resolution clock goes on");
}

#[test]
fn check_names_the_key_of_every_service_level_mistake() {
    let desk = Desk::with(
        r#"
[[calendar]]
name = "bureau"
time_zone = "Europe/Lutece"
working_hours = "lun-ven 9h-18h"
holidays = ["25/12"]

[[sla]]
name = "vite"
calendar = "atelier"
first_response = "2d"
resolution = "soon"
escalate_group = "nobody"
escalate_to = "someone@example.test"

[[group]]
name = "poste"
lead = "ghost@example.test"

[pending]
remind_after_days = 5
close_after_days = 2

[http]
listen = "localhost"
"#,
    );
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for key in [
        "calendar[0].time_zone",
        "calendar[0].working_hours[0]",
        "calendar[0].holidays[0]",
        "sla[0].calendar",
        "sla[0].first_response",
        "sla[0].resolution",
        "sla[0].escalate_group",
        "sla[0].escalate_to",
        "group[0].lead",
        "pending.close_after_days",
        "http.listen",
    ] {
        assert!(err.contains(&format!("`{key}`")), "{key} not named in:\n{err}");
    }
}

#[test]
fn two_instances_sweeping_at_once_fire_each_step_once() {
    let mut desk = Desk::with(SERVICE);
    let tickets: Vec<i64> =
        (0..30).map(|i| open(&mut desk, "2026-11-30T09:00:00Z", &format!("many-{i}@example.test"))).collect();
    // Monday 11:40 in Paris: 100 of 120 minutes used on each ticket.
    at(&mut desk, "2026-11-30T10:40:00Z");
    let both: Vec<_> = (0..2).map(|_| desk.command(&["run", "--once"]).output().expect("run")).collect();
    let mut warned = 0;
    for out in &both {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let n: usize = text.split("timers: ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        warned += n;
    }
    assert_eq!(warned, 30, "each ticket warned by one instance or the other");
    assert_eq!(desk.queued("sla_warning").len(), 30);
    for n in tickets {
        assert_eq!(history(&desk.ticket(n), "sla_warning").len(), 1, "ticket {n}");
    }
    let status: Value = serde_json::from_str(&desk.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["sla_timers"]["running"], 60);
}

#[test]
fn rules_test_says_which_policy_a_mail_would_start_under_and_when_it_falls_due() {
    let mut desk = Desk::with(SERVICE);
    at(&mut desk, "2026-11-27T16:00:00Z");
    let file = desk.path("printer.eml");
    std::fs::write(&file, mail(ALICE, "L'imprimante ne marche plus", "rules-sla@example.test", "", "Erreur 52."))
        .unwrap();
    let text = desk.ok(&["rules", "test", file.to_str().unwrap()]);
    assert!(text.contains("SLA        standard: first response 2 h (due 2026-11-30T09:00:00+00:00)"), "{text}");
    let v: Value = serde_json::from_str(&desk.ok(&["rules", "test", "--json", file.to_str().unwrap()])).unwrap();
    assert_eq!(v["sla"]["resolution_due"], "2026-11-30T15:00:00+00:00");
    // Nothing is stored.
    assert!(desk.tickets().is_empty());

    let other = desk.path("question.eml");
    std::fs::write(&other, mail(ALICE, "Question", "rules-sla-2@example.test", "", "Urgent et bloquant !")).unwrap();
    let v: Value = serde_json::from_str(&desk.ok(&["rules", "test", "--json", other.to_str().unwrap()])).unwrap();
    assert!(v["ticket"]["priority"].as_i64().unwrap() < 3, "{v}");
    assert!(v["sla"].is_null(), "no policy for priority 1-2 here: {v}");
}

#[test]
fn a_call_taken_by_a_technician_is_a_first_response_already() {
    let mut desk = Desk::with(SERVICE);
    at(&mut desk, "2026-11-30T09:00:00Z");
    let mut open = desk.command(&[
        "ticket",
        "open",
        "--requester",
        ALICE,
        "--subject",
        "Imprimante bloquée",
        "--by",
        MARC,
        "--json",
    ]);
    open.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = open.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"Appel : bourrage papier.").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let n = as_i64(&serde_json::from_slice::<Value>(&out.stdout).unwrap()["number"]);
    let t = desk.ticket(n);
    assert_eq!(timer(&t, "first_response")["state"], "met");
    assert_eq!(timer(&t, "resolution")["state"], "running");
}

#[test]
fn a_breach_can_move_the_ticket_to_another_group_or_hand_it_to_someone() {
    let mut desk = Desk::with(
        r#"
[[technician]]
email = "paul.martin@example.test"
name = "Paul Martin"
groups = ["poste"]

[[group]]
name = "poste"
lead = "paul.martin@example.test"

[[sla]]
name = "demandes"
type = "request"
first_response = "1h"
escalate_to = "sarah.lee@example.test"

[[sla]]
name = "incidents"
first_response = "1h"
escalate_group = "reseau"

[[rule]]
name = "demandes"
[rule.when]
subject = "(?i)^demande"
[rule.then]
type = "request"
group = "poste"
assignee = "marc.dupont@example.test"

[[rule]]
name = "pannes"
[rule.when]
subject = "(?i)^panne"
[rule.then]
group = "poste"
assignee = "marc.dupont@example.test"
"#,
    );
    at(&mut desk, "2026-11-30T09:00:00Z");
    let request = as_i64(&desk.ingest(&mail(ALICE, "Demande d'un écran", "req@example.test", "", "Merci."))["ticket"]);
    let incident = as_i64(&desk.ingest(&mail(ALICE, "Panne du scanner", "inc@example.test", "", "HS."))["ticket"]);
    at(&mut desk, "2026-11-30T10:01:00Z");
    assert!(once(&desk).contains("0 warned, 2 breached"));

    // Handed to Sarah: she is told, with the lead.
    let t = desk.ticket(request);
    assert_eq!(
        (t["assignee"].as_str(), t["group"].as_str(), t["status"].as_str()),
        (Some(SARAH), Some("poste"), Some("assigned"))
    );
    let to_request: Vec<Vec<String>> =
        desk.queued("sla_breached").iter().filter(|m| m["ticket"] == request).map(recipients).collect();
    assert!(to_request.iter().any(|r| r.contains(&SARAH.to_string())), "{to_request:?}");
    assert!(to_request.iter().any(|r| r.contains(&PAUL.to_string())), "{to_request:?}");
    assert!(desk.queued("sla_breached").iter().any(|m| m["ticket"] == request && body(m).contains("Sarah Lee")));

    // Moved to `reseau`: nobody has it until one of them answers; the
    // group is told.
    let t = desk.ticket(incident);
    assert_eq!(
        (t["assignee"].as_str(), t["group"].as_str(), t["status"].as_str()),
        (None, Some("reseau"), Some("new"))
    );
    let to_incident: Vec<String> =
        desk.queued("sla_breached").iter().filter(|m| m["ticket"] == incident).flat_map(recipients).collect();
    assert!(to_incident.contains(&SARAH.to_string()) && to_incident.contains(&PAUL.to_string()), "{to_incident:?}");
    let moved = history(&t, "group");
    assert_eq!(
        (moved.last().unwrap()["new"].as_str(), moved.last().unwrap()["actor"].as_str()),
        (Some("reseau"), Some("guichet"))
    );
    assert_eq!(history(&t, "assignee").last().unwrap()["old"], MARC);
    let reply =
        mail(SARAH, &format!("RE: [Guichet #{incident}] Panne du scanner"), "sarah-1@example.test", "", "Je regarde.");
    desk.ingest(&reply);
    assert_eq!(desk.ticket(incident)["assignee"], SARAH, "the first to answer takes it");
}
