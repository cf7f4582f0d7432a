//! The sweeper at a given time, in process: warnings, breaches, reminders
//! and automatic closing fire once, at their time, to the right people.

use crate::common::harness::*;
use crate::common::team::*;
use crate::common::*;

const ALICE: &str = "alice.martin@example.test";

fn open(h: &mut Harness, now: &str, id: &str) -> i64 {
    h.at(now);
    h.open(&mail(ALICE, "L'imprimante ne marche plus", id, "", "Bonjour,\nelle affiche erreur 52."))
}

fn from_marc(h: &Harness, ticket: i64, id: &str, body: &str) {
    h.ingest(&mail(MARC, &format!("RE: [Guichet #{ticket}] L'imprimante ne marche plus"), id, "", body));
}

#[test]
fn the_sweeper_warns_the_assignee_then_tells_the_lead_at_breach_and_fires_each_once() {
    let mut h = Harness::with(SERVICE);
    // Friday 27 November 2026, 17:00 in Paris: one business hour left that day.
    let n = open(&mut h, "2026-11-27T16:00:00Z", "printer-1@example.test");
    assert_eq!(h.ticket(n).timer("first_response").due_at.to_string(), "2026-11-30 09:00:00");
    // The weekend counts for nothing.
    h.at("2026-11-28T12:00:00Z");
    assert!(h.sweep().is_empty());
    // Monday 09:35 in Paris: 95 of 120 minutes used, past 75%.
    h.at("2026-11-30T08:35:00Z");
    assert_eq!(h.sweep().warned, 1);
    let warnings = h.queued("sla_warning");
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].recipients, [MARC]);
    assert!(warnings[0].text().contains("standard"), "{}", warnings[0].text());
    assert!(h.sweep().is_empty(), "a second pass at the same moment fires nothing");
    // Monday 10:05: breached. Paul, the lead, is told; the priority goes up.
    h.at("2026-11-30T09:05:00Z");
    assert_eq!(h.sweep().breached, 1);
    let breaches = h.queued("sla_breached");
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].recipients, [PAUL]);
    let t = h.ticket(n);
    assert_eq!(t.priority, 2, "escalation raised the priority");
    assert_eq!(t.timer("first_response").state, "breached");
    // Marc answers late: recorded, and nothing fires twice.
    from_marc(&h, n, "marc-1@example.test", "Bonjour, je passe dans la matinée.");
    assert!(h.ticket(n).timer("first_response").met_at.is_some());
    h.at("2026-11-30T09:30:00Z");
    h.sweep();
    assert_eq!(h.queued("sla_breached").len(), 1);
}

#[test]
fn a_requester_who_never_answers_is_reminded_once_then_the_ticket_is_closed_unresolved() {
    let mut h = Harness::with(SERVICE);
    let n = open(&mut h, "2026-11-30T09:00:00Z", "printer-3@example.test");
    from_marc(&h, n, "marc-4@example.test", "#status pending\nQuel est le numéro inscrit sous l'imprimante ?");
    h.at("2026-12-02T09:00:00Z");
    assert_eq!(h.sweep().reminded, 0);
    h.at("2026-12-03T10:00:00Z");
    assert_eq!(h.sweep().reminded, 1);
    let reminders = h.queued("pending_reminder");
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].recipients, [ALICE]);
    assert!(reminders[0].text().contains("numéro inscrit"), "{}", reminders[0].text());
    h.at("2026-12-04T10:00:00Z");
    assert_eq!(h.sweep().reminded, 0, "one reminder only");
    h.at("2026-12-07T10:00:00Z");
    assert_eq!(h.sweep().closed, 1);
    let t = h.ticket(n);
    assert_eq!(t.status, "unresolved");
    assert!(t.kinds().contains(&"auto_closed"));
    assert_eq!(h.queued("auto_closed")[0].recipients, [ALICE]);
}
