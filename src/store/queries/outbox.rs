//! The outbox: mail queued, claimed by a sender, sent or failed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{per_backend, AnyConnection, Conn};

/// Queues a mail; automatic mail also counts toward each recipient's
/// hourly cap ([`automatic_sent_to`]).
pub fn insert_outbox(conn: &mut Conn, new: &NewOutbox<'_>) -> QResult<i64> {
    // Columns named one by one: PostgreSQL prepares it once (see `insert_ticket`).
    let row = (
        outbox::ticket_id.eq(new.ticket_id),
        outbox::template.eq(new.template),
        outbox::message_id.eq(new.message_id),
        outbox::envelope_from.eq(new.envelope_from),
        outbox::recipients.eq(new.recipients),
        outbox::subject.eq(new.subject),
        outbox::automatic.eq(new.automatic),
        outbox::next_attempt_at.eq(new.next_attempt_at),
        outbox::created_at.eq(new.created_at),
        outbox::lang.eq(new.lang),
        outbox::context.eq(new.context),
        outbox::headers.eq(new.headers),
        outbox::files.eq(new.files),
        outbox::article_id.eq(new.article_id),
    );
    let id = diesel::insert_into(outbox::table).values(row).returning(outbox::id).get_result(conn)?;
    if new.automatic {
        // Row by row: batch inserts are not available through AnyConnection.
        for address in new.recipients.split(',').map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()) {
            diesel::insert_into(automatic_mail::table)
                .values((
                    automatic_mail::outbox_id.eq(id),
                    automatic_mail::address.eq(address),
                    automatic_mail::created_at.eq(new.created_at),
                ))
                .execute(conn)?;
        }
    }
    Ok(id)
}

/// Automatic mail queued for `address` since `since`.
pub fn automatic_sent_to(conn: &mut Conn, address: &str, since: NaiveDateTime) -> QResult<i64> {
    automatic_mail::table
        .filter(automatic_mail::address.eq(address.trim().to_lowercase()))
        .filter(automatic_mail::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Takes the due rows for one sender: their next attempt moves to
/// `lease_until`, so another worker does not send them meanwhile, and a
/// sender that dies mid-way has them tried again once the lease expires.
/// Run it in a write transaction: on PostgreSQL rows another instance is
/// claiming are skipped, not waited for; SQLite has one writer at a time.
pub fn claim_due_outbox(
    conn: &mut Conn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QResult<Vec<OutboxRow>> {
    let rows = match conn {
        AnyConnection::Postgres(c) => outbox::table
            .filter(outbox::state.eq("pending"))
            .filter(outbox::next_attempt_at.le(now))
            .filter(outbox::leased_until.is_null().or(outbox::leased_until.le(now)))
            .order(outbox::id.asc())
            .limit(limit)
            .select(OutboxRow::as_select())
            .for_update()
            .skip_locked()
            .load(c)?,
        AnyConnection::Sqlite(_) => due_outbox(conn, now, limit)?,
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set(outbox::leased_until.eq(Some(lease_until)))
        .execute(conn)?;
    Ok(rows)
}

/// Gives back the rows a sender that is gone had claimed (SQLite: called
/// by the process that now holds the sender lock). Returns how many.
pub fn release_leases(conn: &mut Conn) -> QResult<usize> {
    diesel::update(outbox::table.filter(outbox::leased_until.is_not_null()))
        .set(outbox::leased_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

/// A takeover (SQLite): the rows a sender that stopped had claimed go back
/// to the queue. It sent its batch in order, so the first of them may
/// have gone out before it could record it: that row gets an `unknown`
/// attempt that says so, and a second copy is known for what it is.
/// Returns the rows released.
pub fn release_leases_after_stop(conn: &mut Conn, at: NaiveDateTime) -> QResult<usize> {
    let first: Option<i64> = outbox::table
        .filter(outbox::leased_until.is_not_null())
        .filter(outbox::state.eq("pending"))
        .select(diesel::dsl::min(outbox::id))
        .first(conn)?;
    if let Some(id) = first {
        let why = "claimed by a sender that stopped before recording an attempt: it may have gone out already";
        record_attempt(conn, id, at, "unknown", why)?;
    }
    release_leases(conn)
}

/// Every attempt: (outbox row, when, result, detail), oldest first.
pub fn outbox_attempts(conn: &mut Conn) -> QResult<Vec<(i64, NaiveDateTime, String, String)>> {
    outbox_attempts::table
        .order(outbox_attempts::id.asc())
        .select((
            outbox_attempts::outbox_id,
            outbox_attempts::attempted_at,
            outbox_attempts::result,
            outbox_attempts::detail,
        ))
        .load(conn)
}

/// Gives claimed rows back unsent, for the next pass to take.
pub fn release_outbox_rows(conn: &mut Conn, ids: &[i64]) -> QResult<usize> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set(outbox::leased_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

/// PostgreSQL only: the oldest due row no other transaction holds, locked
/// until the caller's transaction ends.
pub fn lock_one_due(conn: &mut Conn, now: NaiveDateTime) -> QResult<Option<OutboxRow>> {
    match conn {
        AnyConnection::Postgres(c) => outbox::table
            .filter(outbox::state.eq("pending"))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::id.asc())
            .limit(1)
            .select(OutboxRow::as_select())
            .for_update()
            .skip_locked()
            .first(c)
            .optional(),
        AnyConnection::Sqlite(_) => Err(diesel::result::Error::QueryBuilderError("row locks need PostgreSQL".into())),
    }
}

pub fn due_outbox(conn: &mut Conn, now: NaiveDateTime, limit: i64) -> QResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::state.eq("pending"))
        .filter(outbox::next_attempt_at.le(now))
        .filter(outbox::leased_until.is_null().or(outbox::leased_until.le(now)))
        .order(outbox::id.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

pub fn outbox_message_id(conn: &mut Conn, id: i64) -> QResult<String> {
    outbox::table.find(id).select(outbox::message_id).first(conn)
}

pub fn list_outbox(conn: &mut Conn) -> QResult<Vec<OutboxRow>> {
    outbox::table.order(outbox::id.asc()).select(OutboxRow::as_select()).load(conn)
}

pub fn record_attempt(conn: &mut Conn, outbox_id: i64, at: NaiveDateTime, result: &str, detail: &str) -> QResult<()> {
    diesel::insert_into(outbox_attempts::table)
        .values((
            outbox_attempts::outbox_id.eq(outbox_id),
            outbox_attempts::attempted_at.eq(at),
            outbox_attempts::result.eq(result),
            outbox_attempts::detail.eq(detail),
        ))
        .execute(conn)
        .map(drop)
}

pub fn mark_sent(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::state.eq("sent"),
            outbox::sent_at.eq(at),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(None::<String>),
            outbox::leased_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(drop)
}

/// Records a failed attempt: retried at `retry_at`, or given up (`None`).
/// Recipients still to be sent to (the relay took the mail for the others).
pub fn set_outbox_recipients(conn: &mut Conn, id: i64, recipients: &str) -> QResult<()> {
    diesel::update(outbox::table.find(id)).set(outbox::recipients.eq(recipients)).execute(conn).map(drop)
}

/// Keeps what went wrong for some recipients of a mail sent to the others.
pub fn note_outbox_error(conn: &mut Conn, id: i64, error: &str) -> QResult<()> {
    diesel::update(outbox::table.find(id)).set(outbox::last_error.eq(error)).execute(conn).map(drop)
}

/// Turns outbox row `id` to its smaller version (its larger files as
/// links) after a relay refused it for its size: a row queued with bytes
/// takes the smaller bytes kept with it; a row rendered by the sender is
/// rendered smaller from now on when `renders_smaller` (it has files and is
/// not smaller yet). False when there is no smaller version (left as is).
pub fn use_smaller_outbox_content(conn: &mut Conn, id: i64, renders_smaller: bool) -> QResult<bool> {
    let found: Option<(Option<Vec<u8>>, bool)> =
        outbox::table.find(id).select((outbox::smaller_content, outbox::smaller)).first(conn).optional()?;
    let Some((kept, smaller)) = found else { return Ok(false) };
    if let Some(kept) = kept {
        return diesel::update(outbox::table.find(id))
            .set((outbox::content.eq(Some(kept)), outbox::smaller_content.eq(None::<Vec<u8>>)))
            .execute(conn)
            .map(|n| n > 0);
    }
    if !renders_smaller || smaller {
        return Ok(false);
    }
    diesel::update(outbox::table.find(id)).set(outbox::smaller.eq(true)).execute(conn).map(|n| n > 0)
}

/// What a mail quoting an article shows of it: (from name, from address,
/// subject, trimmed text).
pub type QuotedArticle = (String, String, String, String);

pub fn outbox_article(conn: &mut Conn, id: i64) -> QResult<Option<QuotedArticle>> {
    articles::table
        .find(id)
        .select((articles::from_name, articles::from_addr, articles::subject, articles::trimmed_text))
        .first(conn)
        .optional()
}

/// The most recent articles of `ticket`, newest first, as
/// [`outbox_article`] gives them with their id: a notice quoting one of
/// them as it is refers to it rather than copying it.
pub fn recent_articles(conn: &mut Conn, ticket: i64, n: i64) -> QResult<Vec<(i64, QuotedArticle)>> {
    articles::table
        .filter(articles::ticket_id.eq(ticket))
        .order(articles::id.desc())
        .limit(n)
        .select((articles::id, (articles::from_name, articles::from_addr, articles::subject, articles::trimmed_text)))
        .load(conn)
}

/// The thread of ticket `ticket_id` for `References`, oldest first, as
/// (row of `message_ids`, Message-ID): only what the requester's side has
/// seen, unless `staff`.
pub fn thread_references(conn: &mut Conn, ticket_id: i64, staff: bool) -> QResult<Vec<(i64, String)>> {
    let mut q = message_ids::table
        .filter(message_ids::ticket_id.eq(ticket_id))
        .order(message_ids::id.asc())
        .select((message_ids::id, message_ids::message_id))
        .into_boxed();
    if !staff {
        q = q.filter(message_ids::audience.eq("public"));
    }
    q.load(conn)
}

/// The Message-IDs of rows of `message_ids`, in the order given.
pub fn message_ids_of_rows(conn: &mut Conn, rows: &[i64]) -> QResult<Vec<String>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<(i64, String)> = message_ids::table
        .filter(message_ids::id.eq_any(rows))
        .select((message_ids::id, message_ids::message_id))
        .load(conn)?;
    Ok(rows.iter().filter_map(|r| found.iter().find(|(id, _)| id == r).map(|(_, m)| m.clone())).collect())
}

/// Stores `content` under its sha256 unless the store has it already (the
/// usual case: a notice's files are its article's, stored just before).
pub fn keep_blob(conn: &mut Conn, sha256: &str, content: &[u8]) -> QResult<()> {
    let known: i64 = blobs::table.filter(blobs::sha256.eq(sha256)).count().get_result(conn)?;
    if known == 0 {
        let blob = (blobs::sha256.eq(sha256), blobs::size.eq(content.len() as i64), blobs::content.eq(content));
        per_backend!(conn, c => diesel::insert_into(blobs::table).values(blob).on_conflict_do_nothing().execute(c))?;
    }
    Ok(())
}

/// A stored blob's bytes.
pub fn blob(conn: &mut Conn, sha256: &str) -> QResult<Option<Vec<u8>>> {
    blobs::table.find(sha256).select(blobs::content).first(conn).optional()
}

/// A row whose mail could not be rendered at its last attempt: (id,
/// state, template, language, why). `pending`: tried again later (a
/// template fixed by then lets it go); `failed`: out of attempts.
pub type Unrenderable = (i64, String, String, Option<String>, Option<String>);

/// Rows whose mail could not be rendered at their last attempt, oldest first.
pub fn unrenderable_outbox(conn: &mut Conn) -> QResult<Vec<Unrenderable>> {
    outbox::table
        .filter(outbox::state.eq("failed").or(outbox::state.eq("pending")))
        .filter(outbox::last_error.like("cannot render:%"))
        .order(outbox::id.asc())
        .select((outbox::id, outbox::state, outbox::template, outbox::lang, outbox::last_error))
        .load(conn)
}

pub fn mark_failed(conn: &mut Conn, id: i64, error: &str, retry_at: Option<NaiveDateTime>) -> QResult<()> {
    let q = diesel::update(outbox::table.find(id));
    match retry_at {
        Some(at) => q
            .set((
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(error),
                outbox::next_attempt_at.eq(at),
                outbox::leased_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn),
        None => q
            .set((
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(error),
                outbox::state.eq("failed"),
                outbox::leased_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn),
    }
    .map(drop)
}

/// Marks every queued mail handled without sending it, as of the time it
/// was queued, with an attempt (`simulated`) that says why: the mail of
/// `guichet demo`, written to people who do not exist, goes nowhere and
/// is not left for a sender to find. Returns how many.
pub fn settle_unsent(conn: &mut Conn, detail: &str) -> QResult<usize> {
    let queued: Vec<(i64, NaiveDateTime)> = outbox::table
        .filter(outbox::state.eq("pending"))
        .select((outbox::id, outbox::created_at))
        .order(outbox::id.asc())
        .load(conn)?;
    for (id, at) in &queued {
        record_attempt(conn, *id, *at, "simulated", detail)?;
    }
    diesel::update(outbox::table.filter(outbox::state.eq("pending")))
        .set((
            outbox::state.eq("sent"),
            outbox::sent_at.eq(outbox::created_at.nullable()),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::leased_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}
