//! Contacts: the people who write to the desk and whether mail reaches them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

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
    let marked = contacts::table.filter(contacts::email.eq(email)).filter(contacts::undeliverable_until.is_not_null());
    // Asked first: a read stays prepared, an UPDATE is prepared again at
    // every run, and nearly every sender was never marked.
    let id: Option<i64> = marked.select(contacts::id).first(conn).optional()?;
    let Some(id) = id else { return Ok(false) };
    diesel::update(contacts::table.find(id))
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

/// The contact for this address, created on first sight. A name learned
/// later fills in what was missing; a language given replaces the one
/// known, so that people are answered in the language they last wrote in.
pub fn upsert_contact(
    conn: &mut Conn,
    email: &str,
    name: &str,
    language: Option<&str>,
    now: NaiveDateTime,
) -> QResult<Contact> {
    if let Some(c) = contact_by_email(conn, email)? {
        if (c.name.is_empty() && !name.is_empty()) || (language.is_some() && c.language.as_deref() != language) {
            diesel::update(contacts::table.find(c.id))
                .set((
                    contacts::name.eq(if c.name.is_empty() { name } else { &c.name }),
                    contacts::language.eq(language.or(c.language.as_deref())),
                ))
                .execute(conn)?;
            return contact(conn, c.id);
        }
        return Ok(c);
    }
    let new = (
        contacts::email.eq(email),
        contacts::name.eq(name),
        contacts::language.eq(language),
        contacts::created_at.eq(now),
    );
    // Another instance may write the same new address at the same time:
    // its row is the one kept, and read back.
    let made = per_backend!(conn, c => diesel::insert_into(contacts::table)
        .values(new)
        .on_conflict(contacts::email)
        .do_nothing()
        .returning(Contact::as_returning())
        .get_result(c)
        .optional())?;
    match made {
        Some(c) => Ok(c),
        None => contact_by_email(conn, email)?.ok_or(diesel::result::Error::NotFound),
    }
}
