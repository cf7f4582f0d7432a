//! "Merci !" after a resolution: a short reply that only thanks the desk
//! is kept on the ticket without reopening it. Anything more — a question,
//! "merci mais ça ne marche toujours pas", a new fact — reopens as before.

use super::survey::words;

/// Words that thank; a thanks-only reply has one of them.
const THANKS: &[&str] = &["merci", "thanks", "thank", "thx", "ty", "cheers", "remercie", "remercions", "mercis"];

/// Words that may come with thanks and say nothing new: intensifiers,
/// "perfect", "it works", greetings and sign-offs.
const POLITE: &[&str] = &[
    // French
    "beaucoup",
    "bien",
    "mille",
    "fois",
    "encore",
    "infiniment",
    "vraiment",
    "tres",
    "parfait",
    "parfaitement",
    "super",
    "top",
    "genial",
    "nickel",
    "impeccable",
    "excellent",
    "ok",
    "okay",
    "d",
    "accord",
    "daccord",
    "c",
    "est",
    "ca",
    "cela",
    "marche",
    "fonctionne",
    "regle",
    "resolu",
    "bon",
    "bonne",
    "journee",
    "soiree",
    "fin",
    "semaine",
    "week",
    "end",
    "a",
    "pour",
    "votre",
    "ton",
    "vos",
    "tes",
    "aide",
    "intervention",
    "retour",
    "reponse",
    "rapidite",
    "rapide",
    "je",
    "vous",
    "te",
    "bonjour",
    "salut",
    "cordialement",
    "amicalement",
    "bises",
    "belle",
    "et",
    "de",
    "la",
    "le",
    "les",
    "tout",
    "toute",
    "l",
    "equipe",
    "oui",
    "nouveau",
    "du",
    "coup",
    // English
    "you",
    "very",
    "much",
    "so",
    "lot",
    "many",
    "great",
    "perfect",
    "awesome",
    "brilliant",
    "fine",
    "good",
    "works",
    "working",
    "now",
    "it",
    "that",
    "this",
    "all",
    "sorted",
    "solved",
    "fixed",
    "for",
    "your",
    "the",
    "help",
    "quick",
    "fast",
    "reply",
    "answer",
    "again",
    "hi",
    "hello",
    "regards",
    "best",
    "kind",
    "have",
    "nice",
    "day",
    "weekend",
    "evening",
    "and",
    "team",
    "yes",
    "really",
    "cool",
    "s",
    "its",
    "guys",
    "everyone",
];

/// Signs a thanks-only reply may hold.
const SIGNS: &[&str] = &[",", ".", "!", "?", ";", ":", "…", ")", "(", "*", "~", "+", "1", "🙂", "😊", "👍", "🙏"];

/// The longest thanks-only reply, in words (sign-offs included).
const MAX_WORDS: usize = 16;

/// Whether `text` (a reply, trimmed of its quote and signature) only
/// thanks: "Merci !", "Merci beaucoup", "Thanks", "Parfait, merci",
/// "Thank you very much", "Super, merci pour votre aide. Alice". The last
/// line may be the sender's name.
pub fn thanks_only(text: &str) -> bool {
    let mut lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    // A name to sign: one to three words on the last line, with no thanks in it.
    if lines.len() > 1 {
        let last = words(lines[lines.len() - 1]);
        if (1..=3).contains(&last.len()) && !last.iter().any(|w| THANKS.contains(&w.as_str())) {
            lines.pop();
        }
    }
    let said = words(&lines.join("\n"));
    let counted = said.iter().filter(|w| !SIGNS.contains(&w.as_str())).count();
    counted > 0
        && counted <= MAX_WORDS
        && said.iter().any(|w| THANKS.contains(&w.as_str()))
        && said
            .iter()
            .all(|w| THANKS.contains(&w.as_str()) || POLITE.contains(&w.as_str()) || SIGNS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::thanks_only;

    #[test]
    fn short_thanks_in_french_and_english_are_thanks_only() {
        for text in [
            "merci",
            "Merci !",
            "Merci beaucoup",
            "Merci beaucoup !\n\nAlice",
            "Parfait, merci",
            "Parfait, merci !",
            "Super merci",
            "Merci pour votre aide.\nBonne journée,\nAlice Martin",
            "Merci bien, ça marche !",
            "Mille mercis",
            "Ok merci",
            "Je vous remercie",
            "Thanks",
            "Thanks!",
            "Thank you",
            "Thank you very much!",
            "Great, thanks!\nErin",
            "Perfect, thanks a lot",
            "Many thanks for your help.\nBest regards,\nErin Walsh",
            "Thanks, it works now 👍",
        ] {
            assert!(thanks_only(text), "{text:?} only thanks");
        }
    }

    #[test]
    fn thanks_with_anything_more_is_not_thanks_only() {
        for text in [
            "",
            "Alice",
            "Merci mais ça ne marche toujours pas",
            "Merci, mais l'imprimante affiche de nouveau l'erreur 52",
            "Merci. Par contre le scanner ne marche plus.",
            "Merci ! Une question : faut-il redémarrer ?",
            "Ça recommence",
            "Thanks, but it is broken again",
            "Thanks. Could you also reset my password?",
            "Thank you, however the VPN still drops every hour",
            "Not fixed, thanks",
        ] {
            assert!(!thanks_only(text), "{text:?} says more than thanks");
        }
    }
}
