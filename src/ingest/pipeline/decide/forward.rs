//! A technician's forward of someone's mail to the desk: the ticket is
//! that person's, their mail its first article with its files, and the
//! technician's own words an internal note. `#me` keeps the technician as
//! requester; `#requester ADDRESS` names someone else.

use super::*;
use crate::domain::forward;

/// A forwarded mail as its sender sent it, and what the technician added.
pub(crate) struct Forward {
    /// The original, as if it had come from its sender: its words, its
    /// files, the forward's Message-ID (that is the mail the desk got).
    pub mail: InboundMail,
    /// The technician's own words above it, commands taken out.
    pub note: String,
}

/// The forward in `m`, a technician's mail that threads onto no ticket: a
/// message attached whole (`message/rfc822`), else an inline one under a
/// forward subject (`Fwd:`, `TR:`, `WG:`…). `None` when its sender cannot
/// be read, or is the desk itself.
pub(crate) fn forwarded(settings: &Settings, m: &InboundMail) -> Option<Forward> {
    let parsed = crate::domain::commands::parse(&m.text);
    let ours = settings.our_addresses();
    let usable = |email: &str| !email.is_empty() && !ours.iter().any(|o| o.eq_ignore_ascii_case(email));
    if let Some(i) = m.attachments.iter().position(|a| a.content_type == "message/rfc822") {
        let Ok(mut original) = InboundMail::parse(&m.attachments[i].content) else { return None };
        if !usable(&original.from.email) {
            return None;
        }
        // Files the technician attached beside it go with it.
        let others = m.attachments.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, a)| a.clone());
        original.attachments.extend(others);
        original.message_id = m.message_id.clone();
        original.references = Vec::new();
        original.delivered_to = m.delivered_to.clone();
        return Some(Forward { mail: original, note: parsed.text.trim().to_string() });
    }
    if !forward::is_forward_subject(&m.subject) {
        return None;
    }
    let found = forward::inline(&parsed.text)?;
    let sender = found.from?;
    if !usable(&sender.address) {
        return None;
    }
    let mailboxes = |list: &[String]| -> Vec<Mailbox> {
        list.iter().map(|a| Mailbox { email: a.to_lowercase(), name: String::new() }).collect()
    };
    let mut original = m.clone();
    original.from = Mailbox { email: sender.address.to_lowercase(), name: sender.name.unwrap_or_default() };
    original.reply_to = None;
    original.subject = found
        .subject
        .as_deref()
        .map(|s| forward::strip_forward_prefix(s).to_string())
        .unwrap_or_else(|| forward::strip_forward_prefix(&m.subject).to_string());
    original.text = found.body;
    // The HTML holds the technician's words too; the text is the original's.
    original.html = None;
    original.to = mailboxes(&found.to);
    original.cc = mailboxes(&found.cc);
    // The forwarder's client said what they read, not what the sender wrote.
    original.language = None;
    Some(Forward { mail: original, note: found.preface })
}

impl Opening {
    /// From a technician's forward `f` of someone's mail (`m` as the
    /// technician sent it): for its sender, unless `#me` or `#requester`
    /// says otherwise; the technician's other commands apply.
    pub fn of_forward(m: &InboundMail, f: &Forward, tech: &Technician) -> Opening {
        let parsed = crate::domain::commands::parse(&m.text);
        let named = parsed.commands.iter().rev().find_map(|c| match c {
            Command::Requester(a) => Some(a.clone()),
            _ => None,
        });
        let requester = if parsed.commands.contains(&Command::Me) {
            Mailbox { email: tech.email.clone(), name: tech.name.clone() }
        } else if let Some(email) = named {
            let name = threading::forwarded_name(&parsed.text, &email).unwrap_or_default();
            Mailbox { email, name }
        } else {
            f.mail.from.clone()
        };
        Opening {
            requester,
            by: Some(tech.clone()),
            commands: parsed
                .commands
                .into_iter()
                .filter(|c| !matches!(c, Command::Requester(_) | Command::Me))
                .collect(),
            errors: parsed.errors.into_iter().map(|e| (e.line, e.reason)).collect(),
            text: f.mail.text.clone(),
            channel: "mail",
            note: Some(f.note.clone()),
        }
    }
}

impl Ctx<'_, '_> {
    /// The technician's words on a ticket their forward opened, as an
    /// internal note of theirs (the article before it is the sender's).
    pub(crate) fn forward_note(&mut self, ticket: &Ticket, tech: &Technician, text: &str) -> Result<i64, Stop> {
        let id = queries::insert_article(
            self.conn,
            &NewArticle {
                ticket_id: ticket.id,
                raw_message_id: Some(self.raw_id),
                direction: Direction::In,
                visibility: Visibility::Internal,
                author_role: AuthorRole::Technician,
                from_addr: &tech.email,
                from_name: &tech.name,
                to_addrs: "",
                cc_addrs: "",
                subject: &self.mail.subject,
                body_text: text,
                trimmed_text: text,
                body_html: None,
                message_id: None,
                created_at: self.now,
            },
        )?;
        self.event(ticket.id, &tech.email, EventKind::Article, None, Some(Visibility::Internal.as_str()), Some(id))?;
        Ok(id)
    }
}
