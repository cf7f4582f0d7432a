//! Articles and their attachments.

use diesel::prelude::*;

use super::QResult;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

pub fn insert_article(conn: &mut Conn, new: &NewArticle<'_>) -> QResult<i64> {
    // Columns named one by one: PostgreSQL prepares it once (see `insert_ticket`).
    let row = (
        articles::ticket_id.eq(new.ticket_id),
        articles::raw_message_id.eq(new.raw_message_id),
        articles::direction.eq(new.direction.as_str()),
        articles::visibility.eq(new.visibility.as_str()),
        articles::author_role.eq(new.author_role.as_str()),
        articles::from_addr.eq(new.from_addr),
        articles::from_name.eq(new.from_name),
        articles::to_addrs.eq(new.to_addrs),
        articles::cc_addrs.eq(new.cc_addrs),
        articles::subject.eq(new.subject),
        articles::body_text.eq(new.body_text),
        articles::trimmed_text.eq(new.trimmed_text),
        articles::body_html.eq(new.body_html),
        articles::message_id.eq(new.message_id),
        articles::created_at.eq(new.created_at),
    );
    diesel::insert_into(articles::table).values(row).returning(articles::id).get_result(conn)
}

pub fn articles(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<Article>> {
    articles::table
        .filter(articles::ticket_id.eq(ticket_id))
        .order(articles::id.asc())
        .select(Article::as_select())
        .load(conn)
}

/// The words of a ticket's first article (its request), trimmed.
pub fn first_article_text(conn: &mut Conn, ticket_id: i64) -> QResult<Option<String>> {
    articles::table
        .filter(articles::ticket_id.eq(ticket_id))
        .order(articles::id.asc())
        .select(articles::trimmed_text)
        .first(conn)
        .optional()
}

/// One article's trimmed words, when it is on `ticket_id`.
pub fn article_text(conn: &mut Conn, ticket_id: i64, id: i64) -> QResult<Option<String>> {
    articles::table
        .filter(articles::ticket_id.eq(ticket_id))
        .filter(articles::id.eq(id))
        .select(articles::trimmed_text)
        .first(conn)
        .optional()
}

/// Stores the content once per sha256, then the attachment row.
pub fn insert_attachment(
    conn: &mut Conn,
    article_id: i64,
    name: &str,
    ctype: &str,
    inline: bool,
    content_id: Option<&str>,
    content: &[u8],
) -> QResult<()> {
    let sha = crate::mail::inbound::sha256_hex(content);
    let size = content.len() as i64;
    let blob = (blobs::sha256.eq(&sha), blobs::size.eq(size), blobs::content.eq(content));
    per_backend!(conn, c => diesel::insert_into(blobs::table).values(blob).on_conflict_do_nothing().execute(c))?;
    diesel::insert_into(attachments::table)
        .values(NewAttachment {
            article_id,
            filename: name,
            content_type: ctype,
            size,
            sha256: &sha,
            inline,
            content_id,
        })
        .execute(conn)
        .map(drop)
}

pub fn attachments_of(conn: &mut Conn, article_ids: &[i64]) -> QResult<Vec<Attachment>> {
    attachments::table
        .filter(attachments::article_id.eq_any(article_ids))
        .order(attachments::id.asc())
        .select(Attachment::as_select())
        .load(conn)
}

/// The attachment of one of `ticket`'s articles with this content, the
/// most recent when several have it.
pub fn attachment_on_ticket(conn: &mut Conn, ticket: i64, sha256: &str) -> QResult<Option<i64>> {
    attachments::table
        .inner_join(articles::table)
        .filter(articles::ticket_id.eq(ticket))
        .filter(attachments::sha256.eq(sha256))
        .order(attachments::id.desc())
        .select(attachments::id)
        .first(conn)
        .optional()
}

/// An attachment and its stored content.
pub fn attachment_file(conn: &mut Conn, id: i64) -> QResult<Option<(Attachment, Vec<u8>)>> {
    let Some(a) = attachments::table.find(id).select(Attachment::as_select()).first(conn).optional()? else {
        return Ok(None);
    };
    let content = blobs::table.find(&a.sha256).select(blobs::content).first::<Vec<u8>>(conn).optional()?;
    Ok(content.map(|c| (a, c)))
}
