//! Reply: a mail that threads onto a ticket, by its requester, a
//! watcher, a stranger, or a report that our mail did not arrive.

use super::*;

/// Threading, in order of precedence: subject tag, references, plus address.
pub(crate) fn find_ticket(
    conn: &mut Conn,
    desk: &Desk<'_>,
    mail: &InboundMail,
) -> Result<Option<Ticket>, diesel::result::Error> {
    let existing = |conn: &mut Conn, n: Option<i64>| -> Result<Option<i64>, diesel::result::Error> {
        match n {
            Some(n) => Ok(queries::ticket(conn, n)?.map(|t| t.id)),
            None => Ok(None),
        }
    };
    let by_tag = existing(conn, desk.settings.tickets.subject_tag.number(&mail.subject))?;
    let by_references = queries::ticket_by_message_ids(conn, &mail.references)?;
    let recipients =
        mail.to.iter().chain(&mail.cc).map(|m| m.email.as_str()).chain(mail.delivered_to.iter().map(String::as_str));
    let plus = threading::plus_address_number(recipients, desk.settings.our_addresses());
    let by_plus_address = existing(conn, plus)?;
    match (Candidates { by_tag, by_references, by_plus_address }).pick() {
        Some((id, via)) => {
            tracing::debug!(ticket.number = id, via = via.as_str(), "threaded");
            let mut found = queries::ticket(conn, id)?;
            // A merged ticket goes on as another: mail to its number too.
            // Bounded, should a merge ever point back.
            for _ in 0..MAX_MERGE_HOPS {
                match found.as_ref().and_then(|t| t.merged_into) {
                    Some(into) => found = queries::ticket(conn, into)?.or(found),
                    None => break,
                }
            }
            Ok(found)
        }
        None => Ok(None),
    }
}

/// Merges followed from the ticket a mail names to the one it goes to.
const MAX_MERGE_HOPS: usize = 8;

/// Who wrote a mail, relative to the ticket it threads onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Requester,
    Watcher,
    Technician,
    Stranger,
}

impl Role {
    /// What the article it writes is stored as.
    fn author(self) -> AuthorRole {
        match self {
            Role::Requester => AuthorRole::Requester,
            Role::Watcher => AuthorRole::Watcher,
            Role::Technician => AuthorRole::Technician,
            Role::Stranger => AuthorRole::Stranger,
        }
    }

    fn as_str(self) -> &'static str {
        self.author().as_str()
    }
}

impl Ctx<'_, '_> {
    pub(crate) fn role(&mut self, ticket: &Ticket) -> Result<Role, Stop> {
        let sender = &self.mail.from.email;
        if self.staff.is_some() {
            return Ok(Role::Technician);
        }
        if &queries::contact(self.conn, ticket.requester_id)?.email == sender {
            return Ok(Role::Requester);
        }
        if queries::watchers(self.conn, ticket.id)?.iter().any(|w| &w.email == sender) {
            return Ok(Role::Watcher);
        }
        Ok(Role::Stranger)
    }

    pub(crate) fn person_mail(&mut self, ticket: Ticket, answer: bool) -> Result<(Outcome, String), Stop> {
        let role = self.role(&ticket)?;
        let reason = format!("{} on ticket {}", role.as_str(), ticket.id);
        match role {
            Role::Technician => {
                self.technician_mail(&ticket)?;
                Ok((Outcome::Article { ticket: ticket.id }, reason))
            }
            Role::Stranger => match self.desk.settings.tickets.stranger {
                StrangerPolicy::Internal => {
                    let trimmed = trim_reply(&self.mail.text);
                    self.article(&ticket, Direction::In, Visibility::Internal, AuthorRole::Stranger, &trimmed)?;
                    // A stranger's files are kept on the ticket, not spread by mail.
                    let view = ArticleView { attachments: Vec::new(), ..self.article_view(&trimmed, false, true) };
                    let list = |v: &[Mailbox]| v.iter().map(Mailbox::to_string).collect::<Vec<_>>().join(", ");
                    let details =
                        serde_json::json!({ "alert": { "to": list(&self.mail.to), "cc": list(&self.mail.cc) } });
                    self.notify_technicians_with(&ticket, "stranger_alert", view, &details)?;
                    Ok((Outcome::Article { ticket: ticket.id }, format!("{reason}: kept internal")))
                }
                StrangerPolicy::NewTicket => {
                    let id = self.open_routed(None, answer)?;
                    Ok((Outcome::Ticket { ticket: id }, format!("{reason}: opened a separate ticket")))
                }
            },
            Role::Requester | Role::Watcher => {
                if role == Role::Requester {
                    if let Some(done) = self.survey_answer(&ticket, &reason)? {
                        return Ok(done);
                    }
                    if let Some(done) = self.self_service(&ticket, &reason)? {
                        return Ok(done);
                    }
                }
                let status: Status = ticket.status.parse().unwrap_or(Status::New);
                let closed_at = ticket.closed_at.map(|t| t.and_utc());
                match threading::on_closed(status, closed_at, self.desk.now, self.desk.settings.tickets.reopen_days) {
                    OnClosed::NewLinked => {
                        let id = self.open_routed(Some(ticket.id), answer)?;
                        Ok((
                            Outcome::Ticket { ticket: id },
                            format!("{reason}: closed too long ago, new linked ticket"),
                        ))
                    }
                    how => {
                        let trimmed = trim_reply(&self.mail.text);
                        self.article(&ticket, Direction::In, Visibility::Public, role.author(), &trimmed)?;
                        let requester = queries::contact(self.conn, ticket.requester_id)?;
                        self.add_watchers(&ticket, &requester.email)?;
                        // "Merci !" after the resolution is kept, not a reason to reopen.
                        let thanks = how == OnClosed::Reopen && thanks_only(&trimmed);
                        if thanks {
                            self.event(ticket.id, &self.mail.from.email.clone(), EventKind::Thanks, None, None, None)?;
                        } else if how == OnClosed::Reopen || status == Status::Pending {
                            let next = Status::reopened(ticket.assignee.is_some());
                            let kind = if how == OnClosed::Reopen { EventKind::Reopened } else { EventKind::Status };
                            self.set_status(&ticket, status, next, &self.mail.from.email.clone(), kind)?;
                            self.timers(ticket.id, false)?;
                        }
                        // The technicians read the ticket as this mail left it.
                        let current = queries::ticket(self.conn, ticket.id)?.unwrap_or(ticket);
                        let view = self.article_view(&trimmed, false, false);
                        self.notify_technicians(&current, "new_article", view)?;
                        let reason = if thanks { format!("{reason}: thanks, kept closed") } else { reason };
                        Ok((Outcome::Article { ticket: current.id }, reason))
                    }
                }
            }
        }
    }

    /// The requester answers the satisfaction survey: the rating (a digit,
    /// or words that leave no doubt) and their words are recorded, and the
    /// ticket stays closed — unless they say the problem is back, which
    /// goes on as any reply to the ticket. `None`: not an answer.
    pub(crate) fn survey_answer(&mut self, ticket: &Ticket, reason: &str) -> Result<Option<(Outcome, String)>, Stop> {
        let Some(survey) = queries::survey_by_message_ids(self.conn, &self.mail.references)? else { return Ok(None) };
        if survey.ticket_id != ticket.id {
            return Ok(None);
        }
        let trimmed = trim_reply(&self.mail.text);
        let said = survey::read_answer(&trimmed);
        if said.problem_back {
            self.event(ticket.id, &self.mail.from.email.clone(), EventKind::SurveyProblemBack, None, None, None)?;
            return Ok(None);
        }
        self.article(ticket, Direction::In, Visibility::Public, AuthorRole::Requester, &trimmed)?;
        sla::survey::answer(self.conn, self.desk, &survey, said.rating, &trimmed, "mail")?;
        let how = match said.rating {
            Some(r) => format!("{reason}: survey answered, rating {r}"),
            None => format!("{reason}: survey answered without a clear rating, kept as a comment"),
        };
        Ok(Some((Outcome::Article { ticket: ticket.id }, how)))
    }

    /// The requester says an article their acknowledgement suggested
    /// solved the problem: the ticket is resolved as self-service, the
    /// best suggested article counted as useful, the technicians told, the
    /// requester sent the usual closing word. `None`: not such a reply.
    pub(crate) fn self_service(&mut self, ticket: &Ticket, reason: &str) -> Result<Option<(Outcome, String)>, Stop> {
        let status: Status = ticket.status.parse().unwrap_or(Status::New);
        if status.is_closed() {
            return Ok(None);
        }
        let trimmed = trim_reply(&self.mail.text);
        if !crate::domain::knowledge::says_solved(&trimmed, &self.desk.settings.knowledge.solved_words) {
            return Ok(None);
        }
        let suggested = crate::store::kb::suggestions(self.conn, ticket.id)?;
        let Some((best, _)) = suggested.first() else { return Ok(None) };
        let actor = self.mail.from.email.clone();
        self.article(ticket, Direction::In, Visibility::Public, AuthorRole::Requester, &trimmed)?;
        self.set_status(ticket, status, Status::Resolved, &actor, EventKind::Status)?;
        self.event(ticket.id, &actor, EventKind::SelfService, None, Some(&best.id.to_string()), None)?;
        crate::store::kb::count_useful(self.conn, best.id)?;
        self.timers(ticket.id, false)?;
        let current = queries::ticket(self.conn, ticket.id)?.unwrap_or_else(|| ticket.clone());
        let view = self.article_view(&trimmed, false, false);
        self.notify_technicians(&current, "new_article", view)?;
        let to = Mailbox { email: self.mail.from.email.clone(), name: self.mail.from.name.clone() };
        let change =
            ChangeView { old: Some(status), new: Some(Status::Resolved), by_name: self.mail.from.name.clone() };
        self.tell_status(&current, to, change, "")?;
        Ok(Some((
            Outcome::Article { ticket: ticket.id },
            format!("{reason}: solved with knowledge base article {}, resolved as self-service", best.id),
        )))
    }

    /// Everyone else a participant wrote to follows the ticket from now on.
    pub(crate) fn add_watchers(&mut self, ticket: &Ticket, requester: &str) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let ours = settings.our_addresses();
        let mut known: std::collections::HashSet<String> =
            queries::watchers(self.conn, ticket.id)?.into_iter().map(|c| c.email).collect();
        let m = self.mail;
        let cap = settings.limits.max_watchers;
        let mut left_out = 0usize;
        for w in m.to.iter().chain(&m.cc) {
            let skip = ours.contains(&w.email)
                || w.email == requester
                || known.contains(&w.email)
                || settings.technician(&w.email).is_some();
            if skip {
                continue;
            }
            // A mail to a whole company does not copy the company on every answer.
            if known.len() >= cap {
                left_out += 1;
                continue;
            }
            let c = queries::upsert_contact(self.conn, &w.email, &w.name, None, self.now)?;
            queries::add_watcher(self.conn, ticket.id, c.id)?;
            self.event(ticket.id, &m.from.email, EventKind::WatcherAdded, None, Some(&c.email), None)?;
            known.insert(c.email);
        }
        if left_out > 0 {
            let what = format!("{left_out} more address(es) not added: limits.max_watchers = {cap}");
            self.event(ticket.id, "guichet", EventKind::WatchersCapped, None, Some(&what), None)?;
        }
        Ok(())
    }

    /// A delivery report: each recipient failing for good is marked
    /// undeliverable (no automatic mail for `limits.undeliverable_days`);
    /// on the ticket of the returned mail each failure is an event, and the
    /// technicians are told. Returns what to add to the mail's reason.
    pub(crate) fn delivery_failed(&mut self, ticket: Option<&Ticket>) -> Result<String, Stop> {
        let settings = self.desk.settings;
        let ours = settings.our_addresses();
        let report = &self.mail.report;
        let failures: Vec<_> = report.failures.iter().filter(|f| !ours.contains(&f.recipient)).cloned().collect();
        if failures.is_empty() {
            return Ok(String::new());
        }
        let mut marked = Vec::new();
        if settings.limits.undeliverable_for > chrono::Duration::zero() {
            let until = (self.desk.now + settings.limits.undeliverable_for).naive_utc();
            for f in failures.iter().filter(|f| f.bad_address) {
                queries::set_undeliverable(self.conn, &f.recipient, until, self.now)?;
                marked.push(f.recipient.clone());
            }
        }
        if let Some(t) = ticket {
            let returned = report.returned.first().cloned();
            for f in &failures {
                let kind = if f.permanent { EventKind::DeliveryFailed } else { EventKind::DeliveryDelayed };
                let what = [f.recipient.as_str(), f.status.as_str(), f.diagnostic.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                self.event(t.id, "guichet", kind, returned.as_deref(), Some(&what), None)?;
            }
            if failures.iter().any(|f| f.permanent) {
                let list: Vec<serde_json::Value> = failures
                    .iter()
                    .filter(|f| f.permanent)
                    .map(|f| serde_json::json!({ "recipient": f.recipient, "status": f.status, "diagnostic": f.diagnostic }))
                    .collect();
                let details = serde_json::json!({ "bounce": {
                    "failures": list,
                    "undeliverable_days": settings.limits.undeliverable_for.num_days(),
                }});
                let view = ArticleView { attachments: Vec::new(), ..self.article_view("", false, true) };
                self.notify_technicians_with(t, "delivery_failed", view, &details)?;
            }
        }
        Ok(match marked.is_empty() {
            true => String::new(),
            false => format!("; undeliverable: {}", marked.join(", ")),
        })
    }
}
