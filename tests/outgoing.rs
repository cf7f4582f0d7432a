//! How our outgoing mail reads in the clients people use (Gmail, Outlook,
//! mutt): one conversation per ticket, times in the reader's zone, each
//! reader greeted as themselves, French written as French is.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

fn tech_mail(from: &str, ticket: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{ticket}] Imprimante"), id, "", body)
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default()
}

/// Alice opens a ticket with Bob in copy; Marc answers, then resolves it.
fn a_ticket_with_an_answer_and_a_resolution() -> Desk {
    let desk = Desk::new();
    let raw = "From: Alice Martin <alice@example.test>\r\nTo: support@example.test\r\nCc: Bob Leroy <bob@example.test>\r\nSubject: Imprimante\r\nMessage-ID: <orig@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, elle ne marche plus.\r\n";
    desk.ingest(raw.as_bytes());
    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "Bonjour,\nJe passe cet après-midi."));
    desk.ingest(&tech_mail(MARC, 1, "t2@example.test", "#resolve\nC'est réparé."));
    desk
}

#[test]
fn every_mail_about_a_ticket_has_the_tag_and_the_tickets_subject_only() {
    let desk = a_ticket_with_an_answer_and_a_resolution();
    let about_ticket: Vec<Value> = desk.outbox().into_iter().filter(|m| m["ticket"] == 1).collect();
    let templates: Vec<&str> = about_ticket.iter().map(|m| m["template"].as_str().unwrap()).collect();
    for t in ["acknowledgement", "new_article", "reply", "status_changed"] {
        assert!(templates.contains(&t), "{t} missing in {templates:?}");
    }
    for m in &about_ticket {
        assert_eq!(m["subject"], "[Guichet #1] Imprimante", "{}", m["template"]);
        assert_eq!(parsed(m).subject, "[Guichet #1] Imprimante");
    }
    let title = |template: &str| {
        let m = desk.queued(template).into_iter().next().unwrap();
        (first_line(&body(&m)).to_string(), parsed(&m).html.unwrap_or_default())
    };
    let (text, html) = title("reply");
    assert_eq!(text, "Réponse à votre demande n°\u{a0}1");
    assert!(html.contains("Réponse à votre demande n°"), "{html}");
    let (text, _) = title("status_changed");
    assert_eq!(text, "Nouveau statut\u{a0}: «\u{a0}fermé résolu\u{a0}»");
    let (text, _) = title("acknowledgement");
    assert_eq!(text, "Votre demande n°\u{a0}1 est enregistrée");
}

#[test]
fn every_mail_about_a_ticket_shares_one_outlook_thread_index_root_and_topic() {
    let mut desk = Desk::new();
    desk.now = Some("2026-12-07T09:00:00Z".into());
    desk.ingest(&mail("alice@example.test", "Imprimante", "o@example.test", "", "Bonjour"));
    desk.now = Some("2026-12-07T10:30:00Z".into());
    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "Je passe."));
    let ack = parsed(&desk.queued("acknowledgement")[0]);
    let reply = parsed(&desk.queued("reply")[0]);
    assert_eq!(ack.facts.header("Thread-Topic"), Some("Imprimante"));
    assert_eq!(reply.facts.header("Thread-Topic"), Some("Imprimante"));
    let (root, later) = (ack.facts.header("Thread-Index").unwrap(), reply.facts.header("Thread-Index").unwrap());
    assert_eq!(root.len(), 32, "22 bytes in base64: {root}");
    assert_eq!(later.len(), 36, "a 5-byte child block more: {later}");
    assert_eq!(&later[..28], &root[..28], "the same 21 first bytes");
}

#[test]
fn mail_about_no_ticket_keeps_its_own_subject() {
    let mut desk = Desk::with("[limits]\nmax_message_bytes = 2000\n");
    desk.now = Some("2026-12-07T09:05:00Z".into());
    let big = mail("alice@example.test", "Photos", "big@example.test", "", &"x".repeat(3000));
    desk.ingest(&big);
    let m = desk.queued("too_large").pop().unwrap();
    assert!(m["subject"].as_str().unwrap().contains("Photos"), "{}", m["subject"]);
    assert!(!m["subject"].as_str().unwrap().contains("[Guichet #"), "{}", m["subject"]);
    assert!(parsed(&m).facts.header("Thread-Index").is_none());
    let words = body(&m).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("du lundi 7 décembre 2026 à 09:05 (UTC)"), "a desk without a zone says it is UTC: {words}");
}

const PAUL: &str = "paul.roux@example.test";

/// A desk in Paris, with Paul, a technician who gave his time zone.
fn desk_in_paris() -> Desk {
    let paul = format!(
        "[[technician]]\nemail = \"{PAUL}\"\nname = \"Paul Roux\"\ngroups = [\"poste\"]\nlanguage = \"fr\"\ntime_zone = \"Europe/Paris\"\n"
    );
    Desk::with_config(&Desk::config_text(&paul, "time_zone = \"Europe/Paris\""))
}

#[test]
fn a_planned_visit_is_told_to_the_requester_in_the_desks_time_zone() {
    let mut desk = desk_in_paris();
    desk.now = Some("2026-12-03T09:00:00Z".into());
    desk.ingest(&mail("alice@example.test", "Imprimante", "o@example.test", "", "Bonjour"));
    desk.ingest(&tech_mail(PAUL, 1, "t1@example.test", "#plan 2026-12-07 14:30\nJe passe lundi."));
    assert_eq!(desk.ticket(1)["planned_at"], "2026-12-07T13:30:00Z", "read in Paul's zone");
    let notice = desk.queued("status_changed").pop().unwrap();
    let text = body(&notice);
    assert!(text.contains("lundi 7 décembre 2026 à 14:30"), "{text}");
    assert!(!text.contains("13:30") && !text.contains("UTC"), "{text}");
    let html = parsed(&notice).html.unwrap_or_default();
    assert!(html.contains("lundi 7 décembre 2026 à 14:30"), "{html}");
}

#[test]
fn a_technician_without_a_zone_of_their_own_plans_in_the_desks() {
    // Marc (tests/common) gives no time_zone: he lives by the desk's clock.
    let mut desk = desk_in_paris();
    desk.now = Some("2026-12-03T09:00:00Z".into());
    desk.ingest(&mail("alice@example.test", "Imprimante", "o@example.test", "", "Bonjour"));
    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "#plan 2026-12-07 14:30\nJe passe lundi."));
    assert_eq!(desk.ticket(1)["planned_at"], "2026-12-07T13:30:00Z");
    let text = body(&desk.queued("status_changed").pop().unwrap());
    assert!(text.contains("lundi 7 décembre 2026 à 14:30"), "{text}");
}

#[test]
fn the_acknowledgement_gives_the_time_of_the_request_in_the_desks_zone() {
    let mut desk = desk_in_paris();
    desk.now = Some("2026-12-07T09:05:00Z".into());
    desk.ingest(&mail("alice@example.test", "Imprimante", "o@example.test", "", "Bonjour"));
    let text = body(&desk.queued("acknowledgement")[0]);
    assert!(text.contains("lundi 7 décembre 2026 à 10:05"), "{text}");
}

#[test]
fn a_desk_time_zone_that_does_not_exist_is_named_by_its_key() {
    let desk = Desk::with_config(&Desk::config_text("", "time_zone = \"Europe/Pariss\""));
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("tickets.time_zone"), "{said}");
}

#[test]
fn technicians_see_who_is_in_copy_and_each_watcher_gets_their_own_greeting() {
    let desk = Desk::new();
    let raw = "From: Alice Martin <alice@example.test>\r\nTo: support@example.test\r\nCc: Bob Leroy <bob@example.test>\r\nSubject: Imprimante\r\nMessage-ID: <orig@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, elle ne marche plus.\r\n";
    desk.ingest(raw.as_bytes());
    let notices: Vec<Value> =
        desk.outbox().into_iter().filter(|m| m["template"] == "new_article" || m["template"] == "assigned").collect();
    assert!(!notices.is_empty());
    for n in &notices {
        let text = body(n);
        assert!(text.contains("Alice Martin <alice@example.test>"), "{text}");
        assert!(text.contains("Bob Leroy <bob@example.test>"), "the watcher is listed: {text}");
    }

    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "Bonjour,\nJe passe cet après-midi."));
    let replies = desk.queued("reply");
    assert_eq!(replies.len(), 2, "one mail each: {replies:?}");
    let to_alice = replies.iter().find(|m| m["recipients"] == serde_json::json!(["alice@example.test"])).unwrap();
    let to_bob = replies.iter().find(|m| m["recipients"] == serde_json::json!(["bob@example.test"])).unwrap();
    let (alice, bob) = (body(to_alice), body(to_bob));
    assert!(alice.contains("Je passe cet après-midi."), "{alice}");
    assert!(!alice.contains("en copie"), "{alice}");
    assert!(bob.contains("Bonjour Bob Leroy,"), "{bob}");
    assert!(bob.contains("Vous êtes en copie de la demande d'Alice Martin"), "{bob}");
    assert!(bob.contains("Je passe cet après-midi."), "{bob}");
    let (a, b) = (parsed(to_alice), parsed(to_bob));
    assert!(a.cc.is_empty() && b.cc.is_empty(), "nobody is copied on another's mail");
    assert_ne!(a.message_id, b.message_id);
    assert_eq!(b.subject, "[Guichet #1] Imprimante");
    // Bob's answer to his own copy threads back onto the ticket.
    let answer = format!(
        "From: Bob Leroy <bob@example.test>\r\nTo: support@example.test\r\nSubject: Re: merci\r\nMessage-ID: <bob1@example.test>\r\nIn-Reply-To: <{}>\r\n\r\nMerci !\r\n",
        b.message_id.unwrap()
    );
    assert_eq!(desk.ingest(answer.as_bytes())["ticket"], 1);
}

#[test]
fn a_watcher_over_the_hourly_limit_of_automatic_mail_gets_no_copy() {
    let desk = Desk::with("[limits]\nautomatic_per_hour = 1\n");
    let raw = "From: Alice Martin <alice@example.test>\r\nTo: support@example.test\r\nCc: Bob Leroy <bob@example.test>\r\nSubject: Imprimante\r\nMessage-ID: <orig@example.test>\r\n\r\nBonjour.\r\n";
    desk.ingest(raw.as_bytes());
    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "#status pending"));
    desk.ingest(&tech_mail(MARC, 1, "t2@example.test", "#status assigned"));
    let to_bob: Vec<Value> = desk
        .queued("status_changed")
        .into_iter()
        .filter(|m| m["recipients"].as_array().unwrap().contains(&Value::from("bob@example.test")))
        .collect();
    assert_eq!(to_bob.len(), 1, "{to_bob:?}");
    let history = desk.ticket(1)["history"].clone();
    assert!(history.to_string().contains("automatic_mail_suppressed"), "{history}");
}

#[test]
fn french_mail_elides_de_before_a_vowel() {
    let desk = Desk::new();
    desk.ingest(&mail("Alice Martin <alice@example.test>", "Imprimante", "o@example.test", "", "Bonjour"));
    desk.ingest(&mail(
        "Alice Martin <alice@example.test>",
        "Re: [Guichet #1] Imprimante",
        "o2@example.test",
        "",
        "Toujours en panne.",
    ));
    let notices = desk.queued("new_article");
    let to_marc = notices.iter().rev().find(|m| m["recipients"][0] == MARC).unwrap();
    assert_eq!(first_line(&body(to_marc)), "Nouveau message d'Alice Martin");
}

#[test]
fn text_bodies_wrap_at_72_columns_whatever_the_subject() {
    let desk = Desk::new();
    let subject = "Imprimante du deuxième étage qui affiche une erreur de bourrage papier en permanence";
    desk.ingest(&mail("alice@example.test", subject, "o@example.test", "", "Bonjour"));
    let text = body(&desk.queued("acknowledgement")[0]);
    let mut in_quote = false;
    for line in text.lines() {
        if line.len() >= 20 && line.chars().all(|c| c == '-') {
            in_quote = !in_quote;
            continue;
        }
        assert!(in_quote || line.chars().count() <= 72, "too long: {line}\n{text}");
    }
    assert!(text.contains("Merci pour votre message. Votre demande a bien été enregistrée sous le"), "{text}");
}

#[test]
fn the_from_name_follows_the_language_of_the_mail() {
    let text = Desk::config_text("", "")
        .replace("from_name = \"Support\"", "from_name = { fr = \"Support informatique\", en = \"IT Support\" }");
    let desk = Desk::with_config(&text);
    desk.ingest(&mail("alice@example.test", "Imprimante", "o@example.test", "Content-Language: fr\r\n", "Bonjour"));
    desk.ingest(&mail(
        "john@example.test",
        "Printer",
        "e@example.test",
        "Content-Language: en\r\n",
        "Hello, the printer is broken.",
    ));
    let acks = desk.queued("acknowledgement");
    let from = |to: &str| {
        let m = acks.iter().find(|m| m["recipients"][0] == to).unwrap();
        parsed(m).from.name
    };
    assert_eq!(from("alice@example.test"), "Support informatique");
    assert_eq!(from("john@example.test"), "IT Support");
    desk.ingest(&tech_mail(MARC, 1, "t1@example.test", "Je passe."));
    assert_eq!(parsed(&desk.queued("reply")[0]).from.name, "Marc Dupont (Support informatique)");

    let bad = Desk::config_text("", "").replace("from_name = \"Support\"", "from_name = { pt = \"Suporte\" }");
    let out = Desk::with_config(&bad).run(&["check"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("outgoing.from_name.pt"), "{said}");
}

#[test]
fn each_technician_reads_times_in_their_own_zone() {
    let tom = "[[technician]]\nemail = \"tom.gagnon@example.test\"\nname = \"Tom Gagnon\"\ngroups = [\"poste\"]\nlanguage = \"fr\"\ntime_zone = \"America/Montreal\"\n";
    let mut desk = Desk::with_config(&Desk::config_text(tom, "time_zone = \"Europe/Paris\""));
    desk.now = Some("2026-12-07T09:05:00Z".into());
    desk.ingest(&mail("alice@example.test", "Imprimante", "o@example.test", "", "Bonjour"));
    let notices: Vec<Value> =
        desk.outbox().into_iter().filter(|m| m["template"] == "new_article" || m["template"] == "assigned").collect();
    let to = |who: &str| {
        let m = notices.iter().find(|m| m["recipients"].as_array().unwrap().contains(&Value::from(who)));
        m.map(|m| body(m).split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("{who}: {notices:?}"))
    };
    let (marc, tom) = (to(MARC), to("tom.gagnon@example.test"));
    assert!(marc.contains("lundi 7 décembre 2026 à 10:05"), "Marc has no zone of his own: the desk's. {marc}");
    assert!(!marc.contains("Europe/Paris"), "{marc}");
    assert!(tom.contains("lundi 7 décembre 2026 à 04:05 (America/Montreal)"), "{tom}");
}
