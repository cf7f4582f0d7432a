//! Routing of a mail that opens a ticket: rules, then urgency and impact
//! read from the mail, then the priority matrix; and the automatic choice
//! of a technician. `guichet rules test` shows the same, storing nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Settings;
use crate::domain::assign::{self, Candidate, Choice};
use crate::domain::rules::{self, Decision, LanguageFrom, RuleInput};
use crate::domain::ticket::{Lang, TicketType};
use crate::domain::trim::trim_reply;
use crate::domain::urgency::{self, Hint};
use crate::mail::inbound::InboundMail;
use crate::store::{queries, Conn};

/// Where the ticket's group came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupFrom {
    Rule,
    Mailbox,
}

/// What a new ticket will be, before it exists.
#[derive(Debug, Clone, Serialize)]
pub struct Routing {
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub impact: i32,
    pub urgency: i32,
    pub priority: i32,
    pub major: bool,
    pub group: Option<String>,
    pub group_from: Option<GroupFrom>,
    /// Named by a rule; otherwise chosen by [`auto_assign`] when there is a group.
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    /// The acknowledgement's template.
    pub template: String,
    pub acknowledge: bool,
    pub internal: bool,
    pub quarantine: Option<String>,
    pub event_key: Option<String>,
    pub event_recovery: bool,
    /// Why urgency or impact moved without a rule.
    pub hints: Vec<String>,
    /// The language the rules saw (see [`rules::mail_language`]).
    pub language: Option<Lang>,
    pub language_from: Option<LanguageFrom>,
    #[serde(skip)]
    pub decision: Decision,
}

impl Routing {
    /// The rules that matched, in order.
    pub fn matched(&self) -> Vec<String> {
        self.decision.matched().map(str::to_string).collect()
    }
}

/// Routes `mail`, read from `mailbox`, for `requester` (the sender, or
/// whom a technician opens it for).
pub fn route(settings: &Settings, mailbox: &str, mail: &InboundMail, requester: &str) -> Routing {
    let (sender_groups, sender_vip) = settings.requester_groups_of(requester);
    let language = rules::mail_language(mail.language, &mail.subject, &mail.text);
    let input = RuleInput {
        mailbox,
        from: &mail.from.email,
        to: mail.to.iter().map(|m| m.email.as_str()).collect(),
        cc: mail.cc.iter().map(|m| m.email.as_str()).collect(),
        subject: &mail.subject,
        body: &mail.text,
        headers: &mail.facts.headers,
        sender_groups,
        sender_vip,
        language: language.map(|(l, _)| l),
    };
    let decision = rules::evaluate(&settings.rules, &input);
    let f = &decision.fields;
    let Hint { impact, urgency, reasons } =
        urgency::hint(&mail.facts.headers, &mail.subject, &trim_reply(&mail.text), &settings.tickets.keywords);
    let impact = f.impact.or(impact).unwrap_or(3);
    let urgency = f.urgency.or(urgency).unwrap_or(3);
    let ticket_type =
        f.ticket_type.unwrap_or(if f.event_key.is_some() { TicketType::Event } else { TicketType::Incident });
    let (group, group_from) = match (&f.group, settings.mailbox(mailbox).and_then(|m| m.group.clone())) {
        (Some(g), _) => (Some(g.clone()), Some(GroupFrom::Rule)),
        (None, Some(g)) => (Some(g), Some(GroupFrom::Mailbox)),
        (None, None) => (None, None),
    };
    Routing {
        ticket_type,
        impact,
        urgency,
        priority: settings.tickets.priority_matrix.priority(impact, urgency),
        major: f.major.unwrap_or(false),
        group,
        group_from,
        assignee: f.assignee.clone().filter(|a| settings.technician(a).is_some()),
        tags: f.tags.clone(),
        category: f.category.clone(),
        template: f.template.clone().unwrap_or_else(|| "acknowledgement".into()),
        // Monitoring systems are not answered unless a rule says so.
        acknowledge: f.acknowledge.unwrap_or(ticket_type != TicketType::Event),
        internal: f.internal.unwrap_or(false),
        quarantine: f.quarantine.clone(),
        event_key: f.event_key.clone(),
        event_recovery: f.event_recovery.unwrap_or(false),
        hints: reasons,
        language: language.map(|(l, _)| l),
        language_from: language.map(|(_, from)| from),
        decision,
    }
}

/// Picks a technician of `group` for a ticket with these category and
/// tags: skill, availability, load, then turn. Without a database (a
/// dry run on a desk that has none yet) nobody has tickets or turns.
pub fn auto_assign(
    mut conn: Option<&mut Conn>,
    settings: &Settings,
    now: DateTime<Utc>,
    group: &str,
    category: Option<&str>,
    tags: &[String],
) -> Result<Choice, diesel::result::Error> {
    let wanted: Vec<String> = category.into_iter().map(str::to_lowercase).chain(tags.iter().cloned()).collect();
    let mut candidates = Vec::new();
    for t in settings.group_members(group) {
        let (noticed, open_tickets, last_assigned) = match conn.as_deref_mut() {
            Some(conn) => (
                queries::away(conn, &t.email, now.naive_utc())?,
                queries::open_tickets_of(conn, &t.email, assign::LOAD_COUNTED)?,
                queries::last_assigned(conn, &t.email)?,
            ),
            None => (None, 0, None),
        };
        let noticed =
            noticed.map(|(until, why)| format!("auto-reply until {} ({why})", until.format("%Y-%m-%d %H:%M UTC")));
        candidates.push(Candidate {
            email: &t.email,
            skills: &t.skills,
            unavailable: t.presence.unavailable(now).or(noticed),
            open_tickets,
            last_assigned,
        });
    }
    Ok(assign::choose(group, &wanted, &candidates))
}
