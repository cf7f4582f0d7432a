//! Major incidents from the flood: many tickets about the same thing in a
//! short time are one incident. What two tickets have in common is read
//! from their terms (see [`super::knowledge::terms`]), kept sorted and
//! without repeats so that comparing two tickets allocates nothing.

use std::collections::BTreeSet;

use super::knowledge::terms;
use super::ticket::Lang;

/// A ticket's terms: its subject's, and all of them (subject and words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub subject: String,
    pub all: String,
}

impl Terms {
    pub fn of(subject: &str, text: &str, lang: Lang) -> Terms {
        let subject: BTreeSet<String> = terms(subject, lang).into_iter().collect();
        let mut all: BTreeSet<String> = terms(text, lang).into_iter().collect();
        all.extend(subject.iter().cloned());
        let join = |s: BTreeSet<String>| s.into_iter().collect::<Vec<_>>().join(" ");
        Terms { subject: join(subject), all: join(all) }
    }
}

/// A ticket's terms as numbers, sorted: kept in memory to compare one
/// ticket with hundreds (a group of mails compares each new incident with
/// the same few hundred tickets).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hashed {
    subject: Vec<u64>,
    all: Vec<u64>,
}

impl Hashed {
    /// From terms written sorted and space separated, as stored.
    pub fn of(subject: &str, all: &str) -> Hashed {
        let numbers = |s: &str| {
            let mut v: Vec<u64> = s.split_ascii_whitespace().map(number).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        Hashed { subject: numbers(subject), all: numbers(all) }
    }
}

impl From<&Terms> for Hashed {
    fn from(t: &Terms) -> Hashed {
        Hashed::of(&t.subject, &t.all)
    }
}

/// A term's number: the same term, the same number (`DefaultHasher::new`
/// has fixed keys; two terms of one number, one chance in 2^64, would
/// count as one).
fn number(term: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    term.hash(&mut h);
    h.finish()
}

/// [`similarity`] of terms kept as numbers.
pub fn similarity_hashed(a: &Hashed, b: &Hashed) -> f64 {
    let both = overlap_sorted(a.all.iter(), b.all.iter());
    if both.0 < 2 {
        return 0.0;
    }
    0.5 * ratio(overlap_sorted(a.subject.iter(), b.subject.iter())) + 0.5 * ratio(both)
}

/// How many terms two sets, each written sorted and space separated, share,
/// and how many each has; in one pass.
fn overlap(a: &str, b: &str) -> (usize, usize, usize) {
    overlap_sorted(a.split_ascii_whitespace(), b.split_ascii_whitespace())
}

/// [`overlap`] of any two sorted sequences without repeats.
fn overlap_sorted<T: Ord + Copy>(x: impl Iterator<Item = T>, y: impl Iterator<Item = T>) -> (usize, usize, usize) {
    let (mut x, mut y) = (x, y);
    let (mut p, mut q) = (x.next(), y.next());
    let (mut common, mut na, mut nb) = (0, 0, 0);
    while let (Some(s), Some(t)) = (p, q) {
        match s.cmp(&t) {
            std::cmp::Ordering::Less => {
                na += 1;
                p = x.next();
            }
            std::cmp::Ordering::Greater => {
                nb += 1;
                q = y.next();
            }
            std::cmp::Ordering::Equal => {
                common += 1;
                na += 1;
                nb += 1;
                p = x.next();
                q = y.next();
            }
        }
    }
    na += usize::from(p.is_some()) + x.count();
    nb += usize::from(q.is_some()) + y.count();
    (common, na, nb)
}

fn ratio((common, na, nb): (usize, usize, usize)) -> f64 {
    if na == 0 || nb == 0 {
        return 0.0;
    }
    common as f64 / ((na * nb) as f64).sqrt()
}

/// Cosine of two sets of terms, each written sorted and space separated.
pub fn cosine(a: &str, b: &str) -> f64 {
    ratio(overlap(a, b))
}

/// How alike two tickets are, from 0 to 1: their subjects and their whole
/// texts, weighed alike. People hit by the same outage write the same few
/// words in the subject ("VPN", "réseau", "en panne") and tell the rest
/// their own way.
/// Tickets that share a single word ("imprimante", "Outlook") are not
/// alike on that alone: two at least.
pub fn similarity(a: &Terms, b: &Terms) -> f64 {
    similarity_to(a, &b.subject, &b.all)
}

/// [`similarity`] to a ticket whose terms are read as they are stored.
pub fn similarity_to(a: &Terms, subject: &str, all: &str) -> f64 {
    let both = overlap(&a.all, all);
    if both.0 < 2 {
        return 0.0;
    }
    0.5 * cosine(&a.subject, subject) + 0.5 * ratio(both)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_kept_as_numbers_are_as_alike_as_their_words() {
        let a = Terms::of("VPN en panne", "VPN en panne\nLe VPN ne marche plus, impossible de me connecter.", Lang::Fr);
        let b = Terms::of("Plus de VPN", "Plus de VPN\nLe VPN ne se connecte plus, connexion impossible.", Lang::Fr);
        let c = Terms::of("Imprimante", "Imprimante\nL'imprimante du 2e étage n'imprime plus.", Lang::Fr);
        for (x, y) in [(&a, &b), (&a, &c), (&b, &c), (&a, &a)] {
            let words = similarity(x, y);
            let numbers = similarity_hashed(&Hashed::from(x), &Hashed::from(y));
            assert!((words - numbers).abs() < 1e-12, "{words} against {numbers}");
        }
        assert!(similarity(&a, &b) > 0.3);
    }

    #[test]
    fn the_same_outage_told_differently_is_alike_and_other_requests_are_not() {
        let vpn = [
            ("VPN en panne", "Bonjour, le VPN ne marche plus depuis 10h, impossible de me connecter."),
            ("Plus de VPN", "Le VPN ne se connecte plus, connexion impossible."),
            ("Problème VPN", "Impossible de me connecter au VPN ce matin."),
        ];
        let terms: Vec<Terms> = vpn.iter().map(|(s, t)| Terms::of(s, &format!("{s}\n{t}"), Lang::Fr)).collect();
        for a in &terms {
            for b in &terms {
                assert!(similarity(a, b) >= 0.4, "{a:?} {b:?}: {}", similarity(a, b));
            }
        }
        let other = Terms::of("Imprimante", "Imprimante\nL'imprimante affiche erreur 52.", Lang::Fr);
        assert!(terms.iter().all(|t| similarity(t, &other) < 0.1));
        assert_eq!(cosine("", "a b"), 0.0);
        // One word in common, however telling, is not enough.
        let one = |s: &str| Terms { subject: s.into(), all: s.into() };
        assert_eq!(similarity(&one("outlook"), &one("outlook")), 0.0);
        assert!(similarity(&one("outlook plant"), &one("outlook plant")) > 0.99);
        assert!((cosine("a b c", "a b c") - 1.0).abs() < 1e-9);
        assert_eq!(overlap("a c e g", "b c d"), (1, 4, 3));
    }
}
