//! Nothing meant for technicians reaches a requester or a watcher: not the
//! notice a technician quotes when they answer with commands only, not the
//! answer to an alert, whatever the template and whatever the command.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";
const BOB: &str = "bob.durand@example.test";
const CAROL: &str = "carol.petit@example.test";

/// Alice writes, Bob in copy: a ticket both of them follow.
fn ticket_with_a_colleague_in_copy(desk: &Desk, id: &str) -> i64 {
    let raw = format!(
        "From: Alice Martin <{ALICE}>\r\nTo: {SUPPORT}\r\nCc: Bob Durand <{BOB}>\r\nSubject: L'imprimante ne répond plus\r\nMessage-ID: <{id}>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nL'imprimante du 2e étage affiche une erreur 52.\r\nAlice\r\n"
    );
    let out = desk.ingest(raw.as_bytes());
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

/// A technician's answer to `notice` (its Message-ID and text), written
/// as mutt and Thunderbird do: `body` on top, the notice quoted below.
fn answer_quoting(from: &str, notice_id: &str, subject: &str, id: &str, body: &str, notice: &str) -> Vec<u8> {
    let quoted: String = notice.lines().map(|l| format!("> {l}\r\n")).collect();
    let text = format!("{body}\r\n\r\nLe lun. 30 nov. 2026 à 10:05, Support <{SUPPORT}> a écrit :\r\n{quoted}");
    mail(
        from,
        &format!("Re: {subject}"),
        id,
        &format!("In-Reply-To: <{notice_id}>\r\nReferences: <{notice_id}>\r\n"),
        &text,
    )
}

/// Mail queued for the requester's side of a ticket.
fn to_people(desk: &Desk, ticket: i64) -> Vec<Value> {
    desk.outbox()
        .into_iter()
        .filter(|m| m["ticket"].as_i64() == Some(ticket))
        .filter(|m| m["recipients"].as_array().unwrap().iter().any(|r| r == ALICE || r == BOB || r == CAROL))
        .collect()
}

/// The lines of a technician's notice that no mail to a requester says
/// on its own (headings, field names and greetings they share do not count).
fn notice_only_lines(notice: &str, people_templates: &str) -> BTreeSet<String> {
    let theirs: BTreeSet<String> = people_templates.lines().map(|l| l.trim().to_string()).collect();
    notice.lines().map(|l| l.trim().to_string()).filter(|l| l.chars().count() >= 16 && !theirs.contains(l)).collect()
}

fn preview(desk: &Desk, name: &str, ticket: i64) -> String {
    let out = desk.ok(&["template", "preview", name, "--ticket", &ticket.to_string(), "--lang", "fr"]);
    let text = out.split("--- text ---\n").nth(1).unwrap();
    text.split("\n--- html ---\n").next().unwrap().to_string()
}

const PEOPLE_TEMPLATES: &[&str] = &[
    "acknowledgement",
    "reply",
    "status_changed",
    "pending_reminder",
    "auto_closed",
    "survey",
    "major_incident_status",
    "my_tickets",
    "merged",
];
const STAFF_TEMPLATES: &[&str] = &[
    "new_article",
    "assigned",
    "stranger_alert",
    "command_error",
    "sla_warning",
    "sla_breached",
    "low_rating",
    "delivery_failed",
    "major_incident",
    "queue",
    "digest",
];

#[test]
fn a_command_only_answer_to_a_notice_relays_nothing_of_it_to_the_requester() {
    let desk = Desk::new();
    let n = ticket_with_a_colleague_in_copy(&desk, "a1@example.test");
    let notice = desk.queued("new_article").into_iter().find(|m| m["recipients"][0] == MARC).unwrap();
    let notice_text = body(&notice);
    let answer = answer_quoting(
        MARC,
        notice["message_id"].as_str().unwrap(),
        notice["subject"].as_str().unwrap(),
        "m1@example.test",
        "#status pending",
        &notice_text,
    );
    let before = to_people(&desk, n).len();
    assert_eq!(desk.ingest(&answer)["outcome"], "article");

    let t = desk.ticket(n);
    assert_eq!(t["status"], "pending", "the command still applies");
    let last = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["trimmed_text"], "", "nothing new was written: nothing to show the requester");
    let people = to_people(&desk, n).split_off(before);
    assert!(people.iter().all(|m| m["template"] != "reply"), "no reply is relayed");
    let told: Vec<_> = people.iter().filter(|m| m["template"] == "status_changed").collect();
    assert!(!told.is_empty(), "the requester is told of the new status");
    let people_text: String = PEOPLE_TEMPLATES.iter().map(|p| preview(&desk, p, n)).collect();
    let forbidden = notice_only_lines(&notice_text, &people_text);
    assert!(!forbidden.is_empty());
    for m in &people {
        let text = body(m);
        for line in &forbidden {
            assert!(!text.contains(line.as_str()), "`{line}` of the notice reached {}:\n{text}", m["recipients"]);
        }
    }
}

#[test]
fn a_notice_pasted_without_quote_marks_is_not_sent_on_either() {
    let desk = Desk::new();
    let n = ticket_with_a_colleague_in_copy(&desk, "a2@example.test");
    let notice = desk.queued("new_article").into_iter().find(|m| m["recipients"][0] == MARC).unwrap();
    let notice_text = body(&notice);
    let id = notice["message_id"].as_str().unwrap();
    // Some clients paste the history as plain lines under the answer.
    let text = format!("#status pending\r\nJe passe demain matin.\r\n\r\n{}", notice_text.replace('\n', "\r\n"));
    let raw = mail(MARC, "Re: ticket", "m2@example.test", &format!("In-Reply-To: <{id}>\r\n"), &text);
    let before = to_people(&desk, n).len();
    desk.ingest(&raw);
    let people = to_people(&desk, n).split_off(before);
    let people_text: String = PEOPLE_TEMPLATES.iter().map(|p| preview(&desk, p, n)).collect();
    let forbidden = notice_only_lines(&notice_text, &people_text);
    let told = people.iter().find(|m| m["template"] == "status_changed").unwrap();
    let text = body(told);
    assert!(text.contains("Je passe demain matin."), "{text}");
    for line in &forbidden {
        assert!(!text.contains(line.as_str()), "`{line}` reached the requester:\n{text}");
    }
}

/// Every technician template, quoted under `commands` one after the
/// other: the requester and the colleague in copy get each command's effect
/// and nothing of the notice.
fn no_notice_reaches_people_under(commands: &[String]) {
    let desk = Desk::new();
    for (i, command) in commands.iter().enumerate() {
        let n = ticket_with_a_colleague_in_copy(&desk, &format!("t{i}@example.test"));
        let people_text: String = PEOPLE_TEMPLATES.iter().map(|p| preview(&desk, p, n)).collect();
        for (j, template) in STAFF_TEMPLATES.iter().enumerate() {
            let notice = preview(&desk, template, n);
            let before = to_people(&desk, n).len();
            let answer = answer_quoting(
                MARC,
                &format!("unknown{i}.{j}@example.test"),
                &format!("[Guichet #{n}] L'imprimante ne répond plus"),
                &format!("c{i}.{j}@example.test"),
                command,
                &notice,
            );
            desk.ingest(&answer);
            let forbidden = notice_only_lines(&notice, &people_text);
            assert!(!forbidden.is_empty(), "{template} says something a requester's mail does not");
            for m in &to_people(&desk, n)[before..] {
                assert_ne!(m["template"], "reply", "`{command}` under {template}: nothing was written to relay");
                let text = body(m);
                for line in &forbidden {
                    assert!(
                        !text.contains(line.as_str()),
                        "`{command}` under {template}: `{line}` reached {}:\n{text}",
                        m["recipients"]
                    );
                }
            }
        }
    }
}

#[test]
fn no_technician_template_quoted_under_a_status_command_reaches_a_requester_or_watcher() {
    let commands =
        ["#status pending", "#status assigned", "#resolve", "#unresolved", "#plan 2026-12-07 14:30", "#kb\n#resolve"];
    no_notice_reaches_people_under(&commands.map(String::from));
}

#[test]
fn no_technician_template_quoted_under_an_assignment_or_classification_reaches_a_requester_or_watcher() {
    let commands = [
        "#assign me".to_string(),
        format!("#assign {SARAH}"),
        "#assign group:reseau".into(),
        "#impact 2".into(),
        "#urgency 1".into(),
        "#type request".into(),
        "#parent 1".into(),
    ];
    no_notice_reaches_people_under(&commands);
}

#[test]
fn no_technician_template_quoted_under_any_other_command_reaches_a_requester_or_watcher() {
    let commands = [
        "#major".to_string(),
        format!("#watch {CAROL}"),
        format!("#unwatch {BOB}"),
        "#internal".into(),
        "#status attente".into(),
        "#merge 1".into(),
        "#split".into(),
        String::new(),
    ];
    no_notice_reaches_people_under(&commands);
}

#[test]
fn an_answer_to_a_stranger_alert_is_an_internal_note_and_the_alert_says_how_to_let_them_in() {
    let desk = Desk::new();
    let n = ticket_with_a_colleague_in_copy(&desk, "s1@example.test");
    let raw = format!(
        "From: Carol Petit <{CAROL}>\r\nTo: {SUPPORT}\r\nCc: dan@example.test\r\nSubject: Re: [Guichet #{n}] L'imprimante ne répond plus\r\nMessage-ID: <carol1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJ'ai le même souci au 3e.\r\n"
    );
    desk.ingest(raw.as_bytes());
    let alert = desk.queued("stranger_alert").into_iter().find(|m| m["recipients"][0] == MARC).unwrap();
    let alert_mail = parsed(&alert);
    let note_address = format!("support+{n}-internal@example.test");
    assert_eq!(alert_mail.reply_to.map(|m| m.email), Some(note_address.clone()));
    let text = body(&alert);
    for want in [format!("#watch {CAROL}"), SUPPORT.to_string(), "dan@example.test".to_string(), "note interne".into()]
    {
        assert!(text.contains(&want), "the alert says `{want}`:\n{text}");
    }

    // Marc presses reply: his client writes to the note address.
    let before = to_people(&desk, n).len();
    let answer = format!(
        "From: Marc Dupont <{MARC}>\r\nTo: {note_address}\r\nSubject: Re: {}\r\nMessage-ID: <m9@example.test>\r\nIn-Reply-To: <{}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour Carole, c'est noté.\r\n",
        alert["subject"].as_str().unwrap(),
        alert["message_id"].as_str().unwrap()
    );
    assert_eq!(desk.ingest(answer.as_bytes())["outcome"], "article");
    assert_eq!(to_people(&desk, n).len(), before, "nothing goes to Alice, Bob or Carol");
    let t = desk.ticket(n);
    let last = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["visibility"], "internal");
    assert!(last["text"].as_str().unwrap().contains("c'est noté"));

    // A client that ignores Reply-To answers the desk: still a note.
    let answer = mail(
        MARC,
        &format!("Re: {}", alert["subject"].as_str().unwrap()),
        "m10@example.test",
        &format!("In-Reply-To: <{}>\r\n", alert["message_id"].as_str().unwrap()),
        &format!("#watch {CAROL}\r\nJe la laisse entrer."),
    );
    desk.ingest(&answer);
    assert_eq!(to_people(&desk, n).len(), before);
    let t = desk.ticket(n);
    assert!(
        t["watchers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap_or_default().contains(CAROL) || w["email"] == CAROL),
        "{}",
        t["watchers"]
    );
    assert_eq!(t["articles"].as_array().unwrap().last().unwrap()["visibility"], "internal");
}

#[test]
fn an_alert_about_a_sender_without_a_name_shows_their_address_once() {
    let desk = Desk::new();
    let n = ticket_with_a_colleague_in_copy(&desk, "s5@example.test");
    let raw = mail(
        CAROL,
        &format!("Re: [Guichet #{n}] L'imprimante ne répond plus"),
        "carol5@example.test",
        "",
        "Moi aussi.",
    );
    desk.ingest(&raw);
    let alert = desk.queued("stranger_alert").into_iter().find(|m| m["recipients"][0] == MARC).unwrap();
    let text = body(&alert);
    assert!(text.contains(&format!("De\u{a0}: {CAROL}\n")), "{text}");
    assert!(!text.contains(&format!("{CAROL} <{CAROL}>")), "{text}");
}

#[test]
fn a_notice_forwarded_onto_its_ticket_is_not_sent_on() {
    let desk = Desk::new();
    let n = ticket_with_a_colleague_in_copy(&desk, "f1@example.test");
    let notice = desk.queued("new_article").into_iter().find(|m| m["recipients"][0] == MARC).unwrap();
    let notice_text = body(&notice);
    // A forward carries no reference to the notice: only the ticket's tag.
    let forward = format!(
        "#status pending\r\n---------- Forwarded message ---------\r\nFrom: Support <{SUPPORT}>\r\nSubject: {}\r\n\r\n{}",
        notice["subject"].as_str().unwrap(),
        notice_text.replace('\n', "\r\n")
    );
    let before = to_people(&desk, n).len();
    desk.ingest(&mail(
        MARC,
        &format!("Fwd: [Guichet #{n}] L'imprimante ne répond plus"),
        "f2@example.test",
        "",
        &forward,
    ));
    let people_text: String = PEOPLE_TEMPLATES.iter().map(|p| preview(&desk, p, n)).collect();
    let forbidden = notice_only_lines(&notice_text, &people_text);
    let people = to_people(&desk, n).split_off(before);
    assert!(!people.is_empty(), "the requester is told of the new status");
    for m in &people {
        let text = body(m);
        for line in &forbidden {
            assert!(!text.contains(line.as_str()), "`{line}` reached {}:\n{text}", m["recipients"]);
        }
    }
}
