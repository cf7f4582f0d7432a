//! Questions answered at once (`#list`, `#show 42`, "my tickets"): the
//! store is read, one answer is queued, nothing is opened or changed.

use super::*;
use crate::domain::ask::{Question, FORMS};
use crate::notify::context::{QueueArticle, QueueValues};
use crate::notify::queue::{lines, Reader, MAX_LINES};
use crate::store::queries::Queue;

/// Articles `#show` gives, the last ones.
const SHOWN_ARTICLES: usize = 3;

impl Ctx<'_, '_> {
    /// Answers `question`, asked by this mail's sender.
    pub(crate) fn answer(&mut self, question: &Question) -> Result<(Outcome, String), Stop> {
        let settings = self.desk.settings;
        let asker = self.mail.from.clone();
        let technician = self.staff.filter(|_| *question != Question::Requests);
        let contact = queries::contact_by_email(self.conn, &asker.email.to_lowercase())?;
        let lang = match technician {
            Some(t) => t.language.unwrap_or(settings.tickets.language),
            None => settings.tickets.answer_in([
                self.mail.language,
                crate::domain::ask::requests_language(&self.mail.subject, &self.mail.text),
                contact.as_ref().and_then(|c| c.language.as_deref()).and_then(|l| l.parse().ok()),
            ]),
        };
        let reader = Reader::of(settings, &asker.email, lang);
        let mut values = QueueValues { asked: question.name(), ..Default::default() };
        let listed = match question {
            Question::Mine => Some(Queue { assignee: Some(asker.email.to_lowercase()), ..Default::default() }),
            Question::Group(name) => {
                let known = settings.groups.iter().any(|g| g.name == *name)
                    || settings.technicians.iter().any(|t| t.groups.contains(name));
                values.group = name.clone();
                if !known {
                    values.refusal = lang.quote(name);
                }
                known.then(|| Queue { group: Some(name.clone()), ..Default::default() })
            }
            Question::Unassigned => {
                let groups = technician.map(|t| t.groups.clone()).unwrap_or_default();
                Some(Queue { unassigned_in: Some(groups), ..Default::default() })
            }
            Question::Breached => Some(Queue { breached: true, ..Default::default() }),
            // Someone who never wrote has no tickets, and nothing is stored.
            Question::Requests => contact.as_ref().map(|c| Queue { requester: Some(c.id), ..Default::default() }),
            Question::Show(_) | Question::Unclear(_) | Question::Reply => None,
        };
        values.kind = match question {
            Question::Mine => "mine",
            Question::Group(_) => "group",
            Question::Unassigned => "unassigned",
            Question::Breached => "breached",
            Question::Show(_) => "show",
            Question::Unclear(_) => "unclear",
            Question::Requests => "requests",
            Question::Reply => "reply",
        }
        .into();
        if let Some(queue) = listed {
            let tickets = queries::queue(self.conn, &queue)?;
            values.count = tickets.len() as i64;
            values.tickets = lines(self.conn, settings, tickets, &reader, MAX_LINES)?;
            values.more = values.count - values.tickets.len() as i64;
        }
        match question {
            Question::Show(n) => match queries::ticket(self.conn, *n)? {
                Some(t) => {
                    values.count = 1;
                    values.tickets = lines(self.conn, settings, vec![t], &reader, 1)?;
                    let articles = queries::articles(self.conn, *n)?;
                    let skip = articles.len().saturating_sub(SHOWN_ARTICLES);
                    values.articles = articles[skip..]
                        .iter()
                        .map(|a| QueueArticle {
                            from_name: if a.from_name.is_empty() { a.from_addr.clone() } else { a.from_name.clone() },
                            when: reader.moment(a.created_at),
                            internal: a.visibility().is_ok_and(|v| v == Visibility::Internal),
                            text: if a.trimmed_text.is_empty() { a.body_text.clone() } else { a.trimmed_text.clone() },
                        })
                        .collect();
                }
                None => values.refusal = n.to_string(),
            },
            Question::Unclear(_) => values.forms = FORMS.iter().map(|f| f.to_string()).collect(),
            _ => {}
        }
        let template = if technician.is_some() { "queue" } else { "my_tickets" };
        let summary = format!("{} ({} tickets)", question.name(), values.count);
        let view = ArticleView { from_name: asker.name.clone(), from_email: asker.email.clone(), ..Default::default() };
        let sender = self.mail.reply_to.clone().filter(|_| technician.is_none()).unwrap_or(asker);
        let mut notice = Notice::automatic(template, lang, vec![sender], &settings.outgoing.from_name, view);
        notice.details = serde_json::json!({ "queue": values });
        let from_address = self.answering_address();
        let queued = self.desk.queue_unticketed(self.conn, notice, &from_address, self.mail.message_id.as_deref())?;
        let reason = match queued {
            Some(_) => format!("answered {summary}"),
            // The hourly share of automatic mail is spent: asked too often.
            None => format!("not answered {summary}: automatic mail limit reached"),
        };
        Ok((Outcome::Answered { question: question.name() }, reason))
    }

    /// The desk address the mail came to, which answers it.
    fn answering_address(&self) -> String {
        let settings = self.desk.settings;
        settings.mailbox(self.mailbox).map(|m| m.address.clone()).unwrap_or_else(|| settings.desk_address().to_string())
    }
}
