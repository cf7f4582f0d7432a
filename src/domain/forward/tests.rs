use super::{inline, is_forward_subject, strip_forward_prefix, Forwarded, Sender};

/// What a forward should read as; `None` for a field the sample does not have.
struct Want {
    preface: &'static str,
    name: Option<&'static str>,
    address: Option<&'static str>,
    subject: Option<&'static str>,
    date: Option<&'static str>,
    to: &'static [&'static str],
    cc: &'static [&'static str],
    body: &'static str,
}

impl Want {
    fn forwarded(&self) -> Forwarded {
        Forwarded {
            preface: self.preface.to_owned(),
            from: self
                .address
                .map(|address| Sender { name: self.name.map(str::to_owned), address: address.to_owned() }),
            subject: self.subject.map(str::to_owned),
            date: self.date.map(str::to_owned),
            to: self.to.iter().map(|a| a.to_string()).collect(),
            cc: self.cc.iter().map(|a| a.to_string()).collect(),
            body: self.body.to_owned(),
        }
    }
}

const BERNARD: &str = "bernard.martin@example.test";

/// (which client and language, mail text, what it reads as)
fn check(cases: &[(&str, &str, Want)]) {
    for (why, text, want) in cases {
        assert_eq!(inline(text), Some(want.forwarded()), "case: {why}");
    }
}

#[test]
fn gmail_forwards_are_read_in_english_and_french() {
    check(&[
        (
            "gmail, English",
            "Hi, can you open a ticket for Bernard?\n\nAlice\n\n---------- Forwarded message ---------\nFrom: Bernard Martin <bernard.martin@example.test>\nDate: Mon, 2 Mar 2026 at 09:14\nSubject: Printer on floor 2 jams\nTo: Alice Durand <alice@example.test>\nCc: Carol Petit <carol.petit@example.test>\n\n\nHello Alice,\n\nThe printer on floor 2 jams on every page since this morning.\n\nBernard\n",
            Want {
                preface: "Hi, can you open a ticket for Bernard?\n\nAlice",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Printer on floor 2 jams"),
                date: Some("Mon, 2 Mar 2026 at 09:14"),
                to: &["alice@example.test"],
                cc: &["carol.petit@example.test"],
                body: "Hello Alice,\n\nThe printer on floor 2 jams on every page since this morning.\n\nBernard",
            },
        ),
        (
            "gmail in French: French sender field, English others",
            "Peux-tu regarder ?\n\n---------- Forwarded message ---------\nDe : Bernard Martin <bernard.martin@example.test>\nDate: lun. 2 mars 2026 à 09:14\nSubject: Imprimante du 2e étage\nTo: Alice Durand <alice@example.test>\n\n\nBonjour Alice,\n\nL'imprimante bourre à chaque page.\n",
            Want {
                preface: "Peux-tu regarder ?",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Imprimante du 2e étage"),
                date: Some("lun. 2 mars 2026 à 09:14"),
                to: &["alice@example.test"],
                cc: &[],
                body: "Bonjour Alice,\n\nL'imprimante bourre à chaque page.",
            },
        ),
        (
            "gmail in French, translated marker and fields",
            "---------- Message transféré ---------\nDe : Bernard Martin <bernard.martin@example.test>\nDate : lun. 2 mars 2026 à 09:14\nObjet : Imprimante\nÀ : <alice@example.test>\n\nBonjour,\nL'imprimante bourre.",
            Want {
                preface: "",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Imprimante"),
                date: Some("lun. 2 mars 2026 à 09:14"),
                to: &["alice@example.test"],
                cc: &[],
                body: "Bonjour,\nL'imprimante bourre.",
            },
        ),
    ]);
}

#[test]
fn outlook_forwards_are_read_without_a_marker_line() {
    check(&[
        (
            "Outlook desktop, English",
            "Please see below.\n\nAlice\n\nFrom: Bernard Martin <bernard.martin@example.test> \nSent: Monday, March 2, 2026 9:14 AM\nTo: Alice Durand <alice@example.test>\nCc: IT Support <support@example.test>\nSubject: VPN drops every hour\n\nHi,\n\nThe VPN drops every hour on my laptop.\n\nBest regards,\nBernard Martin\n",
            Want {
                preface: "Please see below.\n\nAlice",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("VPN drops every hour"),
                date: Some("Monday, March 2, 2026 9:14 AM"),
                to: &["alice@example.test"],
                cc: &["support@example.test"],
                body: "Hi,\n\nThe VPN drops every hour on my laptop.\n\nBest regards,\nBernard Martin",
            },
        ),
        (
            "Outlook desktop, French, no-break spaces before the colons",
            "Pour info.\n\nDe\u{a0}: Bernard Martin <bernard.martin@example.test>\nEnvoyé\u{a0}: lundi 2 mars 2026 09:14\nÀ\u{a0}: Alice Durand <alice@example.test>\nCc\u{a0}: Support informatique <support@example.test>\nObjet\u{202f}: TR: VPN coupé toutes les heures\n\nBonjour,\n\nLe VPN se coupe toutes les heures.\n\nCordialement,\nBernard",
            Want {
                preface: "Pour info.",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("TR: VPN coupé toutes les heures"),
                date: Some("lundi 2 mars 2026 09:14"),
                to: &["alice@example.test"],
                cc: &["support@example.test"],
                body: "Bonjour,\n\nLe VPN se coupe toutes les heures.\n\nCordialement,\nBernard",
            },
        ),
        (
            "Outlook on the web, English, with its rule",
            "Can you take this one?\n\n________________________________\nFrom: Bernard Martin <bernard.martin@example.test>\nSent: Monday, March 2, 2026 09:14\nTo: Alice Durand <alice@example.test>\nSubject: Access to the shared drive\n\nHello, I cannot open the shared drive.",
            Want {
                preface: "Can you take this one?",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Access to the shared drive"),
                date: Some("Monday, March 2, 2026 09:14"),
                to: &["alice@example.test"],
                cc: &[],
                body: "Hello, I cannot open the shared drive.",
            },
        ),
        (
            "Outlook on the web, French, with its rule",
            "Tu peux voir ?\n________________________________\nDe : Bernard Martin <bernard.martin@example.test>\nEnvoyé : lundi 2 mars 2026 09:14\nÀ : Alice Durand <alice@example.test>\nObjet : Accès au partage\n\nBonjour, je n'ai plus accès au partage.",
            Want {
                preface: "Tu peux voir ?",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Accès au partage"),
                date: Some("lundi 2 mars 2026 09:14"),
                to: &["alice@example.test"],
                cc: &[],
                body: "Bonjour, je n'ai plus accès au partage.",
            },
        ),
        (
            "Outlook's Original Message line with a mailto address",
            "FYI\n\n-----Original Message-----\nFrom: Bernard Martin [mailto:bernard.martin@example.test] \nSent: Monday, March 02, 2026 9:14 AM\nTo: Alice Durand\nSubject: Scanner\n\nThe scanner sends nothing.",
            Want {
                preface: "FYI",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Scanner"),
                date: Some("Monday, March 02, 2026 9:14 AM"),
                to: &[],
                cc: &[],
                body: "The scanner sends nothing.",
            },
        ),
        (
            "Outlook's Message d'origine line, French",
            "-----Message d'origine-----\nDe : Martin Bernard [mailto:bernard.martin@example.test] \nEnvoyé : lundi 2 mars 2026 09:14\nÀ : Durand Alice\nObjet : Scanner\n\nLe scanner n'envoie rien.",
            Want {
                preface: "",
                name: Some("Martin Bernard"),
                address: Some(BERNARD),
                subject: Some("Scanner"),
                date: Some("lundi 2 mars 2026 09:14"),
                to: &[],
                cc: &[],
                body: "Le scanner n'envoie rien.",
            },
        ),
        (
            "Outlook in bold, as its HTML made text, links after the addresses",
            "*From:* Bernard Martin <bernard.martin@example.test<mailto:bernard.martin@example.test>>\n*Sent:* Monday, March 2, 2026 9:14 AM\n*To:* Alice Durand <alice@example.test<mailto:alice@example.test>>\n*Subject:* Phone line\n\nMy desk phone has no line.",
            Want {
                preface: "",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Phone line"),
                date: Some("Monday, March 2, 2026 9:14 AM"),
                to: &["alice@example.test"],
                cc: &[],
                body: "My desk phone has no line.",
            },
        ),
        (
            "Outlook with a quoted name in last-name-first order and a bare address",
            "From: \"Martin, Bernard\" <bernard.martin@example.test>\nSent: Monday, March 2, 2026 9:14 AM\nTo: alice@example.test; 'Carol Petit' <carol.petit@example.test>\nSubject: Keyboard\n\nKeys stick.",
            Want {
                preface: "",
                name: Some("Martin, Bernard"),
                address: Some(BERNARD),
                subject: Some("Keyboard"),
                date: Some("Monday, March 2, 2026 9:14 AM"),
                to: &["alice@example.test", "carol.petit@example.test"],
                cc: &[],
                body: "Keys stick.",
            },
        ),
    ]);
}

#[test]
fn apple_mail_forwards_are_read_in_english_and_french() {
    check(&[
        (
            "Apple Mail, English",
            "Sent from my iPhone\n\nBegin forwarded message:\n\nFrom: Bernard Martin <bernard.martin@example.test>\nSubject: Badge does not open the door\nDate: 2 March 2026 at 09:14:05 CET\nTo: Alice Durand <alice@example.test>\n\nHello,\n\nMy badge no longer opens the door of room 12.\n",
            Want {
                preface: "Sent from my iPhone",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Badge does not open the door"),
                date: Some("2 March 2026 at 09:14:05 CET"),
                to: &["alice@example.test"],
                cc: &[],
                body: "Hello,\n\nMy badge no longer opens the door of room 12.",
            },
        ),
        (
            "Apple Mail, French, no space before the colons",
            "Début du message réexpédié :\n\nDe: \"Bernard Martin\" <bernard.martin@example.test>\nObjet: Badge\nDate: 2 mars 2026 à 09:14:05 UTC+1\nÀ: \"Alice Durand\" <alice@example.test>\n\nBonjour,\nMon badge n'ouvre plus la salle 12.",
            Want {
                preface: "",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Badge"),
                date: Some("2 mars 2026 à 09:14:05 UTC+1"),
                to: &["alice@example.test"],
                cc: &[],
                body: "Bonjour,\nMon badge n'ouvre plus la salle 12.",
            },
        ),
        (
            "Mail on iOS, French",
            "Envoyé de mon iPhone\n\nDébut du message transféré\u{a0}:\n\nDe: Bernard Martin <bernard.martin@example.test>\nDate: 2 mars 2026 à 09:14:05 UTC+1\nÀ: alice@example.test\nObjet: Badge\n\nMon badge n'ouvre plus.",
            Want {
                preface: "Envoyé de mon iPhone",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Badge"),
                date: Some("2 mars 2026 à 09:14:05 UTC+1"),
                to: &["alice@example.test"],
                cc: &[],
                body: "Mon badge n'ouvre plus.",
            },
        ),
    ]);
}

#[test]
fn thunderbird_forwards_are_read_in_english_and_french() {
    check(&[
        (
            "Thunderbird, English, a tab after each colon",
            "\n\n-------- Forwarded Message --------\nSubject: \tScreen flickers\nDate: \tMon, 2 Mar 2026 09:14:05 +0100\nFrom: \tBernard Martin <bernard.martin@example.test>\nTo: \talice@example.test\n\n\n\nMy screen flickers when the laptop is docked.\n\n",
            Want {
                preface: "",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Screen flickers"),
                date: Some("Mon, 2 Mar 2026 09:14:05 +0100"),
                to: &["alice@example.test"],
                cc: &[],
                body: "My screen flickers when the laptop is docked.",
            },
        ),
        (
            "Thunderbird, French",
            "Voir ci-dessous.\n\n-------- Message transféré --------\nSujet : \tÉcran qui clignote\nDate : \tMon, 2 Mar 2026 09:14:05 +0100\nDe : \tBernard Martin <bernard.martin@example.test>\nPour : \tAlice Durand <alice@example.test>\nCopie à : \tcarol.petit@example.test\n\n\n\nMon écran clignote sur la station d'accueil.\n",
            Want {
                preface: "Voir ci-dessous.",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Écran qui clignote"),
                date: Some("Mon, 2 Mar 2026 09:14:05 +0100"),
                to: &["alice@example.test"],
                cc: &["carol.petit@example.test"],
                body: "Mon écran clignote sur la station d'accueil.",
            },
        ),
    ]);
}

#[test]
fn gmail_emphasis_on_the_name_or_the_field_is_dropped() {
    check(&[
        (
            "bold name in the From line",
            "---------- Forwarded message ---------\nFrom: *Bernard Martin* <bernard.martin@example.test>\nDate: Mon, 2 Mar 2026 at 09:14\nSubject: Printer\nTo: <alice@example.test>\n\nIt jams.",
            Want {
                preface: "",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Printer"),
                date: Some("Mon, 2 Mar 2026 at 09:14"),
                to: &["alice@example.test"],
                cc: &[],
                body: "It jams.",
            },
        ),
        (
            "bold field names and a bold date",
            "---------- Forwarded message ---------\n*From:* Bernard Martin <bernard.martin@example.test>\n*Date:* *Mon, 2 Mar 2026 at 09:14*\n*Subject:* Printer\n*To:* alice@example.test\n\nIt jams.",
            Want {
                preface: "",
                name: Some("Bernard Martin"),
                address: Some(BERNARD),
                subject: Some("Printer"),
                date: Some("Mon, 2 Mar 2026 at 09:14"),
                to: &["alice@example.test"],
                cc: &[],
                body: "It jams.",
            },
        ),
    ]);
}

#[test]
fn german_spanish_italian_and_dutch_forwards_are_read() {
    let want = |subject: &'static str, date: &'static str, body: &'static str| Want {
        preface: "",
        name: Some("Bernard Martin"),
        address: Some(BERNARD),
        subject: Some(subject),
        date: Some(date),
        to: &["alice@example.test"],
        cc: &[],
        body,
    };
    check(&[
        (
            "Outlook, German",
            "Von: Bernard Martin <bernard.martin@example.test>\nGesendet: Montag, 2. März 2026 09:14\nAn: Alice Durand <alice@example.test>\nBetreff: Drucker\n\nDer Drucker streikt.",
            want("Drucker", "Montag, 2. März 2026 09:14", "Der Drucker streikt."),
        ),
        (
            "Outlook, Spanish",
            "De: Bernard Martin <bernard.martin@example.test>\nEnviado el: lunes, 2 de marzo de 2026 9:14\nPara: Alice Durand <alice@example.test>\nAsunto: Impresora\n\nLa impresora no funciona.",
            want("Impresora", "lunes, 2 de marzo de 2026 9:14", "La impresora no funciona."),
        ),
        (
            "Gmail, Italian",
            "---------- Messaggio inoltrato ---------\nDa: Bernard Martin <bernard.martin@example.test>\nDate: lun 2 mar 2026 alle ore 09:14\nSubject: Stampante\nTo: <alice@example.test>\n\nLa stampante non va.",
            want("Stampante", "lun 2 mar 2026 alle ore 09:14", "La stampante non va."),
        ),
        (
            "Apple Mail, Dutch",
            "Begin doorgestuurd bericht:\n\nVan: Bernard Martin <bernard.martin@example.test>\nOnderwerp: Printer\nDatum: 2 maart 2026 om 09:14:05 CET\nAan: alice@example.test\n\nDe printer doet het niet.",
            want("Printer", "2 maart 2026 om 09:14:05 CET", "De printer doet het niet."),
        ),
    ]);
}

#[test]
fn a_from_line_without_an_address_gives_no_sender_but_the_forward() {
    let text = "Voir plus bas.\n\nFrom: Bernard Martin\nSent: Monday, March 2, 2026 9:14 AM\nTo: Alice Durand\nSubject: Phone\n\nMy phone is dead.";
    let forwarded = inline(text).expect("a forward");
    assert_eq!(forwarded.from, None);
    assert_eq!(forwarded.subject.as_deref(), Some("Phone"));
    assert_eq!(forwarded.preface, "Voir plus bas.");
    assert_eq!(forwarded.body, "My phone is dead.");
}

#[test]
fn a_sender_written_as_an_address_alone_has_no_name() {
    for from in [
        "bernard.martin@example.test",
        "<bernard.martin@example.test>",
        "bernard.martin@example.test <bernard.martin@example.test>",
        "\"bernard.martin@example.test\" <bernard.martin@example.test>",
    ] {
        let text = format!(
            "---------- Forwarded message ---------\nFrom: {from}\nDate: Mon, 2 Mar 2026 at 09:14\nSubject: x\n\nBody"
        );
        let sender = inline(&text).and_then(|f| f.from);
        assert_eq!(sender, Some(Sender { name: None, address: BERNARD.into() }), "{from}");
    }
}

#[test]
fn the_outermost_forward_is_taken_and_older_ones_stay_in_its_body() {
    let text = "Alice's forward, for you.\n\n---------- Forwarded message ---------\nFrom: Alice Durand <alice@example.test>\nDate: Tue, 3 Mar 2026 at 10:00\nSubject: Fwd: Printer\nTo: <support@example.test>\n\n\nSee Bernard's mail.\n\n---------- Forwarded message ---------\nFrom: Bernard Martin <bernard.martin@example.test>\nDate: Mon, 2 Mar 2026 at 09:14\nSubject: Printer\nTo: <alice@example.test>\n\nIt jams.\n";
    let forwarded = inline(text).expect("a forward");
    assert_eq!(forwarded.from.map(|s| s.address).as_deref(), Some("alice@example.test"));
    assert_eq!(forwarded.subject.as_deref(), Some("Fwd: Printer"));
    assert!(forwarded.body.starts_with("See Bernard's mail.\n\n---------- Forwarded message"));
    assert!(forwarded.body.ends_with("It jams."));
}

#[test]
fn crlf_line_endings_come_out_as_lf() {
    let text = "FYI\r\n\r\n---------- Forwarded message ---------\r\nFrom: Bernard Martin <bernard.martin@example.test>\r\nDate: Mon, 2 Mar 2026 at 09:14\r\nSubject: Printer\r\nTo: <alice@example.test>\r\n\r\nLine one\r\nLine two\r\n";
    let forwarded = inline(text).expect("a forward");
    assert_eq!(forwarded.preface, "FYI");
    assert_eq!(forwarded.subject.as_deref(), Some("Printer"));
    assert_eq!(forwarded.body, "Line one\nLine two");
}

#[test]
fn fields_in_paragraphs_of_their_own_make_one_block() {
    // HTML made text: Apple Mail's fields each in a paragraph.
    let text = "Begin forwarded message:\n\nFrom: Bernard Martin <bernard.martin@example.test>\n\nSubject: Printer\n\nDate: 2 March 2026 at 09:14:05 CET\n\nTo: Alice Durand <alice@example.test>\n\nIt jams.\n\nTo: whom it may concern, this line is the body's.";
    let forwarded = inline(text).expect("a forward");
    assert_eq!(forwarded.to, ["alice@example.test"]);
    assert_eq!(forwarded.date.as_deref(), Some("2 March 2026 at 09:14:05 CET"));
    assert_eq!(forwarded.body, "It jams.\n\nTo: whom it may concern, this line is the body's.");
}

#[test]
fn a_wrapped_recipient_list_is_read_whole() {
    let text = "From: Bernard Martin <bernard.martin@example.test>\nSent: Monday, March 2, 2026 9:14 AM\nTo: Alice Durand <alice@example.test>; Carol Petit\n<carol.petit@example.test>; David Roux <david.roux@example.test>\n    Emma Leroy <emma.leroy@example.test>\nSubject: Meeting room screen\n\nThe screen stays black.";
    let forwarded = inline(text).expect("a forward");
    assert_eq!(
        forwarded.to,
        ["alice@example.test", "carol.petit@example.test", "david.roux@example.test", "emma.leroy@example.test"]
    );
    assert_eq!(forwarded.subject.as_deref(), Some("Meeting room screen"));
    assert_eq!(forwarded.body, "The screen stays black.");
}

#[test]
fn a_sender_address_wrapped_onto_the_next_line_is_read() {
    let text = "From: Bernard Martin\n<bernard.martin@example.test>\nSent: Monday, March 2, 2026 9:14 AM\nTo: Alice Durand\nSubject: Phone\n\nMy phone is dead.";
    let sender = inline(text).and_then(|f| f.from);
    assert_eq!(sender, Some(Sender { name: Some("Bernard Martin".into()), address: BERNARD.into() }));
}

#[test]
fn a_rule_drawn_above_the_header_block_is_not_part_of_the_preface() {
    let text = "See below.\n\n-----\nFrom: Bernard Martin <bernard.martin@example.test>\nSent: Monday, March 2, 2026 9:14 AM\nTo: Alice Durand\nSubject: Phone\n\nMy phone is dead.";
    assert_eq!(inline(text).map(|f| f.preface).as_deref(), Some("See below."));
}

#[test]
fn a_message_quoted_under_apple_mails_marker_is_the_forward() {
    // Apple Mail up to 10.9 quotes what it forwards.
    let text = "Hello\n\nBegin forwarded message:\n\n> From: \"Bernard Martin\" <bernard.martin@example.test>\n> Date: 2 March 2026 09:14:05 GMT+01:00\n> To: \"Alice Durand\" <alice@example.test>\n> Subject: AW: Printer\n>\n> It jams.\n> > Older words stay quoted.\n\nThanks";
    let forwarded = inline(text).expect("a forward");
    assert_eq!(forwarded.preface, "Hello");
    assert_eq!(forwarded.from.map(|s| s.address).as_deref(), Some(BERNARD));
    assert_eq!(forwarded.subject.as_deref(), Some("AW: Printer"));
    assert_eq!(forwarded.to, ["alice@example.test"]);
    assert_eq!(forwarded.body, "It jams.\n> Older words stay quoted.");
}

#[test]
fn blank_lines_between_fields_and_a_wrapped_subject_stay_in_the_block() {
    let phone = "hello\n\n-----Original Message-----\nFrom: \"Bernard Martin\" <bernard.martin@example.test>\n\nDate: Mon, 2 Mar 2026 09:14:05\nTo:<alice@example.test>\n\n\nSubject: FW: Printer\n\n\nIt jams.\n";
    let forwarded = inline(phone).expect("a forward");
    assert_eq!(forwarded.to, ["alice@example.test"]);
    assert_eq!(forwarded.subject.as_deref(), Some("FW: Printer"));
    assert_eq!(forwarded.body, "It jams.");

    let wrapped = "---------- Forwarded message ---------\nFrom: Bernard Martin <bernard.martin@example.test>\nSubject: The printer on the second floor jams on every page since\nthe toner was changed\nTo: Alice Durand <alice@example.test>\n\nIt jams.";
    let forwarded = inline(wrapped).expect("a forward");
    assert_eq!(
        forwarded.subject.as_deref(),
        Some("The printer on the second floor jams on every page since the toner was changed")
    );
    assert_eq!(forwarded.body, "It jams.");
}

#[test]
fn text_that_is_no_forward_gives_none() {
    let cases = [
        ("no mail quoted at all", "Hello,\n\nMy printer jams.\n\nBernard"),
        (
            "a reply quoting with > under its attribution",
            "Thanks, it works.\n\nOn Mon, 2 Mar 2026 at 09:14, Bernard Martin <bernard.martin@example.test> wrote:\n> Hello,\n> The printer jams.\n",
        ),
        (
            "a forward quoted with > inside a reply",
            "Done.\n\n> ---------- Forwarded message ---------\n> From: Bernard Martin <bernard.martin@example.test>\n> Date: Mon, 2 Mar 2026 at 09:14\n> Subject: Printer\n> To: <alice@example.test>\n>\n> It jams.\n",
        ),
        (
            "prose naming a sender",
            "Hello,\n\nFrom: the accounts team, who asked me yesterday.\nWe need two more licences.\n",
        ),
        (
            "prose with a From and a To line only",
            "Here is the note for the board:\n\nFrom: the accounts team\nTo: every head of department\n\nThe budget is due on Friday.",
        ),
        ("a From line in the middle of a sentence", "I got a mail. From: Bernard Martin <bernard.martin@example.test>, Date: today, Subject: printer."),
        ("a marker with no header block below", "---------- Forwarded message ---------\n\nHello,\nIt jams.\n"),
        (
            "a marker whose block has no From line",
            "-------- Forwarded Message --------\nSubject: Printer\nDate: Mon, 2 Mar 2026 09:14:05 +0100\n\nIt jams.",
        ),
        (
            "a marker too far above the header block",
            "Begin forwarded message:\n\n\n\nFrom: Bernard Martin <bernard.martin@example.test>\nSubject: Printer\n\nIt jams.",
        ),
        (
            "Apple Mail's marker quoted in a reply",
            "Done.\n\n> Begin forwarded message:\n>\n> From: Bernard Martin <bernard.martin@example.test>\n> Date: 2 March 2026 09:14:05 GMT+01:00\n> Subject: Printer\n>\n> It jams.",
        ),
        ("a rule under a signature", "Bernard Martin\n________________________________\nAccounts department\nFrom: 9 to 5\n"),
    ];
    for (why, text) in cases {
        assert_eq!(inline(text), None, "case: {why}");
    }
}

#[test]
fn a_reply_under_outlooks_original_message_reads_as_a_forward_so_callers_check_the_subject() {
    // The text alone cannot tell them apart: the subject does.
    let text = "It works now, thanks.\n\n-----Original Message-----\nFrom: Support <support@example.test>\nSent: Monday, March 2, 2026 9:14 AM\nTo: Bernard Martin <bernard.martin@example.test>\nSubject: [Guichet #12] Printer\n\nPlease restart it.";
    assert!(inline(text).is_some());
    assert!(!is_forward_subject("RE: [Guichet #12] Printer"));
}

#[test]
fn forward_subjects_are_told_from_others() {
    for subject in [
        "Fwd: Printer",
        "FW: Printer",
        "Fw: Printer",
        "TR: Imprimante",
        "Tr : Imprimante",
        "TR\u{a0}: Imprimante",
        "WG: Drucker",
        "RV: Impresora",
        "I: Stampante",
        "Doorst: Printer",
        "Fwd[2]: Printer",
        "[Fwd: Printer]",
        "TR: RE: Imprimante",
    ] {
        assert!(is_forward_subject(subject), "{subject}");
    }
    for subject in [
        "Printer",
        "RE: Printer",
        "Re: Fwd: Printer",
        "AW: WG: Drucker",
        "Trouble with the printer",
        "Forward planning",
        "i: lowercase is no Italian prefix",
        "I: drive is full",
        "I:\\partage inaccessible",
        "I: lecteur plein",
        "",
    ] {
        assert!(!is_forward_subject(subject), "{subject}");
    }
}

#[test]
fn forward_prefixes_are_stripped_and_reply_prefixes_kept() {
    let cases = [
        ("Fwd: Printer", "Printer"),
        ("FW: Fwd: TR: Printer", "Printer"),
        ("Tr : Imprimante", "Imprimante"),
        ("fwd:Printer", "Printer"),
        ("TR: RE: Imprimante", "RE: Imprimante"),
        ("[Fwd: Printer]", "Printer"),
        ("Fwd: [Fwd: Printer]", "Printer"),
        ("WG: Drucker", "Drucker"),
        ("RV: Impresora", "Impresora"),
        ("I: Stampante", "Stampante"),
        ("Doorst: Printer", "Printer"),
        ("I: drive is full", "I: drive is full"),
        ("TR: I: drive is full", "I: drive is full"),
        ("RE: Printer", "RE: Printer"),
        ("[Guichet #3] Printer", "[Guichet #3] Printer"),
        ("  Printer  ", "Printer"),
        ("Fwd:", ""),
    ];
    for (subject, want) in cases {
        assert_eq!(strip_forward_prefix(subject), want, "{subject}");
    }
}
