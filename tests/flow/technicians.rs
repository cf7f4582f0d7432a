//! Technicians answering from their mail client: replies sent on to the
//! requester, internal notes kept from them, commands and their refusals,
//! reopening, watchers, tickets opened on someone's behalf, parents.

use crate::common::harness::*;
use crate::common::team::*;
use crate::common::*;
use guichet::domain::history::{AuthorRole, Direction, Visibility};
use guichet::ingest::pipeline::Outcome;

const ALICE: &str = "alice@example.test";

fn new_ticket(h: &Harness, from: &str, subject: &str, id: &str) -> i64 {
    h.open(&mail(from, subject, id, "", "Bonjour,\nl'imprimante est en panne.\nMerci"))
}

#[test]
fn a_technician_reply_reaches_the_requester_and_watchers_from_the_support_address() {
    let h = Harness::new();
    let raw = "From: Alice <alice@example.test>\r\nTo: support@example.test\r\nCc: carol@example.test\r\nSubject: Imprimante\r\nMessage-ID: <orig@example.test>\r\n\r\nBonjour, elle ne marche plus.\r\n";
    h.ingest(raw.as_bytes());
    let body = "Bonjour Alice,\nJe passe cet après-midi.\nMarc\n-- \nMarc Dupont, support\nLe lun. 16 nov. 2026 à 09:00, Alice <alice@example.test> a écrit :\n> Bonjour, elle ne marche plus.";
    assert_eq!(h.command(MARC, 1, body), Outcome::Article { ticket: 1 });
    let replies = h.queued("reply");
    assert_eq!(replies.len(), 2, "the requester's, then the watcher's own");
    let r = &replies[0];
    assert_eq!(r.recipients, [ALICE]);
    assert_eq!(replies[1].recipients, ["carol@example.test"]);
    assert_eq!(r.mail.from.email, "support@example.test");
    assert!(r.mail.from.name.contains("Marc Dupont"), "{:?}", r.mail.from);
    assert!(r.text().contains("Je passe cet après-midi"), "{}", r.text());
    assert!(!r.text().contains("elle ne marche plus"), "quoted history is trimmed");
    assert!(!r.text().contains("Marc Dupont, support"), "signature is trimmed");
    assert!(r.header("Auto-Submitted").is_none(), "a person's answer is not automatic");
    // It threads on what the requester has seen: their mail and our
    // acknowledgement, never the notices technicians got.
    let ack = h.queued("acknowledgement").remove(0);
    assert_eq!(r.header("In-Reply-To"), Some(format!("<{}>", ack.message_id)));
    let refs = r.header("References").unwrap();
    assert!(refs.contains("<orig@example.test>"), "{refs}");
    for notice in h.queued("new_article") {
        assert!(!refs.contains(&notice.message_id), "{refs}");
    }
    assert!(r.subject.starts_with("[Guichet #1]"));
    let t = h.ticket(1);
    assert_eq!(t.assignee.as_deref(), Some(MARC), "the first technician to answer takes the ticket");
    assert_eq!(t.status, "assigned");
    assert_eq!(t.last_article().direction(), Ok(Direction::Out));
    assert_eq!(t.last_article().author_role(), Ok(AuthorRole::Technician));
}

#[test]
fn an_internal_note_is_never_sent_to_the_requester() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let before = h.outbox().len();
    h.command(SARAH, 1, "#internal\nLe fournisseur a un souci de fusion sur ce modèle.");
    assert_eq!(h.outbox().len(), before);
    let t = h.ticket(1);
    assert_eq!(t.last_article().visibility(), Ok(Visibility::Internal));
    assert_eq!(t.last_article().trimmed_text, "Le fournisseur a un souci de fusion sur ce modèle.");
    assert!(t.assignee.is_none(), "a note does not take the ticket");
}

#[test]
fn resolve_closes_the_ticket_and_tells_the_requester_once() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    h.command(MARC, 1, "#resolve\nLa pièce est changée, tout remarche.");
    let t = h.ticket(1);
    assert_eq!(t.status, "resolved");
    assert!(t.closed_at.is_some());
    let changed = h.queued("status_changed");
    assert_eq!(changed.len(), 1);
    assert!(h.queued("reply").is_empty(), "one mail, not a reply and a status change");
    let text = changed[0].text();
    assert!(text.contains("La pièce est changée"), "the resolution note is in the mail: {text}");
    assert!(!text.contains("#resolve"), "commands are removed before sending");
    assert!(t.kinds().contains(&"status"), "{:?}", t.kinds());
}

#[test]
fn status_commands_move_the_ticket_and_illegal_ones_are_answered_with_the_reason() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    h.command(MARC, 1, "#status pending\n#impact 1\n#urgency 2\nPouvez-vous redémarrer ?");
    let t = h.ticket(1);
    assert_eq!(t.status, "pending");
    assert_eq!(t.impact, 1);
    assert_eq!(t.priority, 1, "GLPI matrix: impact 1 × urgency 2");
    // The requester answers: the ticket is no longer waiting for them.
    h.ingest(&mail(ALICE, "RE: [Guichet #1] Imprimante", "a1@example.test", "", "C'est fait."));
    assert_eq!(h.ticket(1).status, "assigned");
    // Closed, then an illegal move and an unknown command.
    h.command(MARC, 1, "#resolve");
    h.command(MARC, 1, "#status pending\n#frobnicate\nNote");
    assert_eq!(h.ticket(1).status, "resolved");
    let errors = h.queued("command_error");
    assert_eq!(errors.len(), 2);
    assert!(errors.iter().all(|e| e.recipients == [MARC]));
    // Marc reads French (the text is wrapped at 72 columns: read as one line).
    let all: String = errors.iter().map(Sent::one_line).collect();
    assert!(all.contains("de «\u{a0}fermé résolu\u{a0}» à «\u{a0}en attente\u{a0}»"), "{all}");
    assert!(all.contains("commande inconnue\u{a0}: «\u{a0}#frobnicate\u{a0}»"), "{all}");
}

#[test]
fn a_reply_to_a_resolved_ticket_reopens_it_within_the_window_and_opens_a_linked_one_after() {
    let mut h = Harness::new();
    h.at("2026-11-02T09:00:00Z");
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    h.command(MARC, 1, "#resolve\nRéparé.");
    h.at("2026-11-10T09:00:00Z");
    let out = h.ingest(&mail(ALICE, "RE: [Guichet #1] Imprimante", "again@example.test", "", "Elle retombe en panne."));
    assert_eq!(out, Outcome::Article { ticket: 1 });
    let t = h.ticket(1);
    assert_eq!(t.status, "assigned", "reopened to its technician");
    assert!(t.closed_at.is_none());
    h.command(MARC, 1, "#resolve\nRéparé pour de bon.");
    h.at("2026-12-30T09:00:00Z");
    let n = h.open(&mail(ALICE, "RE: [Guichet #1] Imprimante", "late@example.test", "", "Encore elle !"));
    assert_eq!(h.ticket(n).related_id, Some(1));
    assert_eq!(h.ticket(1).status, "resolved", "the old ticket stays closed");
}

#[test]
fn a_technician_forwards_a_users_mail_to_open_it_on_their_behalf() {
    let h = Harness::new();
    let body = "#requester alice@example.test\n#urgency 2\n\n---------- Forwarded message ---------\nDe : Alice Martin <alice@example.test>\nObjet : Imprimante\n\nBonjour Marc, l'imprimante ne marche plus.";
    let t = h.ticket(h.open(&mail(MARC, "TR: Imprimante", "f1@x.test", "", body)));
    assert_eq!(t.requester.email, ALICE);
    assert_eq!(t.requester.name, "Alice Martin");
    assert_eq!(t.subject, "Imprimante");
    assert_eq!(t.urgency, 2);
    assert!(!t.articles[0].trimmed_text.contains("#requester"));
    let ack = h.queued("acknowledgement");
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0].recipients, [ALICE]);
}

#[test]
fn major_plan_watch_unwatch_and_requester_commands() {
    let mut h = Harness::new();
    h.at(MONDAY_MORNING);
    let n = new_ticket(&h, ALICE, "Imprimante", "m1@x.test");
    h.command(MARC, n, "#major\n#plan 2026-12-01 14:30\n#watch bob@example.test\n#requester carol@example.test\nJe passe demain après-midi.",
    );
    let t = h.ticket(n);
    assert!(t.major);
    assert_eq!(t.status, "planned");
    // Marc has no time zone set: UTC.
    assert_eq!(t.planned_at.map(|p| p.to_string()).as_deref(), Some("2026-12-01 14:30:00"));
    assert_eq!(t.requester.email, "carol@example.test");
    assert!(t.watchers.contains(&"bob@example.test".to_string()));
    let notices = h.queued("status_changed");
    let notice = notices.iter().find(|m| m.recipients[0] == "carol@example.test").unwrap();
    assert!(notice.text().contains("une intervention est prévue"), "{}", notice.text());
    assert!(notices.iter().any(|m| m.recipients[0] == "bob@example.test"), "the new watcher gets a copy");
    h.command(MARC, n, "#unwatch bob@example.test\n#unwatch dave@example.test\n#major off\n#internal\nok");
    let t = h.ticket(n);
    assert!(!t.major);
    assert!(!t.watchers.contains(&"bob@example.test".to_string()));
    let refused = h.queued("command_error");
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].text().contains("«\u{a0}dave@example.test\u{a0}» ne suit pas ce ticket"),
        "{}",
        refused[0].text()
    );
    // A closed ticket cannot be planned: refused, and nothing planned.
    h.command(MARC, n, "#resolve\nC'est fait.");
    h.command(MARC, n, "#plan 2026-12-03\n#internal\nEncore ?");
    let t = h.ticket(n);
    assert_eq!(t.planned_at.map(|p| p.to_string()).as_deref(), Some("2026-12-01 14:30:00"));
    let refused = h.queued("command_error")[1].text().to_string();
    assert!(refused.contains("de «\u{a0}fermé résolu\u{a0}» à «\u{a0}planifié\u{a0}»"), "{refused}");
    for k in ["major", "planned", "watcher_added", "requester", "watcher_removed"] {
        assert!(t.kinds().contains(&k), "{k} in {:?}", t.kinds());
    }
}

#[test]
fn resolving_a_parent_resolves_its_children_and_tells_each_requester() {
    let h = Harness::new();
    let problem = new_ticket(&h, ALICE, "Serveur de fichiers lent", "p1@x.test");
    let a = new_ticket(&h, "bob@example.test", "Fichiers lents", "p2@x.test");
    let b = new_ticket(&h, "carol@example.test", "Partage inaccessible", "p3@x.test");
    for child in [a, b] {
        h.command(MARC, child, &format!("#parent {problem}\n#internal\nMême cause."));
    }
    assert_eq!(h.ticket(problem).children, [a, b]);
    h.command(MARC, problem, "#type problem\n#resolve\nLe disque a été remplacé.");
    for n in [problem, a, b] {
        assert_eq!(h.ticket(n).status, "resolved", "ticket {n}");
    }
    assert!(h.ticket(a).kinds().contains(&"closed_with_parent"));
    let notices = h.queued("status_changed");
    let told: Vec<&str> = notices.iter().map(|m| m.recipients[0].as_str()).collect();
    for who in [ALICE, "bob@example.test", "carol@example.test"] {
        assert_eq!(told.iter().filter(|t| **t == who).count(), 1, "{who} in {told:?}");
    }
    let to_bob = notices.iter().find(|m| m.to("bob@example.test")).unwrap();
    assert!(to_bob.text().contains("Le disque a été remplacé."), "{}", to_bob.text());
    assert!(to_bob.text().contains("fermé résolu"));
}

#[test]
fn internal_text_never_reaches_the_requester_in_any_later_mail() {
    let h = Harness::new();
    let raw = "From: alice@example.test\r\nTo: support@example.test\r\nCc: carol@example.test\r\nSubject: Imprimante\r\nMessage-ID: <i1@example.test>\r\n\r\nElle ne marche plus.\r\n";
    h.open(raw.as_bytes());
    h.command(SARAH, 1, "#internal\nLe fournisseur facture ce modèle 840 euros la pièce.");
    h.command(MARC, 1, "#status pending\nPouvez-vous redémarrer l'imprimante ?");
    h.ingest(&mail(ALICE, "RE: [Guichet #1] Imprimante", "i2@example.test", "", "C'est fait, sans effet."));
    h.command(MARC, 1, "#resolve\nLa pièce est changée.");
    let people: Vec<Sent> = h.outbox().into_iter().filter(|m| m.to(ALICE) || m.to("carol@example.test")).collect();
    assert!(people.len() >= 4, "acknowledgement, question and resolution: {}", people.len());
    for m in &people {
        let all = format!("{}\n{}", m.text(), m.mail.html.as_deref().unwrap_or_default());
        assert!(!all.contains("840 euros"), "{} to {:?} shows the internal note:\n{all}", m.template, m.recipients);
    }
    // The note is on the ticket, for technicians.
    let t = h.ticket(1);
    assert!(t
        .articles
        .iter()
        .any(|a| a.visibility() == Ok(Visibility::Internal) && a.trimmed_text.contains("840 euros")));
}

#[test]
fn an_answer_to_a_notice_that_cannot_be_read_back_stays_internal() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let notice = h.queued("new_article").remove(0);
    let pasted = notice.text().to_string();
    // The notice's row damaged since it went out: it renders no more.
    use diesel::RunQueryDsl;
    let damaged = diesel::sql_query("UPDATE outbox SET context = '{' WHERE template = 'new_article'")
        .execute(&mut h.conn())
        .expect("damage the row");
    assert!(damaged > 0);
    // (Counted, not read: the damaged row cannot be read.)
    let queued = || guichet::store::queries::list_outbox(&mut h.conn()).expect("outbox").len();
    let before = queued();
    // A client that pastes the history without quote marks.
    h.command(MARC, 1, &format!("Je passe cet après-midi.\n\n{pasted}"));
    assert_eq!(queued(), before, "nothing goes to the requester");
    let t = h.ticket(1);
    assert_eq!(t.last_article().visibility(), Ok(Visibility::Internal));
    let why = t.event("kept_internal").expect("the history says why");
    assert!(why.old_value.as_deref().unwrap_or_default().contains("cannot be read back"), "{why:?}");
}
