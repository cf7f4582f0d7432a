//! Urgency and impact read from the mail itself: the priority headers mail
//! clients set (`X-Priority`, `Importance`, `Priority`) and words people
//! write when they are stuck ("urgent", "bloquant", "dringend", "plus
//! personne ne peut…"). They give defaults, never the top level: 1 is for
//! rules and technicians, since everybody's mail is urgent to them.

/// The words that raise urgency or impact, lower-case, compared without
/// accents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keywords {
    pub urgency: Vec<String>,
    pub impact: Vec<String>,
}

impl Default for Keywords {
    fn default() -> Self {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Keywords {
            urgency: own(&[
                "urgent",
                "urgence",
                "bloquant",
                "bloqué",
                "asap",
                "au plus vite",
                "blocking",
                "critical",
                "critique",
                "dringend",
                "kritisch",
                "urgente",
                "bloqueante",
                "crítico",
                "bloccante",
                "critico",
                "spoed",
                "blokkerend",
                "kritiek",
            ]),
            impact: own(&[
                "plus personne ne peut",
                "personne ne peut",
                "tout le monde",
                "tout le service",
                "tous les postes",
                "nobody can",
                "no one can",
                "everyone",
                "the whole team",
                "all users",
                "niemand kann",
                "alle kollegen",
                "die ganze abteilung",
                "nadie puede",
                "todo el mundo",
                "todos los usuarios",
                "nessuno può",
                "tutti gli utenti",
                "tutto l'ufficio",
                "niemand kan",
                "iedereen",
                "alle gebruikers",
            ]),
        }
    }
}

/// Levels suggested by the mail, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hint {
    pub impact: Option<i32>,
    pub urgency: Option<i32>,
    pub reasons: Vec<String>,
}

/// Reads the headers (name lower-case) and the text (subject and the
/// requester's own words, quoted history already trimmed).
pub fn hint(headers: &[(String, String)], subject: &str, text: &str, words: &Keywords) -> Hint {
    let mut h = Hint::default();
    let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
    let from_headers = header("x-priority")
        .and_then(|v| {
            // "1 (Highest)", "2", "5 (Lowest)"
            let n: i32 = v.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty())?.parse().ok()?;
            Some((level(n <= 2, n >= 4)?, format!("X-Priority: {v}")))
        })
        .or_else(|| {
            header("importance").and_then(|v| {
                let v2 = v.to_ascii_lowercase();
                Some((level(v2 == "high", v2 == "low")?, format!("Importance: {v}")))
            })
        })
        .or_else(|| {
            header("priority").and_then(|v| {
                let v2 = v.to_ascii_lowercase();
                Some((level(v2 == "urgent", v2 == "non-urgent")?, format!("Priority: {v}")))
            })
        });
    if let Some((u, why)) = from_headers {
        h.urgency = Some(u);
        h.reasons.push(why);
    }
    let haystack = fold(&format!("{subject}\n{text}"));
    if let Some(w) = words.urgency.iter().find(|w| contains_words(&haystack, &fold(w))) {
        h.urgency = Some(h.urgency.map_or(2, |u| u.min(2)));
        h.reasons.push(format!("urgency word `{w}`"));
    }
    if let Some(w) = words.impact.iter().find(|w| contains_words(&haystack, &fold(w))) {
        h.impact = Some(2);
        h.reasons.push(format!("impact words `{w}`"));
    }
    h
}

fn level(high: bool, low: bool) -> Option<i32> {
    if high {
        Some(2)
    } else if low {
        Some(4)
    } else {
        None
    }
}

/// Lower-case, accents dropped, runs of anything but letters and digits
/// made one space.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(' ');
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'ÿ' => 'y',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        };
        if c != ' ' || !out.ends_with(' ') {
            out.push(c);
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Whole words only: "urgent" is not in "urgently"... but "bloque" is in
/// "bloque" and "bloqué".
fn contains_words(folded_text: &str, folded_words: &str) -> bool {
    let w = folded_words.trim();
    !w.is_empty() && folded_text.contains(&format!(" {w} "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(headers: &[(&str, &str)], subject: &str, text: &str) -> Hint {
        let headers: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        hint(&headers, subject, text, &Keywords::default())
    }

    #[test]
    fn priority_headers_give_a_default_urgency() {
        type Headers<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Headers, Option<i32>)] = &[
            (&[("x-priority", "1 (Highest)")], Some(2)),
            (&[("x-priority", "3 (Normal)")], None),
            (&[("x-priority", "5")], Some(4)),
            (&[("importance", "High")], Some(2)),
            (&[("importance", "low")], Some(4)),
            (&[("priority", "urgent")], Some(2)),
            (&[("priority", "normal")], None),
            (&[], None),
        ];
        for (headers, want) in cases {
            assert_eq!(h(headers, "Question", "Bonjour").urgency, *want, "{headers:?}");
        }
    }

    #[test]
    fn words_in_each_language_raise_urgency_or_impact() {
        let cases = [
            ("URGENT : imprimante", "", Some(2), None),
            ("Imprimante", "C'est bloquant pour la paie.", Some(2), None),
            ("Réseau", "Plus personne ne peut se connecter au serveur.", None, Some(2)),
            ("Network down", "Nobody can log in!", None, Some(2)),
            ("Question", "Could you urgently look?", None, None),
            ("Demande", "Pas pressé.", None, None),
            ("Drucker", "Dringend: die Rechnungen müssen heute raus.", Some(2), None),
            ("Correo", "Nadie puede enviar correos desde esta mañana.", None, Some(2)),
            ("Rete", "Nessuno può collegarsi, è bloccante.", Some(2), Some(2)),
            ("Netwerk", "Spoed: iedereen is de verbinding kwijt.", Some(2), Some(2)),
        ];
        for (subject, text, urgency, impact) in cases {
            let got = h(&[], subject, text);
            assert_eq!((got.urgency, got.impact), (urgency, impact), "{subject} / {text}");
        }
    }

    #[test]
    fn a_low_priority_header_is_overruled_by_an_urgent_word_and_reasons_are_given() {
        let got = h(&[("x-priority", "5")], "Urgent", "");
        assert_eq!(got.urgency, Some(2));
        assert_eq!(got.reasons, vec!["X-Priority: 5", "urgency word `urgent`"]);
    }
}
