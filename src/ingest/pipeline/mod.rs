//! The pipeline for a group of mails: triage → decide → write. Each mail
//! is hashed and decoded on every core, then, in one transaction, stored,
//! triaged ([`triage`]), decided ([`decide`]: a new ticket, a reply on
//! one, a technician's commands, who is told) and written ([`write`]; a
//! group's events are written behind, `store::behind`). A mail that
//! cannot be processed is quarantined with the reason, in that same
//! transaction, so nothing is ever dropped.

mod decide;
mod triage;
mod write;

pub(crate) use decide::{forwarded, Opening};
pub use decide::{open_by_hand, Call, PHONE};
pub use write::retry_quarantined;
// What one stage takes from another.
use decide::{ask_to_confirm, find_ticket, held_for, proof, tell_too_large, Group, Proof};
use triage::{process, Stored};
pub use triage::{triage, Path, Triage};
use write::{intake, quarantine};

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use super::routing::{auto_assign, route, Routing};
use crate::config::{Mailbox as SourceMailbox, Settings, StrangerPolicy, Technician, Unproven};
use crate::domain::classify::{classify, MailKind};
use crate::domain::commands::{Command, Refusal};
use crate::domain::history::{AuthorRole, Direction, EventKind, Visibility};
use crate::domain::survey;
use crate::domain::thanks::thanks_only;
use crate::domain::threading::{self, Candidates, OnClosed};
use crate::domain::ticket::{Lang, Status, TicketType};
use crate::domain::trim::{new_text, trim_reply, without_lines_of};
use crate::mail::inbound::{sha256_hex, InboundMail, Mailbox, Unusable};
use crate::notify::outbox::{ArticleView, ChangeView, Desk, Notice, QueueError, NOTE_TEMPLATES};
use crate::sla::{self, SlaError};
use crate::store::models::{NewArticle, NewEvent, NewInbound, NewRawMessage, NewTicket, Ticket};
use crate::store::{queries, Conn, Store, StoreError};

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A new ticket was opened.
    Ticket {
        ticket: i64,
    },
    /// An article was added to a ticket.
    Article {
        ticket: i64,
    },
    /// Automatic mail recorded and answered by nothing: an auto-reply or
    /// bounce that matches no ticket, or our own mail coming back.
    Automatic {
        kind: MailKind,
        ticket: Option<i64>,
    },
    Quarantined {
        id: i64,
        reason: String,
    },
    /// The same mail was already stored.
    Duplicate {
        ticket: Option<i64>,
    },
    /// A question (`#list`, `#show 42`, "my tickets"): answered by mail,
    /// nothing opened.
    Answered {
        question: String,
    },
    /// A technician's reply confirming a mail held for lack of proof: that
    /// mail ran (onto `ticket`, when it made or joined one).
    Confirmed {
        held: i64,
        ticket: Option<i64>,
    },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ticket { .. } => "ticket",
            Outcome::Article { .. } => "article",
            Outcome::Automatic { .. } => "automatic",
            Outcome::Quarantined { .. } => "quarantine",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Answered { .. } => "answered",
            Outcome::Confirmed { .. } => "confirmed",
        }
    }

    fn ticket(&self) -> Option<i64> {
        match self {
            Outcome::Ticket { ticket } | Outcome::Article { ticket } => Some(*ticket),
            Outcome::Automatic { ticket, .. } | Outcome::Duplicate { ticket } | Outcome::Confirmed { ticket, .. } => {
                *ticket
            }
            Outcome::Quarantined { .. } | Outcome::Answered { .. } => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Retrying it again would store the mail twice.
    #[error("quarantine entry {0} was already released")]
    AlreadyReleased(i64),
    /// A mail could not be recorded (the reason it would be quarantined
    /// with), or a ticket opened by hand could not.
    #[error("{0}")]
    Refused(String),
    /// The record of a call could not be written as a mail.
    #[error(transparent)]
    CallRecord(#[from] crate::mail::outbound::BuildError),
}

impl From<diesel::result::Error> for IngestError {
    fn from(e: diesel::result::Error) -> Self {
        IngestError::Store(StoreError::Query(e))
    }
}

impl IngestError {
    pub fn is_transient(&self) -> bool {
        match self {
            IngestError::Store(e) => e.is_transient(),
            IngestError::AlreadyReleased(_) | IngestError::Refused(_) | IngestError::CallRecord(_) => false,
        }
    }
}

/// Why processing stopped inside the transaction.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Rendering failed: the transaction is rolled back and the mail is
    /// quarantined with this reason instead.
    #[error("{0}")]
    Quarantine(String),
    #[error("quarantine entry {0} was already released")]
    Released(i64),
}

impl From<QueueError> for Stop {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Store(e) => e.into(),
            other => Stop::Quarantine(format!("cannot write the outgoing mail: {other}")),
        }
    }
}

impl From<SlaError> for Stop {
    fn from(e: SlaError) -> Self {
        match e {
            SlaError::Store(e) => Stop::Store(e),
            SlaError::Mail(e) => Stop::Quarantine(e.to_string()),
            SlaError::LinkKey(e) => Stop::Quarantine(format!("cannot make a key for survey links: {e}")),
        }
    }
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Store(StoreError::Query(e))
    }
}

/// Ingests one raw mail read from `mailbox` (under `source_key`, when the
/// source can name the message, so that reading it again is a no-op).
pub fn ingest(
    store: &Store,
    desk: &Desk<'_>,
    mailbox: &SourceMailbox,
    source_key: Option<&str>,
    raw: &[u8],
) -> Result<Outcome, IngestError> {
    let mut outcomes = ingest_batch(store, desk, mailbox, &[(source_key, raw)])?;
    Ok(outcomes.remove(0))
}

/// Mails stored in one commit by the sources that have several in hand, at
/// most: this many, or this many bytes.
pub const GROUP_MAILS: usize = 100;
pub const GROUP_BYTES: usize = 32 << 20;

/// Ingests several mails of one source in one transaction, each in a
/// savepoint of its own: a mail held in quarantine undoes only itself, and
/// the commit is shared. Any other failure undoes them all (nothing is
/// stored); the caller may then take them one at a time to learn which.
pub fn ingest_batch(
    store: &Store,
    desk: &Desk<'_>,
    mailbox: &SourceMailbox,
    mails: &[(Option<&str>, &[u8])],
) -> Result<Vec<Outcome>, IngestError> {
    let now = desk.now.naive_utc();
    let started = std::time::Instant::now();
    // Hashing, decoding and sanitising need no store: done on every core
    // before the transaction, which then only decides and writes.
    let mut prepared = prepare(desk, mails);
    let attempt = store.write(|conn| {
        crate::store::behind::group(conn, |conn| -> Result<Vec<Outcome>, Stop> {
            let mut outcomes = Vec::with_capacity(mails.len());
            let mut group = Group::default();
            for (&(source_key, raw), (sha, parsed)) in mails.iter().zip(prepared.iter_mut()) {
                let taken =
                    crate::store::savepoint(conn, |conn| match intake(conn, mailbox, source_key, sha, raw, now)? {
                        Err(dup) => Ok(dup),
                        Ok(raw_id) => {
                            process(conn, &mut group, desk, Stored::new(&mailbox.name, raw_id, raw), parsed.take())
                        }
                    });
                if taken.is_err() {
                    // What it read may hold what the savepoint undid.
                    group.forget();
                }
                let outcome = match taken {
                    // Undone: keep the mail in quarantine instead.
                    Err(Stop::Quarantine(reason)) => match intake(conn, mailbox, source_key, sha, raw, now)? {
                        Err(dup) => dup,
                        Ok(raw_id) => quarantine(conn, &mailbox.name, raw_id, None, &reason, now)?,
                    },
                    other => other?,
                };
                outcomes.push(outcome);
            }
            Ok(outcomes)
        })
    });
    match attempt {
        Ok(outcomes) => {
            // Each mail waited for the whole group's commit.
            let took = started.elapsed();
            outcomes.iter().for_each(|_| super::latency::INGEST.observe(took));
            Ok(outcomes)
        }
        Err(Stop::Store(e)) => Err(IngestError::Store(e)),
        Err(Stop::Released(id)) => Err(IngestError::AlreadyReleased(id)),
        Err(Stop::Quarantine(reason)) => Err(IngestError::Refused(reason)),
    }
}

/// A mail's hash and, when it is not too large to take in, its decoding.
type Prepared = (String, Option<Result<InboundMail, Unusable>>);

/// Hashes and decodes `mails` on every core, keeping their order.
fn prepare(desk: &Desk<'_>, mails: &[(Option<&str>, &[u8])]) -> Vec<Prepared> {
    let limits = &desk.settings.limits;
    let one = |raw: &[u8]| -> Prepared {
        let parsed =
            (raw.len() <= limits.max_message_bytes).then(|| InboundMail::parse_limited(raw, limits.max_html_bytes));
        (sha256_hex(raw), parsed)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if mails.len() < 2 || cores < 2 {
        return mails.iter().map(|&(_, raw)| one(raw)).collect();
    }
    // Contiguous shares of about equal bytes, one thread each.
    let total: usize = mails.iter().map(|(_, raw)| raw.len()).sum();
    let share = total.div_ceil(cores).max(1);
    let mut bounds = vec![0];
    let mut bytes = 0;
    for (i, (_, raw)) in mails.iter().enumerate() {
        bytes += raw.len();
        if bytes >= share && i + 1 < mails.len() {
            bounds.push(i + 1);
            bytes = 0;
        }
    }
    bounds.push(mails.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let part = &mails[w[0]..w[1]];
                scope.spawn(move || part.iter().map(|&(_, raw)| one(raw)).collect::<Vec<_>>())
            })
            .collect();
        // A panic here is not the parser's (that one is caught): pass it on.
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Stores `mails`, taken from a source in this order, in one commit; when
/// that fails, one at a time up to the first that cannot be stored. The
/// outcomes are those of the mails stored, in order (a prefix of `mails`);
/// the error, what stopped the rest. A source lets go only of the stored
/// prefix and reads the rest again later.
pub fn ingest_in_order(
    store: &Store,
    desk: &Desk<'_>,
    mailbox: &SourceMailbox,
    mails: &[(Option<&str>, &[u8])],
) -> (Vec<Outcome>, Option<IngestError>) {
    if mails.is_empty() {
        return (Vec::new(), None);
    }
    if let Ok(outcomes) = ingest_batch(store, desk, mailbox, mails) {
        return (outcomes, None);
    }
    let mut outcomes = Vec::with_capacity(mails.len());
    for &(source_key, raw) in mails {
        match ingest(store, desk, mailbox, source_key, raw) {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => return (outcomes, Some(e)),
        }
    }
    (outcomes, None)
}

struct Ctx<'c, 'd> {
    conn: &'c mut Conn,
    /// What the group read once for all its mails.
    group: &'c mut Group,
    desk: &'d Desk<'d>,
    mail: &'d InboundMail,
    /// The technician who wrote it, proven as the config asks.
    staff: Option<&'d Technician>,
    raw_id: i64,
    mailbox: &'d str,
    now: NaiveDateTime,
    /// Mailing-list mail: may open a ticket, is never answered.
    list: bool,
}
