//! What becomes of a mail from a requester or a robot: a new ticket, a
//! reply threaded onto one, a duplicate, automatic mail answered by
//! nothing, a stranger kept off a ticket; and what the stored article holds.

use crate::common::harness::*;
use crate::common::*;
use guichet::domain::classify::MailKind;
use guichet::domain::history::{AuthorRole, Direction, Visibility};
use guichet::ingest::pipeline::Outcome;

const ALICE: &str = "alice@example.test";

fn new_ticket(h: &Harness, from: &str, subject: &str, id: &str) -> i64 {
    h.open(&mail(from, subject, id, "", "Bonjour,\nl'imprimante est en panne.\nMerci"))
}

fn ack_of(h: &Harness, ticket: i64) -> Sent {
    h.queued("acknowledgement").into_iter().find(|m| m.ticket == Some(ticket)).expect("an acknowledgement")
}

fn technician_mail(from: &str, ticket: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{ticket}] Imprimante"), id, "", body)
}

#[test]
fn a_new_mail_opens_a_ticket_and_queues_an_acknowledgement() {
    let h = Harness::new();
    let raw = "From: Alice Martin <alice@example.test>\r\nTo: support@example.test, bob@example.test\r\nCc: Carol <carol@example.test>, Support <support@example.test>\r\nSubject: Imprimante en panne\r\nMessage-ID: <first@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nl'imprimante du 2e ne marche plus.\r\n";
    let n = h.open(raw.as_bytes());
    let t = h.ticket(n);
    assert_eq!(t.subject, "Imprimante en panne");
    assert_eq!(t.status, "new");
    assert_eq!(t.ticket_type, "incident");
    assert_eq!(t.requester.email, ALICE);
    assert_eq!(t.watchers, ["bob@example.test", "carol@example.test"]);
    let a = &t.articles[0];
    assert_eq!((a.direction(), a.visibility()), (Ok(Direction::In), Ok(Visibility::Public)));
    assert_eq!(a.message_id.as_deref(), Some("first@example.test"));

    let ack = ack_of(&h, n);
    assert_eq!(ack.recipients, [ALICE]);
    assert!(ack.subject.starts_with("[Guichet #1] "), "{}", ack.subject);
    assert_eq!(ack.header("In-Reply-To").as_deref(), Some("<first@example.test>"));
    assert_eq!(ack.header("Auto-Submitted").as_deref(), Some("auto-replied"));
    assert_eq!(ack.header("X-Auto-Response-Suppress").as_deref(), Some("All"));
    assert!(ack.header("From").unwrap().contains("<support@example.test>"));
    // French mail, French acknowledgement.
    assert!(ack.text().contains("enregistrée"), "{}", ack.text());
    // Technicians hear of the new ticket.
    assert_eq!(h.queued("new_article").len(), 2);
}

#[test]
fn the_same_mail_ingested_twice_gives_one_article() {
    let h = Harness::new();
    let raw = mail(ALICE, "VPN", "twice@example.test", "", "The VPN is down");
    h.ingest(&raw);
    assert_eq!(h.ingest(&raw), Outcome::Duplicate { ticket: Some(1) });
    // The same mail relayed by another path: other Received lines, same body.
    let mut relayed = b"Received: from mx2.example.test by mx.example.test\r\n".to_vec();
    relayed.extend_from_slice(&raw);
    assert!(matches!(h.ingest(&relayed), Outcome::Duplicate { .. }));
    // Twice in one group: the second is the first's duplicate.
    let other = mail(ALICE, "Wifi", "group@example.test", "", "No wifi");
    let outcomes = h.ingest_group(&[&other, &other]);
    assert_eq!(outcomes, [Outcome::Ticket { ticket: 2 }, Outcome::Duplicate { ticket: Some(2) }]);
    assert_eq!(h.tickets().len(), 2);
    assert_eq!(h.ticket(1).articles.len(), 1);
    assert_eq!(h.queued("acknowledgement").len(), 2);
}

#[test]
fn a_reply_carrying_only_in_reply_to_threads_onto_its_ticket() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Écran noir", "orig@example.test");
    let reply =
        mail(ALICE, "Re: Écran noir", "r1@example.test", "In-Reply-To: <orig@example.test>\r\n", "Toujours noir.");
    assert_eq!(h.ingest(&reply), Outcome::Article { ticket: 1 });
    // A reply to our acknowledgement threads by its Message-ID too.
    let ack_id = ack_of(&h, 1).message_id;
    let reply = mail(ALICE, "Re: suivi", "r2@example.test", &format!("References: <x@y> <{ack_id}>\r\n"), "Merci");
    assert_eq!(h.ingest(&reply), Outcome::Article { ticket: 1 });
    // References to nothing we know open a new ticket.
    let other = mail(ALICE, "Re: autre chose", "r3@example.test", "In-Reply-To: <unknown@example.test>\r\n", "Nouveau");
    assert_eq!(h.ingest(&other), Outcome::Ticket { ticket: 2 });
}

#[test]
fn a_reply_in_the_same_group_as_its_first_mail_threads_onto_it() {
    let h = Harness::new();
    let first = mail(ALICE, "Écran noir", "g1@example.test", "", "Écran noir.");
    let reply = mail(ALICE, "Re: Écran noir", "g2@example.test", "In-Reply-To: <g1@example.test>\r\n", "Toujours.");
    assert_eq!(h.ingest_group(&[&first, &reply]), [Outcome::Ticket { ticket: 1 }, Outcome::Article { ticket: 1 }]);
    assert_eq!(h.ticket(1).articles.len(), 2);
}

#[test]
fn the_subject_tag_threads_across_prefixes_and_encoded_words() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Écran noir", "orig@example.test");
    for (i, subject) in
        ["RE: [Guichet #1] Écran noir", "TR: AW: [guichet#1]", "=?UTF-8?Q?R=C3=A9f_:_[Guichet_#1]_=C3=A9cran?="]
            .iter()
            .enumerate()
    {
        let out = h.ingest(&mail(ALICE, subject, &format!("t{i}@example.test"), "", "suite"));
        assert_eq!(out, Outcome::Article { ticket: 1 }, "{subject}");
    }
}

#[test]
fn a_plus_address_threads_onto_its_ticket() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let raw = "From: alice@example.test\r\nTo: support+1@example.test\r\nSubject: encore\r\nMessage-ID: <p@example.test>\r\n\r\nToujours en panne\r\n";
    assert_eq!(h.ingest(raw.as_bytes()), Outcome::Article { ticket: 1 });
}

#[test]
fn an_auto_reply_to_the_acknowledgement_is_stored_and_answered_by_nothing() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let before = h.outbox().len();
    let ack_id = ack_of(&h, 1).message_id;
    let ooo = mail(
        ALICE,
        "Réponse automatique : [Guichet #1] Imprimante",
        "ooo@example.test",
        &format!("Auto-Submitted: auto-replied\r\nIn-Reply-To: <{ack_id}>\r\n"),
        "Je suis absente jusqu'au 30 novembre.",
    );
    assert_eq!(h.ingest(&ooo), Outcome::Article { ticket: 1 }, "kept on the ticket");
    assert_eq!(h.outbox().len(), before, "nothing answers an auto-reply");
    let t = h.ticket(1);
    assert_eq!(t.last_article().visibility(), Ok(Visibility::Internal));
    assert_eq!(t.last_article().author_role(), Ok(AuthorRole::Automatic));
    // An out-of-office that matches no ticket is recorded, not a ticket.
    let stray = mail(
        "bob@example.test",
        "Out of Office: hello",
        "ooo2@example.test",
        "Auto-Submitted: auto-replied\r\n",
        "Away",
    );
    assert_eq!(h.ingest(&stray), Outcome::Automatic { kind: MailKind::AutoReply, ticket: None });
    assert_eq!(h.tickets().len(), 1);
    assert_eq!(h.outbox().len(), before);
}

#[test]
fn our_own_mail_coming_back_is_never_a_ticket() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let ack = ack_of(&h, 1);
    let before = h.outbox().len();
    assert!(matches!(h.ingest(&ack.raw), Outcome::Automatic { kind: MailKind::Own, .. }));
    assert_eq!(h.tickets().len(), 1);
    assert_eq!(h.outbox().len(), before);
}

#[test]
fn our_own_mail_is_recognised_by_its_message_id_when_no_domain_is_configured() {
    let text = Desk::config_text("", "").replace("message_id_domain = \"example.test\"\n", "");
    assert!(!text.contains("message_id_domain"));
    let h = Harness::with_config(&text);
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let ack = ack_of(&h, 1);
    assert!(ack.message_id.ends_with("@example.test"), "the support address's domain");
    // Our mail, its X-Loop and From rewritten by some relay, comes back.
    let content =
        String::from_utf8(ack.raw).unwrap().replace("X-Loop:", "X-Old-Loop:").replace("From: ", "X-Old-From: ");
    let back = format!("From: relay@elsewhere.example\r\n{content}");
    assert!(matches!(h.ingest(back.as_bytes()), Outcome::Automatic { kind: MailKind::Own, .. }));
}

#[test]
fn mailing_list_mail_opens_a_ticket_that_nobody_acknowledges() {
    let h = Harness::new();
    let raw = mail(
        "carol@example.test",
        "Imprimante du 3e",
        "list1@example.test",
        "List-Id: <it-help.example.test>\r\nList-Unsubscribe: <mailto:leave@example.test>\r\n",
        "Bonjour, l'imprimante du 3e est en panne.",
    );
    h.open(&raw);
    assert!(h.queued("acknowledgement").is_empty(), "a list is never answered");
    assert_eq!(h.queued("new_article").len(), 2, "technicians still hear of it");
}

#[test]
fn an_autoresponder_that_hides_what_it_is_gets_a_bounded_number_of_acknowledgements() {
    let mut h = Harness::with("[limits]\nautomatic_per_hour = 3");
    h.at("2026-11-16T09:00:00Z");
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
        h.open(&raw);
    }
    assert_eq!(h.queued("acknowledgement").len(), 3);
    assert_eq!(h.queued("new_article").len(), 12, "technicians are never cut off");
    assert!(h.ticket(6).kinds().contains(&"automatic_mail_suppressed"), "{:?}", h.ticket(6).kinds());
    // An hour later the address may get mail again.
    h.at("2026-11-16T10:01:00Z");
    h.ingest(&mail(
        "robot@elsewhere.example",
        "Ticket 7 received",
        "robot7@elsewhere.example",
        "",
        "We got your mail.",
    ));
    assert_eq!(h.queued("acknowledgement").len(), 4);
}

#[test]
fn a_latin1_subject_and_body_are_decoded() {
    let h = Harness::new();
    let mut raw = b"From: =?ISO-8859-1?Q?H=E9l=E8ne_Lef=E8vre?= <helene@example.test>\r\nTo: support@example.test\r\nSubject: =?ISO-8859-1?Q?Probl=E8me_d'acc=E8s_=E0_la_messagerie?=\r\nMessage-ID: <l1@example.test>\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    raw.extend_from_slice(
        b"Bonjour, je n'ai plus acc\xe8s \xe0 ma messagerie depuis la mise \xe0 jour. Merci d'avance.\r\n",
    );
    let t = h.ticket(h.open(&raw));
    assert_eq!(t.subject, "Problème d'accès à la messagerie");
    assert_eq!(t.requester.name, "Hélène Lefèvre");
    assert!(t.articles[0].body_text.contains("accès à ma messagerie depuis la mise à jour"));
}

#[test]
fn scripts_and_event_handlers_never_reach_the_stored_html() {
    let h = Harness::new();
    let raw = "From: emily@example.test\r\nTo: support@example.test\r\nSubject: VPN\r\nMessage-ID: <h@example.test>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body onload=\"steal()\"><p onclick=\"x()\">The VPN does not connect.</p><script>alert(1)</script><img src=\"x\" onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">details</a><iframe src=\"http://evil.example\"></iframe></body></html>\r\n";
    let t = h.ticket(h.open(raw.as_bytes()));
    let a = &t.articles[0];
    let html = a.body_html.as_deref().unwrap();
    for bad in ["<script", "onload", "onclick", "onerror", "javascript:", "<iframe", "alert("] {
        assert!(!html.to_ascii_lowercase().contains(bad), "{bad} survived: {html}");
    }
    assert!(html.contains("The VPN does not connect."));
    // The text rendering of an HTML-only mail is readable.
    assert!(a.body_text.contains("The VPN does not connect."), "{}", a.body_text);
    assert!(!a.body_text.contains("alert("));
}

#[test]
fn attachments_are_kept_with_their_digest_and_stored_once() {
    let h = Harness::new();
    let raw = "From: nico@example.test\r\nTo: support@example.test\r\nSubject: Erreur paie\r\nMessage-ID: <att@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoir la capture.\r\n--b\r\nContent-Type: application/pdf; name=\"capture.pdf\"\r\nContent-Disposition: attachment; filename=\"../../capture.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gUERG\r\n--b--\r\n";
    let t = h.ticket(h.open(raw.as_bytes()));
    let files = t.files_of(&t.articles[0]);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename, "capture.pdf", "directories are stripped from names");
    assert_eq!(files[0].content_type, "application/pdf");
    assert_eq!(files[0].size, 9);
    // sha256("Hello PDF")
    assert_eq!(files[0].sha256, "cf3394a7e842161ab782f63b25373333b7e2bfe3324d870ca03ff60a11bff7e1");
    // The same file sent again is stored once.
    let again = raw.replace("att@example.test", "att2@example.test").replace("Erreur paie", "Autre erreur");
    let t2 = h.ticket(h.open(again.as_bytes()));
    assert_eq!(t2.attachments[0].sha256, files[0].sha256);
    use diesel::prelude::*;
    let (attachments, blobs): (i64, i64) = diesel::select((
        diesel::dsl::sql::<diesel::sql_types::BigInt>("(SELECT COUNT(*) FROM attachments)"),
        diesel::dsl::sql::<diesel::sql_types::BigInt>("(SELECT COUNT(*) FROM blobs)"),
    ))
    .get_result(&mut h.conn())
    .unwrap();
    assert_eq!((attachments, blobs), (2, 1), "two attachments, one stored content");
}

fn with_attachment(from: &str, subject: &str, id: &str, text: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b\r\nContent-Type: application/pdf; name=\"procedure.pdf\"\r\nContent-Disposition: attachment; filename=\"procedure.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gUERG\r\n--b\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-Disposition: inline; filename=\"logo.png\"\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n").into_bytes()
}

#[test]
fn attachments_travel_with_the_mail_technicians_and_requesters_read() {
    let h = Harness::new();
    h.ingest(&with_attachment(ALICE, "Erreur", "a1@example.test", "Voici la capture."));
    // Technicians work from their mail client: the notice carries the file.
    let notice = h.queued("new_article").remove(0);
    let files: Vec<&str> = notice.mail.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(files, ["procedure.pdf"], "the inline logo stays behind");
    // A technician's attachment reaches the requester.
    h.ingest(&with_attachment(MARC, "RE: [Guichet #1] Erreur", "t1@example.test", "Suivez la procédure jointe."));
    let reply = h.queued("reply").remove(0).mail;
    assert_eq!(reply.attachments.len(), 1);
    assert_eq!(reply.attachments[0].filename, "procedure.pdf");
    assert_eq!(reply.attachments[0].content, b"Hello PDF");
    assert!(reply.text.contains("Suivez la procédure jointe."));
    // The acknowledgement does not send the requester's own files back.
    assert!(h.queued("acknowledgement")[0].mail.attachments.is_empty());
}

#[test]
fn a_requester_reply_is_public_and_tells_the_technicians() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let before = h.queued("new_article").len();
    let reply = mail(
        ALICE,
        "RE: [Guichet #1] Imprimante",
        "r@example.test",
        "",
        "Le voyant clignote.\n\nDe : Support <support@example.test>\nEnvoyé : lundi 16 novembre 2026 10:00\nÀ : Alice\nObjet : [Guichet #1] Imprimante\n\nVotre demande a bien été enregistrée.",
    );
    h.ingest(&reply);
    let t = h.ticket(1);
    let a = t.last_article();
    assert_eq!(a.visibility(), Ok(Visibility::Public));
    assert_eq!(a.trimmed_text, "Le voyant clignote.");
    assert!(a.body_text.contains("Votre demande a bien"), "the full text is kept too");
    let notices = h.queued("new_article");
    assert_eq!(notices.len(), before + 2, "both technicians, nobody has the ticket yet");
    assert!(notices.last().unwrap().text().contains("Le voyant clignote."));
}

#[test]
fn people_a_requester_copies_on_a_reply_follow_the_ticket() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Imprimante", "orig@example.test");
    let reply = "From: alice@example.test\r\nTo: support@example.test\r\nCc: Dan <dan@example.test>, marc.dupont@example.test\r\nSubject: RE: [Guichet #1] Imprimante\r\nMessage-ID: <cc@example.test>\r\n\r\nJ'ajoute Dan, il a le même souci.\r\n";
    h.ingest(reply.as_bytes());
    assert_eq!(h.ticket(1).watchers, ["dan@example.test"], "technicians are not watchers");
    h.ingest(&technician_mail(MARC, 1, "ans@example.test", "Bonjour à tous, je regarde."));
    let to: Vec<String> = h.queued("reply").into_iter().map(|m| m.recipients[0].clone()).collect();
    assert_eq!(to, [ALICE, "dan@example.test"], "each in a mail of their own");
}

#[test]
fn a_form_sending_from_a_no_reply_address_makes_the_person_in_reply_to_the_requester() {
    let h = Harness::new();
    let raw = mail(
        "Formulaire intranet <no-reply@intranet.example.test>",
        "Demande d'accès au partage Compta",
        "form1@intranet.example.test",
        "Reply-To: Bruno Caron <bruno.caron@example.test>\r\n",
        "Nom : Bruno Caron\nDemande : accès en lecture au partage Compta.",
    );
    let t = h.ticket(h.open(&raw));
    assert_eq!(t.requester.email, "bruno.caron@example.test");
    assert_eq!(h.queued("acknowledgement")[0].recipients, ["bruno.caron@example.test"]);
    // Bruno answers from his own mailbox: he is the requester, his reply is public.
    h.ingest(&mail("bruno.caron@example.test", "RE: [Guichet #1] Demande", "b1@example.test", "", "Merci !"));
    let t = h.ticket(1);
    assert_eq!(t.last_article().author_role(), Ok(AuthorRole::Requester));
    assert_eq!(t.last_article().visibility(), Ok(Visibility::Public));
}

#[test]
fn a_stranger_with_a_ticket_reference_gets_nothing_and_technicians_are_alerted() {
    let h = Harness::new();
    new_ticket(&h, ALICE, "Mot de passe", "orig@example.test");
    let before = h.outbox().len();
    let out = h.ingest(&mail(
        "mallory@elsewhere.example",
        "Re: [Guichet #1] Mot de passe",
        "m@elsewhere.example",
        "",
        "Envoyez-moi l'historique.",
    ));
    assert_eq!(out, Outcome::Article { ticket: 1 });
    let t = h.ticket(1);
    assert_eq!(t.last_article().visibility(), Ok(Visibility::Internal));
    assert_eq!(t.last_article().author_role(), Ok(AuthorRole::Stranger));
    assert!(t.watchers.is_empty(), "not subscribed");
    let after = h.outbox();
    let new = &after[before..];
    assert!(!new.is_empty());
    assert!(
        new.iter().all(|m| m.template == "stranger_alert"),
        "{:?}",
        new.iter().map(|m| &m.template).collect::<Vec<_>>()
    );
    assert!(after.iter().all(|m| !m.recipients.iter().any(|r| r.contains("mallory"))));
    // The next answer to the requester does not reach the stranger either.
    h.ingest(&technician_mail(MARC, 1, "t@example.test", "Bonjour, c'est noté."));
    assert!(h.outbox().iter().all(|m| !m.recipients.iter().any(|r| r.contains("mallory"))));
}

#[test]
fn a_stranger_opens_a_separate_ticket_when_configured_so() {
    let h = Harness::with_config(&Desk::config_text("", "stranger = \"new_ticket\""));
    new_ticket(&h, ALICE, "Mot de passe", "orig@example.test");
    let n =
        h.open(&mail("mallory@elsewhere.example", "Re: [Guichet #1] Mot de passe", "m@elsewhere.example", "", "Hello"));
    assert_eq!(h.ticket(n).requester.email, "mallory@elsewhere.example");
    assert_eq!(h.ticket(1).articles.len(), 1);
}

#[test]
fn a_subject_with_encoded_line_breaks_injects_no_header_into_our_mail() {
    let h = Harness::new();
    let raw = mail(
        ALICE,
        "=?UTF-8?Q?Hello=0D=0ABcc:_eve@evil.example=0D=0AX-Evil:_1?=",
        "inj@example.test",
        "",
        "Hi there, please help",
    );
    h.ingest(&raw);
    let sent = h.outbox();
    assert!(!sent.is_empty());
    for m in sent {
        let raw = String::from_utf8_lossy(&m.raw);
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(!head.lines().any(|l| l.starts_with("Bcc:") || l.starts_with("X-Evil:")), "{head}");
        assert!(!m.recipients.iter().any(|r| r.contains("evil")));
    }
}

#[test]
fn mail_without_a_sender_is_quarantined_and_opens_nothing() {
    let h = Harness::new();
    let out =
        h.ingest(b"To: support@example.test\r\nSubject: nobody\r\nMessage-ID: <q@example.test>\r\n\r\nwho am I\r\n");
    let Outcome::Quarantined { reason, .. } = out else { panic!("{out:?}") };
    assert!(reason.contains("no sender"), "{reason}");
    assert!(h.tickets().is_empty());
    assert!(h.outbox().is_empty());
}

/// A delivery report for `message_id`, sent to `recipient`.
fn dsn(message_id: &str, recipient: &str, action: &str, status: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n\
To: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <dsn-{status}-{recipient}@mx.example.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n\r\n\
--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n\
Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n\
Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected: User unknown\r\n\r\n\
--b1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Support <{SUPPORT}>\r\nTo: {recipient}\r\n\
Subject: [Guichet #1] Accusé de réception\r\nMessage-ID: <{message_id}>\r\n\r\n--b1--\r\n"
    )
    .into_bytes()
}

#[test]
fn a_bounce_of_our_mail_is_kept_on_its_ticket_tells_the_technicians_and_is_never_answered() {
    let mut h = Harness::new();
    h.at("2026-11-30T09:00:00Z");
    new_ticket(&h, ALICE, "Imprimante", "b1@example.test");
    let ack = ack_of(&h, 1).message_id;
    assert_eq!(
        h.ingest(&dsn(&ack, ALICE, "failed", "5.1.1")),
        Outcome::Article { ticket: 1 },
        "linked by our Message-ID"
    );
    let t = h.ticket(1);
    assert_eq!(
        (t.last_article().visibility(), t.last_article().author_role()),
        (Ok(Visibility::Internal), Ok(AuthorRole::Automatic))
    );
    let failed = t.event("delivery_failed").expect("a delivery_failed event");
    assert_eq!(failed.old_value.as_deref(), Some(ack.as_str()), "names the mail of ours that bounced");
    let told = h.queued("delivery_failed");
    assert_eq!(told.iter().map(|m| m.recipients[0].as_str()).collect::<Vec<_>>(), [MARC, SARAH]);
    assert!(told[0].text().contains(ALICE) && told[0].text().contains("5.1.1"), "{}", told[0].text());
    assert!(h.outbox().iter().all(|m| !m.recipients.iter().any(|r| r.to_lowercase().contains("mailer-daemon"))));
    // Automatic mail to Alice is held back; a technician's own words still go.
    h.command(MARC, 1, "#status pending");
    assert!(h.ticket(1).kinds().contains(&"automatic_mail_suppressed"));
    assert_eq!(h.outbox().iter().filter(|m| m.to(ALICE)).count(), 1, "only the acknowledgement that bounced");
    h.command(MARC, 1, "Pouvez-vous me rappeler ?");
    assert_eq!(h.outbox().iter().filter(|m| m.to(ALICE)).count(), 2, "a technician's reply is not automatic");
}

#[test]
fn a_bounce_for_mail_we_never_sent_opens_nothing_and_tells_nobody() {
    let h = Harness::new();
    let out = h.ingest(&dsn("someone-else@elsewhere.example", "bob@example.test", "failed", "5.1.1"));
    assert_eq!(out, Outcome::Automatic { kind: MailKind::Bounce, ticket: None });
    assert!(h.tickets().is_empty());
    assert!(h.outbox().is_empty());
}
