//! Guesses whether a mail is written in French or English, for mail that
//! does not say (`Content-Language` is rare): answering a requester in
//! their own language matters more than any template.

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

/// `None` when the text gives too little evidence either way.
pub fn guess(text: &str) -> Option<Lang> {
    let (mut fr, mut en) = (0usize, 0usize);
    for word in text.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’')).filter(|w| !w.is_empty()).take(400)
    {
        let w = word.to_lowercase().replace('’', "'");
        fr += usize::from(FR.contains(&w.as_str()));
        en += usize::from(EN.contains(&w.as_str()));
    }
    if fr + en < 3 {
        None
    } else if fr * 2 > en * 3 {
        Some(Lang::Fr)
    } else if en * 2 > fr * 3 {
        Some(Lang::En)
    } else {
        None
    }
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
}
