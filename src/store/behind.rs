//! Events written behind. While a group of mails is decided in one
//! transaction, the events its decisions add are kept in memory and
//! written in a few multi-row inserts: before the group commits, and
//! before anything in the group reads events back. A savepoint undone
//! drops the events it added with it.
//!
//! Opt-in ([`group`]): anywhere else an event is written at once.

use std::cell::RefCell;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::NewEvent;
use super::schema::events;
use super::{per_backend, Conn};
use crate::domain::history::EventKind;

/// An event waiting for its insert.
#[derive(Debug, Clone)]
struct Held {
    ticket_id: i64,
    actor: String,
    kind: EventKind,
    old_value: Option<String>,
    new_value: Option<String>,
    article_id: Option<i64>,
    created_at: NaiveDateTime,
}

/// The events of one connection's open group: all of them, the first
/// `written` already in the database.
struct Pending {
    conn: usize,
    rows: Vec<Held>,
    written: usize,
}

/// Where a savepoint starts: the events written then, and held.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    written: usize,
    held: usize,
}

thread_local! {
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
}

/// Rows a multi-row insert carries at most (7 values each: well under
/// SQLite's 32,766 and PostgreSQL's 65,535 bound values).
const CHUNK: usize = 1_000;

fn key(conn: &Conn) -> usize {
    conn as *const Conn as usize
}

fn with<T>(conn: &Conn, f: impl FnOnce(&mut Pending) -> T) -> Option<T> {
    let key = key(conn);
    PENDING.with(|p| p.borrow_mut().iter_mut().rev().find(|g| g.conn == key).map(f))
}

/// Runs `f` with the events it adds on `conn` held until it returns: they
/// are written when it succeeds, dropped when it fails (the caller's
/// transaction is then rolled back).
pub fn group<T, E>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let scope = Scope(key(conn));
    PENDING.with(|p| p.borrow_mut().push(Pending { conn: scope.0, rows: Vec::new(), written: 0 }));
    let result = f(conn);
    let held = scope.end();
    let value = result?;
    write(conn, &held)?;
    Ok(value)
}

/// A group's place in [`PENDING`], given up however the group ends (a
/// panic too: a later transaction on a connection at the same address
/// must not find it).
struct Scope(usize);

impl Scope {
    /// The events held and not written yet.
    fn end(&self) -> Vec<Held> {
        let group = PENDING.with(|p| {
            let mut p = p.borrow_mut();
            p.iter().rposition(|g| g.conn == self.0).map(|i| p.remove(i))
        });
        group.map(|g| g.rows.into_iter().skip(g.written).collect()).unwrap_or_default()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        self.end();
    }
}

/// Holds `new` when `conn` is in a [`group`]; `false`: write it now.
pub(crate) fn hold(conn: &Conn, new: &NewEvent<'_>) -> bool {
    with(conn, |g| {
        g.rows.push(Held {
            ticket_id: new.ticket_id,
            actor: new.actor.to_string(),
            kind: new.kind,
            old_value: new.old_value.map(str::to_string),
            new_value: new.new_value.map(str::to_string),
            article_id: new.article_id,
            created_at: new.created_at,
        })
    })
    .is_some()
}

/// Writes the events held for `conn`, before a read of events.
pub fn flush(conn: &mut Conn) -> diesel::QueryResult<()> {
    let held = with(conn, |g| {
        let rows = g.rows[g.written..].to_vec();
        g.written = g.rows.len();
        rows
    });
    match held {
        Some(rows) => write(conn, &rows),
        None => Ok(()),
    }
}

/// Where the last event of `kind` with `new_value` stands among those
/// held for `conn` and not written yet, if one is: it is newer than any
/// written (events are numbered in the order they are written).
pub(crate) fn last_held(conn: &Conn, kind: EventKind, new_value: &str) -> Option<usize> {
    with(conn, |g| {
        let unwritten = &g.rows[g.written..];
        unwritten.iter().rposition(|e| e.kind == kind && e.new_value.as_deref() == Some(new_value))
    })
    .flatten()
}

/// Where a savepoint starts, in the events of `conn`'s group.
pub(crate) fn mark(conn: &Conn) -> Option<Mark> {
    with(conn, |g| Mark { written: g.written, held: g.rows.len() })
}

/// Drops the events added since `mark`: their savepoint was undone. Those
/// it wrote are undone with it: the ones held before it are held again.
pub(crate) fn undo(conn: &Conn, mark: Mark) {
    with(conn, |g| {
        g.rows.truncate(mark.held);
        g.written = g.written.min(mark.written);
    });
}

fn write(conn: &mut Conn, rows: &[Held]) -> diesel::QueryResult<()> {
    for chunk in rows.chunks(CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    events::ticket_id.eq(e.ticket_id),
                    events::actor.eq(e.actor.as_str()),
                    events::kind.eq(e.kind.as_str()),
                    events::old_value.eq(e.old_value.as_deref()),
                    events::new_value.eq(e.new_value.as_deref()),
                    events::article_id.eq(e.article_id),
                    events::created_at.eq(e.created_at),
                )
            })
            .collect();
        per_backend!(&mut *conn, c => diesel::insert_into(events::table).values(values.clone()).execute(c))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Database;
    use crate::store::models::NewTicket;
    use crate::store::{queries, savepoint, Store, StoreError};

    fn event(conn: &mut Conn, ticket: i64, value: &str) -> diesel::QueryResult<()> {
        let at = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let new = NewEvent {
            ticket_id: ticket,
            actor: "guichet",
            kind: EventKind::Status,
            old_value: None,
            new_value: Some(value),
            article_id: None,
            created_at: at,
        };
        queries::insert_event(conn, &new)
    }

    fn ticket(conn: &mut Conn) -> i64 {
        let at = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let who = queries::upsert_contact(conn, "alice@example.test", "Alice", None, at).unwrap();
        let new = NewTicket {
            subject: "VPN",
            ticket_type: "incident",
            status: "new",
            impact: 3,
            urgency: 3,
            priority: 3,
            related_id: None,
            parent_id: None,
            requester_id: who.id,
            major: false,
            assignee: None,
            group_name: None,
            category: None,
            event_key: None,
            event_count: 0,
            language: "fr",
            mailbox: "support",
            desk_address: "support@example.test",
            created_at: at,
            updated_at: at,
        };
        queries::insert_ticket(conn, &new).unwrap().id
    }

    fn values(conn: &mut Conn, ticket: i64) -> Vec<String> {
        let events = queries::events(conn, ticket).unwrap();
        events.into_iter().filter_map(|e| e.new_value).collect()
    }

    #[test]
    fn a_group_writes_its_events_in_order_and_an_undone_savepoint_takes_its_own_away() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::Sqlite { path: dir.path().join("g.db"), busy_timeout: std::time::Duration::from_secs(5) };
        let store = Store::open(&db).unwrap();
        store.migrate().unwrap();
        let id = store.write(|conn| -> Result<i64, StoreError> { Ok(ticket(conn)) }).unwrap();
        store
            .write(|conn| {
                group(conn, |conn| -> Result<(), StoreError> {
                    event(conn, id, "a")?;
                    // Held: nothing written yet, but a read sees it.
                    assert_eq!(values(conn, id), ["a"]);
                    event(conn, id, "b")?;
                    let undone = savepoint(conn, |conn| -> diesel::QueryResult<()> {
                        event(conn, id, "c")?;
                        // Written by a read inside the savepoint, then undone with it.
                        assert_eq!(values(conn, id), ["a", "b", "c"]);
                        event(conn, id, "d")?;
                        Err(diesel::result::Error::RollbackTransaction)
                    });
                    assert!(undone.is_err());
                    let kept = savepoint(conn, |conn| event(conn, id, "e"));
                    assert!(kept.is_ok());
                    Ok(event(conn, id, "f")?)
                })
            })
            .unwrap();
        let mut conn = store.conn().unwrap();
        assert_eq!(values(&mut conn, id), ["a", "b", "e", "f"]);
        // A group that fails writes nothing of its own.
        let failed = store.write(|conn| {
            group(conn, |conn| -> Result<(), StoreError> {
                event(conn, id, "g")?;
                Err(diesel::result::Error::RollbackTransaction.into())
            })
        });
        assert!(failed.is_err());
        // Outside a group, an event is written at once.
        event(&mut conn, id, "h").unwrap();
        assert_eq!(values(&mut conn, id), ["a", "b", "e", "f", "h"]);
    }
}
