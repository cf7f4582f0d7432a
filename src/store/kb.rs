//! The knowledge base's queries: articles, their full-text search (SQLite
//! FTS5, PostgreSQL text search over the same terms) and the suggestions
//! acknowledgements made.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::models::{KbArticle, NewKbArticle};
use super::schema::{kb_articles, kb_suggestions};
use super::{per_backend, Conn};

type QResult<T> = Result<T, diesel::result::Error>;

pub fn insert(conn: &mut Conn, new: &NewKbArticle<'_>, now: NaiveDateTime) -> QResult<i64> {
    diesel::insert_into(kb_articles::table)
        .values((new, kb_articles::created_at.eq(now)))
        .returning(kb_articles::id)
        .get_result(conn)
}

pub fn update(conn: &mut Conn, id: i64, new: &NewKbArticle<'_>) -> QResult<()> {
    diesel::update(kb_articles::table.find(id)).set(new).execute(conn).map(drop)
}

pub fn article(conn: &mut Conn, id: i64) -> QResult<Option<KbArticle>> {
    kb_articles::table.find(id).select(KbArticle::as_select()).first(conn).optional()
}

pub fn by_source_file(conn: &mut Conn, file: &str) -> QResult<Option<KbArticle>> {
    kb_articles::table.filter(kb_articles::source_file.eq(file)).select(KbArticle::as_select()).first(conn).optional()
}

pub fn from_ticket(conn: &mut Conn, ticket_id: i64) -> QResult<Option<KbArticle>> {
    kb_articles::table
        .filter(kb_articles::source_ticket_id.eq(ticket_id))
        .select(KbArticle::as_select())
        .first(conn)
        .optional()
}

/// Articles, newest first, by status and language when given.
pub fn list(conn: &mut Conn, status: Option<&str>, lang: Option<&str>) -> QResult<Vec<KbArticle>> {
    let mut q = kb_articles::table.select(KbArticle::as_select()).order(kb_articles::id.desc()).into_boxed();
    if let Some(s) = status {
        q = q.filter(kb_articles::status.eq(s.to_string()));
    }
    if let Some(l) = lang {
        q = q.filter(kb_articles::lang.eq(l.to_string()));
    }
    q.load(conn)
}

pub fn set_status(conn: &mut Conn, id: i64, status: &str, now: NaiveDateTime) -> QResult<bool> {
    diesel::update(kb_articles::table.find(id))
        .set((kb_articles::status.eq(status), kb_articles::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n > 0)
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The published articles in `lang` whose index holds any of `terms`, best
/// ranked first (BM25 on SQLite, `ts_rank` on PostgreSQL), at most `limit`.
/// `terms` are guichet's own (`[a-z0-9]` only), so they are safe in the
/// query syntax of both.
pub fn search(conn: &mut Conn, terms: &[String], lang: &str, limit: i64) -> QResult<Vec<KbArticle>> {
    let terms: Vec<&String> = terms.iter().filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric())).collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let hits: Vec<Hit> = match conn {
        super::AnyConnection::Sqlite(c) => {
            let query = terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" OR ");
            diesel::sql_query(
                "SELECT a.id AS id FROM kb_search JOIN kb_articles a ON a.id = kb_search.rowid \
                 WHERE kb_search MATCH ? AND a.status = 'published' AND a.lang = ? \
                 ORDER BY bm25(kb_search) LIMIT ?",
            )
            .bind::<Text, _>(query)
            .bind::<Text, _>(lang)
            .bind::<BigInt, _>(limit)
            .load(c)?
        }
        super::AnyConnection::Postgres(c) => {
            let query = terms.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" | ");
            diesel::sql_query(
                "SELECT id FROM kb_articles, to_tsquery('simple', $1) q \
                 WHERE search @@ q AND status = 'published' AND lang = $2 \
                 ORDER BY ts_rank(search, q) DESC, id LIMIT $3",
            )
            .bind::<Text, _>(query)
            .bind::<Text, _>(lang)
            .bind::<BigInt, _>(limit)
            .load(c)?
        }
    };
    let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
    let mut found: Vec<KbArticle> =
        kb_articles::table.filter(kb_articles::id.eq_any(&ids)).select(KbArticle::as_select()).load(conn)?;
    found.sort_by_key(|a| ids.iter().position(|id| *id == a.id));
    Ok(found)
}

/// Records that `ticket`'s acknowledgement suggested `article`.
pub fn suggested(conn: &mut Conn, ticket: i64, article: i64, score: f64, now: NaiveDateTime) -> QResult<()> {
    per_backend!(conn, c => diesel::insert_into(kb_suggestions::table)
        .values((
            kb_suggestions::ticket_id.eq(ticket),
            kb_suggestions::kb_article_id.eq(article),
            kb_suggestions::score.eq(score),
            kb_suggestions::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(kb_articles::table.find(article))
        .set(kb_articles::suggested.eq(kb_articles::suggested + 1))
        .execute(conn)
        .map(drop)
}

/// The articles suggested to `ticket`, best first.
pub fn suggestions(conn: &mut Conn, ticket: i64) -> QResult<Vec<(KbArticle, f64)>> {
    kb_suggestions::table
        .inner_join(kb_articles::table)
        .filter(kb_suggestions::ticket_id.eq(ticket))
        .order(kb_suggestions::score.desc())
        .select((KbArticle::as_select(), kb_suggestions::score))
        .load(conn)
}

/// One more requester solved their problem with `article`.
pub fn count_useful(conn: &mut Conn, article: i64) -> QResult<()> {
    diesel::update(kb_articles::table.find(article))
        .set(kb_articles::useful.eq(kb_articles::useful + 1))
        .execute(conn)
        .map(drop)
}
