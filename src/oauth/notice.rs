//! Telling the people who look after a mailbox, once, that its OAuth2
//! grant was refused: one mail per refusal, not one per try. The mark is
//! a `desk_secrets` row, taken in the same transaction as the outbox rows
//! and removed when the mailbox logs in again.

use diesel::prelude::*;

use crate::config::Mailbox;
use crate::mail::inbound::Mailbox as Address;
use crate::notify::outbox::{ArticleView, Desk, Notice};
use crate::store::schema::desk_secrets;
use crate::store::Conn;

const MARK: &str = "oauth2-notice:";

/// Queues the `login_refused` mail to the leads of the mailbox's group (or
/// every technician) unless it was sent for this refusal already. Returns
/// whether it queued something.
pub fn tell_once(conn: &mut Conn, desk: &Desk<'_>, mailbox: &Mailbox, reason: &str, action: &str) -> bool {
    let mark = format!("{MARK}{}", mailbox.name);
    let result = conn.transaction(|conn| -> Result<bool, crate::notify::outbox::QueueError> {
        let told: Option<String> = desk_secrets::table.find(&mark).select(desk_secrets::name).first(conn).optional()?;
        if told.is_some() {
            return Ok(false);
        }
        let settings = desk.settings;
        for tech in settings.group_lead(mailbox.group.as_deref()) {
            let lang = tech.language.unwrap_or(settings.tickets.language);
            let to = vec![Address { email: tech.email.clone(), name: tech.name.clone() }];
            let mut notice =
                Notice::automatic("login_refused", lang, to, &settings.outgoing.from_name, ArticleView::default());
            notice.details = serde_json::json!({ "login": {
                "mailbox": mailbox.name, "address": mailbox.address, "reason": reason, "action": action,
            }});
            desk.queue_unticketed(conn, notice, settings.desk_address(), None)?;
        }
        diesel::insert_into(desk_secrets::table)
            .values((
                desk_secrets::name.eq(&mark),
                desk_secrets::value.eq(""),
                desk_secrets::created_at.eq(desk.now.naive_utc()),
            ))
            .execute(conn)?;
        Ok(true)
    });
    match result {
        Ok(told) => told,
        Err(e) => {
            tracing::error!(mailbox = %mailbox.name, error = %e, "cannot queue the notice of a refused login");
            false
        }
    }
}

/// The mailbox logs in again: a later refusal is told again.
pub fn clear(conn: &mut Conn, mailbox: &str) {
    let mark = format!("{MARK}{mailbox}");
    if let Err(e) = diesel::delete(desk_secrets::table.find(&mark)).execute(conn) {
        tracing::warn!(mailbox, error = %e, "cannot clear the notice mark of a refused login");
    }
}
