//! Who a notice goes to: our own addresses and repeats left out,
//! addresses no mail can be sent to dropped, and automatic mail held back
//! from people who had their hourly share or whose address fails; each
//! drop said in the ticket's history.

use super::outbox::{Desk, Notice, QueueError};
use crate::domain::history::EventKind;
use crate::mail::inbound::Mailbox;
use crate::store::models::NewEvent;
use crate::store::{queries, Conn};

impl Desk<'_> {
    /// The notice's To and Cc without our own addresses, each address once,
    /// and, for automatic mail, without those [`Desk::within_rate`] holds back.
    pub(super) fn recipients(
        &self,
        conn: &mut Conn,
        ticket: Option<i64>,
        notice: &Notice,
    ) -> Result<(Vec<Mailbox>, Vec<Mailbox>), QueueError> {
        let ours = self.settings.our_addresses();
        let mut seen: Vec<String> = Vec::new();
        let mut keep = |list: &[Mailbox]| -> Vec<Mailbox> {
            list.iter()
                .filter(|m| {
                    let fresh = !ours.contains(&m.email) && !seen.contains(&m.email);
                    seen.push(m.email.clone());
                    fresh
                })
                .cloned()
                .collect()
        };
        let mut to = self.sendable(conn, ticket, keep(&notice.to))?;
        let mut cc = self.sendable(conn, ticket, keep(&notice.cc))?;
        if notice.automatic {
            to = self.within_rate(conn, ticket, to)?;
            cc = self.within_rate(conn, ticket, cc)?;
        }
        Ok((to, cc))
    }

    /// Drops addresses no mail can be sent to as written (kept so from a
    /// sender's broken From), and says so in the ticket's history.
    pub(super) fn sendable(
        &self,
        conn: &mut Conn,
        ticket: Option<i64>,
        list: Vec<Mailbox>,
    ) -> Result<Vec<Mailbox>, QueueError> {
        let mut kept = Vec::new();
        for m in list {
            let Some(why) = crate::mail::outbound::unsendable(&m.email) else {
                kept.push(m);
                continue;
            };
            tracing::warn!(ticket.number = ticket, to = %m.email, %why, "mail not sent: not an address");
            let Some(ticket) = ticket else { continue };
            let why = format!("not an address mail can be sent to: {why}");
            let event = NewEvent {
                ticket_id: ticket,
                actor: "guichet",
                kind: EventKind::MailNotSent,
                old_value: Some(&why),
                new_value: Some(&m.email),
                article_id: None,
                created_at: self.now.naive_utc(),
            };
            queries::insert_event(conn, &event)?;
        }
        Ok(kept)
    }

    /// Drops outside recipients who had their hourly share of automatic
    /// mail or whose address is known to fail, and says so in the ticket's
    /// history (in the log only when there is no ticket).
    pub(super) fn within_rate(
        &self,
        conn: &mut Conn,
        ticket: Option<i64>,
        list: Vec<Mailbox>,
    ) -> Result<Vec<Mailbox>, QueueError> {
        let since = (self.now - chrono::Duration::hours(1)).naive_utc();
        let mut kept = Vec::new();
        let now = self.now.naive_utc();
        for m in list {
            let why = if self.settings.technician(&m.email).is_some() {
                None
            } else if let Some(until) = queries::undeliverable_until(conn, &m.email, now)? {
                Some(format!("undeliverable until {}", until.and_utc().to_rfc3339()))
            } else if queries::automatic_sent_to(conn, &m.email, since)?
                >= i64::from(self.settings.automatic_limit(&m.email))
            {
                Some("hourly limit reached".to_string())
            } else {
                None
            };
            let Some(why) = why else {
                kept.push(m);
                continue;
            };
            tracing::warn!(ticket.number = ticket, to = %m.email, %why, "automatic mail suppressed");
            let Some(ticket) = ticket else { continue };
            let event = NewEvent {
                ticket_id: ticket,
                actor: "guichet",
                kind: EventKind::AutomaticMailSuppressed,
                old_value: Some(&why),
                new_value: Some(&m.email),
                article_id: None,
                created_at: now,
            };
            queries::insert_event(conn, &event)?;
        }
        Ok(kept)
    }
}
