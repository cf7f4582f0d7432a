//! A conversation as the people in it live it: thanks after a resolution
//! that do not reopen, notices that show the ticket as the mail left it,
//! `#kb` on an earlier answer, a requester's earlier tickets shown to the
//! technician and the alike one linked.

use crate::common::harness::*;
use crate::common::*;
use guichet::domain::history::Visibility;
use guichet::ingest::pipeline::Outcome;

const ALICE: &str = "alice.martin@example.test";

fn new_ticket(h: &Harness, subject: &str, id: &str, body: &str) -> i64 {
    h.open(&mail(&format!("Alice Martin <{ALICE}>"), subject, id, "", body))
}

fn answer(h: &Harness, from: &str, ticket: i64, id: &str, body: &str) -> Outcome {
    h.ingest(&mail(from, &format!("Re: [Guichet #{ticket}] Imprimante"), id, "", body))
}

/// The last notice Marc got about `ticket`.
fn last_notice_to_marc(h: &Harness, ticket: i64) -> String {
    let rows: Vec<Sent> =
        h.outbox().into_iter().filter(|m| m.ticket == Some(ticket) && m.recipients[0] == MARC).collect();
    rows.last().expect("a notice to Marc").text().to_string()
}

#[test]
fn thanks_after_a_resolution_are_kept_without_reopening_and_more_than_thanks_reopens() {
    let h = Harness::new();
    for (i, thanks) in ["Merci beaucoup !", "Parfait, merci\n\nAlice", "Thanks a lot!"].iter().enumerate() {
        let n = new_ticket(&h, "Imprimante en panne", &format!("t{i}@example.test"), "L'imprimante ne répond plus.");
        answer(&h, MARC, n, &format!("r{i}@example.test"), "#resolve\nC'était un bourrage papier, retiré.");
        assert_eq!(h.ticket(n).status, "resolved");
        let out = answer(&h, ALICE, n, &format!("m{i}@example.test"), thanks);
        assert_eq!(out, Outcome::Article { ticket: n });
        let t = h.ticket(n);
        assert_eq!(t.status, "resolved", "{thanks:?} does not reopen");
        assert!(t.kinds().contains(&"thanks"), "{:?}", t.kinds());
        assert_eq!(t.last_article().visibility(), Ok(Visibility::Public));
        let notice = last_notice_to_marc(&h, n);
        assert!(notice.contains("fermé résolu"), "Marc reads the ticket as it is:\n{notice}");
    }

    let n = new_ticket(&h, "Imprimante en panne", "t9@example.test", "L'imprimante ne répond plus.");
    answer(&h, MARC, n, "r9@example.test", "#resolve\nC'était un bourrage papier, retiré.");
    answer(&h, ALICE, n, "m9@example.test", "Merci, mais ça ne marche toujours pas : erreur 52 de nouveau.");
    assert_eq!(h.ticket(n).status, "assigned", "more than thanks reopens");
    let notice = last_notice_to_marc(&h, n);
    assert!(notice.contains("en cours (attribué)") && !notice.contains("fermé résolu"), "{notice}");
}

#[test]
fn a_reply_to_a_pending_ticket_shows_the_state_it_went_back_to() {
    let h = Harness::new();
    let n = new_ticket(&h, "Imprimante en panne", "p1@example.test", "L'imprimante ne répond plus.");
    answer(&h, MARC, n, "p2@example.test", "#status pending\nPouvez-vous me donner le numéro inscrit dessous ?");
    assert_eq!(h.ticket(n).status, "pending");
    answer(&h, ALICE, n, "p3@example.test", "C'est le numéro IMP-204.");
    assert_eq!(h.ticket(n).status, "assigned");
    let notice = last_notice_to_marc(&h, n);
    assert!(notice.contains("en cours (attribué)") && !notice.contains("en attente"), "{notice}");
}

#[test]
fn kb_on_an_earlier_answer_makes_that_answer_the_drafts_solution() {
    let h = Harness::new();
    let n = new_ticket(&h, "Imprimante : erreur 52", "k1@example.test", "L'imprimante affiche « erreur 52 ».");
    answer(
        &h,
        MARC,
        n,
        "k2@example.test",
        "#kb\nC'est un bourrage papier : ouvrez le capot arrière et retirez la feuille coincée.",
    );
    answer(&h, ALICE, n, "k3@example.test", "C'est bon, ça imprime de nouveau.");
    answer(&h, MARC, n, "k4@example.test", "#resolve\nMerci pour votre retour, je clos la demande.");
    let drafts = guichet::store::kb::list(&mut h.conn(), None, None).unwrap();
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    let text = &drafts[0].body_text;
    assert!(text.contains("capot arrière"), "{text}");
    assert!(!text.contains("je clos la demande"), "{text}");
}

#[test]
fn a_requesters_new_mail_about_the_same_problem_is_linked_and_their_tickets_are_listed() {
    let h = Harness::new();
    let first = new_ticket(
        &h,
        "Imprimante du 2e étage : erreur 52",
        "h1@example.test",
        "L'imprimante du 2e étage affiche erreur 52 et n'imprime plus.",
    );
    answer(&h, MARC, first, "h2@example.test", "#resolve\nBourrage papier retiré.");
    let other = new_ticket(&h, "Accès au dossier Compta", "h3@example.test", "Je n'ai plus accès au dossier Compta.");
    let again = new_ticket(
        &h,
        "Ça recommence : imprimante erreur 52",
        "h4@example.test",
        "L'imprimante du 2e étage affiche de nouveau erreur 52.",
    );
    let t = h.ticket(again);
    assert_eq!(t.related_id, Some(first), "linked to the alike ticket, not to {other}");
    assert!(t.kinds().contains(&"related"));
    assert!(h.ticket(first).kinds().contains(&"followed_by"));
    assert!(h.ticket(other).related_id.is_none(), "an unrelated ticket is not linked");

    let notice = last_notice_to_marc(&h, again);
    for want in
        [format!("{first}"), "Imprimante du 2e étage".into(), "fermé résolu".into(), "Accès au dossier Compta".into()]
    {
        assert!(notice.contains(&want), "the notice lists `{want}`:\n{notice}");
    }
}
