//! The knowledge base's words: what a text is about (its terms), how well
//! an article answers a mail, an article drafted from a resolved ticket
//! with the requester's personal data taken out, and articles written as
//! Markdown files with a front matter.

use std::collections::BTreeSet;

use regex::Regex;
use rust_stemmers::{Algorithm, Stemmer};

use super::ticket::Lang;

mod stop;
use stop::{stop_in, STOP};

fn folded(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match super::unaccented(c) {
            Some(plain) => out.push_str(plain),
            None => out.push(c),
        }
    }
    out
}

/// What `text` is about, in `lang`: its words lowercased, stemmed, accents
/// folded, without the words that say nothing; in order, repeats kept.
/// Only `[a-z0-9]` remains, so a term is safe in any full-text query.
pub fn terms(text: &str, lang: Lang) -> Vec<String> {
    let stemmer = Stemmer::create(match lang {
        Lang::Fr => Algorithm::French,
        Lang::En => Algorithm::English,
        Lang::De => Algorithm::German,
        Lang::Es => Algorithm::Spanish,
        Lang::It => Algorithm::Italian,
        Lang::Nl => Algorithm::Dutch,
    });
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let plain = folded(word);
        let empty = STOP.contains(&plain.as_str()) || stop_in(lang).contains(&plain.as_str());
        if plain.len() < 2 || empty || !plain.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        // Long digit runs are phone numbers, dates and ticket numbers.
        if plain.chars().all(|c| c.is_ascii_digit()) && plain.len() > 4 {
            continue;
        }
        let stem = folded(&stemmer.stem(word));
        if stem.len() >= 2 && stem.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push(stem);
        } else {
            out.push(plain);
        }
    }
    out
}

/// An article as the search sees it.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub title: BTreeSet<String>,
    pub all: BTreeSet<String>,
}

impl Indexed {
    pub fn new(title: &str, body: &str, lang: Lang) -> Indexed {
        let title: BTreeSet<String> = terms(title, lang).into_iter().collect();
        let mut all: BTreeSet<String> = terms(body, lang).into_iter().collect();
        all.extend(title.iter().cloned());
        Indexed { title, all }
    }

    /// The text the full-text index holds: the title's terms twice (they
    /// weigh more in the ranking), then the body's.
    pub fn search_text(title: &str, body: &str, lang: Lang) -> String {
        let title = terms(title, lang);
        let body = terms(body, lang);
        let mut out: Vec<&str> = Vec::with_capacity(title.len() * 2 + body.len());
        out.extend(title.iter().map(String::as_str));
        out.extend(title.iter().map(String::as_str));
        out.extend(body.iter().map(String::as_str));
        out.join(" ")
    }
}

/// How well an article answers a mail whose terms are `mail`, from 0 to 1:
/// half how much of the article's title the mail speaks of, half how much
/// the two have in common (cosine of their sets of terms). A mail that
/// names the title's subject and shares its vocabulary scores high; one
/// that shares a word or two by chance, low.
pub fn relevance(mail: &BTreeSet<String>, article: &Indexed) -> f64 {
    if mail.is_empty() || article.all.is_empty() {
        return 0.0;
    }
    let title = if article.title.is_empty() {
        0.0
    } else {
        article.title.intersection(mail).count() as f64 / article.title.len() as f64
    };
    let common = article.all.intersection(mail).count() as f64;
    let cosine = common / ((mail.len() * article.all.len()) as f64).sqrt();
    // The cosine of two real texts rarely passes 0.5: scaled so that both
    // halves speak on the same scale.
    0.5 * title + 0.5 * (cosine * 2.0).min(1.0)
}

/// The requester's personal data taken out of `text` before it goes into an
/// article everyone reads: their name and address, and any address,
/// phone number or IP address.
pub fn scrub(text: &str, requester_name: &str, requester_email: &str) -> String {
    let mut out = text.to_string();
    if !requester_email.is_empty() {
        out = out.replace(requester_email, "[…]");
    }
    let email = Regex::new(r"[\w.+-]+@[\w-]+(\.[\w-]+)+").expect("a valid pattern");
    out = email.replace_all(&out, "[…]").into_owned();
    let phone = Regex::new(r"(\+\d{1,3}[ .-]?)?\(?\d{1,4}\)?([ .-]?\d{2,4}){3,5}").expect("a valid pattern");
    out = phone.replace_all(&out, "[…]").into_owned();
    let ip = Regex::new(r"\b\d{1,3}(\.\d{1,3}){3}\b").expect("a valid pattern");
    out = ip.replace_all(&out, "[…]").into_owned();
    // Each part of their name of three letters or more, as a whole word.
    for part in requester_name.split(|c: char| !c.is_alphanumeric()).filter(|p| p.chars().count() >= 3) {
        let word = Regex::new(&format!(r"(?i)\b{}\b", regex::escape(part))).expect("an escaped pattern");
        out = word.replace_all(&out, "[…]").into_owned();
    }
    out
}

/// A draft article from a resolved ticket: its subject, the requester's
/// problem and the technician's solution, both scrubbed.
pub struct Draft {
    pub title: String,
    pub body: String,
}

pub fn draft(subject: &str, problem: &str, solution: &str, lang: Lang, name: &str, email: &str) -> Draft {
    let (problem_head, solution_head) = match lang {
        Lang::Fr => ("Problème", "Solution"),
        Lang::En => ("Problem", "Solution"),
        Lang::De => ("Problem", "Lösung"),
        Lang::Es => ("Problema", "Solución"),
        Lang::It => ("Problema", "Soluzione"),
        Lang::Nl => ("Probleem", "Oplossing"),
    };
    let problem = scrub(problem.trim(), name, email);
    let solution = scrub(solution.trim(), name, email);
    Draft {
        title: scrub(subject.trim(), name, email),
        body: format!("## {problem_head}\n\n{problem}\n\n## {solution_head}\n\n{solution}\n"),
    }
}

/// Words that undo a "solved" around them: "pas résolu", "still not fixed".
const UNDONE: &[&str] = &[
    "pas", "plus", "non", "jamais", "toujours", "encore", "not", "no", "never", "still", "again", "t", "nicht", "kein",
    "keine", "nie", "noch", "immer", "nada", "nunca", "todavia", "aun", "sigue", "ancora", "mai", "niet", "geen",
    "nooit", "nog", "steeds",
];

/// Whether a requester's reply (quoted history removed) says their problem
/// is solved: a short reply holding one of `phrases`, with no negation.
/// A longer mail is a real answer, for a technician to read.
pub fn says_solved(trimmed: &str, phrases: &[String]) -> bool {
    let words: Vec<String> =
        super::survey::words(trimmed).into_iter().filter(|w| w.chars().all(char::is_alphanumeric)).collect();
    if words.is_empty() || words.len() > 15 || words.iter().any(|w| UNDONE.contains(&w.as_str())) {
        return false;
    }
    phrases.iter().any(|p| {
        let phrase: Vec<String> =
            super::survey::words(p).into_iter().filter(|w| w.chars().all(char::is_alphanumeric)).collect();
        !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase.as_slice())
    })
}

/// What a requester writes to say an article solved their problem.
pub const SOLVED: &[&str] = &[
    "résolu",
    "réglé",
    "ça marche",
    "ça fonctionne",
    "ça remarche",
    "c'est bon",
    "solved",
    "resolved",
    "fixed",
    "it works",
    "that worked",
    "works now",
    "all good",
    "gelöst",
    "erledigt",
    "behoben",
    "es funktioniert",
    "funktioniert jetzt",
    "geht wieder",
    "resuelto",
    "solucionado",
    "ya funciona",
    "funciona bien",
    "risolto",
    "ora funziona",
    "adesso funziona",
    "funziona di nuovo",
    "opgelost",
    "het werkt",
    "werkt weer",
    "werkt nu",
];

/// The first `max` characters or so of `text`, on one line, cut at a word.
pub fn excerpt(text: &str, max: usize) -> String {
    // Headings ("## Solution") are not what the article says.
    let flat = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head).to_string();
    format!("{cut}…")
}

/// An article's text (Markdown) as sanitised HTML, for the mails that
/// carry it.
pub fn html(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, parser);
    ammonia::clean(&out)
}

/// An article read from a Markdown file with a front matter:
///
/// ```text
/// ---
/// title: L'imprimante affiche « erreur 52 »
/// lang: fr
/// tags: imprimante, matériel
/// status: published
/// ---
/// Le texte, en Markdown.
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub title: String,
    pub lang: Option<Lang>,
    pub tags: Vec<String>,
    pub status: Option<String>,
    pub body: String,
}

/// Reads a file written as above; the error says what is wrong and where.
pub fn read_written(text: &str) -> Result<Written, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .ok_or("no front matter: the file must begin with a line `---`")?;
    let end = rest
        .find("\n---\n")
        .map(|i| (i, i + 5))
        .or_else(|| rest.find("\r\n---\r\n").map(|i| (i, i + 7)))
        .or_else(|| rest.strip_suffix("\n---").map(|r| (r.len(), rest.len())))
        .ok_or("the front matter does not end: no closing line `---`")?;
    let (head, body) = (&rest[..end.0], &rest[end.1..]);
    let mut w = Written { title: String::new(), lang: None, tags: Vec::new(), status: None, body: body.to_string() };
    for (n, line) in head.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) =
            line.split_once(':').ok_or_else(|| format!("front matter line {}: `key: value` expected", n + 2))?;
        let value = value.trim().trim_matches('"');
        match key.trim() {
            "title" => w.title = value.to_string(),
            "lang" => w.lang = Some(value.parse().map_err(|e| format!("front matter `lang`: {e}"))?),
            "tags" => {
                w.tags = value
                    .trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .map(|t| t.trim().trim_matches('"').to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            }
            "status" => match value {
                "draft" | "published" => w.status = Some(value.to_string()),
                other => return Err(format!("front matter `status`: `{other}` (draft or published)")),
            },
            other => return Err(format!("front matter: unknown key `{other}` (title, lang, tags, status)")),
        }
    }
    if w.title.is_empty() {
        return Err("front matter: `title` is missing".into());
    }
    if w.body.trim().is_empty() {
        return Err("the article has no text after its front matter".into());
    }
    Ok(w)
}

/// The file `read_written` reads back.
pub fn write_written(title: &str, lang: Lang, tags: &[String], status: &str, body: &str) -> String {
    format!("---\ntitle: {title}\nlang: {lang}\ntags: {}\nstatus: {status}\n---\n{}", tags.join(", "), body)
}

#[cfg(test)]
mod tests;
