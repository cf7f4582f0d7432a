//! Merge and split: `#merge 12` closes a ticket into ticket 12, which
//! takes its articles, watchers and later mail, and its requester is told
//! once; `#split`, in an answer to a notice, makes the article that notice
//! carried a ticket of its own for its author, linked to the old one.

use super::*;

impl Ctx<'_, '_> {
    /// Tells the requester (and those in copy, now following `into`) that
    /// `ticket` continues as `into`, once.
    pub(crate) fn tell_merged(&mut self, ticket: &Ticket, into: i64) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let Some(target) = queries::ticket(self.conn, into)? else { return Ok(()) };
        let requester = queries::contact(self.conn, ticket.requester_id)?;
        if settings.technician(&requester.email).is_some() {
            return Ok(());
        }
        let lang: Lang = ticket.language.parse().unwrap_or(settings.tickets.language);
        let to = vec![Mailbox { email: requester.email, name: requester.name }];
        let mut notice = Notice::automatic("merged", lang, to, &settings.outgoing.from_name, ArticleView::default());
        notice.details = serde_json::json!({ "merge": { "number": target.id, "subject": target.subject } });
        self.desk.queue(self.conn, ticket, notice)?;
        Ok(())
    }

    /// `#split`: `article` of `ticket` becomes a new ticket for its author,
    /// related to `ticket`, with its files and the Message-ID its replies
    /// thread by; the author is acknowledged under the new number.
    pub(crate) fn split(&mut self, ticket: &Ticket, actor: &str, article: i64) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let articles = queries::articles(self.conn, ticket.id)?;
        let Some(a) = articles.iter().find(|a| a.id == article) else { return Ok(()) };
        let author = queries::upsert_contact(self.conn, &a.from_addr, &a.from_name, None, self.now)?;
        // A reply keeps the old ticket's subject: its first words say more.
        let mut subject = settings.tickets.subject_tag.clean(&a.subject);
        if subject.is_empty() || subject == ticket.subject {
            subject = first_words(&a.trimmed_text).unwrap_or_else(|| ticket.subject.clone());
        }
        let new = queries::insert_ticket(
            self.conn,
            &NewTicket {
                subject: &subject,
                ticket_type: &ticket.ticket_type,
                status: Status::New.as_str(),
                impact: ticket.impact,
                urgency: ticket.urgency,
                priority: ticket.priority,
                related_id: Some(ticket.id),
                parent_id: None,
                requester_id: author.id,
                major: false,
                assignee: None,
                group_name: ticket.group_name.as_deref(),
                category: ticket.category.as_deref(),
                event_key: None,
                event_count: 0,
                language: author.language.as_deref().unwrap_or(&ticket.language),
                mailbox: &ticket.mailbox,
                desk_address: &ticket.desk_address,
                created_at: self.now,
                updated_at: self.now,
            },
        )?;
        queries::move_article(self.conn, article, new.id)?;
        self.event(new.id, actor, EventKind::Created, None, Some("split"), None)?;
        self.event(new.id, actor, EventKind::SplitFrom, None, Some(&ticket.id.to_string()), Some(article))?;
        self.event(ticket.id, actor, EventKind::SplitInto, None, Some(&new.id.to_string()), Some(article))?;
        if settings.technician(&author.email).is_none() {
            let lang: Lang = new.language.parse().unwrap_or(settings.tickets.language);
            let to = vec![Mailbox { email: author.email.clone(), name: author.name.clone() }];
            let view = ArticleView {
                from_name: a.from_name.clone(),
                from_email: a.from_addr.clone(),
                subject: a.subject.clone(),
                text: a.trimmed_text.clone(),
                is_new_ticket: true,
                ..Default::default()
            };
            let notice = Notice::automatic("acknowledgement", lang, to, &settings.outgoing.from_name, view);
            self.desk.queue(self.conn, &new, notice)?;
        }
        self.start_timers(&new, false)?;
        Ok(())
    }
}

/// Words that make a subject: the first line of text, cut at a word.
const SUBJECT_CHARS: usize = 80;

fn first_words(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if line.chars().count() <= SUBJECT_CHARS {
        return Some(line.to_string());
    }
    let cut: String = line.chars().take(SUBJECT_CHARS).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    Some(format!("{}…", cut[..at].trim_end()))
}
