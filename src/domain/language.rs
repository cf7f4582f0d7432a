//! Guesses which of our languages a mail is written in, for mail that does
//! not say (`Content-Language` is rare): answering a requester in their own
//! language matters more than any template.
//!
//! Trigram statistics (`whatlang`, restricted to our six languages) decide
//! when they are sure. A short mail gives them too little to be sure of:
//! then the common words of each language vote, and a mail too short for a
//! clear vote ("Danke", "VPN KO") is left undecided, for the requester's
//! last language to answer.

use std::sync::LazyLock;

use super::ticket::Lang;

const FR: &[&str] = &[
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "du",
    "de",
    "et",
    "est",
    "je",
    "nous",
    "vous",
    "pas",
    "ne",
    "pour",
    "sur",
    "avec",
    "mon",
    "ma",
    "mes",
    "bonjour",
    "merci",
    "cordialement",
    "depuis",
    "plus",
    "mais",
    "ce",
    "cette",
    "il",
    "elle",
    "qui",
    "que",
    "au",
    "aux",
    "dans",
    "à",
    "où",
    "très",
    "j'ai",
    "n'est",
    "c'est",
    "svp",
];
const EN: &[&str] = &[
    "the", "a", "an", "and", "is", "are", "i", "we", "you", "not", "for", "on", "with", "my", "our", "hello", "hi",
    "thanks", "thank", "regards", "since", "more", "but", "this", "that", "it", "he", "she", "who", "to", "in", "of",
    "can't", "cannot", "please", "does", "doesn't", "don't", "i'm", "have", "has",
];
const DE: &[&str] = &[
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einen",
    "und",
    "ist",
    "sind",
    "ich",
    "wir",
    "sie",
    "nicht",
    "kein",
    "keine",
    "für",
    "auf",
    "mit",
    "mein",
    "meine",
    "unser",
    "hallo",
    "guten",
    "tag",
    "danke",
    "bitte",
    "grüße",
    "freundlichen",
    "seit",
    "mehr",
    "aber",
    "auch",
    "es",
    "geht",
    "kann",
    "können",
    "habe",
    "haben",
    "wird",
    "noch",
    "schon",
    "zu",
    "im",
    "vom",
];
const ES: &[&str] = &[
    "el", "la", "los", "las", "un", "una", "y", "es", "está", "son", "yo", "nosotros", "usted", "no", "para", "por",
    "con", "mi", "mis", "nuestro", "hola", "buenos", "días", "gracias", "saludos", "desde", "más", "pero", "que",
    "del", "al", "en", "funciona", "puede", "pueden", "tengo", "hay", "muy", "favor", "ya", "se", "me",
];
const IT: &[&str] = &[
    "il",
    "lo",
    "la",
    "gli",
    "le",
    "un",
    "una",
    "e",
    "è",
    "sono",
    "io",
    "noi",
    "lei",
    "non",
    "per",
    "con",
    "mio",
    "mia",
    "nostro",
    "buongiorno",
    "salve",
    "grazie",
    "cordiali",
    "saluti",
    "da",
    "più",
    "ma",
    "che",
    "del",
    "della",
    "nel",
    "nella",
    "di",
    "funziona",
    "può",
    "potete",
    "ho",
    "c'è",
    "molto",
    "ancora",
    "mi",
    "si",
];
const NL: &[&str] = &[
    "de",
    "het",
    "een",
    "en",
    "is",
    "zijn",
    "ik",
    "wij",
    "we",
    "u",
    "niet",
    "geen",
    "voor",
    "op",
    "met",
    "mijn",
    "ons",
    "onze",
    "hallo",
    "goedemorgen",
    "dag",
    "bedankt",
    "dank",
    "groet",
    "vriendelijke",
    "sinds",
    "meer",
    "maar",
    "ook",
    "dat",
    "dit",
    "van",
    "werkt",
    "kan",
    "kunt",
    "heb",
    "hebben",
    "er",
    "nog",
    "graag",
    "wel",
];

/// The common words of each language, in the order of `Lang::ALL`.
const WORDS: [&[&str]; 6] = [FR, EN, DE, ES, IT, NL];

/// Our languages, for the trigram detector to choose among.
fn ours(lang: whatlang::Lang) -> Option<Lang> {
    match lang {
        whatlang::Lang::Fra => Some(Lang::Fr),
        whatlang::Lang::Eng => Some(Lang::En),
        whatlang::Lang::Deu => Some(Lang::De),
        whatlang::Lang::Spa => Some(Lang::Es),
        whatlang::Lang::Ita => Some(Lang::It),
        whatlang::Lang::Nld => Some(Lang::Nl),
        _ => None,
    }
}

static DETECTOR: LazyLock<whatlang::Detector> = LazyLock::new(|| {
    use whatlang::Lang::*;
    whatlang::Detector::with_allowlist(vec![Fra, Eng, Deu, Spa, Ita, Nld])
});

/// What a long text is not read beyond: the first lines say the language.
const READ: usize = 4000;

/// `None` when the text gives too little evidence either way.
pub fn guess(text: &str) -> Option<Lang> {
    let end = text.char_indices().nth(READ).map_or(text.len(), |(i, _)| i);
    let text = &text[..end];
    DETECTOR.detect(text).filter(whatlang::Info::is_reliable).and_then(|info| ours(info.lang())).or_else(|| vote(text))
}

/// The language whose common words the text uses most, when it uses at
/// least three of them and half as many again as of any other language's.
fn vote(text: &str) -> Option<Lang> {
    let mut counts = [0usize; 6];
    for word in text.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’')).filter(|w| !w.is_empty()).take(400)
    {
        let w = word.to_lowercase().replace('’', "'");
        for (count, words) in counts.iter_mut().zip(WORDS) {
            *count += usize::from(words.contains(&w.as_str()));
        }
    }
    let (best, &most) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    let second = counts.iter().enumerate().filter(|(i, _)| *i != best).map(|(_, n)| *n).max().unwrap_or(0);
    if most < 3 || most * 2 <= second * 3 {
        return None;
    }
    Lang::ALL.get(best).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_tell_french_from_english() {
        let cases = [
            ("Bonjour, l'imprimante du 2e étage ne marche plus depuis ce matin. Merci", Some(Lang::Fr)),
            ("Hello, I need access to the new laptop for our intern. Thanks", Some(Lang::En)),
            ("VPN KO", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(guess(text), want, "{text}");
        }
    }

    #[test]
    fn mails_in_german_spanish_italian_and_dutch_are_recognised() {
        let cases = [
            (
                "Guten Tag,\n\nseit heute Morgen kann ich mich nicht mehr am VPN anmelden. Der Client zeigt immer \
                 die Meldung, dass das Zertifikat abgelaufen ist. Können Sie mir bitte helfen?\n\nMit freundlichen \
                 Grüßen\nJonas Becker",
                Lang::De,
            ),
            (
                "Buenos días:\n\nDesde esta mañana no puedo imprimir en la impresora de la segunda planta. Aparece \
                 un error de papel atascado, pero la bandeja está vacía. ¿Pueden revisarlo?\n\nUn saludo,\nLucía Romero",
                Lang::Es,
            ),
            (
                "Buongiorno,\n\nda ieri non riesco più ad accedere alla cartella condivisa del reparto. Il sistema \
                 dice che non ho i permessi necessari. Potete verificare?\n\nCordiali saluti,\nGiulia Conti",
                Lang::It,
            ),
            (
                "Goedemorgen,\n\nSinds gisteren kan ik niet meer inloggen op mijn laptop. Het scherm blijft zwart \
                 na het invoeren van mijn wachtwoord. Kunt u mij helpen?\n\nMet vriendelijke groet,\nSanne de Vries",
                Lang::Nl,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(guess(text), Some(want), "{text}");
        }
    }

    #[test]
    fn short_mails_are_recognised_by_their_common_words() {
        let cases = [
            ("Hallo, der Drucker geht nicht. Danke", Some(Lang::De)),
            ("Hola, la impresora no funciona. Gracias", Some(Lang::Es)),
            ("Buongiorno, la stampante non funziona. Grazie", Some(Lang::It)),
            ("Hallo, de printer werkt niet. Bedankt", Some(Lang::Nl)),
            ("Bonjour, l'imprimante ne marche pas. Merci", Some(Lang::Fr)),
            ("Hi, the printer is not working. Thanks", Some(Lang::En)),
            // One word, a name or a product: too little to tell.
            ("Danke", None),
            ("Outlook", None),
            ("VPN KO", None),
        ];
        for (text, want) in cases {
            assert_eq!(guess(text), want, "{text}");
        }
    }
}
