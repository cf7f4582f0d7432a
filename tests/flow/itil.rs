//! The ITIL record a mail produces: rules, urgency read from the mail,
//! automatic assignment and who is told, monitoring events.

use crate::common::harness::*;
use crate::common::team::*;
use crate::common::*;
use guichet::domain::classify::MailKind;
use guichet::domain::history::{EventKind, Visibility};
use guichet::ingest::pipeline::Outcome;
use guichet::store::queries::{self, TicketFilter};

fn new_ticket(h: &Harness, from: &str, subject: &str, id: &str) -> i64 {
    h.open(&mail(from, subject, id, "", "Bonjour"))
}

fn tech(h: &Harness, from: &str, ticket: i64, id: &str, body: &str) -> Outcome {
    h.ingest(&mail(from, &format!("RE: [Guichet #{ticket}] Imprimante"), id, "", body))
}

/// The poste team, at work on Monday morning; mail to `support` goes to
/// `poste` when `mailbox_group`.
fn poste_text(extra: &str, mailbox_group: bool) -> String {
    let text = Desk::config_text(&format!("{POSTE_TEAM}\n{extra}"), "");
    if mailbox_group {
        return text.replace("poll_seconds = 1\n", "poll_seconds = 1\ngroup = \"poste\"\n");
    }
    text
}

fn poste(extra: &str, mailbox_group: bool) -> Harness {
    let mut h = Harness::with_config(&poste_text(extra, mailbox_group));
    h.at(MONDAY_MORNING);
    h
}

#[test]
fn rules_route_in_order_and_stop_ends_the_chain() {
    let h = Harness::with(
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
    let t = h.ticket(new_ticket(&h, "ceo@direction.example.test", "Imprimante HS", "r1@x.test"));
    assert_eq!(t.group_name.as_deref(), Some("poste"));
    assert_eq!(t.tags, ["imprimante", "vip"]);
    assert_eq!(t.category.as_deref(), Some("materiel"));
    assert_eq!((t.impact, t.urgency, t.priority), (2, 1, 1));
    assert_eq!(t.ticket_type, "incident", "the rule after the stop did not run");
    let rules: Vec<&str> =
        t.events.iter().filter(|e| e.kind_name() == "rule").map(|e| e.new_value.as_deref().unwrap()).collect();
    assert_eq!(rules, ["imprimantes", "direction"]);

    // Someone else: the last rule applies, the VIP one does not.
    let t = h.ticket(new_ticket(&h, "alice@example.test", "VPN", "r2@x.test"));
    assert_eq!(t.ticket_type, "request");
    assert_eq!(t.group_name, None);
    assert_eq!(t.priority, 3);
}

#[test]
fn urgency_and_impact_come_from_priority_headers_and_words() {
    let h = Harness::new();
    let n = h.open(&mail("alice@example.test", "Question", "u1@x.test", "X-Priority: 1 (Highest)\r\n", "Bonjour"));
    let t = h.ticket(n);
    assert_eq!((t.urgency, t.priority), (2, 2));
    let n = h.open(&mail(
        "bob@example.test",
        "Réseau",
        "u2@x.test",
        "",
        "C'est bloquant : plus personne ne peut se connecter.",
    ));
    let t = h.ticket(n);
    assert_eq!((t.impact, t.urgency, t.priority), (2, 2, 2));
    assert!(t.kinds().contains(&"classified"));
    let n = h.open(&mail("carol@example.test", "Souris", "u3@x.test", "", "Pas pressé, merci."));
    assert_eq!(h.ticket(n).priority, 3);
}

/// The shipped templates plus an `acknowledgement_vip` in both languages.
fn templates_with_vip() -> tempfile::TempDir {
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
fn a_rule_holds_mail_in_quarantine_silences_the_answer_or_picks_its_template() {
    let templates = templates_with_vip();
    let h = Harness::with_config(&Desk::config_text(
        &(r#"
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
"#
        .to_string()
            + &Desk::templates_table(templates.path())),
        "",
    ));
    let out = h.ingest(&mail("spammer@example.test", "Gagnez", "q1@x.test", "X-Spam-Flag: YES\r\n", "..."));
    let Outcome::Quarantined { reason, .. } = out else { panic!("{out:?}") };
    assert_eq!(reason, "held by rule `spam`: marked as spam");
    let raw = String::from_utf8(mail("bob@example.test", "Salaire", "q2@x.test", "", "Confidentiel"))
        .unwrap()
        .replace("To: support@example.test", "To: support@example.test, rh@example.test");
    let n = h.open(raw.as_bytes());
    assert_eq!(h.ticket(n).articles[0].visibility(), Ok(Visibility::Internal));
    assert!(h.queued("acknowledgement").is_empty(), "an internal ticket is not answered");
    new_ticket(&h, "ceo@example.test", "Écran", "q3@x.test");
    let vip = h.queued("acknowledgement_vip");
    assert_eq!(vip.len(), 1);
    assert!(vip[0].text().starts_with("Priorité direction"), "{}", vip[0].text());
}

#[test]
fn a_ticket_goes_to_the_skilled_then_available_then_least_loaded_technician_in_turn() {
    let mut h = poste(
        r#"
[[rule]]
name = "printers"
[rule.when]
subject = "(?i)imprimante"
[rule.then]
tags = ["imprimante"]
"#,
        true,
    );
    // Skill: Paul knows printers.
    let t = h.ticket(new_ticket(&h, "alice@example.test", "Imprimante en panne", "a1@x.test"));
    assert_eq!(t.group_name.as_deref(), Some("poste"), "from the mailbox");
    assert_eq!(t.assignee.as_deref(), Some(PAUL));
    assert_eq!(t.status, "assigned");
    let assigned = h.queued("assigned");
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].recipients, [PAUL]);
    assert!(h.queued("new_article").is_empty(), "the others are not bothered");
    // No skill asked: Léa is not at work at 10:00, Marc has no ticket, Paul has one.
    let t = h.ticket(new_ticket(&h, "bob@example.test", "Écran noir", "a2@x.test"));
    assert_eq!(t.assignee.as_deref(), Some(MARC));
    let why = t.event("assignment").and_then(|e| e.new_value.clone()).unwrap();
    assert!(why.contains("2 of 3 available"), "{why}");
    // Both have one now: in turn, Paul (assigned longest ago).
    let n = new_ticket(&h, "carol@example.test", "Clavier", "a3@x.test");
    assert_eq!(h.ticket(n).assignee.as_deref(), Some(PAUL));
    // In the afternoon Léa is there and has nothing.
    h.at("2026-11-30T14:30:00Z");
    let n = new_ticket(&h, "dave@example.test", "Souris", "a4@x.test");
    assert_eq!(h.ticket(n).assignee.as_deref(), Some(LEA));
    // Each technician's open tickets, as `ticket list --assignee --open` reads them.
    let mine = |who: &str| -> Vec<i64> {
        let filter = TicketFilter { assignee: Some(who.to_string()), open: true, ..Default::default() };
        queries::list_tickets(&mut h.conn(), &filter).unwrap().iter().map(|t| t.id).collect()
    };
    assert_eq!(mine(PAUL), [1, 3]);
    assert_eq!(mine(LEA), [4]);
    tech(&h, PAUL, 1, "a5@x.test", "#resolve\nRéparée.");
    assert_eq!(mine(PAUL), [3]);
    let filter = TicketFilter { group: Some("poste".into()), ..Default::default() };
    assert_eq!(queries::list_tickets(&mut h.conn(), &filter).unwrap().len(), 4);
}

#[test]
fn an_out_of_office_reply_needs_no_reply_token_to_say_a_technician_is_away() {
    // The default proof: auto-replies answer the envelope sender, never a
    // Reply-To, so they carry no token; their address says who is away.
    let text = poste_text("", true).replace("technician_proof = \"address\"\n", "");
    let mut h = Harness::with_config(&text);
    h.at(MONDAY_MORNING);
    let n = new_ticket(&h, "alice@example.test", "Imprimante", "o1@x.test");
    assert_eq!(h.ticket(n).assignee.as_deref(), Some(MARC));
    let ooo = mail(MARC, "Absence du bureau", "o2@x.test", "Auto-Submitted: auto-replied\r\n", "Absent.");
    assert!(matches!(h.ingest(&ooo), Outcome::Automatic { kind: MailKind::AutoReply, .. }));
    // Marc away: both go to Paul (without it, the second would be Marc's).
    for (i, who) in ["bob", "carol"].iter().enumerate() {
        let n = new_ticket(&h, &format!("{who}@example.test"), "Écran", &format!("o3{i}@x.test"));
        assert_eq!(h.ticket(n).assignee.as_deref(), Some(PAUL), "ticket {n}");
    }
}

#[test]
fn days_away_and_an_out_of_office_reply_keep_new_tickets_from_a_technician() {
    let h = poste("", true);
    // Marc's out-of-office answers the notice he was sent.
    let n = new_ticket(&h, "alice@example.test", "Imprimante", "o1@x.test");
    assert_eq!(h.ticket(n).assignee.as_deref(), Some(MARC), "Marc first: config order when all else is equal");
    let ooo = mail(
        MARC,
        "Absence du bureau",
        "o2@x.test",
        "Auto-Submitted: auto-replied\r\n",
        "Je suis absent jusqu'au 7 décembre.",
    );
    assert!(matches!(h.ingest(&ooo), Outcome::Automatic { kind: MailKind::AutoReply, .. }));
    // Marc is away now: the next tickets go to Paul, twice (Léa not at work).
    for (i, who) in ["bob", "carol"].iter().enumerate() {
        let n = new_ticket(&h, &format!("{who}@example.test"), "Écran", &format!("o3{i}@x.test"));
        assert_eq!(h.ticket(n).assignee.as_deref(), Some(PAUL), "ticket {n}");
    }
    // Marc writes again: he is back, and has the fewest tickets.
    tech(&h, MARC, 1, "o4@x.test", "#internal\nJe suis de retour.");
    let n = new_ticket(&h, "dave@example.test", "Souris", "o5@x.test");
    assert_eq!(h.ticket(n).assignee.as_deref(), Some(MARC));
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
    let mut h = Harness::with_config(&text);
    h.at(MONDAY_MORNING);
    let n = new_ticket(&h, "alice@example.test", "Facture", "d1@x.test");
    let t = h.ticket(n);
    assert_eq!(t.assignee, None);
    assert_eq!(t.status, "new");
    assert_eq!(t.group_name.as_deref(), Some("compta"));
    // The group is told (Paul), not every technician.
    let notices = h.queued("new_article");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].recipients, [PAUL]);
    // Manual assignment wins over everything.
    tech(&h, MARC, n, "d2@x.test", "#assign paul.martin@example.test\n#internal\nPour toi à ton retour.");
    assert_eq!(h.ticket(n).assignee.as_deref(), Some(PAUL));
}

#[test]
fn assigning_to_a_group_hands_it_to_someone_of_that_group() {
    let h = poste("", false);
    let n = new_ticket(&h, "alice@example.test", "Wifi", "g1@x.test");
    assert_eq!(h.ticket(n).assignee, None, "no group, nobody chosen");
    tech(&h, SARAH, n, "g2@x.test", "#assign group:poste\n#internal\nPour le poste de travail.");
    let t = h.ticket(n);
    assert_eq!(t.group_name.as_deref(), Some("poste"));
    assert_eq!(t.assignee.as_deref(), Some(MARC));
    assert_eq!(t.status, "assigned");
    let assigned = h.queued("assigned");
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].recipients, [MARC]);
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
    let h = Harness::with(MONITORING);
    let alert = |kind: &str, host: &str, id: &str| {
        let state = if kind == "PROBLEM" { "CRITICAL" } else { "OK" };
        let subject = format!("** {kind} Service Alert: {host}/HTTP is {state} **");
        h.ingest(&mail("nagios@monitoring.example.test", &subject, id, "", "Service: HTTP\nState: CRITICAL"))
    };
    let Outcome::Ticket { ticket: n } = alert("PROBLEM", "web01", "e1@x.test") else { panic!("a ticket") };
    assert_eq!(alert("PROBLEM", "web01", "e2@x.test"), Outcome::Article { ticket: n });
    let other = alert("PROBLEM", "db01", "e3@x.test");
    assert!(matches!(other, Outcome::Ticket { ticket } if ticket != n), "another key, another ticket: {other:?}");
    let t = h.ticket(n);
    assert_eq!(t.ticket_type, "event");
    assert_eq!(t.event_key.as_deref(), Some("web01/HTTP"));
    assert_eq!(t.event_count, 2);
    assert_eq!(t.assignee.as_deref(), Some(SARAH));
    assert!(h.queued("acknowledgement").is_empty(), "monitoring is never answered");
    alert("RECOVERY", "web01", "e4@x.test");
    let t = h.ticket(n);
    assert_eq!(t.status, "resolved");
    assert!(t.kinds().contains(&"event_recovered"));
    // A recovery with nothing open is kept, and opens nothing.
    assert!(matches!(alert("RECOVERY", "web01", "e5@x.test"), Outcome::Automatic { .. }));
    // The next failure is a new ticket.
    assert!(matches!(alert("PROBLEM", "web01", "e6@x.test"), Outcome::Ticket { .. }));
    assert_eq!(h.tickets().len(), 3);
}

#[test]
fn alike_incidents_in_one_group_raise_one_major_incident_holding_each_once() {
    let h = Harness::with("\n[major_incident]\nenabled = true\ncount = 3\n");
    let body = "Le VPN ne se connecte plus, impossible de travailler.";
    let carol = mail("carol@example.test", "VPN en panne", "vpn1@example.test", "", body);
    let dave = mail("dave@example.test", "Plus de VPN", "vpn2@example.test", "", body);
    let erin = mail("erin@example.test", "Problème de VPN", "vpn3@example.test", "", body);
    let later = mail("fred@example.test", "VPN toujours en panne", "vpn4@example.test", "", body);
    // One group, as a source hands them over: the later mails see the
    // earlier ones' tickets without reading them again.
    h.ingest_group(&[&carol, &dave, &erin, &later]);
    let tickets = h.tickets();
    let majors: Vec<_> = tickets.iter().filter(|t| t.major).collect();
    assert_eq!(majors.len(), 1, "{tickets:?}");
    let parent = majors[0].id;
    let children: Vec<i64> = tickets.iter().filter(|t| t.parent_id == Some(parent)).map(|t| t.id).collect();
    assert_eq!(children.len(), 4, "{tickets:?}");
    // The technicians are told once, of the three that raised it.
    let alerts = h.queued("major_incident");
    assert_eq!(alerts.len(), 2, "one a technician");
    assert!(alerts[0].text().contains("3 demandes semblables"), "{}", alerts[0].text());
    let parent = h.ticket(parent);
    assert_eq!(parent.children.len(), 4);
    assert_eq!(parent.events.iter().filter(|e| e.kind() == Ok(EventKind::Child)).count(), 4);
}
