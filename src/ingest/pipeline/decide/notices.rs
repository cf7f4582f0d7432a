//! Notices: who is told what about a ticket, and the sender of a mail
//! too large to take in.

use super::*;

/// Tells the sender of a mail over the size limit that it was not taken
/// in, from the support address it was sent to. Not for automatic mail,
/// and only within the automatic-mail limits. Returns who was told.
pub(crate) fn tell_too_large(
    conn: &mut Conn,
    desk: &Desk<'_>,
    mailbox: &str,
    raw: &[u8],
) -> Result<Option<String>, Stop> {
    let settings = desk.settings;
    let Some(head) = InboundMail::parse_head(raw) else { return Ok(None) };
    if classify(&head.facts, &settings.own).kind.is_automatic() {
        return Ok(None);
    }
    let sender = head.reply_to.clone().unwrap_or_else(|| head.from.clone());
    let ours = settings.our_addresses();
    let from_address = settings
        .mailbox(mailbox)
        .map(|m| m.address.clone())
        .or_else(|| {
            let named = head.to.iter().chain(&head.cc).map(|m| &m.email).chain(&head.delivered_to);
            named.map(|a| a.to_lowercase()).find(|a| ours.contains(a))
        })
        .unwrap_or_else(|| settings.desk_address().to_string());
    // The body was not read: its subject is all the words there are.
    let last = queries::contact_by_email(conn, &sender.email.to_lowercase())?.and_then(|c| c.language?.parse().ok());
    let lang = settings.tickets.answer_in([head.language, crate::domain::language::guess(&head.subject), last]);
    let megabytes = |n: usize| format!("{:.1} MB", n as f64 / 1_000_000.0);
    let view =
        ArticleView { from_name: head.from.name.clone(), from_email: head.from.email.clone(), ..Default::default() };
    let mut notice = Notice::automatic("too_large", lang, vec![sender.clone()], &settings.outgoing.from_name, view);
    notice.details = serde_json::json!({ "mail": {
        "subject": head.subject,
        "received_at": desk.now.to_rfc3339(),
        "to": from_address,
        "size_label": megabytes(raw.len()),
        "limit_label": megabytes(settings.limits.max_message_bytes),
    }});
    let queued = desk.queue_unticketed(conn, notice, &from_address, head.message_id.as_deref()).map_err(Stop::from)?;
    Ok(queued.map(|_| sender.email))
}

impl Ctx<'_, '_> {
    pub(crate) fn article_view(&self, text: &str, is_new_ticket: bool, internal: bool) -> ArticleView {
        let m = self.mail;
        ArticleView {
            from_name: m.from.name.clone(),
            from_email: m.from.email.clone(),
            subject: m.subject.clone(),
            text: text.to_string(),
            html: None,
            is_new_ticket,
            internal,
            // Images go where the HTML showed them; other inline parts
            // (an unreferenced logo) stay behind.
            attachments: m.attachments.iter().filter(|a| !a.inline || a.in_html).cloned().collect(),
        }
    }

    /// Tells a technician a ticket is now theirs.
    pub(crate) fn notify_assignee(&mut self, ticket: &Ticket, email: &str, article: ArticleView) -> Result<(), Stop> {
        self.notify_assignee_with(ticket, email, article, &Value::Null)
    }

    pub(crate) fn notify_assignee_with(
        &mut self,
        ticket: &Ticket,
        email: &str,
        article: ArticleView,
        details: &Value,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let Some(tech) = settings.technician(email) else { return Ok(()) };
        self.desk.tell_technicians(self.conn, ticket, &[tech], "assigned", article, details)?;
        Ok(())
    }

    /// Tells the assignee; or, when nobody has the ticket, its group's
    /// technicians (every technician when it has no group); one mail per
    /// language.
    pub(crate) fn notify_technicians(
        &mut self,
        ticket: &Ticket,
        template: &str,
        article: ArticleView,
    ) -> Result<(), Stop> {
        self.notify_technicians_with(ticket, template, article, &serde_json::Value::Null)
    }

    pub(crate) fn notify_technicians_with(
        &mut self,
        ticket: &Ticket,
        template: &str,
        article: ArticleView,
        details: &serde_json::Value,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let sender = &self.mail.from.email;
        let group = ticket.group_name.as_deref().filter(|g| settings.group_members(g).next().is_some());
        let techs: Vec<_> = settings
            .technicians
            .iter()
            .filter(|t| match (&ticket.assignee, group) {
                (Some(a), _) => *a == t.email,
                (None, Some(g)) => t.groups.iter().any(|x| x == g),
                (None, None) => true,
            })
            .filter(|t| &t.email != sender)
            .collect();
        Ok(self.desk.tell_technicians(self.conn, ticket, &techs, template, article, details)?)
    }

    /// Closing a parent (a problem, a major incident) closes its open
    /// children the same way, and tells each requester.
    pub(crate) fn resolve_children(
        &mut self,
        parent: &Ticket,
        actor: &str,
        text: &str,
        to: Status,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        // A requester with several tickets under the parent is told once.
        let mut told = std::collections::BTreeSet::new();
        for child in queries::open_children(self.conn, parent.id)? {
            let from: Status = child.status.parse().unwrap_or(Status::New);
            self.set_status(&child, from, to, actor, EventKind::Status)?;
            self.event(child.id, actor, EventKind::ClosedWithParent, None, Some(&parent.id.to_string()), None)?;
            self.timers(child.id, false)?;
            let child = queries::ticket(self.conn, child.id)?.unwrap_or(child);
            let requester = queries::contact(self.conn, child.requester_id)?;
            if !told.insert(requester.email.clone()) {
                continue;
            }
            let by_name = settings.technician(actor).map_or(String::new(), |t| t.name.clone());
            let recipient = Mailbox { email: requester.email.clone(), name: requester.name.clone() };
            self.tell_status(&child, recipient, ChangeView { old: Some(from), new: Some(to), by_name }, text)?;
        }
        Ok(())
    }

    /// Tells `to` (in the ticket's language) of a status change made for
    /// them, with `text` as the words that came with it.
    pub(crate) fn tell_status(
        &mut self,
        ticket: &Ticket,
        to: Mailbox,
        change: ChangeView,
        text: &str,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let lang: Lang = ticket.language.parse().unwrap_or(settings.tickets.language);
        let article = ArticleView { text: text.to_string(), ..ArticleView::default() };
        let notice = Notice {
            change,
            ..Notice::automatic("status_changed", lang, vec![to], &settings.outgoing.from_name, article)
        };
        self.desk.queue(self.conn, ticket, notice)?;
        Ok(())
    }
}
