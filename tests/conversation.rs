//! A conversation as the people in it live it: thanks after a resolution
//! that do not reopen, notices that show the ticket as the mail left it,
//! `#kb` on an earlier answer, a requester's earlier tickets shown to the
//! technician and the alike one linked.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";

fn new_ticket(desk: &Desk, subject: &str, id: &str, body: &str) -> i64 {
    let out = desk.ingest(&mail(&format!("Alice Martin <{ALICE}>"), subject, id, "", body));
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

fn answer(desk: &Desk, from: &str, ticket: i64, id: &str, body: &str) -> Value {
    desk.ingest(&mail(from, &format!("Re: [Guichet #{ticket}] Imprimante"), id, "", body))
}

fn kinds(t: &Value) -> Vec<String> {
    t["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

/// The last notice Marc got about `ticket`.
fn last_notice_to_marc(desk: &Desk, ticket: i64) -> String {
    let rows: Vec<Value> = desk
        .outbox()
        .into_iter()
        .filter(|m| m["ticket"].as_i64() == Some(ticket) && m["recipients"][0] == MARC)
        .collect();
    body(rows.last().expect("a notice to Marc"))
}

#[test]
fn thanks_after_a_resolution_are_kept_without_reopening_and_more_than_thanks_reopens() {
    let desk = Desk::new();
    for (i, thanks) in ["Merci beaucoup !", "Parfait, merci\n\nAlice", "Thanks a lot!"].iter().enumerate() {
        let n = new_ticket(&desk, "Imprimante en panne", &format!("t{i}@example.test"), "L'imprimante ne répond plus.");
        answer(&desk, MARC, n, &format!("r{i}@example.test"), "#resolve\nC'était un bourrage papier, retiré.");
        assert_eq!(desk.ticket(n)["status"], "resolved");
        let out = answer(&desk, ALICE, n, &format!("m{i}@example.test"), thanks);
        assert_eq!(out["outcome"], "article", "{out}");
        let t = desk.ticket(n);
        assert_eq!(t["status"], "resolved", "{thanks:?} does not reopen");
        assert!(kinds(&t).contains(&"thanks".to_string()), "{:?}", kinds(&t));
        assert_eq!(t["articles"].as_array().unwrap().last().unwrap()["visibility"], "public");
        let notice = last_notice_to_marc(&desk, n);
        assert!(notice.contains("fermé résolu"), "Marc reads the ticket as it is:\n{notice}");
    }

    let n = new_ticket(&desk, "Imprimante en panne", "t9@example.test", "L'imprimante ne répond plus.");
    answer(&desk, MARC, n, "r9@example.test", "#resolve\nC'était un bourrage papier, retiré.");
    answer(&desk, ALICE, n, "m9@example.test", "Merci, mais ça ne marche toujours pas : erreur 52 de nouveau.");
    let t = desk.ticket(n);
    assert_eq!(t["status"], "assigned", "more than thanks reopens");
    let notice = last_notice_to_marc(&desk, n);
    assert!(notice.contains("en cours (attribué)") && !notice.contains("fermé résolu"), "{notice}");
}

#[test]
fn a_reply_to_a_pending_ticket_shows_the_state_it_went_back_to() {
    let desk = Desk::new();
    let n = new_ticket(&desk, "Imprimante en panne", "p1@example.test", "L'imprimante ne répond plus.");
    answer(&desk, MARC, n, "p2@example.test", "#status pending\nPouvez-vous me donner le numéro inscrit dessous ?");
    assert_eq!(desk.ticket(n)["status"], "pending");
    answer(&desk, ALICE, n, "p3@example.test", "C'est le numéro IMP-204.");
    assert_eq!(desk.ticket(n)["status"], "assigned");
    let notice = last_notice_to_marc(&desk, n);
    assert!(notice.contains("en cours (attribué)") && !notice.contains("en attente"), "{notice}");
}

#[test]
fn kb_on_an_earlier_answer_makes_that_answer_the_drafts_solution() {
    let desk = Desk::new();
    let n = new_ticket(&desk, "Imprimante : erreur 52", "k1@example.test", "L'imprimante affiche « erreur 52 ».");
    answer(
        &desk,
        MARC,
        n,
        "k2@example.test",
        "#kb\nC'est un bourrage papier : ouvrez le capot arrière et retirez la feuille coincée.",
    );
    answer(&desk, ALICE, n, "k3@example.test", "C'est bon, ça imprime de nouveau.");
    answer(&desk, MARC, n, "k4@example.test", "#resolve\nMerci pour votre retour, je clos la demande.");
    let list: Vec<Value> = serde_json::from_str(&desk.ok(&["kb", "list", "--json"])).unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let id = as_i64(&list[0]["id"]).to_string();
    let shown: Value = serde_json::from_str(&desk.ok(&["kb", "show", &id, "--json"])).unwrap();
    let text = shown["body"].as_str().unwrap();
    assert!(text.contains("capot arrière"), "{text}");
    assert!(!text.contains("je clos la demande"), "{text}");
}

#[test]
fn a_requesters_new_mail_about_the_same_problem_is_linked_and_their_tickets_are_listed() {
    let desk = Desk::new();
    let first = new_ticket(
        &desk,
        "Imprimante du 2e étage : erreur 52",
        "h1@example.test",
        "L'imprimante du 2e étage affiche erreur 52 et n'imprime plus.",
    );
    answer(&desk, MARC, first, "h2@example.test", "#resolve\nBourrage papier retiré.");
    let other =
        new_ticket(&desk, "Accès au dossier Compta", "h3@example.test", "Je n'ai plus accès au dossier Compta.");
    let again = new_ticket(
        &desk,
        "Ça recommence : imprimante erreur 52",
        "h4@example.test",
        "L'imprimante du 2e étage affiche de nouveau erreur 52.",
    );
    let t = desk.ticket(again);
    assert_eq!(t["related"], first, "linked to the alike ticket, not to {other}");
    assert!(kinds(&t).contains(&"related".to_string()));
    assert!(kinds(&desk.ticket(first)).contains(&"followed_by".to_string()));
    assert!(desk.ticket(other)["related"].is_null(), "an unrelated ticket is not linked");

    let notice = last_notice_to_marc(&desk, again);
    for want in
        [format!("{first}"), "Imprimante du 2e étage".into(), "fermé résolu".into(), "Accès au dossier Compta".into()]
    {
        assert!(notice.contains(&want), "the notice lists `{want}`:\n{notice}");
    }
}
