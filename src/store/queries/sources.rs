//! Mailbox sources: checkpoints and health of each polled mailbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

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
