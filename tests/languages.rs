//! The six languages through the binary: the language a mail is answered
//! in (declared, written, the requester's last, the desk's), the desk's
//! `[tickets] languages`, technicians' own language, and `check` refusing
//! a language the desk cannot answer in.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

const MONDAY: &str = "2026-11-30T09:00:00Z";

fn desk_at(extra: &str, tickets: &str) -> Desk {
    let mut desk = Desk::with_config(&Desk::config_text(extra, tickets));
    desk.now = Some(MONDAY.into());
    desk
}

/// The ticket a mail opened.
fn opened(desk: &Desk, raw: &[u8]) -> i64 {
    let out = desk.ingest(raw);
    assert_eq!(out["outcome"], "ticket", "{out}");
    as_i64(&out["ticket"])
}

/// The acknowledgement of ticket `n`, its text on one line.
fn acknowledgement(desk: &Desk, n: i64) -> (Value, String) {
    let row = desk.queued("acknowledgement").into_iter().find(|m| m["ticket"] == n).expect("an acknowledgement");
    let text = body(&row).split_whitespace().collect::<Vec<_>>().join(" ");
    (row, text)
}

#[test]
fn a_mail_in_german_spanish_italian_or_dutch_is_acknowledged_in_its_language() {
    let desk = desk_at("", "");
    let cases = [
        (
            "de",
            "jonas.becker@example.test",
            "VPN-Zugang funktioniert nicht",
            "Guten Tag,\n\nseit heute Morgen kann ich mich nicht mehr mit dem VPN verbinden. Der Client meldet, \
             dass mein Zertifikat abgelaufen ist. Können Sie mir bitte helfen?\n\nMit freundlichen Grüßen\nJonas Becker",
            "Ihre Anfrage Nr. {n} ist eingegangen",
            "Datum: Montag, 30. November 2026, 09:00",
        ),
        (
            "es",
            "lucia.romero@example.test",
            "La impresora de la segunda planta no imprime",
            "Buenos días:\n\nDesde esta mañana la impresora de la segunda planta no imprime. La pantalla indica \
             un atasco de papel, pero la bandeja está vacía. ¿Podrían revisarla?\n\nUn saludo,\nLucía Romero",
            "Hemos recibido su solicitud n.º {n}",
            "Fecha: lunes 30 de noviembre de 2026, 09:00",
        ),
        (
            "it",
            "giorgio.ferri@example.test",
            "Accesso alla cartella condivisa",
            "Buongiorno,\n\nda ieri non riesco più ad aprire la cartella condivisa del reparto acquisti. Il sistema \
             dice che non ho i permessi necessari. Potete verificare?\n\nCordiali saluti,\nGiorgio Ferri",
            "La sua richiesta n. {n} è stata registrata",
            "Data: lunedì 30 novembre 2026, 09:00",
        ),
        (
            "nl",
            "sanne.devries@example.test",
            "Laptop start niet meer op",
            "Goedemorgen,\n\nSinds gisteren start mijn laptop niet meer op. Het scherm blijft zwart nadat ik mijn \
             wachtwoord heb ingevoerd. Kunt u mij helpen?\n\nMet vriendelijke groet,\nSanne de Vries",
            "Uw melding #{n} is ontvangen",
            "Datum: maandag 30 november 2026 om 09:00",
        ),
    ];
    for (i, (lang, from, subject, text, title, date)) in cases.into_iter().enumerate() {
        let n = opened(&desk, &mail(from, subject, &format!("l{i}@example.test"), "", text));
        assert_eq!(desk.ticket(n)["language"], lang, "{subject}");
        let (row, text) = acknowledgement(&desk, n);
        assert_eq!(row["lang"], lang);
        let title = title.replace("{n}", &n.to_string());
        assert!(text.starts_with(&title), "{lang}: {text}");
        assert!(text.contains(date), "{lang}: {text}");
    }
}

#[test]
fn content_language_wins_over_the_words_of_the_mail() {
    let desk = desk_at("", "");
    let french =
        "Bonjour,\n\nl'imprimante du deuxième étage ne marche plus depuis ce matin. Pouvez-vous passer ?\n\nMerci";
    let n = opened(
        &desk,
        &mail("ines.morel@example.test", "Imprimante", "c1@example.test", "Content-Language: de\r\n", french),
    );
    assert_eq!(desk.ticket(n)["language"], "de");
    let (_, text) = acknowledgement(&desk, n);
    assert!(text.starts_with(&format!("Ihre Anfrage Nr. {n} ist eingegangen")), "{text}");
}

#[test]
fn a_one_word_mail_keeps_the_language_the_requester_last_wrote_in() {
    let desk = desk_at("", "");
    let who = "jonas.becker@example.test";
    let french = "Bonjour,\n\nmon écran reste noir depuis ce matin, pouvez-vous m'aider ?\n\nCordialement,\nJonas";
    let first = opened(&desk, &mail(who, "Écran noir", "k1@example.test", "", french));
    assert_eq!(desk.ticket(first)["language"], "fr");
    let german = "Guten Tag,\n\nder Drucker im zweiten Stock druckt seit gestern nur leere Seiten. Können Sie \
                  bitte jemanden vorbeischicken?\n\nMit freundlichen Grüßen\nJonas Becker";
    let second = opened(&desk, &mail(who, "Drucker druckt leere Seiten", "k2@example.test", "", german));
    assert_eq!(desk.ticket(second)["language"], "de");
    // Too short to tell: the language they last wrote in, not the first.
    let third = opened(&desk, &mail(who, "Danke", "k3@example.test", "", "Danke"));
    assert_eq!(desk.ticket(third)["language"], "de");
    let (_, text) = acknowledgement(&desk, third);
    assert!(text.starts_with(&format!("Ihre Anfrage Nr. {third} ist eingegangen")), "{text}");
}

#[test]
fn a_desk_that_does_not_answer_in_german_answers_in_the_next_choice() {
    let desk = desk_at("", "languages = [\"fr\", \"en\"]");
    let german = "Guten Tag,\n\nich kann seit heute Morgen keine E-Mails mehr senden. Outlook meldet einen \
                  Verbindungsfehler zum Server. Können Sie das bitte prüfen?\n\nMit freundlichen Grüßen\nJonas Becker";
    let n = opened(&desk, &mail("jonas.becker@example.test", "E-Mail geht nicht", "g1@example.test", "", german));
    assert_eq!(desk.ticket(n)["language"], "fr", "tickets.language");
    let (row, text) = acknowledgement(&desk, n);
    assert_eq!(row["lang"], "fr");
    assert!(text.contains("lundi 30 novembre 2026 à 09:00"), "{text}");
    // Declared in German, written in English: the words are the next choice.
    let english = "Hello,\n\nthe projector in meeting room B does not turn on since this morning. Could someone \
                   come and have a look before our meeting at two?\n\nThanks,\nErin Walsh";
    let n = opened(
        &desk,
        &mail("erin.walsh@example.test", "Projector", "g2@example.test", "Content-Language: de\r\n", english),
    );
    assert_eq!(desk.ticket(n)["language"], "en");
}

#[test]
fn a_technician_who_reads_italian_gets_italian_notices() {
    let giulia = "giulia.conti@example.test";
    let extra = format!(
        "\n[[technician]]\nemail = \"{giulia}\"\nname = \"Giulia Conti\"\ngroups = [\"poste\"]\nlanguage = \"it\"\ndigest = \"off\"\n"
    );
    let desk = desk_at(&extra, "");
    let french = "Bonjour,\n\nle scanner du rez-de-chaussée ne détecte plus les feuilles depuis ce matin.\n\nMerci";
    let n = opened(&desk, &mail("ines.morel@example.test", "Scanner", "t1@example.test", "", french));
    let on_ticket = |from: &str, id: &str, text: &str| {
        desk.ingest(&mail(from, &format!("RE: [Guichet #{n}] Scanner"), id, "", text));
    };
    on_ticket(MARC, "t2@example.test", &format!("#assign {giulia}"));
    let assigned: Vec<Value> = desk
        .queued("assigned")
        .into_iter()
        .filter(|m| m["recipients"].as_array().unwrap().iter().any(|r| r == giulia))
        .collect();
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert_eq!(assigned[0]["lang"], "it");
    let text = body(&assigned[0]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.starts_with(&format!("Le è stato assegnato il ticket n. {n}")), "{text}");

    on_ticket(giulia, "t3@example.test", "#frobnicate\n\nHo controllato lo scanner.");
    let refused = desk.queued("command_error").pop().expect("a command error");
    assert_eq!(refused["lang"], "it");
    let text = body(&refused).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Motivo: comando sconosciuto: «#frobnicate»"), "{text}");
    // The requester still reads French.
    let (_, ack) = acknowledgement(&desk, n);
    assert!(ack.contains("lundi 30 novembre 2026"), "{ack}");
}

#[test]
fn check_refuses_a_language_the_desk_cannot_answer_in_and_names_its_key() {
    let check = |text: &str, key: &str| {
        let desk = Desk::with_config(text);
        let out = desk.run(&["check"]);
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(78), "{said}");
        assert!(said.contains(key), "{key} missing from:\n{said}");
    };
    check(&Desk::config_text("", "languages = [\"xx\"]"), "`tickets.languages[0]`: unknown language `xx`");
    let outside = Desk::config_text("", "languages = [\"en\", \"de\"]");
    check(&outside, "`tickets.language`: `fr` is not one of `tickets.languages` (en, de)");
    check(&outside, "`technician[0].language`: `fr` is not one of `tickets.languages` (en, de)");
    let ok = Desk::with_config(&Desk::config_text("", "languages = [\"fr\", \"en\", \"nl\"]"));
    ok.ok(&["check"]);
}
