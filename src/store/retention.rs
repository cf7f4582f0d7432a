//! Retention: raw mail, quarantine entries and closed tickets kept no
//! longer than `[retention]` says, in small batches (one short
//! transaction per batch of rows, one per ticket), each action written to
//! `retention_log` and to the history of each ticket it touched.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::NewEvent;
use super::queries::audit::AuditEntry;
use super::schema::*;
use super::{privacy, queries, Conn, Store, StoreError};
use crate::config::{ClosedTickets, Retention};
use crate::domain::history::EventKind;
use crate::domain::privacy::ANONYMISED_NOTE;

type QResult<T> = Result<T, diesel::result::Error>;

/// Who the history says did it.
pub const ACTOR: &str = "retention";

/// The instants before which each kind of data goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cutoffs {
    pub raw_mail: Option<NaiveDateTime>,
    pub quarantine: Option<NaiveDateTime>,
    pub closed_tickets: Option<(NaiveDateTime, ClosedTickets)>,
}

impl Cutoffs {
    pub fn of(policy: &Retention, now: chrono::DateTime<chrono::Utc>) -> Cutoffs {
        let days = |d: Option<u32>| d.map(|d| (now - chrono::Duration::days(i64::from(d))).naive_utc());
        Cutoffs {
            raw_mail: days(policy.raw_mail_days),
            quarantine: days(policy.quarantine_days),
            closed_tickets: policy.closed_tickets.and_then(|(months, what)| {
                now.checked_sub_months(chrono::Months::new(months)).map(|t| (t.naive_utc(), what))
            }),
        }
    }

    pub fn is_off(&self) -> bool {
        self.raw_mail.is_none() && self.quarantine.is_none() && self.closed_tickets.is_none()
    }
}

/// What is due now, or what a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub raw_mail: usize,
    pub quarantine: usize,
    pub anonymised: Vec<i64>,
    pub deleted: Vec<i64>,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        self.raw_mail == 0 && self.quarantine == 0 && self.anonymised.is_empty() && self.deleted.is_empty()
    }

    fn add(&mut self, other: Counts) {
        self.raw_mail += other.raw_mail;
        self.quarantine += other.quarantine;
        self.anonymised.extend(other.anonymised);
        self.deleted.extend(other.deleted);
    }
}

/// Raw mail past its time whose bytes are still here. Mail held in
/// quarantine is left to `quarantine_days`: it is all there is of it.
fn raw_due(conn: &mut Conn, before: NaiveDateTime, limit: i64) -> QResult<Vec<i64>> {
    let held = quarantine::table.filter(quarantine::state.eq("held")).select(quarantine::raw_message_id);
    raw_messages::table
        .filter(raw_messages::purged_at.is_null())
        .filter(raw_messages::received_at.lt(before))
        .filter(raw_messages::id.ne_all(held))
        .order(raw_messages::id.asc())
        .limit(limit)
        .select(raw_messages::id)
        .load(conn)
}

fn quarantine_due(conn: &mut Conn, before: NaiveDateTime, limit: i64) -> QResult<Vec<(i64, i64, String)>> {
    quarantine::table
        .filter(quarantine::created_at.lt(before))
        .order(quarantine::id.asc())
        .limit(limit)
        .select((quarantine::id, quarantine::raw_message_id, quarantine::state))
        .load(conn)
}

fn tickets_due(conn: &mut Conn, before: NaiveDateTime, what: ClosedTickets, limit: i64) -> QResult<Vec<i64>> {
    let mut q = tickets::table
        .filter(tickets::status.eq_any(["resolved", "unresolved"]))
        .filter(tickets::closed_at.lt(before))
        .order(tickets::id.asc())
        .limit(limit)
        .select(tickets::id)
        .into_boxed();
    if what == ClosedTickets::Anonymise {
        q = q.filter(tickets::anonymised_at.is_null());
    }
    q.load(conn)
}

/// What would go now, all of it (for `--dry-run`).
pub fn due(conn: &mut Conn, cut: &Cutoffs) -> QResult<Counts> {
    let all = i64::MAX;
    let mut c = Counts::default();
    if let Some(before) = cut.raw_mail {
        c.raw_mail = raw_due(conn, before, all)?.len();
    }
    if let Some(before) = cut.quarantine {
        c.quarantine = quarantine_due(conn, before, all)?.len();
    }
    if let Some((before, what)) = cut.closed_tickets {
        let ids = tickets_due(conn, before, what, all)?;
        match what {
            ClosedTickets::Anonymise => c.anonymised = ids,
            ClosedTickets::Delete => c.deleted = ids,
        }
    }
    Ok(c)
}

fn log(
    conn: &mut Conn,
    action: &str,
    ticket: Option<i64>,
    count: usize,
    detail: &str,
    now: NaiveDateTime,
) -> QResult<()> {
    diesel::insert_into(retention_log::table)
        .values((
            retention_log::action.eq(action),
            retention_log::ticket_id.eq(ticket),
            retention_log::count.eq(count as i64),
            retention_log::detail.eq(detail),
            retention_log::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Records an export or an erasure (no address: the pseudonym or the
/// contact number says who).
pub fn log_action(conn: &mut Conn, action: &str, detail: &str, now: NaiveDateTime) -> QResult<()> {
    log(conn, action, None, 1, detail, now)
}

/// Totals of everything retention, export and erasure did, by action.
pub fn totals(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> =
        retention_log::table.select((retention_log::action, retention_log::count)).load(conn)?;
    let mut totals: std::collections::BTreeMap<String, i64> = Default::default();
    for (a, n) in rows {
        *totals.entry(a).or_default() += n;
    }
    Ok(totals.into_iter().collect())
}

fn event(conn: &mut Conn, ticket: i64, kind: EventKind, value: &str, now: NaiveDateTime) -> QResult<()> {
    queries::insert_event(
        conn,
        &NewEvent {
            ticket_id: ticket,
            actor: ACTOR,
            kind,
            old_value: None,
            new_value: Some(value),
            article_id: None,
            created_at: now,
        },
    )
}

/// One batch of each kind of work: at most `batch` raw mails and `batch`
/// quarantine entries (a transaction each), and `tickets` tickets (each in
/// a transaction of its own: a ticket costs far more than a row).
pub fn run_batch(
    store: &Store,
    cut: &Cutoffs,
    batch: i64,
    tickets: i64,
    technicians: &[String],
    now: NaiveDateTime,
) -> Result<Counts, StoreError> {
    let mut done = Counts::default();
    if let Some(before) = cut.raw_mail {
        done.raw_mail = store.write(|conn| -> Result<usize, StoreError> {
            let ids = raw_due(conn, before, batch)?;
            if ids.is_empty() {
                return Ok(0);
            }
            let mut per_ticket: std::collections::BTreeMap<i64, usize> = Default::default();
            let tickets: Vec<Option<i64>> =
                inbound::table.filter(inbound::raw_message_id.eq_any(&ids)).select(inbound::ticket_id).load(conn)?;
            for t in tickets.into_iter().flatten() {
                *per_ticket.entry(t).or_default() += 1;
            }
            let n = privacy::purge_raw(conn, &ids, now)?;
            for (t, count) in per_ticket {
                event(conn, t, EventKind::RawMailDeleted, &count.to_string(), now)?;
            }
            log(conn, "raw_mail", None, n, "", now)?;
            Ok(n)
        })?;
    }
    if let Some(before) = cut.quarantine {
        done.quarantine = store.write(|conn| -> Result<usize, StoreError> {
            let rows = quarantine_due(conn, before, batch)?;
            if rows.is_empty() {
                return Ok(0);
            }
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let held: Vec<i64> = rows.iter().filter(|r| r.2 == "held").map(|r| r.1).collect();
            diesel::delete(quarantine::table.filter(quarantine::id.eq_any(&ids))).execute(conn)?;
            privacy::purge_raw(conn, &held, now)?;
            log(conn, "quarantine", None, ids.len(), "", now)?;
            Ok(ids.len())
        })?;
    }
    if let Some((before, what)) = cut.closed_tickets {
        let ids = {
            let mut conn = store.conn()?;
            tickets_due(&mut conn, before, what, tickets)?
        };
        for id in ids {
            let did = store.write(|conn| -> Result<Option<usize>, StoreError> {
                // Another instance may be on it: skip, it is done there.
                let Some(ticket) = queries::lock_ticket(conn, id)? else { return Ok(None) };
                let closed = ticket.closed_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default();
                let purged = match what {
                    ClosedTickets::Anonymise => {
                        let (people, purged) = privacy::anonymise_ticket(conn, id, technicians, ANONYMISED_NOTE, now)?;
                        event(conn, id, EventKind::Anonymised, &people.to_string(), now)?;
                        log(conn, "anonymised", Some(id), 1, &format!("closed {closed}"), now)?;
                        purged
                    }
                    ClosedTickets::Delete => {
                        let (articles, purged) = delete_ticket(conn, id, now)?;
                        let detail = format!("closed {closed}, {articles} article(s)");
                        log(conn, "deleted", Some(id), 1, &detail, now)?;
                        let subject = format!("ticket:{id}");
                        let entry =
                            AuditEntry { actor: ACTOR, action: "retention.delete", subject: &subject, detail: &detail };
                        queries::audit::record(conn, &entry, now)?;
                        purged
                    }
                };
                // Raw mail that went with the ticket counts as raw mail too.
                if purged > 0 {
                    log(conn, "raw_mail", Some(id), purged, "", now)?;
                }
                Ok(Some(purged))
            })?;
            if let Some(purged) = did {
                done.raw_mail += purged;
                match what {
                    ClosedTickets::Anonymise => done.anonymised.push(id),
                    ClosedTickets::Delete => done.deleted.push(id),
                }
            }
        }
    }
    Ok(done)
}

/// Runs batches until nothing is left (`guichet retention`).
pub fn run_all(
    store: &Store,
    cut: &Cutoffs,
    batch: i64,
    technicians: &[String],
    now: NaiveDateTime,
) -> Result<Counts, StoreError> {
    let mut total = Counts::default();
    loop {
        let done = run_batch(store, cut, batch, batch, technicians, now)?;
        if done.is_empty() {
            return Ok(total);
        }
        total.add(done);
    }
}

/// Deletes a ticket and everything that is only its: articles, files no
/// other article uses, history, timers, survey, outgoing mail, raw mail
/// bytes. Tickets pointing at it forget it. Returns how many articles went
/// and how many raw mails were emptied.
pub fn delete_ticket(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<(usize, usize)> {
    super::behind::flush(conn)?;
    let articles: Vec<(i64, Option<i64>)> = articles::table
        .filter(articles::ticket_id.eq(id))
        .select((articles::id, articles::raw_message_id))
        .load(conn)?;
    let article_ids: Vec<i64> = articles.iter().map(|a| a.0).collect();
    let mut raw: Vec<i64> = articles.iter().filter_map(|a| a.1).collect();
    raw.extend(inbound::table.filter(inbound::ticket_id.eq(id)).select(inbound::raw_message_id).load::<i64>(conn)?);
    let outs: Vec<i64> = outbox::table.filter(outbox::ticket_id.eq(id)).select(outbox::id).load(conn)?;
    diesel::delete(kb_suggestions::table.filter(kb_suggestions::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(ticket_terms::table.filter(ticket_terms::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(ticket_tags::table.filter(ticket_tags::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(ticket_watchers::table.filter(ticket_watchers::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(message_ids::table.filter(message_ids::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(events::table.filter(events::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(sla_timers::table.filter(sla_timers::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(surveys::table.filter(surveys::ticket_id.eq(id))).execute(conn)?;
    diesel::delete(outbox_attempts::table.filter(outbox_attempts::outbox_id.eq_any(&outs))).execute(conn)?;
    diesel::delete(automatic_mail::table.filter(automatic_mail::outbox_id.eq_any(&outs))).execute(conn)?;
    diesel::delete(outbox::table.filter(outbox::id.eq_any(&outs))).execute(conn)?;
    privacy::remove_attachments(conn, &article_ids)?;
    diesel::update(inbound::table.filter(inbound::ticket_id.eq(id)))
        .set(inbound::ticket_id.eq(None::<i64>))
        .execute(conn)?;
    let purged = privacy::purge_raw(conn, &raw, now)?;
    diesel::delete(articles::table.filter(articles::ticket_id.eq(id))).execute(conn)?;
    diesel::update(kb_articles::table.filter(kb_articles::source_ticket_id.eq(id)))
        .set(kb_articles::source_ticket_id.eq(None::<i64>))
        .execute(conn)?;
    diesel::update(tickets::table.filter(tickets::parent_id.eq(id)))
        .set(tickets::parent_id.eq(None::<i64>))
        .execute(conn)?;
    diesel::update(tickets::table.filter(tickets::related_id.eq(id)))
        .set(tickets::related_id.eq(None::<i64>))
        .execute(conn)?;
    diesel::update(tickets::table.filter(tickets::merged_into.eq(id)))
        .set(tickets::merged_into.eq(None::<i64>))
        .execute(conn)?;
    diesel::delete(tickets::table.find(id)).execute(conn)?;
    Ok((article_ids.len(), purged))
}
