//! Reading a reply to a satisfaction survey: the rating it gives, when it
//! gives one beyond doubt, and whether it says the problem is back. French,
//! English, German, Spanish, Italian and Dutch, case and accents ignored.

use super::ticket::Lang;

/// What a reply to a survey says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Answer {
    /// 1 (very unsatisfied) to 5 (very satisfied); `None` when the reply
    /// gives none or is ambiguous.
    pub rating: Option<u8>,
    /// The requester says the problem came back or is still there.
    pub problem_back: bool,
}

/// Words and phrases that give a rating; the longest match wins, so
/// `pas satisfait` is 2, not 4. Phrases with no rating are polite formulas
/// that would otherwise read as one (`bien cordialement`, `have a great day`).
const RATING_WORDS: &[(&str, Option<u8>)] = &[
    ("très satisfait", Some(5)),
    ("very satisfied", Some(5)),
    ("excellent", Some(5)),
    ("parfait", Some(5)),
    ("perfect", Some(5)),
    ("great", Some(5)),
    ("satisfait", Some(4)),
    ("satisfied", Some(4)),
    ("good", Some(4)),
    ("bien", Some(4)),
    ("bon", Some(4)),
    ("moyen", Some(3)),
    ("average", Some(3)),
    ("okay", Some(3)),
    ("ok", Some(3)),
    ("correct", Some(3)),
    ("pas satisfait", Some(2)),
    ("not satisfied", Some(2)),
    ("unsatisfied", Some(2)),
    ("insatisfait", Some(2)),
    ("bad", Some(2)),
    ("mauvais", Some(2)),
    ("poor", Some(2)),
    ("très mauvais", Some(1)),
    ("very bad", Some(1)),
    ("terrible", Some(1)),
    ("nul", Some(1)),
    ("awful", Some(1)),
    ("très insatisfait", Some(1)),
    ("very unsatisfied", Some(1)),
    ("bien cordialement", None),
    ("bien à vous", None),
    ("bien à toi", None),
    ("bien reçu", None),
    ("merci bien", None),
    ("bon courage", None),
    ("bon week-end", None),
    ("bon weekend", None),
    ("bon après-midi", None),
    ("good morning", None),
    ("good afternoon", None),
    ("good evening", None),
    ("good day", None),
    ("good week", None),
    ("good weekend", None),
    ("great day", None),
    ("great week", None),
    ("great weekend", None),
    // German
    ("sehr zufrieden", Some(5)),
    ("sehr gut", Some(5)),
    ("ausgezeichnet", Some(5)),
    ("hervorragend", Some(5)),
    ("perfekt", Some(5)),
    ("zufrieden", Some(4)),
    ("gut", Some(4)),
    ("mittelmäßig", Some(3)),
    ("befriedigend", Some(3)),
    ("unzufrieden", Some(2)),
    ("nicht zufrieden", Some(2)),
    ("schlecht", Some(2)),
    ("sehr schlecht", Some(1)),
    ("sehr unzufrieden", Some(1)),
    // Spanish
    ("muy satisfecho", Some(5)),
    ("excelente", Some(5)),
    ("perfecto", Some(5)),
    ("satisfecho", Some(4)),
    ("bueno", Some(4)),
    ("regular", Some(3)),
    ("insatisfecho", Some(2)),
    ("no satisfecho", Some(2)),
    ("no estoy satisfecho", Some(2)),
    ("malo", Some(2)),
    ("muy malo", Some(1)),
    ("pésimo", Some(1)),
    ("muy insatisfecho", Some(1)),
    // Italian
    ("molto soddisfatto", Some(5)),
    ("ottimo", Some(5)),
    ("eccellente", Some(5)),
    ("perfetto", Some(5)),
    ("soddisfatto", Some(4)),
    ("buono", Some(4)),
    ("nella media", Some(3)),
    ("sufficiente", Some(3)),
    ("insoddisfatto", Some(2)),
    ("non soddisfatto", Some(2)),
    ("non sono soddisfatto", Some(2)),
    ("scarso", Some(2)),
    ("pessimo", Some(1)),
    ("molto insoddisfatto", Some(1)),
    // Dutch
    ("zeer tevreden", Some(5)),
    ("heel tevreden", Some(5)),
    ("uitstekend", Some(5)),
    ("tevreden", Some(4)),
    ("goed", Some(4)),
    ("gemiddeld", Some(3)),
    ("ontevreden", Some(2)),
    ("niet tevreden", Some(2)),
    ("slecht", Some(2)),
    ("zeer slecht", Some(1)),
    ("heel slecht", Some(1)),
    ("zeer ontevreden", Some(1)),
    ("goed weekend", None),
    ("goede dag", None),
];

/// Words that turn a rating word around (`pas bon`, `not great`, `isn't
/// good`): such a reply is not read, rather than guessed.
const NEGATIONS: &[&str] = &[
    "pas", "plus", "non", "jamais", "not", "no", "never", "t", "nicht", "kein", "keine", "nie", "nunca", "nada",
    "niet", "geen", "nooit",
];

/// Words that may stand between a negation and what it negates, written
/// as compared: lower case, no accents. Spanish and Italian put the
/// negation before the verb (`no estoy muy satisfecho`, `non è stato
/// buono`): their verbs "to be" are among them.
const INTENSIFIERS: &[&str] = &[
    "tres",
    "vraiment",
    "trop",
    "si",
    "du",
    "tout",
    "a",
    "fait",
    "very",
    "really",
    "so",
    "too",
    "that",
    "at",
    "all",
    "quite",
    "sehr",
    "wirklich",
    "ganz",
    "zu",
    "besonders",
    "muy",
    "tan",
    "demasiado",
    "del",
    "todo",
    "estoy",
    "esta",
    "estaba",
    "estuve",
    "es",
    "fue",
    "ha",
    "sido",
    "molto",
    "davvero",
    "troppo",
    "cosi",
    "tutto",
    "sono",
    "e",
    "stato",
    "era",
    "zeer",
    "heel",
    "erg",
    "echt",
    "te",
    "zo",
    "helemaal",
];

/// Phrases that say the problem came back or is still there.
const PROBLEM_BACK: &[&str] = &[
    "problème est revenu",
    "souci est revenu",
    "bug est revenu",
    "incident est revenu",
    "panne est revenue",
    "erreur est revenue",
    "marche toujours pas",
    "fonctionne toujours pas",
    "toujours en panne",
    "ça recommence",
    "cela recommence",
    "de nouveau en panne",
    "à nouveau en panne",
    "encore en panne",
    "pas réglé",
    "pas résolu",
    "problem is back",
    "issue is back",
    "problem came back",
    "issue came back",
    "still not working",
    "still doesn't work",
    "still does not work",
    "still broken",
    "broken again",
    "happened again",
    "happening again",
    "not fixed",
    "isn't fixed",
    "wasn't fixed",
    "not resolved",
    "not solved",
    "problem ist wieder da",
    "fehler ist wieder da",
    "funktioniert immer noch nicht",
    "funktioniert noch immer nicht",
    "funktioniert wieder nicht",
    "geht immer noch nicht",
    "geht wieder nicht",
    "wieder kaputt",
    "tritt wieder auf",
    "nicht behoben",
    "nicht gelöst",
    "problema ha vuelto",
    "problema volvió",
    "sigue sin funcionar",
    "sigue fallando",
    "vuelve a fallar",
    "todavía no funciona",
    "aún no funciona",
    "no está resuelto",
    "no se ha resuelto",
    "problema si è ripresentato",
    "problema è tornato",
    "non funziona ancora",
    "ancora non funziona",
    "continua a non funzionare",
    "di nuovo guasto",
    "non è risolto",
    "non è stato risolto",
    "probleem is terug",
    "werkt nog steeds niet",
    "werkt nog altijd niet",
    "werkt weer niet",
    "doet het weer niet",
    "weer kapot",
    "niet opgelost",
];

/// Reads the requester's reply, quoted history already removed. A lone
/// digit 1–5 (`4`, `4/5`, `note : 4`) or rating words give the rating;
/// several ratings, a number outside 1–5, a negated rating word, or a digit
/// and words more than one apart give `None`. When digit and words agree
/// within one, the digit is taken.
pub fn read_answer(trimmed_text: &str) -> Answer {
    let words = words(trimmed_text);
    let problem_back = PROBLEM_BACK.iter().any(|p| {
        let phrase = self::words(p);
        words.windows(phrase.len()).any(|w| w == phrase.as_slice())
    });
    Answer { rating: rating(&words), problem_back }
}

/// The words for each rating in the survey mail; each reads back as its
/// rating.
pub fn rating_label(rating: u8, lang: Lang) -> &'static str {
    match (lang, rating) {
        (Lang::Fr, ..=1) => "très insatisfait",
        (Lang::Fr, 2) => "insatisfait",
        (Lang::Fr, 3) => "moyen",
        (Lang::Fr, 4) => "satisfait",
        (Lang::Fr, 5..) => "très satisfait",
        (Lang::En, ..=1) => "very unsatisfied",
        (Lang::En, 2) => "unsatisfied",
        (Lang::En, 3) => "average",
        (Lang::En, 4) => "satisfied",
        (Lang::En, 5..) => "very satisfied",
        (Lang::De, ..=1) => "sehr unzufrieden",
        (Lang::De, 2) => "unzufrieden",
        (Lang::De, 3) => "mittelmäßig",
        (Lang::De, 4) => "zufrieden",
        (Lang::De, 5..) => "sehr zufrieden",
        (Lang::Es, ..=1) => "muy insatisfecho",
        (Lang::Es, 2) => "insatisfecho",
        (Lang::Es, 3) => "regular",
        (Lang::Es, 4) => "satisfecho",
        (Lang::Es, 5..) => "muy satisfecho",
        (Lang::It, ..=1) => "molto insoddisfatto",
        (Lang::It, 2) => "insoddisfatto",
        (Lang::It, 3) => "nella media",
        (Lang::It, 4) => "soddisfatto",
        (Lang::It, 5..) => "molto soddisfatto",
        (Lang::Nl, ..=1) => "zeer ontevreden",
        (Lang::Nl, 2) => "ontevreden",
        (Lang::Nl, 3) => "gemiddeld",
        (Lang::Nl, 4) => "tevreden",
        (Lang::Nl, 5..) => "zeer tevreden",
    }
}

fn rating(words: &[String]) -> Option<u8> {
    let phrases: Vec<(Vec<String>, Option<u8>)> = RATING_WORDS.iter().map(|(p, r)| (self::words(p), *r)).collect();
    let (mut digits, mut rated) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < words.len() {
        if words[i].bytes().all(|b| b.is_ascii_digit()) {
            match words[i].parse::<u8>() {
                Ok(n @ 1..=5) => digits.push(n),
                _ => return None,
            }
            i += 1 + scale_after(&words[i + 1..]);
            continue;
        }
        let longest = phrases.iter().filter(|(p, _)| words[i..].starts_with(p)).max_by_key(|(p, _)| p.len());
        let Some((phrase, r)) = longest else {
            i += 1;
            continue;
        };
        if let Some(r) = r {
            if negated(&words[..i]) {
                return None;
            }
            rated.push(*r);
        }
        i += phrase.len();
    }
    let single = |mut v: Vec<u8>| -> Result<Option<u8>, ()> {
        v.sort_unstable();
        v.dedup();
        match v[..] {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(()),
        }
    };
    match (single(digits).ok()?, single(rated).ok()?) {
        (Some(d), Some(w)) if d.abs_diff(w) > 1 => None,
        (Some(d), _) => Some(d),
        (None, w) => w,
    }
}

/// How many words after a rating digit name its scale: `/ 5`, `sur 5`,
/// `out of 5`.
fn scale_after(rest: &[String]) -> usize {
    let next: Vec<&str> = rest.iter().take(3).map(String::as_str).collect();
    match next[..] {
        ["/" | "sur", "5", ..] => 2,
        ["out", "of", "5", ..] => 3,
        _ => 0,
    }
}

/// Whether the words just before a rating word negate it.
fn negated(before: &[String]) -> bool {
    before
        .iter()
        .rev()
        .take(4)
        .find(|w| !INTENSIFIERS.contains(&w.as_str()))
        .is_some_and(|w| NEGATIONS.contains(&w.as_str()))
}

/// Lower-case words without accents; punctuation marks stay, one word each,
/// so that phrases do not match across them. Apostrophes and hyphens only
/// separate words.
/// The words of `text`, lowercased and unaccented; other signs stand
/// alone, apostrophes and hyphens split words.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            match super::unaccented(c) {
                Some(plain) => word.push_str(plain),
                None => word.push(c),
            }
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() && !matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '-' | '‐' | '‑') {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_read_from_digits_and_words() {
        let cases: &[(&str, Option<u8>)] = &[
            // Digits.
            ("4", Some(4)),
            ("4/5", Some(4)),
            ("5/5", Some(5)),
            ("4 / 5", Some(4)),
            ("4 sur 5", Some(4)),
            ("4 out of 5", Some(4)),
            ("note : 4", Some(4)),
            ("5 !", Some(5)),
            ("5, merci !", Some(5)),
            ("I'd give it a 5", Some(5)),
            ("1", Some(1)),
            // French words.
            ("Très satisfait, merci", Some(5)),
            ("TRÈS SATISFAIT", Some(5)),
            ("tres satisfait", Some(5)),
            ("Parfait !", Some(5)),
            ("Satisfait.", Some(4)),
            ("C'est bien", Some(4)),
            ("C'est correct", Some(3)),
            ("Moyen, c'était long", Some(3)),
            ("pas satisfait du tout", Some(2)),
            ("Je ne suis pas satisfait", Some(2)),
            ("Insatisfait", Some(2)),
            ("Mauvais", Some(2)),
            ("très mauvais", Some(1)),
            ("Très insatisfait", Some(1)),
            ("Nul.", Some(1)),
            // English words.
            ("Excellent service", Some(5)),
            ("Great, thanks!", Some(5)),
            ("very satisfied", Some(5)),
            ("Satisfied", Some(4)),
            ("good", Some(4)),
            ("It was okay", Some(3)),
            ("average", Some(3)),
            ("bad", Some(2)),
            ("Not satisfied", Some(2)),
            ("unsatisfied", Some(2)),
            ("poor", Some(2)),
            ("Very bad", Some(1)),
            ("very unsatisfied", Some(1)),
            ("Awful.", Some(1)),
            // Digit and words that agree, or nearly.
            ("4 - bien", Some(4)),
            ("5, très satisfait", Some(5)),
            ("5, bien", Some(5)),
            // Polite formulas are not ratings.
            ("Très satisfait. Bien cordialement", Some(5)),
            ("Parfait, merci bien, bon courage", Some(5)),
            ("4, have a great day", Some(4)),
        ];
        for (text, want) in cases {
            assert_eq!(read_answer(text).rating, *want, "{text}");
        }
    }

    #[test]
    fn ambiguous_or_silent_replies_give_no_rating() {
        let cases = [
            "",
            "Merci",
            "Thanks, have a great day",
            "Bien reçu, bien cordialement",
            "3 or 4",
            "3 ou 4",
            "4-5",
            "4.5",
            "8",
            "0",
            "10/10",
            "5, ticket 42",
            "bon mais lent, moyen",
            "good but slow, average",
            "5 mais très mauvais",
            "2, excellent",
            "pas bon",
            "pas très satisfait",
            "pas du tout satisfait",
            "not great",
            "not bad",
            "it isn't good",
            "Je ne suis plus satisfait",
        ];
        for text in cases {
            assert_eq!(read_answer(text).rating, None, "{text}");
        }
    }

    #[test]
    fn a_problem_back_is_noticed() {
        let cases = [
            ("Le problème est revenu ce matin", true, None),
            ("le probleme est revenu", true, None),
            ("Ça ne marche toujours pas", true, None),
            ("ÇA RECOMMENCE", true, None),
            ("Toujours en panne.", true, None),
            ("L'imprimante est de nouveau en panne", true, None),
            ("Pas réglé !", true, None),
            ("Le problème n'est pas résolu", true, None),
            ("Pas satisfait, le problème est revenu", true, Some(2)),
            ("The problem is back", true, None),
            ("Still not working.", true, None),
            ("It's broken again", true, None),
            ("It happened again this morning", true, None),
            ("1 - not fixed", true, Some(1)),
            ("Tout fonctionne, merci", false, None),
            ("Réglé rapidement, parfait", false, Some(5)),
            ("Le problème n'est pas revenu", false, None),
            ("It works, thanks", false, None),
        ];
        for (text, back, rating) in cases {
            assert_eq!(read_answer(text), Answer { rating, problem_back: back }, "{text}");
        }
    }

    #[test]
    fn ratings_in_german_spanish_italian_and_dutch_are_read() {
        let cases: &[(&str, Option<u8>)] = &[
            ("Sehr zufrieden, danke!", Some(5)),
            ("Alles gut", Some(4)),
            ("Ich bin nicht zufrieden", Some(2)),
            ("Sehr schlecht.", Some(1)),
            ("nicht sehr zufrieden", None),
            ("Muy satisfecho, gracias", Some(5)),
            ("Regular, tardaron mucho", Some(3)),
            ("No estoy satisfecho", Some(2)),
            ("no estoy muy satisfecho", None),
            ("Molto soddisfatto!", Some(5)),
            ("Nella media", Some(3)),
            ("Non sono soddisfatto", Some(2)),
            ("non è stato buono", None),
            ("Zeer tevreden, bedankt", Some(5)),
            ("Goed", Some(4)),
            ("Ik ben niet tevreden", Some(2)),
            ("niet zo goed", None),
            ("4, goed weekend", Some(4)),
        ];
        for (text, want) in cases {
            assert_eq!(read_answer(text).rating, *want, "{text}");
        }
        for text in [
            "Das Problem ist wieder da",
            "Funktioniert immer noch nicht",
            "La impresora sigue sin funcionar",
            "El problema ha vuelto esta mañana",
            "Il problema si è ripresentato",
            "Non funziona ancora",
            "Het probleem is terug",
            "De printer werkt nog steeds niet",
        ] {
            assert!(read_answer(text).problem_back, "{text}");
        }
    }

    #[test]
    fn rating_labels_read_back_as_their_rating() {
        for lang in Lang::ALL.iter().copied() {
            for r in 1..=5 {
                assert_eq!(read_answer(rating_label(r, lang)).rating, Some(r), "{lang:?} {r}");
            }
        }
    }
}
