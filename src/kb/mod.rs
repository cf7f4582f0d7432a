//! The knowledge base at work: articles saved with their search terms and
//! HTML ([`save`]), drafted from a resolved ticket ([`draft_from_ticket`]),
//! and the articles that answer a mail ([`suggest`]).

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use crate::domain::history::Direction;
use crate::domain::knowledge::{self, Indexed};
use crate::domain::ticket::Lang;
use crate::store::models::{KbArticle, NewKbArticle, Ticket};
use crate::store::{kb, queries, Conn};

type QResult<T> = Result<T, diesel::result::Error>;

/// An article as written by a person or drafted by guichet.
#[derive(Debug, Clone)]
pub struct Text<'a> {
    pub title: &'a str,
    /// Markdown.
    pub body: &'a str,
    pub lang: Lang,
    pub tags: &'a [String],
    pub status: &'a str,
}

/// Writes `text` as article `id`, or as a new one; its search terms and
/// HTML are worked out here. Returns the article's id.
pub fn save(
    conn: &mut Conn,
    id: Option<i64>,
    text: &Text<'_>,
    source_ticket: Option<i64>,
    source_file: Option<&str>,
    now: NaiveDateTime,
) -> QResult<i64> {
    let search_text = Indexed::search_text(text.title, text.body, text.lang);
    let html = knowledge::html(text.body);
    let tags = text.tags.join(",");
    let row = NewKbArticle {
        title: text.title,
        body_text: text.body,
        body_html: &html,
        lang: text.lang.as_str(),
        tags: &tags,
        status: text.status,
        source_ticket_id: source_ticket,
        source_file,
        search_text: &search_text,
        updated_at: now,
    };
    match id {
        Some(id) => kb::update(conn, id, &row).map(|()| id),
        None => kb::insert(conn, &row, now),
    }
}

/// A draft article from `ticket`, now resolved: the requester's first
/// words as the problem, `solution` (the resolving technician's words, or
/// when they wrote none, the last public answer) as the solution, the
/// requester's personal data taken out. `None` when the ticket has one
/// already or nothing to say.
pub fn draft_from_ticket(conn: &mut Conn, ticket: &Ticket, solution: &str, now: NaiveDateTime) -> QResult<Option<i64>> {
    if kb::from_ticket(conn, ticket.id)?.is_some() {
        return Ok(None);
    }
    let articles = queries::articles(conn, ticket.id)?;
    let Some(problem) = articles.iter().find(|a| a.direction() == Ok(Direction::In)) else { return Ok(None) };
    let solution = if solution.trim().is_empty() {
        match articles.iter().rev().find(|a| a.is_public_answer()) {
            Some(a) => a.trimmed_text.clone(),
            None => return Ok(None),
        }
    } else {
        solution.to_string()
    };
    let requester = queries::contact(conn, ticket.requester_id)?;
    let lang: Lang = ticket.language.parse().unwrap_or(Lang::En);
    let d =
        knowledge::draft(&ticket.subject, &problem.trimmed_text, &solution, lang, &requester.name, &requester.email);
    let tags = queries::tags(conn, ticket.id)?;
    let text = Text { title: &d.title, body: &d.body, lang, tags: &tags, status: "draft" };
    save(conn, None, &text, Some(ticket.id), None, now).map(Some)
}

/// The published articles in `lang` that answer `text`, best first, each
/// with its relevance (0 to 1), at least `min_score`, at most `limit`.
pub fn suggest(
    conn: &mut Conn,
    text: &str,
    lang: Lang,
    min_score: f64,
    limit: usize,
) -> QResult<Vec<(KbArticle, f64)>> {
    let terms = knowledge::terms(text, lang);
    let mail: BTreeSet<String> = terms.iter().cloned().collect();
    // The first hundred distinct terms say what a long mail is about.
    let mut seen = BTreeSet::new();
    let query: Vec<String> = terms.into_iter().filter(|t| seen.insert(t.clone())).take(100).collect();
    let candidates = kb::search(conn, &query, lang.as_str(), 20)?;
    let mut scored: Vec<(KbArticle, f64)> = candidates
        .into_iter()
        .map(|a| {
            let indexed = Indexed::new(&a.title, &a.body_text, lang);
            let score = knowledge::relevance(&mail, &indexed);
            (a, score)
        })
        .filter(|(_, s)| *s >= min_score)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
    scored.truncate(limit);
    Ok(scored)
}
