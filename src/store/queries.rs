//! The queries guichet runs, as plain functions over a connection so that
//! callers compose them inside one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::{per_backend, AnyConnection, Conn};

type QResult<T> = Result<T, diesel::result::Error>;

/// A round trip to the database, for health checks.
pub fn ping(conn: &mut Conn) -> QResult<()> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).execute(conn).map(drop)
}

// --- contacts -------------------------------------------------------------

pub fn contact_by_email(conn: &mut Conn, email: &str) -> QResult<Option<Contact>> {
    contacts::table.filter(contacts::email.eq(email)).select(Contact::as_select()).first(conn).optional()
}

/// Marks `email` as failing until `until` (a contact is made if needed).
pub fn set_undeliverable(conn: &mut Conn, email: &str, until: NaiveDateTime, now: NaiveDateTime) -> QResult<()> {
    let c = upsert_contact(conn, email, "", None, now)?;
    diesel::update(contacts::table.find(c.id))
        .set(contacts::undeliverable_until.eq(Some(until)))
        .execute(conn)
        .map(drop)
}

/// They wrote to us: their address works again. True when it was marked.
pub fn clear_undeliverable(conn: &mut Conn, email: &str) -> QResult<bool> {
    diesel::update(
        contacts::table.filter(contacts::email.eq(email)).filter(contacts::undeliverable_until.is_not_null()),
    )
    .set(contacts::undeliverable_until.eq(None::<NaiveDateTime>))
    .execute(conn)
    .map(|n| n > 0)
}

/// Until when `email` is known to fail, if it is now.
pub fn undeliverable_until(conn: &mut Conn, email: &str, now: NaiveDateTime) -> QResult<Option<NaiveDateTime>> {
    contacts::table
        .filter(contacts::email.eq(email))
        .filter(contacts::undeliverable_until.gt(now))
        .select(contacts::undeliverable_until)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()
        .map(Option::flatten)
}

pub fn contact(conn: &mut Conn, id: i64) -> QResult<Contact> {
    contacts::table.find(id).select(Contact::as_select()).first(conn)
}

/// The contact for this address, created on first sight. A name or
/// language learned later fills in what was missing.
pub fn upsert_contact(
    conn: &mut Conn,
    email: &str,
    name: &str,
    language: Option<&str>,
    now: NaiveDateTime,
) -> QResult<Contact> {
    if let Some(c) = contact_by_email(conn, email)? {
        if (c.name.is_empty() && !name.is_empty()) || (c.language.is_none() && language.is_some()) {
            diesel::update(contacts::table.find(c.id))
                .set((
                    contacts::name.eq(if c.name.is_empty() { name } else { &c.name }),
                    contacts::language.eq(c.language.as_deref().or(language)),
                ))
                .execute(conn)?;
            return contact(conn, c.id);
        }
        return Ok(c);
    }
    let new = NewContact { email, name, language, created_at: now };
    per_backend!(conn, c => diesel::insert_into(contacts::table)
        .values(new)
        .returning(Contact::as_returning())
        .get_result(c))
}

// --- tickets --------------------------------------------------------------

pub fn ticket(conn: &mut Conn, id: i64) -> QResult<Option<Ticket>> {
    tickets::table.find(id).select(Ticket::as_select()).first(conn).optional()
}

pub fn insert_ticket(conn: &mut Conn, new: &NewTicket<'_>) -> QResult<Ticket> {
    per_backend!(conn, c => diesel::insert_into(tickets::table)
        .values(new)
        .returning(Ticket::as_returning())
        .get_result(c))
}

/// Tickets, oldest first, narrowed by whichever filters are given.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub group: Option<String>,
    /// Only tickets still open.
    pub open: bool,
}

pub fn list_tickets(conn: &mut Conn, f: &TicketFilter) -> QResult<Vec<Ticket>> {
    let mut q = tickets::table.select(Ticket::as_select()).order(tickets::id.asc()).into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(tickets::status.eq(s.clone()));
    }
    if let Some(a) = &f.assignee {
        q = q.filter(tickets::assignee.eq(a.clone()));
    }
    if let Some(g) = &f.group {
        q = q.filter(tickets::group_name.eq(g.clone()));
    }
    if f.open {
        q = q.filter(tickets::status.ne_all(CLOSED));
    }
    q.load(conn)
}

pub fn set_status(
    conn: &mut Conn,
    id: i64,
    status: &str,
    closed_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QResult<()> {
    // Waiting for the requester starts the reminder clock afresh.
    let pending_since = (status == "pending").then_some(now);
    diesel::update(tickets::table.find(id))
        .set((
            tickets::status.eq(status),
            tickets::closed_at.eq(closed_at),
            tickets::updated_at.eq(now),
            tickets::pending_since.eq(pending_since),
            tickets::reminded_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_assignment(
    conn: &mut Conn,
    id: i64,
    assignee: Option<&str>,
    group: Option<&str>,
    now: NaiveDateTime,
) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::assignee.eq(assignee), tickets::group_name.eq(group), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn set_classification(
    conn: &mut Conn,
    id: i64,
    ticket_type: &str,
    impact: i32,
    urgency: i32,
    priority: i32,
    now: NaiveDateTime,
) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((
            tickets::ticket_type.eq(ticket_type),
            tickets::impact.eq(impact),
            tickets::urgency.eq(urgency),
            tickets::priority.eq(priority),
            tickets::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_parent(conn: &mut Conn, id: i64, parent: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::parent_id.eq(parent), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn set_related(conn: &mut Conn, id: i64, related: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::related_id.eq(related), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// A requester's other tickets: those still open, and those closed since
/// `closed_since`; the newest `limit`.
pub fn requester_tickets(
    conn: &mut Conn,
    requester: i64,
    except: i64,
    closed_since: NaiveDateTime,
    limit: i64,
) -> QResult<Vec<Ticket>> {
    tickets::table
        .filter(tickets::requester_id.eq(requester))
        .filter(tickets::id.ne(except))
        .filter(tickets::closed_at.is_null().or(tickets::closed_at.ge(closed_since)))
        .order(tickets::id.desc())
        .limit(limit)
        .select(Ticket::as_select())
        .load(conn)
}

pub fn touch_ticket(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id)).set(tickets::updated_at.eq(now)).execute(conn).map(drop)
}

pub fn watchers(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<Contact>> {
    ticket_watchers::table
        .inner_join(contacts::table)
        .filter(ticket_watchers::ticket_id.eq(ticket_id))
        .select(Contact::as_select())
        .order(contacts::email.asc())
        .load(conn)
}

pub fn add_watcher(conn: &mut Conn, ticket_id: i64, contact_id: i64) -> QResult<()> {
    per_backend!(conn, c => diesel::insert_into(ticket_watchers::table)
        .values((ticket_watchers::ticket_id.eq(ticket_id), ticket_watchers::contact_id.eq(contact_id)))
        .on_conflict_do_nothing()
        .execute(c)
        .map(drop))
}

// --- threading ------------------------------------------------------------

/// The ticket of the first of these Message-IDs we know.
pub fn ticket_by_message_ids(conn: &mut Conn, ids: &[String]) -> QResult<Option<i64>> {
    for id in ids {
        let found = message_ids::table
            .filter(message_ids::message_id.eq(id))
            .select(message_ids::ticket_id)
            .first::<i64>(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The latest `limit` notices we sent technicians about a ticket, newest
/// first, each as (Message-ID, template, bytes): what a technician's mail
/// on it may quote, answer or forward.
pub fn staff_notices(conn: &mut Conn, ticket_id: i64, limit: i64) -> QResult<Vec<(String, String, Vec<u8>)>> {
    let staff = message_ids::table
        .filter(message_ids::ticket_id.eq(ticket_id))
        .filter(message_ids::direction.eq("out"))
        .filter(message_ids::audience.eq("staff"))
        .select(message_ids::message_id);
    outbox::table
        .filter(outbox::message_id.eq_any(staff))
        .order(outbox::id.desc())
        .limit(limit)
        .select((outbox::message_id, outbox::template, outbox::content))
        .load(conn)
}

pub fn record_message_id(
    conn: &mut Conn,
    message_id: &str,
    ticket_id: i64,
    direction: &str,
    audience: &str,
    now: NaiveDateTime,
) -> QResult<()> {
    let row = (
        message_ids::message_id.eq(message_id),
        message_ids::ticket_id.eq(ticket_id),
        message_ids::direction.eq(direction),
        message_ids::audience.eq(audience),
        message_ids::created_at.eq(now),
    );
    per_backend!(conn, c => diesel::insert_into(message_ids::table)
        .values(row)
        .on_conflict(message_ids::message_id)
        .do_nothing()
        .execute(c)
        .map(drop))
}

/// Message-IDs of a ticket's thread, oldest first (for `References`):
/// only those the requester's side has seen, unless `staff`.
pub fn thread_message_ids(conn: &mut Conn, ticket_id: i64, staff: bool) -> QResult<Vec<String>> {
    let mut q = message_ids::table
        .filter(message_ids::ticket_id.eq(ticket_id))
        .order(message_ids::id.asc())
        .select(message_ids::message_id)
        .into_boxed();
    if !staff {
        q = q.filter(message_ids::audience.eq("public"));
    }
    q.load(conn)
}

// --- raw mail and what became of it -----------------------------------------

pub fn raw_by_sha(conn: &mut Conn, sha: &str) -> QResult<Option<i64>> {
    raw_messages::table.filter(raw_messages::sha256.eq(sha)).select(raw_messages::id).first(conn).optional()
}

pub fn raw_size(conn: &mut Conn, id: i64) -> QResult<i64> {
    raw_messages::table.find(id).select(raw_messages::size).first(conn)
}

pub fn raw_content(conn: &mut Conn, id: i64) -> QResult<Vec<u8>> {
    raw_messages::table.find(id).select(raw_messages::content).first(conn)
}

pub fn insert_raw(conn: &mut Conn, new: &NewRawMessage<'_>) -> QResult<i64> {
    diesel::insert_into(raw_messages::table).values(new).returning(raw_messages::id).get_result(conn)
}

pub fn source_seen(conn: &mut Conn, mailbox: &str, key: &str) -> QResult<bool> {
    diesel::select(diesel::dsl::exists(
        source_messages::table.filter(source_messages::mailbox.eq(mailbox)).filter(source_messages::source_key.eq(key)),
    ))
    .get_result(conn)
}

pub fn record_source(conn: &mut Conn, mailbox: &str, key: &str, raw_id: i64, now: NaiveDateTime) -> QResult<()> {
    let row = (
        source_messages::mailbox.eq(mailbox),
        source_messages::source_key.eq(key),
        source_messages::raw_message_id.eq(raw_id),
        source_messages::created_at.eq(now),
    );
    per_backend!(conn, c => diesel::insert_into(source_messages::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)
        .map(drop))
}

pub fn inbound_for_raw(conn: &mut Conn, raw_id: i64) -> QResult<Option<Inbound>> {
    inbound::table.filter(inbound::raw_message_id.eq(raw_id)).select(Inbound::as_select()).first(conn).optional()
}

/// An earlier copy of the same mail: same Message-ID and same body.
pub fn inbound_copy(conn: &mut Conn, message_id: &str, body_sha: &str) -> QResult<Option<Inbound>> {
    inbound::table
        .filter(inbound::message_id.eq(message_id))
        .filter(inbound::body_sha256.eq(body_sha))
        .filter(inbound::outcome.ne("quarantine"))
        .select(Inbound::as_select())
        .first(conn)
        .optional()
}

pub fn insert_inbound(conn: &mut Conn, new: &NewInbound<'_>) -> QResult<()> {
    diesel::insert_into(inbound::table).values(new).execute(conn).map(drop)
}

pub fn delete_inbound_for_raw(conn: &mut Conn, raw_id: i64) -> QResult<()> {
    diesel::delete(inbound::table.filter(inbound::raw_message_id.eq(raw_id))).execute(conn).map(drop)
}

/// Inbound counts by outcome, for `status` and tests.
pub fn inbound_outcomes(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    inbound::table
        .group_by(inbound::outcome)
        .select((inbound::outcome, diesel::dsl::count_star()))
        .order(inbound::outcome.asc())
        .load(conn)
}

// --- articles and attachments -----------------------------------------------

pub fn insert_article(conn: &mut Conn, new: &NewArticle<'_>) -> QResult<i64> {
    diesel::insert_into(articles::table).values(new).returning(articles::id).get_result(conn)
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

// --- history ----------------------------------------------------------------

pub fn insert_event(conn: &mut Conn, new: &NewEvent<'_>) -> QResult<()> {
    diesel::insert_into(events::table).values(new).execute(conn).map(drop)
}

pub fn events(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<Event>> {
    events::table.filter(events::ticket_id.eq(ticket_id)).order(events::id.asc()).select(Event::as_select()).load(conn)
}

pub fn sla_timers(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<SlaTimer>> {
    sla_timers::table
        .filter(sla_timers::ticket_id.eq(ticket_id))
        .order(sla_timers::id.asc())
        .select(SlaTimer::as_select())
        .load(conn)
}

/// Writes a timer: a new row, or the one with `id`.
pub fn save_timer(conn: &mut Conn, id: Option<i64>, row: &TimerRow<'_>) -> QResult<()> {
    match id {
        Some(id) => diesel::update(sla_timers::table.find(id)).set(row).execute(conn).map(drop),
        None => diesel::insert_into(sla_timers::table).values(row).execute(conn).map(drop),
    }
}

/// Tickets with work due at `now`: a timer to warn about or breached, a
/// pending ticket to remind or close, a survey to send. Sorted, once each.
pub fn tickets_with_work_due(
    conn: &mut Conn,
    now: NaiveDateTime,
    remind_before: Option<NaiveDateTime>,
    close_before: Option<NaiveDateTime>,
) -> QResult<Vec<i64>> {
    let mut ids: Vec<i64> = sla_timers::table
        .filter(sla_timers::state.eq("running"))
        .filter(sla_timers::due_at.le(now).or(sla_timers::warned_at.is_null().and(sla_timers::warn_at.le(now))))
        .select(sla_timers::ticket_id)
        .load(conn)?;
    let cut = match (remind_before, close_before) {
        (Some(r), Some(c)) => Some((Some(r), c.max(r))),
        (Some(r), None) => Some((Some(r), r)),
        (None, Some(c)) => Some((None, c)),
        (None, None) => None,
    };
    if let Some((remind, latest)) = cut {
        // Everything pending since before the later cut, then filtered here.
        let pending: Vec<(i64, Option<NaiveDateTime>, Option<NaiveDateTime>)> = tickets::table
            .filter(tickets::status.eq("pending"))
            .filter(tickets::pending_since.le(latest))
            .select((tickets::id, tickets::pending_since, tickets::reminded_at))
            .load(conn)?;
        for (id, since, reminded) in pending {
            let Some(since) = since else { continue };
            let remind_due = remind.is_some_and(|r| since <= r) && reminded.is_none();
            let close_due = close_before.is_some_and(|c| since <= c);
            if remind_due || close_due {
                ids.push(id);
            }
        }
    }
    ids.extend(
        surveys::table
            .filter(surveys::state.eq("scheduled"))
            .filter(surveys::due_at.le(now))
            .select(surveys::ticket_id)
            .load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The ticket, locked for this transaction; `None` when another instance
/// holds it (PostgreSQL) — it is that instance's work.
pub fn lock_ticket(conn: &mut Conn, id: i64) -> QResult<Option<Ticket>> {
    match conn {
        AnyConnection::Postgres(c) => {
            tickets::table.find(id).select(Ticket::as_select()).for_update().skip_locked().first(c).optional()
        }
        // One writer at a time: the caller's write transaction is the lock.
        AnyConnection::Sqlite(_) => ticket(conn, id),
    }
}

/// Records what the sweeper did with a timer.
pub fn mark_timer(
    conn: &mut Conn,
    id: i64,
    warned_at: Option<NaiveDateTime>,
    breached_at: Option<NaiveDateTime>,
    state: &str,
) -> QResult<()> {
    diesel::update(sla_timers::table.find(id))
        .set((
            sla_timers::warned_at.eq(warned_at),
            sla_timers::breached_at.eq(breached_at),
            sla_timers::state.eq(state),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_priority(conn: &mut Conn, id: i64, priority: i32, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::priority.eq(priority), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn mark_reminded(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id)).set(tickets::reminded_at.eq(Some(now))).execute(conn).map(drop)
}

// --- surveys ----------------------------------------------------------------

pub fn survey_of(conn: &mut Conn, ticket_id: i64) -> QResult<Option<Survey>> {
    surveys::table.filter(surveys::ticket_id.eq(ticket_id)).select(Survey::as_select()).first(conn).optional()
}

pub fn survey(conn: &mut Conn, id: i64) -> QResult<Option<Survey>> {
    surveys::table.find(id).select(Survey::as_select()).first(conn).optional()
}

/// The sent survey one of `message_ids` is.
pub fn survey_by_message_ids(conn: &mut Conn, message_ids: &[String]) -> QResult<Option<Survey>> {
    if message_ids.is_empty() {
        return Ok(None);
    }
    surveys::table.filter(surveys::message_id.eq_any(message_ids)).select(Survey::as_select()).first(conn).optional()
}

pub fn insert_survey(
    conn: &mut Conn,
    ticket_id: i64,
    state: &str,
    due_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QResult<()> {
    diesel::insert_into(surveys::table)
        .values((
            surveys::ticket_id.eq(ticket_id),
            surveys::state.eq(state),
            surveys::due_at.eq(due_at),
            surveys::comment.eq(""),
            surveys::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn reschedule_survey(conn: &mut Conn, id: i64, due_at: NaiveDateTime) -> QResult<()> {
    diesel::update(surveys::table.find(id)).set(surveys::due_at.eq(due_at)).execute(conn).map(drop)
}

pub fn set_survey_state(conn: &mut Conn, id: i64, state: &str) -> QResult<()> {
    diesel::update(surveys::table.find(id)).set(surveys::state.eq(state)).execute(conn).map(drop)
}

pub fn survey_sent(conn: &mut Conn, id: i64, message_id: &str, now: NaiveDateTime) -> QResult<()> {
    diesel::update(surveys::table.find(id))
        .set((surveys::state.eq("sent"), surveys::message_id.eq(Some(message_id)), surveys::sent_at.eq(Some(now))))
        .execute(conn)
        .map(drop)
}

/// Records an answer: a rating (kept once given, unless a new one comes)
/// and a comment (added to what was said before).
pub fn answer_survey(
    conn: &mut Conn,
    id: i64,
    rating: Option<i32>,
    comment: &str,
    via: &str,
    now: NaiveDateTime,
) -> QResult<()> {
    let Some(current) = survey(conn, id)? else { return Ok(()) };
    let comment = match (current.comment.trim(), comment.trim()) {
        (old, "") => old.to_string(),
        ("", new) => new.to_string(),
        (old, new) if old == new => old.to_string(),
        (old, new) => format!("{old}\n\n{new}"),
    };
    diesel::update(surveys::table.find(id))
        .set((
            surveys::state.eq("answered"),
            surveys::rating.eq(rating.or(current.rating)),
            surveys::comment.eq(comment),
            surveys::answered_via.eq(Some(via)),
            surveys::answered_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(drop)
}

// --- secrets ----------------------------------------------------------------

/// A key the desk made for itself, made by `make` the first time. Two
/// instances asking at once agree on the first one stored.
pub fn desk_secret(conn: &mut Conn, name: &str, make: impl FnOnce() -> String, now: NaiveDateTime) -> QResult<String> {
    let stored =
        |conn: &mut Conn| desk_secrets::table.find(name).select(desk_secrets::value).first::<String>(conn).optional();
    if let Some(v) = stored(conn)? {
        return Ok(v);
    }
    let value = make();
    let row = (desk_secrets::name.eq(name), desk_secrets::value.eq(&value), desk_secrets::created_at.eq(now));
    per_backend!(conn, c => diesel::insert_into(desk_secrets::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(stored(conn)?.unwrap_or(value))
}

// --- outbox -----------------------------------------------------------------

/// Queues a mail; automatic mail also counts toward each recipient's
/// hourly cap ([`automatic_sent_to`]).
pub fn insert_outbox(conn: &mut Conn, new: &NewOutbox<'_>) -> QResult<i64> {
    let id = diesel::insert_into(outbox::table).values(new).returning(outbox::id).get_result(conn)?;
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

/// Keeps `content` as the version of outbox row `id` to send when a relay
/// refuses the mail for its size.
pub fn set_outbox_smaller(conn: &mut Conn, id: i64, content: &[u8]) -> QResult<()> {
    diesel::update(outbox::table.find(id)).set(outbox::smaller_content.eq(Some(content))).execute(conn).map(drop)
}

/// Puts the smaller version of outbox row `id` in place of its content;
/// false when it has none (left).
pub fn use_smaller_outbox_content(conn: &mut Conn, id: i64) -> QResult<bool> {
    let smaller: Option<Vec<u8>> =
        outbox::table.find(id).select(outbox::smaller_content).first(conn).optional()?.flatten();
    let Some(smaller) = smaller else { return Ok(false) };
    diesel::update(outbox::table.find(id))
        .set((outbox::content.eq(smaller), outbox::smaller_content.eq(None::<Vec<u8>>)))
        .execute(conn)
        .map(|n| n > 0)
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

// --- quarantine ---------------------------------------------------------------

pub fn insert_quarantine(
    conn: &mut Conn,
    raw_id: i64,
    mailbox: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QResult<i64> {
    diesel::insert_into(quarantine::table)
        .values((
            quarantine::raw_message_id.eq(raw_id),
            quarantine::mailbox.eq(mailbox),
            quarantine::reason.eq(reason),
            quarantine::created_at.eq(now),
        ))
        .returning(quarantine::id)
        .get_result(conn)
}

pub fn quarantined(conn: &mut Conn, all: bool) -> QResult<Vec<Quarantined>> {
    let mut q = quarantine::table.select(Quarantined::as_select()).order(quarantine::id.asc()).into_boxed();
    if !all {
        q = q.filter(quarantine::state.eq("held"));
    }
    q.load(conn)
}

pub fn quarantine_entry(conn: &mut Conn, id: i64) -> QResult<Option<Quarantined>> {
    quarantine::table.find(id).select(Quarantined::as_select()).first(conn).optional()
}

pub fn quarantine_for_raw(conn: &mut Conn, raw_id: i64) -> QResult<Option<Quarantined>> {
    quarantine::table
        .filter(quarantine::raw_message_id.eq(raw_id))
        .select(Quarantined::as_select())
        .first(conn)
        .optional()
}

pub fn release_quarantine(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(quarantine::table.find(id))
        .set((
            quarantine::state.eq("released"),
            quarantine::released_at.eq(now),
            quarantine::retries.eq(quarantine::retries + 1),
        ))
        .execute(conn)
        .map(drop)
}

pub fn requarantine(conn: &mut Conn, id: i64, reason: &str) -> QResult<()> {
    diesel::update(quarantine::table.find(id))
        .set((quarantine::reason.eq(reason), quarantine::retries.eq(quarantine::retries + 1)))
        .execute(conn)
        .map(drop)
}

// --- mailbox sources ------------------------------------------------------------

/// The UIDVALIDITY and last committed UID of an IMAP mailbox.
pub fn checkpoint(conn: &mut Conn, mailbox: &str) -> QResult<Option<(i64, i64)>> {
    mailbox_checkpoints::table
        .find(mailbox)
        .select((mailbox_checkpoints::uid_validity, mailbox_checkpoints::last_uid))
        .first(conn)
        .optional()
}

pub fn set_checkpoint(
    conn: &mut Conn,
    mailbox: &str,
    uid_validity: i64,
    last_uid: i64,
    now: NaiveDateTime,
) -> QResult<()> {
    let row = (
        mailbox_checkpoints::mailbox.eq(mailbox),
        mailbox_checkpoints::uid_validity.eq(uid_validity),
        mailbox_checkpoints::last_uid.eq(last_uid),
        mailbox_checkpoints::updated_at.eq(now),
    );
    per_backend!(conn, c => diesel::insert_into(mailbox_checkpoints::table)
        .values(row)
        .on_conflict(mailbox_checkpoints::mailbox)
        .do_update()
        .set((
            mailbox_checkpoints::uid_validity.eq(uid_validity),
            mailbox_checkpoints::last_uid.eq(last_uid),
            mailbox_checkpoints::updated_at.eq(now),
        ))
        .execute(c)
        .map(drop))
}

/// Records a good poll (`error` None) or a failed one.
pub fn record_poll(
    conn: &mut Conn,
    mailbox: &str,
    holder: &str,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QResult<()> {
    let previous: Option<MailboxHealth> =
        mailbox_health::table.find(mailbox).select(MailboxHealth::as_select()).first(conn).optional()?;
    let (state, detail, failures, last_ok) = match error {
        None => ("ok", "", 0, Some(now)),
        Some(e) => ("failing", e, previous.as_ref().map_or(0, |p| p.failures) + 1, previous.and_then(|p| p.last_ok_at)),
    };
    let row = (
        mailbox_health::mailbox.eq(mailbox),
        mailbox_health::state.eq(state),
        mailbox_health::detail.eq(detail),
        mailbox_health::holder.eq(holder),
        mailbox_health::failures.eq(failures),
        mailbox_health::last_ok_at.eq(last_ok),
        mailbox_health::updated_at.eq(now),
    );
    per_backend!(conn, c => diesel::insert_into(mailbox_health::table)
        .values(row)
        .on_conflict(mailbox_health::mailbox)
        .do_update()
        .set(row)
        .execute(c)
        .map(drop))
}

pub fn mailbox_health(conn: &mut Conn) -> QResult<Vec<MailboxHealth>> {
    mailbox_health::table.order(mailbox_health::mailbox.asc()).select(MailboxHealth::as_select()).load(conn)
}

// --- status ---------------------------------------------------------------------

pub fn tickets_by_status(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    tickets::table
        .group_by(tickets::status)
        .select((tickets::status, diesel::dsl::count_star()))
        .order(tickets::status.asc())
        .load(conn)
}

pub fn outbox_by_state(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .order(outbox::state.asc())
        .load(conn)
}

pub fn timers_by_state(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    sla_timers::table
        .group_by(sla_timers::state)
        .select((sla_timers::state, diesel::dsl::count_star()))
        .order(sla_timers::state)
        .load(conn)
}

pub fn surveys_by_state(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    surveys::table
        .group_by(surveys::state)
        .select((surveys::state, diesel::dsl::count_star()))
        .order(surveys::state)
        .load(conn)
}

pub fn quarantine_held(conn: &mut Conn) -> QResult<i64> {
    quarantine::table.filter(quarantine::state.eq("held")).count().get_result(conn)
}

/// What a desk holds already: tickets, stored mails, knowledge base
/// articles. `guichet demo` fills only a desk with none of them.
pub fn stored_counts(conn: &mut Conn) -> QResult<(i64, i64, i64)> {
    let tickets = tickets::table.count().get_result(conn)?;
    let mails = raw_messages::table.count().get_result(conn)?;
    let articles = kb_articles::table.count().get_result(conn)?;
    Ok((tickets, mails, articles))
}

// --- demo ----------------------------------------------------------------------

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

// ---------------------------------------------------------------- ITIL

const CLOSED: [&str; 2] = ["resolved", "unresolved"];

/// Open tickets assigned to a technician, counted up to `at_most`: their
/// load. The count reads an index entry per ticket, so it stops early
/// instead of growing with a backlog.
pub fn open_tickets_of(conn: &mut Conn, email: &str, at_most: i64) -> QResult<i64> {
    let ids: Vec<i64> = tickets::table
        .filter(tickets::assignee.eq(email))
        .filter(tickets::status.ne_all(CLOSED))
        .select(tickets::id)
        .limit(at_most)
        .load(conn)?;
    Ok(ids.len() as i64)
}

/// How recently a technician was given a ticket, as the number of that
/// event (events are numbered in order): for taking turns.
pub fn last_assigned(conn: &mut Conn, email: &str) -> QResult<Option<i64>> {
    events::table
        .filter(events::kind.eq("assignee"))
        .filter(events::new_value.eq(email))
        .select(diesel::dsl::max(events::id))
        .first(conn)
}

/// Until when a technician was noticed away, with why, if still away.
pub fn away(conn: &mut Conn, email: &str, now: NaiveDateTime) -> QResult<Option<(NaiveDateTime, String)>> {
    technician_away::table
        .find(email)
        .filter(technician_away::away_until.gt(now))
        .select((technician_away::away_until, technician_away::reason))
        .first(conn)
        .optional()
}

pub fn set_away(conn: &mut Conn, email: &str, until: NaiveDateTime, reason: &str, now: NaiveDateTime) -> QResult<()> {
    let row = (
        technician_away::email.eq(email),
        technician_away::away_until.eq(until),
        technician_away::reason.eq(reason),
        technician_away::noticed_at.eq(now),
    );
    // Two instances may notice the same auto-reply's siblings at once.
    per_backend!(conn, c => diesel::insert_into(technician_away::table)
        .values(row)
        .on_conflict(technician_away::email)
        .do_update()
        .set(row)
        .execute(c)
        .map(drop))
}

/// Returns whether they had been noticed away.
pub fn clear_away(conn: &mut Conn, email: &str) -> QResult<bool> {
    diesel::delete(technician_away::table.find(email)).execute(conn).map(|n| n > 0)
}

/// The open ticket that gathers alerts of a monitoring key.
pub fn open_event_ticket(conn: &mut Conn, key: &str) -> QResult<Option<Ticket>> {
    tickets::table
        .filter(tickets::event_key.eq(key))
        .filter(tickets::status.ne_all(CLOSED))
        .order(tickets::id.desc())
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

pub fn count_event(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<i32> {
    diesel::update(tickets::table.find(id))
        .set((tickets::event_count.eq(tickets::event_count + 1), tickets::updated_at.eq(now)))
        .execute(conn)?;
    tickets::table.find(id).select(tickets::event_count).first(conn)
}

pub fn set_planned(conn: &mut Conn, id: i64, at: Option<NaiveDateTime>, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::planned_at.eq(at), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn set_major(conn: &mut Conn, id: i64, major: bool, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::major.eq(major), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn set_requester(conn: &mut Conn, id: i64, contact_id: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::requester_id.eq(contact_id), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn remove_watcher(conn: &mut Conn, ticket_id: i64, contact_id: i64) -> QResult<bool> {
    diesel::delete(
        ticket_watchers::table
            .filter(ticket_watchers::ticket_id.eq(ticket_id))
            .filter(ticket_watchers::contact_id.eq(contact_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

pub fn add_tag(conn: &mut Conn, ticket_id: i64, tag: &str) -> QResult<()> {
    per_backend!(conn, c => diesel::insert_into(ticket_tags::table)
        .values((ticket_tags::ticket_id.eq(ticket_id), ticket_tags::tag.eq(tag)))
        .on_conflict_do_nothing()
        .execute(c)
        .map(drop))
}

pub fn tags(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<String>> {
    ticket_tags::table
        .filter(ticket_tags::ticket_id.eq(ticket_id))
        .select(ticket_tags::tag)
        .order(ticket_tags::tag.asc())
        .load(conn)
}

/// Children of a ticket that are still open.
pub fn open_children(conn: &mut Conn, parent: i64) -> QResult<Vec<Ticket>> {
    tickets::table
        .filter(tickets::parent_id.eq(parent))
        .filter(tickets::status.ne_all(CLOSED))
        .order(tickets::id.asc())
        .select(Ticket::as_select())
        .load(conn)
}

pub fn children(conn: &mut Conn, parent: i64) -> QResult<Vec<i64>> {
    tickets::table.filter(tickets::parent_id.eq(parent)).order(tickets::id.asc()).select(tickets::id).load(conn)
}
