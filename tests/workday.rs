//! A technician's working day by mail, through the binary: closing a
//! ticket unresolved, asking for a queue (`#list`, `#show`), a requester
//! asking for their tickets, merging and splitting tickets.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";
const BOB: &str = "bob.durand@example.test";

fn open(desk: &Desk, from: &str, subject: &str, id: &str, body: &str) -> i64 {
    let out = desk.ingest(&mail(from, subject, id, "", body));
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

fn on_ticket(from: &str, ticket: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{ticket}] Suivi"), id, "", body)
}

/// Mail queued to `who`, oldest first.
fn to(desk: &Desk, who: &str) -> Vec<Value> {
    desk.outbox().into_iter().filter(|m| m["recipients"].as_array().unwrap().iter().any(|r| r == who)).collect()
}

#[test]
fn unresolved_closes_the_ticket_tells_the_requester_why_and_a_reply_reopens_it() {
    let desk = Desk::new();
    let n = open(&desk, ALICE, "Le scanner ne démarre plus", "u1@example.test", "Bonjour,\nLe scanner est mort.");
    let m = open(&desk, BOB, "Le traceur ne démarre plus", "u2@example.test", "Bonjour,\nLe traceur est mort.");
    let before = to(&desk, ALICE).len();

    let answer = "#unresolved\nLe modèle n'est plus fabriqué : il faut le remplacer, voyez avec votre responsable.";
    assert_eq!(desk.ingest(&on_ticket(MARC, n, "u3@example.test", answer))["outcome"], "article");
    let t = desk.ticket(n);
    assert_eq!(t["status"], "unresolved");
    assert!(t["closed_at"].is_string(), "an unresolved ticket is closed: {t}");
    let events = t["history"].as_array().unwrap();
    let change = events.iter().rev().find(|e| e["kind"] == "status").unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!((change["new"].as_str(), change["actor"].as_str()), (Some("unresolved"), Some(MARC)), "{change}");

    let told = to(&desk, ALICE).split_off(before);
    let templates: Vec<&str> = told.iter().map(|m| m["template"].as_str().unwrap()).collect();
    assert_eq!(templates, ["status_changed"], "told once, and no survey about an unresolved ticket");
    let text = body(&told[0]);
    assert!(text.contains("fermé non résolu"), "{text}");
    assert!(text.contains("Le modèle n'est plus fabriqué"), "the technician's reason reaches her:\n{text}");

    // An internal mail stays with the technicians, its new state included.
    let before_bob = to(&desk, BOB).len();
    let secret = "#unresolved\n#internal\nLe fournisseur a fait faillite, ne pas le dire.";
    desk.ingest(&on_ticket(MARC, m, "u4@example.test", secret));
    assert_eq!(desk.ticket(m)["status"], "unresolved");
    let told = to(&desk, BOB).split_off(before_bob);
    assert!(told.iter().all(|m| !body(m).contains("faillite")), "an internal note reached the requester: {told:?}");
    assert!(told.is_empty(), "an internal mail sends the requester nothing: {told:?}");

    // Her answer within the reopening days opens it again, back to Marc.
    desk.ingest(&on_ticket(ALICE, n, "u5@example.test", "Mais j'en ai besoin demain !"));
    let t = desk.ticket(n);
    assert_eq!((t["status"].as_str(), t["assignee"].as_str()), (Some("assigned"), Some(MARC)), "{}", t["history"]);
    assert!(t["closed_at"].is_null());
}

/// A fresh mail to the desk (no ticket named): how a question is asked.
fn question(from: &str, id: &str, subject: &str, body: &str) -> Vec<u8> {
    mail(from, subject, id, "", body)
}

/// The answer a question got: the one mail queued to `who` since `before`,
/// its subject then its text, on one line (the text is wrapped).
fn answer(desk: &Desk, who: &str, before: usize, template: &str) -> String {
    let got = to(desk, who).split_off(before);
    assert_eq!(got.len(), 1, "one answer: {got:?}");
    assert_eq!(got[0]["template"], template);
    assert!(got[0]["ticket"].is_null(), "an answer is about no ticket");
    let text = format!("{}\n{}", got[0]["subject"].as_str().unwrap(), body(&got[0]));
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The poste team on Monday morning, a standard SLA of 8 working hours.
fn service_desk() -> Desk {
    let mut desk = Desk::with(common::team::SERVICE);
    desk.now = Some(common::team::MONDAY_MORNING.into());
    desk
}

#[test]
fn a_technician_lists_their_queue_by_mail_due_soonest_first_and_nothing_is_opened() {
    let mut desk = service_desk();
    let older = open(&desk, ALICE, "Imprimante bloquée", "q1@example.test", "Bonjour,\nBourrage papier.");
    desk.now = Some("2026-11-30T10:00:00Z".into());
    let newer = open(&desk, BOB, "Imprimante couleur", "q2@example.test", "Bonjour,\nPlus de cyan.");
    let other = open(&desk, BOB, "Accès VPN", "q3@example.test", "Bonjour,\nLe VPN refuse mon mot de passe.");
    desk.ingest(&on_ticket(MARC, older, "q4@example.test", "#internal\nLe technicien du fabricant passe jeudi."));
    let tickets = desk.tickets().len();

    let before = to(&desk, MARC).len();
    let out = desk.ingest(&question(MARC, "q5@example.test", "Ma liste", "#list\n\n-- \nMarc"));
    assert_eq!(out["outcome"], "answered", "{out}");
    let text = answer(&desk, MARC, before, "queue");
    assert!(text.starts_with("Vos tickets ouverts (2)"), "{text}");
    let (a, b) = (text.find(&format!("n° {older} ")).unwrap(), text.find(&format!("n° {newer} ")).unwrap());
    assert!(a < b, "due soonest first:\n{text}");
    assert!(!text.contains("VPN"), "not his ticket:\n{text}");
    assert!(text.contains("échéance lundi 30 novembre"), "{text}");

    // Ten working hours later the older one is past its target: first, and said so.
    desk.now = Some("2026-12-01T12:00:00Z".into());
    desk.ok(&["run", "--once"]);
    let before = to(&desk, MARC).len();
    desk.ingest(&question(MARC, "q6@example.test", "liste", "#list breached"));
    let text = answer(&desk, MARC, before, "queue");
    assert!(text.contains(&format!("n° {older} ")) && text.contains("SLA dépassé"), "{text}");

    // Sarah reads English; a group's queue and the unassigned ones.
    let before = to(&desk, SARAH).len();
    desk.ingest(&question(SARAH, "q7@example.test", "queue", "#list group poste"));
    let text = answer(&desk, SARAH, before, "queue");
    assert!(text.starts_with("Open tickets of group poste (2)"), "{text}");
    let before = to(&desk, SARAH).len();
    desk.ingest(&question(SARAH, "q8@example.test", "queue", "#list group nope"));
    assert!(answer(&desk, SARAH, before, "queue").contains("There is no group \"nope\""));
    let unassigned = desk.tickets().iter().filter(|t| t["assignee"].is_null()).count();
    let before = to(&desk, SARAH).len();
    desk.ingest(&question(SARAH, "q9@example.test", "queue", "#list unassigned"));
    let text = answer(&desk, SARAH, before, "queue");
    assert!(text.starts_with(&format!("Tickets nobody has ({unassigned})")), "{text}");
    assert_eq!(text.contains("Accès VPN"), unassigned == 1, "{text}");

    // One ticket whole, internal notes included: it is a technician's view.
    let before = to(&desk, MARC).len();
    desk.ingest(&question(MARC, "q10@example.test", "voir", &format!("#show {older}")));
    let text = answer(&desk, MARC, before, "queue");
    assert!(text.starts_with(&format!("Ticket n° {older} : Imprimante bloquée")), "{text}");
    assert!(text.contains("Bourrage papier.") && text.contains("(note interne)"), "{text}");
    assert!(text.contains("Demandeur : alice.martin@example.test"), "{text}");
    let before = to(&desk, MARC).len();
    desk.ingest(&question(MARC, "q11@example.test", "voir", "#show 999"));
    assert!(answer(&desk, MARC, before, "queue").starts_with("Le ticket 999 n'existe pas"));
    let before = to(&desk, MARC).len();
    desk.ingest(&question(MARC, "q12@example.test", "voir", "#show tout"));
    let text = answer(&desk, MARC, before, "queue");
    assert!(text.contains("#list group NAME") && text.contains("#show NUMBER"), "how to ask:\n{text}");

    // Answering a list acts on nothing; the answer says how to act.
    let list = to(&desk, MARC).into_iter().rev().find(|m| m["template"] == "queue").unwrap();
    let id = list["message_id"].as_str().unwrap();
    let reply = mail(
        MARC,
        "Re: liste",
        "q14@example.test",
        &format!("In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n"),
        "Merci, je regarde le n° 1.",
    );
    let before = to(&desk, MARC).len();
    assert_eq!(desk.ingest(&reply)["outcome"], "answered");
    let text = answer(&desk, MARC, before, "queue");
    assert!(text.contains("n'agit sur aucun ticket") && text.contains("#show"), "{text}");

    assert_eq!(desk.tickets().len(), tickets, "questions open nothing");
    assert!(desk.ticket(other)["articles"].as_array().unwrap().len() == 1, "nor write on a ticket");
    // Nobody else's mail is a question: a requester's `#list` is a request.
    assert_eq!(desk.ingest(&question(ALICE, "q13@example.test", "liste", "#list"))["outcome"], "ticket");
}

#[test]
fn a_requester_asks_for_their_tickets_and_gets_only_their_open_ones_within_the_hourly_limit() {
    let desk = Desk::with("[limits]\nautomatic_per_hour = 4\n");
    let first = open(&desk, ALICE, "Imprimante bloquée", "r1@example.test", "Bonjour,\nBourrage papier.");
    let closed = open(&desk, ALICE, "Écran noir", "r2@example.test", "Bonjour,\nÉcran noir.");
    let bobs = open(&desk, BOB, "Clavier", "r3@example.test", "Bonjour,\nTouche A cassée.");
    desk.ingest(&on_ticket(MARC, closed, "r4@example.test", "#resolve\nCâble remplacé."));
    desk.ingest(&on_ticket(MARC, first, "r5@example.test", "#internal\nPièce commandée, livraison incertaine."));
    let tickets = desk.tickets().len();

    let before = to(&desk, ALICE).len();
    let out = desk.ingest(&question(ALICE, "r6@example.test", "Mes demandes", "Bonjour,\nMerci !"));
    assert_eq!(out["outcome"], "answered", "{out}");
    let text = answer(&desk, ALICE, before, "my_tickets");
    assert!(text.starts_with("Vos demandes en cours (1)"), "{text}");
    assert!(text.contains(&format!("n° {first} Imprimante bloquée")), "{text}");
    assert!(!text.contains("Écran noir"), "closed ones are not listed:\n{text}");
    assert!(!text.contains("Clavier") && !text.contains(&format!("n° {bobs} ")), "someone else's:\n{text}");
    assert!(!text.contains("Pièce commandée"), "an internal note reached the requester:\n{text}");

    // The status address, whatever the mail says; in her words' language.
    let before = to(&desk, ALICE).len();
    let raw = mail(ALICE, "?", "r7@example.test", "", "my tickets");
    let raw = String::from_utf8(raw).unwrap().replace(&format!("To: {SUPPORT}"), "To: support+status@example.test");
    assert_eq!(desk.ingest(raw.as_bytes())["outcome"], "answered");
    assert!(answer(&desk, ALICE, before, "my_tickets").starts_with("Your open requests (1)"));

    // Asked again and again: answered while the hourly share lasts.
    for i in 0..3 {
        desk.ingest(&question(ALICE, &format!("r8.{i}@example.test"), "mes demandes", ""));
    }
    let answers = to(&desk, ALICE).iter().filter(|m| m["template"] == "my_tickets").count();
    assert!(answers < 5, "rate-limited: {answers} answers");

    // Someone who never wrote: nothing to list, nothing stored about them.
    let before = to(&desk, "carol@example.test").len();
    desk.ingest(&question("carol@example.test", "r9@example.test", "My tickets", ""));
    assert!(answer(&desk, "carol@example.test", before, "my_tickets").contains("You have no open request with us."));
    assert_eq!(desk.tickets().len(), tickets, "questions open nothing");
    // Words around them make a request.
    assert_eq!(
        desk.ingest(&question(BOB, "r10@example.test", "Mes demandes de congés", "Bonjour"))["outcome"],
        "ticket"
    );
}

/// Marc (Paris, 09:00-18:00) daily but away on Wednesday, Sarah weekly
/// (no hours: weekdays from 08:00 UTC), Paul daily and lead of `poste`.
fn digest_desk() -> Desk {
    let text = Desk::config_text(common::team::SERVICE, "")
        .replacen(
            "language = \"fr\"\ndigest = \"off\"",
            "language = \"fr\"\ndigest = \"daily\"\nworking_hours = \"mon-fri 09:00-18:00\"\ntime_zone = \"Europe/Paris\"\naway = \"2026-12-02\"",
            1,
        )
        .replacen("language = \"en\"\ndigest = \"off\"", "language = \"en\"\ndigest = \"weekly\"", 1)
        .replacen("language = \"fr\"\ndigest = \"off\"", "language = \"fr\"\ndigest = \"daily\"", 1);
    Desk::with_config(&text)
}

fn once_at(desk: &mut Desk, at: &str) -> String {
    desk.now = Some(at.into());
    let out = desk.ok(&["run", "--once"]);
    out.lines().find(|l| l.starts_with("digests:")).unwrap_or_default().to_string()
}

#[test]
fn each_technician_gets_one_digest_at_the_start_of_their_working_day_in_their_language() {
    let mut desk = digest_desk();
    desk.now = Some("2026-11-30T07:00:00Z".into());
    let printer = open(&desk, ALICE, "Imprimante bloquée", "d1@example.test", "Bonjour,\nBourrage papier.");
    let waiting = open(&desk, BOB, "Imprimante couleur", "d2@example.test", "Bonjour,\nPlus de cyan.");
    desk.ingest(&on_ticket(MARC, waiting, "d3@example.test", "#status pending\nQuelle est la référence du toner ?"));
    let nobody = open(&desk, BOB, "Accès VPN", "d4@example.test", "Bonjour,\nLe VPN refuse mon mot de passe.");
    desk.ingest(&on_ticket(MARC, nobody, "d5@example.test", "#assign group:poste"));
    let slow = open(&desk, BOB, "Réseau lent", "d7@example.test", "Bonjour,\nTout est lent.");
    desk.ingest(&on_ticket(MARC, slow, "d8@example.test", &format!("#assign {SARAH}")));

    // 08:00 in Paris: before Marc's day; 07:00 UTC before Sarah's.
    assert_eq!(once_at(&mut desk, "2026-11-30T07:00:00Z"), "digests: 0 queued");
    assert_eq!(once_at(&mut desk, "2026-11-30T08:05:00Z"), "digests: 3 queued", "Marc, Sarah and Paul");
    assert_eq!(once_at(&mut desk, "2026-11-30T08:06:00Z"), "digests: 0 queued", "once a day");

    let digests = |desk: &Desk, who: &str| -> Vec<Value> {
        to(desk, who).into_iter().filter(|m| m["template"] == "digest").collect()
    };
    let marc = digests(&desk, MARC);
    assert_eq!(marc.len(), 1);
    let text = body(&marc[0]).split_whitespace().collect::<Vec<_>>().join(" ");
    let subject = marc[0]["subject"].as_str().unwrap();
    assert!(subject.starts_with("Votre journée du lundi 30 novembre 2026"), "{subject}");
    assert!(text.contains(&format!("n° {printer} Imprimante bloquée")), "{text}");
    assert!(
        text.contains("En attente du demandeur (1)") && text.contains(&format!("n° {waiting} Imprimante couleur")),
        "{text}"
    );
    let assignee = desk.ticket(nobody)["assignee"].clone();
    if assignee.is_null() {
        assert!(text.contains("Sans technicien dans vos groupes (1)"), "{text}");
    }
    let sarah = body(&digests(&desk, SARAH)[0]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(sarah.contains(&format!("Your open tickets, most urgent first: #{slow} Réseau lent")), "{sarah}");
    let paul = body(&digests(&desk, common::team::PAUL)[0]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(paul.contains("Groupe poste — ouverts : 3"), "the lead's view of his group:\n{paul}");

    // Tuesday: the daily ones again, not the weekly one; Wednesday Marc is away.
    assert_eq!(once_at(&mut desk, "2026-12-01T08:05:00Z"), "digests: 2 queued");
    assert_eq!(digests(&desk, SARAH).len(), 1);
    once_at(&mut desk, "2026-12-02T08:05:00Z");
    assert_eq!(digests(&desk, MARC).len(), 2, "not on a day away");
    assert_eq!(digests(&desk, common::team::PAUL).len(), 3);

    // Answering a digest opens nothing and says how to act.
    let id = marc[0]["message_id"].as_str().unwrap();
    let reply = mail(MARC, "Re: digest", "d6@example.test", &format!("In-Reply-To: <{id}>\r\n"), "Je prends le VPN.");
    let tickets = desk.tickets().len();
    assert_eq!(desk.ingest(&reply)["outcome"], "answered");
    assert_eq!(desk.tickets().len(), tickets);
    let last = to(&desk, MARC).pop().unwrap();
    assert_eq!(last["template"], "queue");
    assert!(body(&last).contains("n'agit sur aucun ticket"), "{}", body(&last));
}

#[test]
fn merge_moves_a_ticket_into_another_tells_its_requester_once_and_threads_its_mail_there() {
    let desk = Desk::new();
    let kept = open(&desk, ALICE, "Imprimante du 2e en panne", "m1@example.test", "Bonjour,\nErreur 52.");
    let dup = open(&desk, BOB, "Plus d'impression au 2e", "m2@example.test", "Bonjour,\nRien ne sort.");
    let before = to(&desk, BOB).len();
    let out =
        desk.ingest(&on_ticket(MARC, dup, "m3@example.test", &format!("#merge {kept}\nMême panne que la {kept}.")));
    assert_eq!(out["outcome"], "article");

    let old = desk.ticket(dup);
    assert_eq!((old["status"].as_str(), old["merged_into"].as_i64()), (Some("resolved"), Some(kept)), "{old}");
    assert!(old["articles"].as_array().unwrap().is_empty(), "its articles moved: {old}");
    assert!(old["survey"].is_null(), "no survey about a merged ticket");
    assert!(old["history"].as_array().unwrap().iter().any(|e| e["kind"] == "merged_into"));
    let new = desk.ticket(kept);
    assert!(new["history"].as_array().unwrap().iter().any(|e| e["kind"] == "merged_from"));
    let texts: Vec<&str> = new["articles"].as_array().unwrap().iter().map(|a| a["text"].as_str().unwrap()).collect();
    assert!(texts.iter().any(|t| t.contains("Rien ne sort.")), "{texts:?}");
    assert!(new["watchers"].as_array().unwrap().iter().any(|w| w == BOB), "Bob follows it now: {new}");
    let report: Value = serde_json::from_str(&desk.ok(&["report", "--json"])).unwrap();
    assert_eq!((report["tickets"]["merged"].as_i64(), report["tickets"]["resolved"].as_i64()), (Some(1), Some(0)));
    let shown = desk.ok(&["ticket", "show", &dup.to_string()]);
    assert!(shown.contains(&format!("merged into ticket #{kept}")), "{shown}");

    let told = to(&desk, BOB).split_off(before);
    let templates: Vec<&str> = told.iter().map(|m| m["template"].as_str().unwrap()).collect();
    assert_eq!(templates, ["merged"], "told once, and only that");
    let text = body(&told[0]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(&format!("continue sous le n° {kept}")) || text.contains(&format!("demande n° {kept}")),
        "{text}"
    );

    // His later mail, by the old number or by his first mail's Message-ID, goes to the kept ticket.
    let by_tag = desk.ingest(&on_ticket(BOB, dup, "m4@example.test", "Toujours rien."));
    assert_eq!((by_tag["outcome"].as_str(), by_tag["ticket"].as_i64()), (Some("article"), Some(kept)), "{by_tag}");
    let by_ref =
        mail(BOB, "Re: Plus d'impression", "m5@example.test", "In-Reply-To: <m2@example.test>\r\n", "Et maintenant ?");
    assert_eq!(desk.ingest(&by_ref)["ticket"].as_i64(), Some(kept));
    assert_eq!(desk.tickets().len(), 2, "nothing new opened");

    // Refused: into itself, into nothing, into a closed ticket.
    let third = open(&desk, BOB, "Clavier", "m6@example.test", "Bonjour");
    for (i, line) in [format!("#merge {third}"), "#merge 99".into(), format!("#merge {dup}")].iter().enumerate() {
        desk.ingest(&on_ticket(MARC, third, &format!("m7.{i}@example.test"), line));
        let t = desk.ticket(third);
        assert!(t["status"] != "resolved" && t["merged_into"].is_null(), "{line}: {t}");
    }
    let errors = desk.queued("command_error");
    let said: Vec<String> = errors.iter().map(|m| body(m).split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert!(said.iter().any(|t| t.contains("fusionné avec lui-même")), "{said:?}");
    assert!(said.iter().any(|t| t.contains("le ticket 99 n'existe pas")), "{said:?}");
    assert!(said.iter().any(|t| t.contains(&format!("le ticket {dup} est fermé"))), "{said:?}");
}

#[test]
fn split_makes_the_article_a_notice_carried_a_ticket_of_its_own_for_its_author() {
    let desk = Desk::new();
    let first = open(&desk, ALICE, "Imprimante du 2e en panne", "s1@example.test", "Bonjour,\nErreur 52.");
    let subject = format!("RE: [Guichet #{first}] Imprimante du 2e en panne");
    let other = "Autre chose : mon badge n'ouvre plus la porte B.\nAlice";
    desk.ingest(&mail(ALICE, &subject, "s2@example.test", "", other));
    let notice = desk.queued("new_article").into_iter().rev().find(|m| m["recipients"][0] == MARC).unwrap();
    let id = notice["message_id"].as_str().unwrap();
    let before = to(&desk, ALICE).len();
    let answer = mail(MARC, "Re: notice", "s3@example.test", &format!("In-Reply-To: <{id}>\r\n"), "#split\n#internal");
    assert_eq!(desk.ingest(&answer)["outcome"], "article");

    let tickets = desk.tickets();
    assert_eq!(tickets.len(), 2, "{tickets:?}");
    let new = desk.ticket(as_i64(&tickets[1]["number"]));
    assert_eq!(new["requester"], ALICE);
    assert_eq!(new["related"].as_i64(), Some(first));
    assert!(new["subject"].as_str().unwrap().starts_with("Autre chose : mon badge"), "{}", new["subject"]);
    let moved: Vec<&str> = new["articles"].as_array().unwrap().iter().map(|a| a["text"].as_str().unwrap()).collect();
    assert!(moved.len() == 1 && moved[0].contains("badge"), "{moved:?}");
    let old = desk.ticket(first);
    assert!(old["articles"].as_array().unwrap().iter().all(|a| !a["text"].as_str().unwrap().contains("badge")));
    assert!(old["history"].as_array().unwrap().iter().any(|e| e["kind"] == "split_into"));
    assert!(new["history"].as_array().unwrap().iter().any(|e| e["kind"] == "split_from"));
    let told = to(&desk, ALICE).split_off(before);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        (told[0]["template"].as_str(), told[0]["ticket"].as_i64()),
        (Some("acknowledgement"), new["number"].as_i64())
    );

    // Not in an answer to a notice: refused, with how.
    desk.ingest(&on_ticket(MARC, first, "s4@example.test", "#split"));
    let said = body(desk.queued("command_error").last().unwrap());
    assert!(said.contains("#split s'écrit en réponse à la notification"), "{said}");
    assert_eq!(desk.tickets().len(), 2);
}

#[test]
fn a_technician_with_nothing_to_see_gets_no_digest() {
    let quiet = Desk::config_text("", "").replacen("language = \"fr\"\ndigest = \"off\"", "language = \"fr\"", 1);
    let mut quiet = Desk::with_config(&quiet);
    assert_eq!(once_at(&mut quiet, "2026-11-30T08:05:00Z"), "digests: 0 queued");
    // With a ticket of his, the same morning's digest goes.
    quiet.now = Some("2026-11-30T08:00:00Z".into());
    let n = open(&quiet, ALICE, "Imprimante", "z1@example.test", "Bonjour");
    quiet.ingest(&on_ticket(MARC, n, "z2@example.test", "#assign me"));
    assert_eq!(once_at(&mut quiet, "2026-12-01T08:05:00Z"), "digests: 1 queued");
}
