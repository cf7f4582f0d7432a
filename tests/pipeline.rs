//! The core pipeline through the `guichet` binary: mail in, ticket out,
//! replies threaded, technicians answering from their mail client.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

fn new_ticket(desk: &Desk, from: &str, subject: &str, id: &str) -> i64 {
    let out = desk.ingest(&mail(from, subject, id, "", "Bonjour,\nl'imprimante est en panne.\nMerci"));
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

fn ack_of(desk: &Desk, ticket: i64) -> Value {
    desk.queued("acknowledgement").into_iter().find(|m| as_i64(&m["ticket"]) == ticket).expect("an acknowledgement")
}

fn header<'a>(content: &'a str, name: &str) -> Option<&'a str> {
    let head = content.split("\r\n\r\n").next().unwrap_or(content);
    head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[test]
fn a_new_mail_opens_a_ticket_and_queues_an_acknowledgement() {
    let desk = Desk::new();
    let raw = "From: Alice Martin <alice@example.test>\r\nTo: support@example.test, bob@example.test\r\nCc: Carol <carol@example.test>, Support <support@example.test>\r\nSubject: Imprimante en panne\r\nMessage-ID: <first@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nl'imprimante du 2e ne marche plus.\r\n";
    let out = desk.ingest(raw.as_bytes());
    assert_eq!(out["outcome"], "ticket");
    let t = desk.ticket(as_i64(&out["ticket"]));
    assert_eq!(t["subject"], "Imprimante en panne");
    assert_eq!(t["status"], "new");
    assert_eq!(t["type"], "incident");
    assert_eq!(t["requester"], "alice@example.test");
    assert_eq!(t["watchers"], serde_json::json!(["bob@example.test", "carol@example.test"]));
    assert_eq!(t["articles"][0]["direction"], "in");
    assert_eq!(t["articles"][0]["visibility"], "public");
    assert_eq!(t["articles"][0]["message_id"], "first@example.test");

    let ack = ack_of(&desk, 1);
    assert_eq!(ack["recipients"], serde_json::json!(["alice@example.test"]));
    let content = ack["content"].as_str().unwrap();
    assert!(ack["subject"].as_str().unwrap().starts_with("[Guichet #1] "), "{}", ack["subject"]);
    assert_eq!(header(content, "In-Reply-To"), Some("<first@example.test>"));
    assert_eq!(header(content, "Auto-Submitted"), Some("auto-replied"));
    assert_eq!(header(content, "X-Auto-Response-Suppress"), Some("All"));
    assert!(header(content, "From").unwrap().contains("<support@example.test>"));
    // French mail, French acknowledgement.
    assert!(body(&ack).contains("enregistrée"), "{content}");
    // Technicians hear of the new ticket.
    assert_eq!(desk.queued("new_article").len(), 2);
}

#[test]
fn the_same_mail_ingested_twice_gives_one_article() {
    let desk = Desk::new();
    let raw = mail("alice@example.test", "VPN", "twice@example.test", "", "The VPN is down");
    desk.ingest(&raw);
    let again = desk.ingest(&raw);
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(again["ticket"], 1);
    // The same mail relayed by another path: other Received lines, same body.
    let mut relayed = b"Received: from mx2.example.test by mx.example.test\r\n".to_vec();
    relayed.extend_from_slice(&raw);
    assert_eq!(desk.ingest(&relayed)["outcome"], "duplicate");
    assert_eq!(desk.tickets().len(), 1);
    assert_eq!(desk.ticket(1)["articles"].as_array().unwrap().len(), 1);
    assert_eq!(desk.queued("acknowledgement").len(), 1);
}

#[test]
fn a_reply_carrying_only_in_reply_to_threads_onto_its_ticket() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Écran noir", "orig@example.test");
    let reply = mail(
        "alice@example.test",
        "Re: Écran noir",
        "r1@example.test",
        "In-Reply-To: <orig@example.test>\r\n",
        "Toujours noir.",
    );
    let out = desk.ingest(&reply);
    assert_eq!(out["outcome"], "article", "{out}");
    assert_eq!(out["ticket"], 1);
    // A reply to our acknowledgement threads by its Message-ID too.
    let ack_id = ack_of(&desk, 1)["message_id"].as_str().unwrap().to_string();
    let reply = mail(
        "alice@example.test",
        "Re: suivi",
        "r2@example.test",
        &format!("References: <x@y> <{ack_id}>\r\n"),
        "Merci",
    );
    assert_eq!(desk.ingest(&reply)["ticket"], 1);
    // References to nothing we know open a new ticket.
    let other = mail(
        "alice@example.test",
        "Re: autre chose",
        "r3@example.test",
        "In-Reply-To: <unknown@example.test>\r\n",
        "Nouveau",
    );
    assert_eq!(desk.ingest(&other)["outcome"], "ticket");
}

#[test]
fn the_subject_tag_threads_across_prefixes_and_encoded_words() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Écran noir", "orig@example.test");
    for (i, subject) in
        ["RE: [Guichet #1] Écran noir", "TR: AW: [guichet#1]", "=?UTF-8?Q?R=C3=A9f_:_[Guichet_#1]_=C3=A9cran?="]
            .iter()
            .enumerate()
    {
        let out = desk.ingest(&mail("alice@example.test", subject, &format!("t{i}@example.test"), "", "suite"));
        assert_eq!(out["outcome"], "article", "{subject}: {out}");
        assert_eq!(out["ticket"], 1, "{subject}");
    }
}

#[test]
fn a_plus_address_threads_onto_its_ticket() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    let raw = "From: alice@example.test\r\nTo: support+1@example.test\r\nSubject: encore\r\nMessage-ID: <p@example.test>\r\n\r\nToujours en panne\r\n";
    let out = desk.ingest(raw.as_bytes());
    assert_eq!(out["outcome"], "article", "{out}");
    assert_eq!(out["ticket"], 1);
}

#[test]
fn an_auto_reply_to_the_acknowledgement_is_stored_and_answered_by_nothing() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    let before = desk.outbox().len();
    let ack_id = ack_of(&desk, 1)["message_id"].as_str().unwrap().to_string();
    let ooo = mail(
        "alice@example.test",
        "Réponse automatique : [Guichet #1] Imprimante",
        "ooo@example.test",
        &format!("Auto-Submitted: auto-replied\r\nIn-Reply-To: <{ack_id}>\r\n"),
        "Je suis absente jusqu'au 30 novembre.",
    );
    let out = desk.ingest(&ooo);
    assert_eq!(out["outcome"], "article", "kept on the ticket: {out}");
    assert_eq!(desk.outbox().len(), before, "nothing answers an auto-reply");
    let t = desk.ticket(1);
    let last = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["visibility"], "internal");
    assert_eq!(last["author_role"], "automatic");
    // An out-of-office that matches no ticket is recorded, not a ticket.
    let stray = mail(
        "bob@example.test",
        "Out of Office: hello",
        "ooo2@example.test",
        "Auto-Submitted: auto-replied\r\n",
        "Away",
    );
    let out = desk.ingest(&stray);
    assert_eq!(out["outcome"], "automatic");
    assert_eq!(out["kind"], "auto_reply");
    assert_eq!(desk.tickets().len(), 1);
    assert_eq!(desk.outbox().len(), before);
}

#[test]
fn our_own_mail_coming_back_is_never_a_ticket() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    let ack = ack_of(&desk, 1);
    let before = desk.outbox().len();
    let out = desk.ingest(ack["content"].as_str().unwrap().as_bytes());
    assert_eq!(out["outcome"], "automatic", "{out}");
    assert_eq!(out["kind"], "own");
    assert_eq!(desk.tickets().len(), 1);
    assert_eq!(desk.outbox().len(), before);
}

#[test]
fn a_latin1_subject_and_body_are_decoded() {
    let desk = Desk::new();
    let mut raw = b"From: =?ISO-8859-1?Q?H=E9l=E8ne_Lef=E8vre?= <helene@example.test>\r\nTo: support@example.test\r\nSubject: =?ISO-8859-1?Q?Probl=E8me_d'acc=E8s_=E0_la_messagerie?=\r\nMessage-ID: <l1@example.test>\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    raw.extend_from_slice(
        b"Bonjour, je n'ai plus acc\xe8s \xe0 ma messagerie depuis la mise \xe0 jour. Merci d'avance.\r\n",
    );
    let out = desk.ingest(&raw);
    let t = desk.ticket(as_i64(&out["ticket"]));
    assert_eq!(t["subject"], "Problème d'accès à la messagerie");
    assert_eq!(t["requester_name"], "Hélène Lefèvre");
    assert!(t["articles"][0]["text"].as_str().unwrap().contains("accès à ma messagerie depuis la mise à jour"));
}

#[test]
fn scripts_and_event_handlers_never_reach_the_stored_html() {
    let desk = Desk::new();
    let raw = "From: emily@example.test\r\nTo: support@example.test\r\nSubject: VPN\r\nMessage-ID: <h@example.test>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body onload=\"steal()\"><p onclick=\"x()\">The VPN does not connect.</p><script>alert(1)</script><img src=\"x\" onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">details</a><iframe src=\"http://evil.example\"></iframe></body></html>\r\n";
    let out = desk.ingest(raw.as_bytes());
    let t = desk.ticket(as_i64(&out["ticket"]));
    let a = &t["articles"][0];
    let html = a["html"].as_str().unwrap();
    for bad in ["<script", "onload", "onclick", "onerror", "javascript:", "<iframe", "alert("] {
        assert!(!html.to_ascii_lowercase().contains(bad), "{bad} survived: {html}");
    }
    assert!(html.contains("The VPN does not connect."));
    // The text rendering of an HTML-only mail is readable.
    assert!(a["text"].as_str().unwrap().contains("The VPN does not connect."), "{}", a["text"]);
    assert!(!a["text"].as_str().unwrap().contains("alert("));
}

#[test]
fn attachments_are_kept_with_their_digest_and_stored_once() {
    let desk = Desk::new();
    let raw = "From: nico@example.test\r\nTo: support@example.test\r\nSubject: Erreur paie\r\nMessage-ID: <att@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoir la capture.\r\n--b\r\nContent-Type: application/pdf; name=\"capture.pdf\"\r\nContent-Disposition: attachment; filename=\"../../capture.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gUERG\r\n--b--\r\n";
    let out = desk.ingest(raw.as_bytes());
    let t = desk.ticket(as_i64(&out["ticket"]));
    let files = t["articles"][0]["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["filename"], "capture.pdf", "directories are stripped from names");
    assert_eq!(files[0]["content_type"], "application/pdf");
    assert_eq!(files[0]["size"], 9);
    // sha256("Hello PDF")
    assert_eq!(files[0]["sha256"], "cf3394a7e842161ab782f63b25373333b7e2bfe3324d870ca03ff60a11bff7e1");
    // The same file sent again is stored once.
    let again = raw.replace("att@example.test", "att2@example.test").replace("Erreur paie", "Autre erreur");
    let out = desk.ingest(again.as_bytes());
    let t2 = desk.ticket(as_i64(&out["ticket"]));
    assert_eq!(t2["articles"][0]["attachments"][0]["sha256"], files[0]["sha256"]);
    use diesel::prelude::*;
    let mut conn = desk.database();
    let (attachments, blobs): (i64, i64) = diesel::select((
        diesel::dsl::sql::<diesel::sql_types::BigInt>("(SELECT COUNT(*) FROM attachments)"),
        diesel::dsl::sql::<diesel::sql_types::BigInt>("(SELECT COUNT(*) FROM blobs)"),
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!((attachments, blobs), (2, 1), "two attachments, one stored content");
}

#[test]
fn a_requester_reply_is_public_and_tells_the_technicians() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    let before = desk.queued("new_article").len();
    let reply = mail(
        "alice@example.test",
        "RE: [Guichet #1] Imprimante",
        "r@example.test",
        "",
        "Le voyant clignote.\n\nDe : Support <support@example.test>\nEnvoyé : lundi 16 novembre 2026 10:00\nÀ : Alice\nObjet : [Guichet #1] Imprimante\n\nVotre demande a bien été enregistrée.",
    );
    desk.ingest(&reply);
    let t = desk.ticket(1);
    let a = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(a["visibility"], "public");
    assert_eq!(a["trimmed_text"], "Le voyant clignote.");
    assert!(a["text"].as_str().unwrap().contains("Votre demande a bien"), "the full text is kept too");
    let notices = desk.queued("new_article");
    assert_eq!(notices.len(), before + 2, "both technicians, nobody has the ticket yet");
    assert!(body(notices.last().unwrap()).contains("Le voyant clignote."));
}

fn technician_mail(from: &str, ticket: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{ticket}] Imprimante"), id, "", body)
}

#[test]
fn a_technician_reply_reaches_the_requester_and_watchers_from_the_support_address() {
    let desk = Desk::new();
    let raw = "From: Alice <alice@example.test>\r\nTo: support@example.test\r\nCc: carol@example.test\r\nSubject: Imprimante\r\nMessage-ID: <orig@example.test>\r\n\r\nBonjour, elle ne marche plus.\r\n";
    desk.ingest(raw.as_bytes());
    let body = "Bonjour Alice,\nJe passe cet après-midi.\nMarc\n-- \nMarc Dupont, support\nLe lun. 16 nov. 2026 à 09:00, Alice <alice@example.test> a écrit :\n> Bonjour, elle ne marche plus.";
    let out = desk.ingest(&technician_mail(MARC, 1, "tech@example.test", body));
    assert_eq!(out["outcome"], "article");
    let replies = desk.queued("reply");
    assert_eq!(replies.len(), 2, "the requester's, then the watcher's own");
    let r = &replies[0];
    assert_eq!(r["recipients"], serde_json::json!(["alice@example.test"]));
    assert_eq!(replies[1]["recipients"], serde_json::json!(["carol@example.test"]));
    let content = r["content"].as_str().unwrap();
    let mail = parsed(r);
    assert_eq!(mail.from.email, "support@example.test");
    assert!(mail.from.name.contains("Marc Dupont"), "{:?}", mail.from);
    assert!(mail.text.contains("Je passe cet après-midi"), "{}", mail.text);
    assert!(!mail.text.contains("elle ne marche plus"), "quoted history is trimmed");
    assert!(!mail.text.contains("Marc Dupont, support"), "signature is trimmed");
    assert!(header(content, "Auto-Submitted").is_none(), "a person's answer is not automatic");
    // It threads on what the requester has seen: their mail and our
    // acknowledgement, never the notices technicians got.
    assert_eq!(
        header(content, "In-Reply-To"),
        Some(format!("<{}>", ack_of(&desk, 1)["message_id"].as_str().unwrap()).as_str())
    );
    let refs = content
        .split("References: ")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .take_while(|l| !l.contains(':'))
        .collect::<String>();
    assert!(refs.contains("<orig@example.test>"), "{refs}");
    for notice in desk.queued("new_article") {
        assert!(!refs.contains(notice["message_id"].as_str().unwrap()), "{refs}");
    }
    assert!(r["subject"].as_str().unwrap().starts_with("[Guichet #1]"));
    let t = desk.ticket(1);
    assert_eq!(t["assignee"], MARC, "the first technician to answer takes the ticket");
    assert_eq!(t["status"], "assigned");
    let a = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(a["direction"], "out");
    assert_eq!(a["author_role"], "technician");
}

#[test]
fn an_internal_note_is_never_sent_to_the_requester() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    let before = desk.outbox().len();
    desk.ingest(&technician_mail(
        SARAH,
        1,
        "note@example.test",
        "#internal\nLe fournisseur a un souci de fusion sur ce modèle.",
    ));
    assert_eq!(desk.outbox().len(), before);
    let t = desk.ticket(1);
    let a = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(a["visibility"], "internal");
    assert_eq!(a["trimmed_text"], "Le fournisseur a un souci de fusion sur ce modèle.");
    assert!(t["assignee"].is_null(), "a note does not take the ticket");
}

#[test]
fn resolve_closes_the_ticket_and_tells_the_requester_once() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    desk.ingest(&technician_mail(MARC, 1, "res@example.test", "#resolve\nLa pièce est changée, tout remarche."));
    let t = desk.ticket(1);
    assert_eq!(t["status"], "resolved");
    assert!(t["closed_at"].is_string());
    let changed = desk.queued("status_changed");
    assert_eq!(changed.len(), 1);
    assert!(desk.queued("reply").is_empty(), "one mail, not a reply and a status change");
    let text = body(&changed[0]);
    assert!(text.contains("La pièce est changée"), "the resolution note is in the mail: {text}");
    assert!(!text.contains("#resolve"), "commands are removed before sending");
    let kinds: Vec<&str> = t["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"status"), "{kinds:?}");
}

#[test]
fn status_commands_move_the_ticket_and_illegal_ones_are_answered_with_the_reason() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    desk.ingest(&technician_mail(
        MARC,
        1,
        "s1@example.test",
        "#status pending\n#impact 1\n#urgency 2\nPouvez-vous redémarrer ?",
    ));
    let t = desk.ticket(1);
    assert_eq!(t["status"], "pending");
    assert_eq!(t["impact"], 1);
    assert_eq!(t["priority"], 1, "GLPI matrix: impact 1 × urgency 2");
    // The requester answers: the ticket is no longer waiting for them.
    desk.ingest(&mail("alice@example.test", "RE: [Guichet #1] Imprimante", "a1@example.test", "", "C'est fait."));
    assert_eq!(desk.ticket(1)["status"], "assigned");
    // Closed, then an illegal move and an unknown command.
    desk.ingest(&technician_mail(MARC, 1, "s2@example.test", "#resolve"));
    desk.ingest(&technician_mail(MARC, 1, "s3@example.test", "#status pending\n#frobnicate\nNote"));
    assert_eq!(desk.ticket(1)["status"], "resolved");
    let errors = desk.queued("command_error");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e["recipients"] == serde_json::json!([MARC])));
    // Marc reads French (the text is wrapped at 72 columns: read as one line).
    let all: String = errors.iter().map(|e| body(e).replace('\n', " ")).collect();
    assert!(all.contains("de «\u{a0}fermé résolu\u{a0}» à «\u{a0}en attente\u{a0}»"), "{all}");
    assert!(all.contains("commande inconnue\u{a0}: «\u{a0}#frobnicate\u{a0}»"), "{all}");
}

#[test]
fn a_reply_to_a_resolved_ticket_reopens_it_within_the_window_and_opens_a_linked_one_after() {
    let mut desk = Desk::new();
    desk.now = Some("2026-11-02T09:00:00Z".into());
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    desk.ingest(&technician_mail(MARC, 1, "res@example.test", "#resolve\nRéparé."));
    desk.now = Some("2026-11-10T09:00:00Z".into());
    let out = desk.ingest(&mail(
        "alice@example.test",
        "RE: [Guichet #1] Imprimante",
        "again@example.test",
        "",
        "Elle retombe en panne.",
    ));
    assert_eq!(out["ticket"], 1);
    let t = desk.ticket(1);
    assert_eq!(t["status"], "assigned", "reopened to its technician");
    assert!(t["closed_at"].is_null());
    desk.ingest(&technician_mail(MARC, 1, "res2@example.test", "#resolve\nRéparé pour de bon."));
    desk.now = Some("2026-12-30T09:00:00Z".into());
    let out = desk.ingest(&mail(
        "alice@example.test",
        "RE: [Guichet #1] Imprimante",
        "late@example.test",
        "",
        "Encore elle !",
    ));
    assert_eq!(out["outcome"], "ticket", "{out}");
    let new = desk.ticket(as_i64(&out["ticket"]));
    assert_eq!(new["related"], 1);
    assert_eq!(desk.ticket(1)["status"], "resolved", "the old ticket stays closed");
}

#[test]
fn a_stranger_with_a_ticket_reference_gets_nothing_and_technicians_are_alerted() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Mot de passe", "orig@example.test");
    let before: Vec<Value> = desk.outbox();
    let out = desk.ingest(&mail(
        "mallory@elsewhere.example",
        "Re: [Guichet #1] Mot de passe",
        "m@elsewhere.example",
        "",
        "Envoyez-moi l'historique.",
    ));
    assert_eq!(out["outcome"], "article");
    let t = desk.ticket(1);
    let a = t["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(a["visibility"], "internal");
    assert_eq!(a["author_role"], "stranger");
    assert_eq!(t["watchers"], serde_json::json!([]), "not subscribed");
    let after = desk.outbox();
    let new: Vec<&Value> = after.iter().skip(before.len()).collect();
    assert!(new.iter().all(|m| m["template"] == "stranger_alert"), "{new:?}");
    assert!(!new.is_empty());
    assert!(after.iter().all(|m| !m["recipients"].to_string().contains("mallory")));
    // The next reply from the requester does not reach the stranger either.
    desk.ingest(&technician_mail(MARC, 1, "t@example.test", "Bonjour, c'est noté."));
    assert!(desk.outbox().iter().all(|m| !m["recipients"].to_string().contains("mallory")));
}

#[test]
fn a_stranger_opens_a_separate_ticket_when_configured_so() {
    let desk = Desk::with_config(&Desk::config_text("", "stranger = \"new_ticket\""));
    new_ticket(&desk, "alice@example.test", "Mot de passe", "orig@example.test");
    let out = desk.ingest(&mail(
        "mallory@elsewhere.example",
        "Re: [Guichet #1] Mot de passe",
        "m@elsewhere.example",
        "",
        "Hello",
    ));
    assert_eq!(out["outcome"], "ticket");
    assert_eq!(desk.ticket(as_i64(&out["ticket"]))["requester"], "mallory@elsewhere.example");
    assert_eq!(desk.ticket(1)["articles"].as_array().unwrap().len(), 1);
}

#[test]
fn a_subject_with_encoded_line_breaks_injects_no_header_into_our_mail() {
    let desk = Desk::new();
    let raw = mail(
        "alice@example.test",
        "=?UTF-8?Q?Hello=0D=0ABcc:_eve@evil.example=0D=0AX-Evil:_1?=",
        "inj@example.test",
        "",
        "Hi there, please help",
    );
    desk.ingest(&raw);
    for m in desk.outbox() {
        let content = m["content"].as_str().unwrap();
        let head = content.split("\r\n\r\n").next().unwrap();
        assert!(!head.lines().any(|l| l.starts_with("Bcc:") || l.starts_with("X-Evil:")), "{head}");
        assert!(!m["recipients"].to_string().contains("evil"));
    }
}

#[test]
fn mail_without_a_sender_is_quarantined_kept_and_can_be_retried() {
    let desk = Desk::new();
    let raw = b"To: support@example.test\r\nSubject: nobody\r\nMessage-ID: <q@example.test>\r\n\r\nwho am I\r\n";
    let out = desk.ingest(raw);
    assert_eq!(out["outcome"], "quarantined");
    assert!(out["reason"].as_str().unwrap().contains("no sender"));
    let list: Vec<Value> = serde_json::from_str(&desk.ok(&["quarantine", "list", "--json"])).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["state"], "held");
    // Retrying without a fix keeps it held, with its reason.
    let id = list[0]["id"].to_string();
    assert!(desk.ok(&["quarantine", "retry", &id]).contains("quarantined"));
    assert_eq!(desk.tickets().len(), 0);
}

#[test]
fn an_oversized_mail_is_quarantined_and_released_once_the_limit_is_raised() {
    let small = Desk::config_text("[limits]\nmax_message_bytes = 2048", "");
    let desk = Desk::with_config(&small);
    let big = mail("alice@example.test", "Gros fichier", "big@example.test", "", &"x".repeat(4000));
    let out = desk.ingest(&big);
    assert_eq!(out["outcome"], "quarantined");
    assert!(out["reason"].as_str().unwrap().contains("limits.max_message_bytes"));
    std::fs::write(&desk.config, Desk::config_text("", "")).unwrap();
    let id = as_i64(&out["id"]).to_string();
    assert!(desk.ok(&["quarantine", "retry", &id]).contains("new ticket #1"));
    let all: Vec<Value> = serde_json::from_str(&desk.ok(&["quarantine", "list", "--all", "--json"])).unwrap();
    assert_eq!(all[0]["state"], "released");
    assert_eq!(desk.tickets().len(), 1);
    // Retrying a released entry would store the mail twice: refused.
    let again = desk.run(&["quarantine", "retry", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already released"));
    assert_eq!(desk.tickets().len(), 1);
    assert_eq!(desk.queued("acknowledgement").len(), 1);
}

#[test]
fn a_locked_database_makes_ingest_exit_75_so_the_mta_retries() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if on_postgres() {
        // A PostgreSQL server that does not answer is the same to the MTA.
        let desk = Desk::with_config(
            &Desk::config_text("", "").replace(&database_keys(), "url = \"postgres://postgres@127.0.0.1:9/none\""),
        );
        let out = desk.ingest_output(&mail("alice@example.test", "Hello", "down@example.test", "", "Hi"));
        assert_eq!(out.status.code(), Some(75), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    let desk = Desk::new();
    desk.ok(&["migrate"]);
    let db = desk.path("var/guichet.db");
    let mut lock = diesel::sqlite::SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    lock.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let out = desk.ingest_output(&mail("alice@example.test", "Hello", "locked@example.test", "", "Hi"));
    assert_eq!(out.status.code(), Some(75), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    lock.batch_execute("COMMIT").unwrap();
    assert_eq!(desk.ingest(&mail("alice@example.test", "Hello", "locked@example.test", "", "Hi"))["outcome"], "ticket");
}

#[test]
fn a_broken_config_makes_ingest_exit_75_and_names_the_key() {
    let desk = Desk::with_config("[database]\nurl = \"sqlite://x.db\"\ncolour = 1\n");
    let out = desk.ingest_output(b"From: a@example.test\r\n\r\nx\r\n");
    assert_eq!(out.status.code(), Some(75));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`database.colour`"));
}

#[test]
fn an_autoresponder_that_hides_what_it_is_gets_a_bounded_number_of_acknowledgements() {
    let mut desk = Desk::with("[limits]\nautomatic_per_hour = 3");
    desk.now = Some("2026-11-16T09:00:00Z".into());
    // A robot answering every acknowledgement with a fresh mail, no tag, no
    // automatic-mail header.
    for i in 0..6 {
        let raw = mail(
            "robot@elsewhere.example",
            &format!("Ticket {i} received"),
            &format!("robot{i}@elsewhere.example"),
            "",
            "We got your mail, thank you for your message.",
        );
        assert_eq!(desk.ingest(&raw)["outcome"], "ticket");
    }
    assert_eq!(desk.queued("acknowledgement").len(), 3);
    assert_eq!(desk.queued("new_article").len(), 12, "technicians are never cut off");
    let kinds: Vec<String> =
        desk.ticket(6)["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    assert!(kinds.contains(&"automatic_mail_suppressed".to_string()), "{kinds:?}");
    // An hour later the address may get mail again.
    desk.now = Some("2026-11-16T10:01:00Z".into());
    desk.ingest(&mail(
        "robot@elsewhere.example",
        "Ticket 7 received",
        "robot7@elsewhere.example",
        "",
        "We got your mail.",
    ));
    assert_eq!(desk.queued("acknowledgement").len(), 4);
}

#[test]
fn people_a_requester_copies_on_a_reply_follow_the_ticket() {
    let desk = Desk::new();
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    let reply = "From: alice@example.test\r\nTo: support@example.test\r\nCc: Dan <dan@example.test>, marc.dupont@example.test\r\nSubject: RE: [Guichet #1] Imprimante\r\nMessage-ID: <cc@example.test>\r\n\r\nJ'ajoute Dan, il a le même souci.\r\n";
    desk.ingest(reply.as_bytes());
    let t = desk.ticket(1);
    assert_eq!(t["watchers"], serde_json::json!(["dan@example.test"]), "technicians are not watchers");
    desk.ingest(&technician_mail(MARC, 1, "ans@example.test", "Bonjour à tous, je regarde."));
    let to: Vec<Value> = desk.queued("reply").iter().map(|m| m["recipients"][0].clone()).collect();
    assert_eq!(to, [Value::from("alice@example.test"), Value::from("dan@example.test")], "each in a mail of their own");
}

fn with_attachment(from: &str, subject: &str, id: &str, text: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b\r\nContent-Type: application/pdf; name=\"procedure.pdf\"\r\nContent-Disposition: attachment; filename=\"procedure.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gUERG\r\n--b\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-Disposition: inline; filename=\"logo.png\"\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n").into_bytes()
}

#[test]
fn attachments_travel_with_the_mail_technicians_and_requesters_read() {
    let desk = Desk::new();
    desk.ingest(&with_attachment("alice@example.test", "Erreur", "a1@example.test", "Voici la capture."));
    // Technicians work from their mail client: the notice carries the file.
    let notice = desk.queued("new_article").remove(0);
    let files: Vec<String> = parsed(&notice).attachments.iter().map(|a| a.filename.clone()).collect();
    assert_eq!(files, ["procedure.pdf"], "the inline logo stays behind");
    // A technician's attachment reaches the requester.
    desk.ingest(&with_attachment(MARC, "RE: [Guichet #1] Erreur", "t1@example.test", "Suivez la procédure jointe."));
    let reply = parsed(&desk.queued("reply").remove(0));
    assert_eq!(reply.attachments.len(), 1);
    assert_eq!(reply.attachments[0].filename, "procedure.pdf");
    assert_eq!(reply.attachments[0].content, b"Hello PDF");
    assert!(reply.text.contains("Suivez la procédure jointe."));
    // The acknowledgement does not send the requester's own files back.
    assert!(parsed(&desk.queued("acknowledgement").remove(0)).attachments.is_empty());
}

#[test]
fn a_form_sending_from_a_no_reply_address_makes_the_person_in_reply_to_the_requester() {
    let desk = Desk::new();
    let raw = mail(
        "Formulaire intranet <no-reply@intranet.example.test>",
        "Demande d'accès au partage Compta",
        "form1@intranet.example.test",
        "Reply-To: Bruno Caron <bruno.caron@example.test>\r\n",
        "Nom : Bruno Caron\nDemande : accès en lecture au partage Compta.",
    );
    let t = desk.ticket(as_i64(&desk.ingest(&raw)["ticket"]));
    assert_eq!(t["requester"], "bruno.caron@example.test");
    assert_eq!(desk.queued("acknowledgement")[0]["recipients"], serde_json::json!(["bruno.caron@example.test"]));
    // Bruno answers from his own mailbox: he is the requester, his reply is public.
    desk.ingest(&mail("bruno.caron@example.test", "RE: [Guichet #1] Demande", "b1@example.test", "", "Merci !"));
    let last = desk.ticket(1)["articles"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["author_role"], "requester");
    assert_eq!(last["visibility"], "public");
}

#[test]
fn our_own_mail_is_recognised_by_its_message_id_when_no_domain_is_configured() {
    let text = Desk::config_text("", "").replace("message_id_domain = \"example.test\"\n", "");
    assert!(!text.contains("message_id_domain"));
    let desk = Desk::with_config(&text);
    new_ticket(&desk, "alice@example.test", "Imprimante", "orig@example.test");
    let ack = ack_of(&desk, 1);
    assert!(ack["message_id"].as_str().unwrap().ends_with("@example.test"), "the support address's domain");
    // Our mail, its X-Loop and From rewritten by some relay, comes back.
    let content = ack["content"].as_str().unwrap().replace("X-Loop:", "X-Old-Loop:").replace("From: ", "X-Old-From: ");
    let back = format!("From: relay@elsewhere.example\r\n{content}");
    let out = desk.ingest(back.as_bytes());
    assert_eq!(out["kind"], "own", "{out}");
}

#[test]
fn mailing_list_mail_opens_a_ticket_that_nobody_acknowledges() {
    let desk = Desk::new();
    let raw = mail(
        "carol@example.test",
        "Imprimante du 3e",
        "list1@example.test",
        "List-Id: <it-help.example.test>\r\nList-Unsubscribe: <mailto:leave@example.test>\r\n",
        "Bonjour, l'imprimante du 3e est en panne.",
    );
    let out = desk.ingest(&raw);
    assert_eq!(out["outcome"], "ticket", "{out}");
    assert!(desk.queued("acknowledgement").is_empty(), "a list is never answered");
    assert_eq!(desk.queued("new_article").len(), 2, "technicians still hear of it");
}
