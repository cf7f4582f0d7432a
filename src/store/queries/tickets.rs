//! Tickets, their state, assignment and watchers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{is_open, QResult};
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

pub fn ticket(conn: &mut Conn, id: i64) -> QResult<Option<Ticket>> {
    tickets::table.find(id).select(Ticket::as_select()).first(conn).optional()
}

pub fn insert_ticket(conn: &mut Conn, new: &NewTicket<'_>) -> QResult<Ticket> {
    // Columns named one by one, not the derived Insertable: PostgreSQL then
    // prepares the statement once per connection.
    let row = (
        tickets::subject.eq(new.subject),
        tickets::ticket_type.eq(new.ticket_type),
        tickets::status.eq(new.status),
        tickets::impact.eq(new.impact),
        tickets::urgency.eq(new.urgency),
        tickets::priority.eq(new.priority),
        tickets::related_id.eq(new.related_id),
        tickets::parent_id.eq(new.parent_id),
        tickets::requester_id.eq(new.requester_id),
        tickets::major.eq(new.major),
        tickets::assignee.eq(new.assignee),
        tickets::group_name.eq(new.group_name),
        tickets::category.eq(new.category),
        tickets::event_key.eq(new.event_key),
        tickets::event_count.eq(new.event_count),
        tickets::language.eq(new.language),
        tickets::mailbox.eq(new.mailbox),
        tickets::desk_address.eq(new.desk_address),
        tickets::created_at.eq(new.created_at),
        tickets::updated_at.eq(new.updated_at),
    );
    per_backend!(conn, c => diesel::insert_into(tickets::table)
        .values(row)
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
        q = q.filter(is_open());
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

/// Merges ticket `from` into `into`: its articles (and so their files),
/// the Message-IDs that thread mail to it, its children, its watchers and
/// its requester (as a watcher, when not `into`'s requester) move there;
/// `from` keeps its history and points at `into`.
pub fn merge_ticket(conn: &mut Conn, from: i64, into: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(articles::table.filter(articles::ticket_id.eq(from)))
        .set(articles::ticket_id.eq(into))
        .execute(conn)?;
    diesel::update(message_ids::table.filter(message_ids::ticket_id.eq(from)))
        .set(message_ids::ticket_id.eq(into))
        .execute(conn)?;
    diesel::update(tickets::table.filter(tickets::parent_id.eq(from)))
        .set(tickets::parent_id.eq(into))
        .execute(conn)?;
    let (merged, target) = (
        tickets::table.find(from).select(Ticket::as_select()).first(conn)?,
        tickets::table.find(into).select(Ticket::as_select()).first(conn)?,
    );
    let mut follow: Vec<i64> = ticket_watchers::table
        .filter(ticket_watchers::ticket_id.eq(from))
        .select(ticket_watchers::contact_id)
        .load(conn)?;
    follow.push(merged.requester_id);
    let already: Vec<i64> = ticket_watchers::table
        .filter(ticket_watchers::ticket_id.eq(into))
        .select(ticket_watchers::contact_id)
        .load(conn)?;
    for contact in follow {
        if contact != target.requester_id && !already.contains(&contact) {
            add_watcher(conn, into, contact)?;
        }
    }
    diesel::update(tickets::table.find(from)).set(tickets::merged_into.eq(Some(into))).execute(conn)?;
    touch_ticket(conn, into, now)
}

/// The article carried by the notice about `ticket` that one of `ids`
/// (a mail's In-Reply-To and References) names.
pub fn notice_article(conn: &mut Conn, ticket: i64, ids: &[String]) -> QResult<Option<i64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let rows: Vec<(String, Option<i64>)> = outbox::table
        .filter(outbox::ticket_id.eq(ticket))
        .filter(outbox::message_id.eq_any(ids))
        .filter(outbox::article_id.is_not_null())
        .select((outbox::message_id, outbox::article_id))
        .load(conn)?;
    // The one answered first: In-Reply-To leads the list.
    Ok(ids.iter().find_map(|id| rows.iter().find(|(m, _)| m == id).and_then(|(_, a)| *a)))
}

/// Moves one article (and its files) to another ticket, with the
/// Message-ID that threads its replies.
pub fn move_article(conn: &mut Conn, article: i64, to: i64) -> QResult<()> {
    let mid: Option<String> = articles::table.find(article).select(articles::message_id).first(conn)?;
    diesel::update(articles::table.find(article)).set(articles::ticket_id.eq(to)).execute(conn)?;
    if let Some(mid) = mid {
        diesel::update(message_ids::table.filter(message_ids::message_id.eq(mid)))
            .set(message_ids::ticket_id.eq(to))
            .execute(conn)?;
    }
    Ok(())
}
