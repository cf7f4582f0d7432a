//! The one shape of a template's values: what rendering hands the
//! templates, what `guichet check` and `guichet template preview` render
//! against (its [`TemplateContext::sample`]), and, by its defaults, the
//! empty sections every mail has. A section a notice does not fill is
//! there, empty, so strict mode fails only on a name no mail has.
//!
//! Times are RFC 3339 as filled, and a reader's words once rendered
//! (`notify::render::localize_times`).

use serde::{Deserialize, Serialize};

use crate::domain::ticket::Lang;

mod sample;

/// Every variable a template may use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateContext {
    /// The mail's title (its template's `subject` part), set by rendering.
    pub title: String,
    pub desk: DeskValues,
    pub signature: String,
    pub signature_html: String,
    pub recipient: RecipientValues,
    pub ticket: TicketValues,
    pub article: ArticleValues,
    pub change: ChangeValues,
    pub error: ErrorValues,
    pub sla: SlaValues,
    pub pending: PendingValues,
    pub survey: SurveyValues,
    pub rating: RatingValues,
    pub bounce: BounceValues,
    pub kb: KbValues,
    pub major: MajorValues,
    pub alert: AlertValues,
    pub history: HistoryValues,
    pub mail: MailValues,
    pub login: LoginValues,
    pub queue: QueueValues,
    pub merge: MergeValues,
    pub held: HeldValues,
}

/// A mail from a technician's address held until they confirm it is theirs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeldValues {
    pub subject: String,
    /// Its command lines (`#resolve`), none run yet.
    pub commands: Vec<String>,
    /// Its first lines.
    pub excerpt: String,
    /// When it says it was written (RFC 3339), if it says.
    pub date: String,
}

/// The ticket a merged one continues as.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MergeValues {
    pub number: i64,
    pub subject: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeskValues {
    pub name: String,
    pub address: String,
    pub tag: String,
    pub reopen_days: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecipientValues {
    pub name: String,
    pub email: String,
    /// A watcher reading a copy of someone else's request.
    pub in_copy: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketValues {
    pub number: i64,
    pub tag: String,
    pub subject: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub type_label: String,
    pub status: String,
    pub status_label: String,
    pub priority: i64,
    pub priority_label: String,
    pub impact: i64,
    pub urgency: i64,
    pub requester_name: String,
    pub requester_email: String,
    pub assignee_name: String,
    pub has_watchers: bool,
    pub watchers: Vec<Person>,
    pub group: String,
    pub major: bool,
    pub planned_at: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Person {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArticleValues {
    /// The stored article the mail quotes (0: none, the words are here).
    pub id: i64,
    pub from_name: String,
    /// Whether `from_name` is a name, not the address standing in for one.
    pub has_name: bool,
    pub from_email: String,
    pub subject: String,
    pub text: String,
    pub lines: Vec<String>,
    pub html: String,
    pub has_html: bool,
    pub is_new_ticket: bool,
    pub internal: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangeValues {
    /// Status codes; the labels are in the reader's language.
    pub old: String,
    pub new: String,
    pub old_label: String,
    pub new_label: String,
    pub new_meaning: String,
    pub by_name: String,
    pub closed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorValues {
    pub command: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaValues {
    pub kind_label: String,
    pub policy: String,
    pub due_at: String,
    pub left_label: String,
    pub overdue_label: String,
    pub raised_priority_label: String,
    pub moved_to_group: String,
    pub reassigned_to_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PendingValues {
    pub since: String,
    pub days: i64,
    pub close_after_days: i64,
    pub closes_on: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurveyValues {
    pub has_links: bool,
    pub links: Vec<SurveyLink>,
    pub valid_days: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurveyLink {
    pub rating: i64,
    pub url: String,
    pub label: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RatingValues {
    pub value: i64,
    pub comment: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BounceValues {
    /// The failure was written by the relay (a bounce), not found on sending.
    pub written: bool,
    pub failures: Vec<BounceFailure>,
    pub undeliverable_days: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BounceFailure {
    pub recipient: String,
    pub status: String,
    pub diagnostic: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KbValues {
    pub has_articles: bool,
    pub articles: Vec<KbArticle>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KbArticle {
    pub number: i64,
    pub title: String,
    pub excerpt: String,
    pub text: String,
    pub lines: Vec<String>,
    pub html: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MajorValues {
    pub number: i64,
    pub subject: String,
    pub count: i64,
    pub window_minutes: i64,
    pub children: Vec<MajorChild>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MajorChild {
    pub number: i64,
    pub subject: String,
    pub requester: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertValues {
    pub to: String,
    pub cc: String,
    pub note_address: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryValues {
    pub has_tickets: bool,
    pub tickets: Vec<HistoryTicket>,
    pub related: Option<Related>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryTicket {
    pub number: i64,
    pub subject: String,
    pub status: String,
    pub status_label: String,
    pub closed: bool,
    pub when: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Related {
    pub number: i64,
    pub subject: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailValues {
    pub subject: String,
    pub received_at: String,
    pub to: String,
    pub size_label: String,
    pub limit_label: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginValues {
    pub mailbox: String,
    pub address: String,
    pub reason: String,
    pub action: String,
}

/// A list of tickets answered by mail: a technician's `#list` or `#show`,
/// a requester's "my tickets".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueValues {
    /// `mine`, `group`, `unassigned`, `breached`, `show`, `unclear` or
    /// `requests`: what was asked, for the template's heading.
    pub kind: String,
    /// The line as the technician wrote it.
    pub asked: String,
    /// The group asked for (`#list group NAME`).
    pub group: String,
    /// Open tickets, due soonest first; at most a mail's worth.
    pub tickets: Vec<QueueTicket>,
    /// How many there are in all, and how many the mail leaves out.
    pub count: i64,
    pub more: i64,
    /// `#show`: the ticket's last articles, oldest first.
    pub articles: Vec<QueueArticle>,
    /// How to write a question, for an unclear one.
    pub forms: Vec<String>,
    /// Why nothing could be listed (no such group, no such ticket).
    pub refusal: String,
    /// A digest: the working day it is for, in the reader's words.
    pub day: String,
    /// A digest: how many of the reader's tickets are past an SLA target.
    pub breached: i64,
    /// A digest: the reader's tickets waiting for the requester, and
    /// their groups' tickets nobody has.
    pub pending: QueueSection,
    pub unassigned: QueueSection,
    /// A digest to a group's lead: each group they lead.
    pub groups: Vec<GroupView>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueSection {
    pub tickets: Vec<QueueTicket>,
    pub count: i64,
    pub more: i64,
}

/// A group as its lead sees it in the digest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupView {
    pub name: String,
    /// Open tickets, past an SLA target, and with nobody on them.
    pub backlog: i64,
    pub breached: i64,
    pub unassigned: i64,
    /// Its oldest open tickets, oldest first.
    pub oldest: Vec<QueueTicket>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueTicket {
    pub number: i64,
    pub subject: String,
    pub status: String,
    pub status_label: String,
    pub priority: i64,
    pub priority_label: String,
    /// The nearest SLA target not met yet, in the reader's words; empty
    /// when none runs.
    pub due: String,
    pub breached: bool,
    /// Since when it waits for the requester, in the reader's words.
    pub pending_since: String,
    pub requester_name: String,
    pub assignee_name: String,
    pub group: String,
    pub opened: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueArticle {
    pub from_name: String,
    pub when: String,
    pub internal: bool,
    pub text: String,
}

impl TemplateContext {
    /// These values as handlebars reads them.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Values in the shape of a context (`{"ticket": {...}, ...}`), typed:
    /// a value of the wrong type is an error that names it.
    pub fn from_value(values: serde_json::Value) -> Result<TemplateContext, String> {
        serde_json::from_value(values).map_err(|e| format!("template values: {e}"))
    }
}
