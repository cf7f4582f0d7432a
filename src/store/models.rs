//! Rows as read (`X`) and as written (`NewX`), one pair per table we use.
//! The rows written on every mail are inserted with their columns named
//! one by one in `queries` (PostgreSQL keeps those statements prepared);
//! the others through their derived `Insertable`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;
use crate::domain::history::{AuthorRole, Direction, EventKind, Visibility};
use crate::domain::ticket::UnknownName;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub language: Option<String>,
    pub vip: bool,
    pub undeliverable_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Ticket {
    pub id: i64,
    pub subject: String,
    pub ticket_type: String,
    pub status: String,
    pub impact: i32,
    pub urgency: i32,
    pub priority: i32,
    pub major: bool,
    pub parent_id: Option<i64>,
    pub related_id: Option<i64>,
    pub requester_id: i64,
    pub assignee: Option<String>,
    pub group_name: Option<String>,
    pub category: Option<String>,
    pub language: String,
    pub mailbox: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub planned_at: Option<NaiveDateTime>,
    pub event_key: Option<String>,
    pub event_count: i32,
    pub pending_since: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
    /// The support address the ticket came in by; empty for tickets older
    /// than this column (see [`crate::config::Settings::identity`]).
    pub desk_address: String,
    /// The ticket it was merged into: mail naming this one goes there.
    pub merged_into: Option<i64>,
}

#[derive(Debug)]
pub struct NewTicket<'a> {
    pub subject: &'a str,
    pub ticket_type: &'a str,
    pub status: &'a str,
    pub impact: i32,
    pub urgency: i32,
    pub priority: i32,
    pub related_id: Option<i64>,
    /// The major incident it belongs to.
    pub parent_id: Option<i64>,
    pub requester_id: i64,
    pub major: bool,
    pub assignee: Option<&'a str>,
    pub group_name: Option<&'a str>,
    pub category: Option<&'a str>,
    pub event_key: Option<&'a str>,
    pub event_count: i32,
    pub language: &'a str,
    pub mailbox: &'a str,
    pub desk_address: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug)]
pub struct NewRawMessage<'a> {
    pub sha256: &'a str,
    pub size: i64,
    pub content: &'a [u8],
    pub received_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inbound)]
pub struct Inbound {
    pub id: i64,
    pub raw_message_id: i64,
    pub mailbox: String,
    pub message_id: Option<String>,
    pub body_sha256: String,
    pub outcome: String,
    pub kind: String,
    pub reason: String,
    pub ticket_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug)]
pub struct NewInbound<'a> {
    pub raw_message_id: i64,
    pub mailbox: &'a str,
    pub message_id: Option<&'a str>,
    pub body_sha256: &'a str,
    pub outcome: &'a str,
    pub kind: &'a str,
    pub reason: &'a str,
    pub ticket_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct Article {
    pub id: i64,
    pub ticket_id: i64,
    pub raw_message_id: Option<i64>,
    direction: String,
    visibility: String,
    author_role: String,
    pub from_addr: String,
    pub from_name: String,
    pub to_addrs: String,
    pub cc_addrs: String,
    pub subject: String,
    pub body_text: String,
    pub trimmed_text: String,
    pub body_html: Option<String>,
    pub message_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The stored names read back; an error keeps a name this version does
/// not know.
impl Article {
    pub fn direction(&self) -> Result<Direction, UnknownName> {
        self.direction.parse()
    }

    pub fn visibility(&self) -> Result<Visibility, UnknownName> {
        self.visibility.parse()
    }

    pub fn author_role(&self) -> Result<AuthorRole, UnknownName> {
        self.author_role.parse()
    }

    /// Sent to the requester: a technician's public answer.
    pub fn is_public_answer(&self) -> bool {
        self.direction() == Ok(Direction::Out) && self.visibility() == Ok(Visibility::Public)
    }
}

/// The names are stored as their `as_str` (`queries::insert_article`).
#[derive(Debug, Clone, Copy)]
pub struct NewArticle<'a> {
    pub ticket_id: i64,
    pub raw_message_id: Option<i64>,
    pub direction: Direction,
    pub visibility: Visibility,
    pub author_role: AuthorRole,
    pub from_addr: &'a str,
    pub from_name: &'a str,
    pub to_addrs: &'a str,
    pub cc_addrs: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub trimmed_text: &'a str,
    pub body_html: Option<&'a str>,
    pub message_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i64,
    pub article_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub inline: bool,
    pub content_id: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = attachments)]
pub struct NewAttachment<'a> {
    pub article_id: i64,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub inline: bool,
    pub content_id: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i64,
    pub ticket_id: i64,
    pub actor: String,
    kind: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub article_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl Event {
    /// What the event records; an error keeps a stored kind this version
    /// does not know (see [`Event::kind_name`]).
    pub fn kind(&self) -> Result<EventKind, UnknownName> {
        self.kind.parse()
    }

    /// The kind as stored, known or not: what `ticket show` prints.
    pub fn kind_name(&self) -> &str {
        &self.kind
    }
}

/// The kind is stored as its `as_str` (`queries::insert_event`).
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub ticket_id: i64,
    pub actor: &'a str,
    pub kind: EventKind,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub article_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub template: String,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: String,
    pub subject: String,
    /// The bytes of a row queued before rows held what their mail is made
    /// of: sent as they are.
    pub content: Option<Vec<u8>>,
    pub automatic: bool,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// `fr` or `en`.
    pub lang: Option<String>,
    /// The template's values (JSON), less what the store has and what is
    /// derived from them (see `notify::render`).
    pub context: Option<String>,
    /// The header facts (JSON, `notify::render::HeaderFacts`).
    pub headers: Option<String>,
    /// The files, as references to stored blobs (JSON).
    pub files: Option<String>,
    /// The article the mail quotes as it is stored.
    pub article_id: Option<i64>,
    /// The version with the larger files as links is the one to send (a
    /// relay refused the mail for its size).
    pub smaller: bool,
}

#[derive(Debug)]
pub struct NewOutbox<'a> {
    pub ticket_id: Option<i64>,
    pub template: &'a str,
    pub message_id: &'a str,
    pub envelope_from: &'a str,
    pub recipients: &'a str,
    pub subject: &'a str,
    pub automatic: bool,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub lang: &'a str,
    pub context: &'a str,
    pub headers: &'a str,
    pub files: Option<&'a str>,
    pub article_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sla_timers)]
pub struct SlaTimer {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: String,
    pub policy: String,
    pub due_at: NaiveDateTime,
    pub state: String,
    pub remaining_minutes: Option<i64>,
    pub warned_at: Option<NaiveDateTime>,
    pub breached_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub target_minutes: i64,
    pub used_minutes: i64,
    pub running_since: Option<NaiveDateTime>,
    pub warn_percent: i32,
    pub warn_at: Option<NaiveDateTime>,
    pub met_at: Option<NaiveDateTime>,
}

/// A timer as written back after a change: everything but its identity.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = sla_timers, treat_none_as_null = true)]
pub struct TimerRow<'a> {
    pub ticket_id: i64,
    pub kind: &'a str,
    pub policy: &'a str,
    pub due_at: NaiveDateTime,
    pub state: &'a str,
    pub remaining_minutes: Option<i64>,
    pub warned_at: Option<NaiveDateTime>,
    pub breached_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub target_minutes: i64,
    pub used_minutes: i64,
    pub running_since: Option<NaiveDateTime>,
    pub warn_percent: i32,
    pub warn_at: Option<NaiveDateTime>,
    pub met_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = surveys)]
pub struct Survey {
    pub id: i64,
    pub ticket_id: i64,
    pub state: String,
    pub due_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub message_id: Option<String>,
    pub rating: Option<i32>,
    pub comment: String,
    pub answered_via: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quarantine)]
pub struct Quarantined {
    pub id: i64,
    pub raw_message_id: i64,
    pub mailbox: String,
    pub reason: String,
    pub state: String,
    pub retries: i32,
    pub created_at: NaiveDateTime,
    pub released_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mailbox_health)]
pub struct MailboxHealth {
    pub mailbox: String,
    pub state: String,
    pub detail: String,
    pub holder: String,
    pub failures: i32,
    pub last_ok_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = kb_articles)]
pub struct KbArticle {
    pub id: i64,
    pub title: String,
    pub body_text: String,
    pub body_html: String,
    pub lang: String,
    pub tags: String,
    pub status: String,
    pub source_ticket_id: Option<i64>,
    pub source_file: Option<String>,
    pub search_text: String,
    pub suggested: i32,
    pub useful: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = kb_articles)]
pub struct NewKbArticle<'a> {
    pub title: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub lang: &'a str,
    pub tags: &'a str,
    pub status: &'a str,
    pub source_ticket_id: Option<i64>,
    pub source_file: Option<&'a str>,
    pub search_text: &'a str,
    pub updated_at: NaiveDateTime,
}
