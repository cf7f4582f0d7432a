//! A technician's mail on a ticket: what of it goes on to the requester
//! (never the notices they quote), their commands applied and recorded,
//! refusals told back in their language, the `#kb` draft at resolution.

use super::*;
use crate::domain::changes::{Changes, Current, Effect, Known, State};
use crate::notify::render::text_of;
use crate::store::queries::audit::AuditEntry;

impl Ctx<'_, '_> {
    /// A technician wrote on a ticket: apply their commands, keep the mail
    /// as an article, and send it on to the requester unless internal.
    pub(crate) fn technician_mail(&mut self, ticket: &Ticket) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let Some(tech) = self.staff.cloned() else { return Ok(()) };
        let parsed = crate::domain::commands::parse(&self.mail.text);
        let answered = self.answered_notices(ticket)?;
        let internal = parsed.is_internal() || self.to_note_address() || answered.answers_note;
        // A notice that cannot be read back could be pasted in the answer
        // unrecognised: the answer stays internal rather than risk it.
        let held = (!internal).then_some(answered.unreadable.as_deref()).flatten();
        let internal = internal || held.is_some();
        // What goes on to the requester is only what the technician wrote
        // now: never the notice they quote, even when nothing else is left.
        let trimmed = if internal {
            trim_reply(&parsed.text)
        } else {
            new_text(&parsed.text).map(|t| without_lines_of(&t, &answered.texts)).unwrap_or_default()
        };
        let visibility = Visibility::internal_if(internal);
        let article = self.article(ticket, Direction::Out, visibility, AuthorRole::Technician, &trimmed)?;
        if let Some(why) = held {
            tracing::warn!(ticket.number = ticket.id, %why, "technician's answer kept internal");
            self.event(ticket.id, "guichet", EventKind::KeptInternal, Some(why), None, Some(article))?;
        }
        let errors: Vec<(String, Refusal)> = parsed.errors.iter().map(|e| (e.line.clone(), e.reason.clone())).collect();
        let applied = self.apply_commands(ticket, &tech, &parsed.commands, errors, !internal)?;
        // `#kb` on an answer: that answer is the solution the draft will hold.
        if parsed.commands.contains(&Command::Kb) && !internal && !trimmed.is_empty() {
            self.event(ticket.id, &tech.email, EventKind::KbSolution, None, None, Some(article))?;
        }
        // A public answer, or a status the requester is told of, is a response.
        let responded = !internal && (applied.commanded || !trimmed.is_empty());
        self.timers(ticket.id, responded)?;

        let current = queries::ticket(self.conn, ticket.id)?.unwrap_or_else(|| ticket.clone());
        let requester = queries::contact(self.conn, current.requester_id)?;
        let lang: Lang = current.language.parse().unwrap_or(settings.tickets.language);
        let watchers: Vec<Mailbox> = queries::watchers(self.conn, ticket.id)?
            .into_iter()
            .map(|c| Mailbox { email: c.email, name: c.name })
            .collect();
        let mut view = self.article_view(&trimmed, false, internal);
        view.from_name = tech.name.clone();
        let from_name = format!("{} ({})", tech.name, self.desk.identity(&current).from_name_in(lang));
        let to = vec![Mailbox { email: requester.email.clone(), name: requester.name.clone() }];
        // Merged: its requester is told once where it continues, nothing else.
        if let Some(into) = applied.merged_into {
            self.tell_merged(&current, into)?;
            return self.refuse(&current, &tech, &applied.errors, &trimmed, internal);
        }
        // Only a status the technician asked for is worth a mail of its own;
        // taking the ticket (new -> assigned) rides along with the reply.
        if !internal && applied.commanded {
            let notice = Notice {
                template: "status_changed".into(),
                lang,
                to,
                cc: watchers,
                from_name,
                automatic: trimmed.is_empty(),
                article: view,
                change: ChangeView {
                    old: Some(applied.old_status),
                    new: Some(applied.status),
                    by_name: tech.name.clone(),
                },
                error: None,
                details: serde_json::Value::Null,
            };
            self.desk.queue(self.conn, &current, notice)?;
        } else if !internal && !trimmed.is_empty() {
            let notice = Notice {
                template: "reply".into(),
                lang,
                to,
                cc: watchers,
                from_name,
                automatic: false,
                article: view,
                change: ChangeView::default(),
                error: None,
                details: serde_json::Value::Null,
            };
            self.desk.queue(self.conn, &current, notice)?;
        }
        if let Some(a) = &applied.handed_to {
            if *a != tech.email {
                let view = self.article_view(&trimmed, false, internal);
                self.notify_assignee(&current, a, view)?;
            }
        }
        if applied.status.is_closed() && applied.status != applied.old_status {
            let text = if internal { "" } else { trimmed.as_str() };
            self.resolve_children(&current, &tech.email, text, applied.status)?;
        }
        if applied.status == Status::Resolved {
            self.draft_article(&current, &tech.email, if internal { "" } else { trimmed.as_str() })?;
        }
        self.refuse(&current, &tech, &applied.errors, &trimmed, internal)
    }

    /// The latest notices technicians got about `ticket`: their texts, for
    /// whatever a technician's mail quotes, pastes or forwards of them, and
    /// whether the one this mail replies to is an alert whose answer is a note.
    pub(crate) fn answered_notices(&mut self, ticket: &Ticket) -> Result<Answered, Stop> {
        // A long ticket's oldest notices are not what a reply quotes.
        const RECENT: i64 = 20;
        let notices = queries::staff_notices(self.conn, ticket.id, RECENT)?;
        let parent = self.mail.references.first();
        let answers_note =
            notices.iter().any(|n| Some(&n.message_id) == parent && NOTE_TEMPLATES.contains(&n.template.as_str()));
        let (settings, templates) = (self.desk.settings, self.desk.templates);
        let mut texts = Vec::with_capacity(notices.len());
        let mut unreadable = None;
        for n in &notices {
            match text_of(self.conn, settings, templates, n) {
                Ok(text) => texts.push(text),
                Err(e) => unreadable = Some(format!("outgoing mail {} cannot be read back: {e}", n.id)),
            }
        }
        Ok(Answered { texts, answers_note, unreadable })
    }

    /// Written to the ticket's note address (the `Reply-To` of an alert).
    pub(crate) fn to_note_address(&self) -> bool {
        let m = self.mail;
        let recipients =
            m.to.iter().chain(&m.cc).map(|x| x.email.as_str()).chain(m.delivered_to.iter().map(String::as_str));
        threading::to_note_address(recipients, self.desk.settings.our_addresses())
    }

    /// A resolved ticket a technician marked `#kb` (on this mail or an
    /// earlier one) becomes a draft article, once. Its solution is the
    /// last answer that carried `#kb`, or else the resolving one.
    pub(crate) fn draft_article(&mut self, ticket: &Ticket, actor: &str, solution: &str) -> Result<(), Stop> {
        let events = queries::events(self.conn, ticket.id)?;
        if !events.iter().any(|e| e.kind() == Ok(EventKind::KbRequested)) {
            return Ok(());
        }
        let marked = events.iter().rev().find(|e| e.kind() == Ok(EventKind::KbSolution)).and_then(|e| e.article_id);
        let marked = match marked {
            Some(id) => queries::article_text(self.conn, ticket.id, id)?,
            None => None,
        };
        let solution = marked.as_deref().unwrap_or(solution);
        if let Some(id) = crate::kb::draft_from_ticket(self.conn, ticket, solution, self.now)? {
            self.event(ticket.id, actor, EventKind::KbDrafted, None, Some(&id.to_string()), None)?;
            let (subject, detail) = (format!("kb:{id}"), format!("draft from ticket #{}", ticket.id));
            let entry = AuditEntry { actor, action: "kb.draft", subject: &subject, detail: &detail };
            queries::audit::record(self.conn, &entry, self.now)?;
        }
        Ok(())
    }

    /// Answers each refused command to the technician, with the reason.
    pub(crate) fn refuse(
        &mut self,
        ticket: &Ticket,
        tech: &Technician,
        errors: &[(String, Refusal)],
        text: &str,
        internal: bool,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let tech_lang = tech.language.unwrap_or(settings.tickets.language);
        for (command, refusal) in errors {
            // The history is read by everyone: it keeps the English words.
            let recorded = refusal.message(Lang::En);
            self.event(ticket.id, &tech.email, EventKind::CommandRefused, Some(command), Some(&recorded), None)?;
            let to = vec![Mailbox { email: tech.email.clone(), name: tech.name.clone() }];
            let article = ArticleView { attachments: Vec::new(), ..self.article_view(text, false, internal) };
            let notice = Notice {
                error: Some((command.clone(), refusal.message(tech_lang))),
                ..Notice::automatic("command_error", tech_lang, to, &settings.outgoing.from_name, article)
            };
            self.desk.queue(self.conn, ticket, notice)?;
        }
        Ok(())
    }

    /// Carries out a technician's commands on a ticket and records each
    /// change. `take` lets the technician take an unowned ticket by
    /// answering it.
    pub(crate) fn apply_commands(
        &mut self,
        ticket: &Ticket,
        tech: &Technician,
        commands: &[Command],
        mut errors: Vec<(String, Refusal)>,
        take: bool,
    ) -> Result<Applied, Stop> {
        let settings = self.desk.settings;
        let old_status: Status = ticket.status.parse().unwrap_or(Status::New);
        let state = State {
            status: old_status,
            assignee: ticket.assignee.clone(),
            group: ticket.group_name.clone(),
            impact: ticket.impact,
            urgency: ticket.urgency,
            ticket_type: ticket.ticket_type.parse().unwrap_or(TicketType::Incident),
            major: ticket.major,
        };
        let current = Current { id: ticket.id, parent: ticket.parent_id, planned: ticket.planned_at, state };
        // Read what the commands need, decide, then write.
        let known = self.known(ticket, tech, commands)?;
        let mut changes = Changes::apply_all(&current, commands, &known);
        errors.append(&mut changes.refused);
        let actor = tech.email.clone();
        for effect in &changes.effects {
            self.write_effect(ticket, &actor, effect)?;
        }
        let State { status, assignee, group, impact, urgency, ticket_type: ttype, .. } = changes.state;
        let (mut status, mut assignee) = (status, assignee);
        let (explicit_assign, regroup) = (changes.named, changes.regroup);

        let commanded = status != old_status;
        // Handed to a group: someone of that group takes it, unless the
        // same mail named the technician.
        if regroup && !explicit_assign {
            assignee = None;
            if let Some(g) = &group {
                let choice = auto_assign(Some(self.conn), settings, self.desk.now, g, ticket.category.as_deref(), &[])?;
                self.event(ticket.id, &actor, EventKind::Assignment, None, Some(&choice.why), None)?;
                assignee = choice.assignee;
            }
        }
        // The first technician to answer takes an unowned ticket.
        if take && !explicit_assign && !regroup && assignee.is_none() {
            assignee = Some(tech.email.clone());
        }
        let mut handed_to = None;
        if assignee != ticket.assignee || group != ticket.group_name {
            queries::set_assignment(self.conn, ticket.id, assignee.as_deref(), group.as_deref(), self.now)?;
            if assignee != ticket.assignee {
                self.event(
                    ticket.id,
                    &actor,
                    EventKind::Assignee,
                    ticket.assignee.as_deref(),
                    assignee.as_deref(),
                    None,
                )?;
                handed_to = assignee.clone();
            }
            if group != ticket.group_name {
                self.event(ticket.id, &actor, EventKind::Group, ticket.group_name.as_deref(), group.as_deref(), None)?;
            }
            if status == Status::New && assignee.is_some() {
                status = Status::Assigned;
            }
        }
        let old_type: TicketType = ticket.ticket_type.parse().unwrap_or(TicketType::Incident);
        if impact != ticket.impact || urgency != ticket.urgency || ttype != old_type {
            let priority = settings.tickets.priority_matrix.priority(impact, urgency);
            queries::set_classification(self.conn, ticket.id, ttype.as_str(), impact, urgency, priority, self.now)?;
            for (kind, old, new) in [
                (EventKind::Impact, ticket.impact.to_string(), impact.to_string()),
                (EventKind::Urgency, ticket.urgency.to_string(), urgency.to_string()),
                (EventKind::Priority, ticket.priority.to_string(), priority.to_string()),
                (EventKind::Type, old_type.to_string(), ttype.to_string()),
            ] {
                if old != new {
                    self.event(ticket.id, &actor, kind, Some(&old), Some(&new), None)?;
                }
            }
        }
        if status != old_status {
            self.set_status(ticket, old_status, status, &actor, EventKind::Status)?;
        }
        let merged_into = changes.effects.iter().find_map(|e| match e {
            Effect::Merge { into } => Some(*into),
            _ => None,
        });
        Ok(Applied { old_status, status, commanded, handed_to, merged_into, errors })
    }
}

impl<'d> Ctx<'_, 'd> {
    /// What `commands` need to know beyond the ticket, read at once.
    fn known(&mut self, ticket: &Ticket, tech: &Technician, commands: &[Command]) -> Result<Read<'d>, Stop> {
        let mut read = Read {
            settings: self.desk.settings,
            me: tech.email.clone(),
            existing: Vec::new(),
            open: Vec::new(),
            watchers: Vec::new(),
            requester: String::new(),
            answered_article: None,
        };
        for command in commands {
            match command {
                Command::Parent(p) if queries::ticket(self.conn, *p)?.is_some() => read.existing.push(*p),
                Command::Merge(n) => {
                    if let Some(t) = queries::ticket(self.conn, *n)? {
                        read.existing.push(t.id);
                        if t.closed_at.is_none() && t.merged_into.is_none() {
                            read.open.push(t.id);
                        }
                    }
                }
                Command::Split => {
                    read.answered_article = queries::notice_article(self.conn, ticket.id, &self.mail.references)?;
                }
                Command::Unwatch(_) if read.watchers.is_empty() => {
                    read.watchers = queries::watchers(self.conn, ticket.id)?.into_iter().map(|c| c.email).collect();
                }
                Command::Requester(_) if read.requester.is_empty() => {
                    read.requester = queries::contact(self.conn, ticket.requester_id)?.email;
                }
                _ => {}
            }
        }
        Ok(read)
    }

    /// Writes a change made where its command stands, with its events.
    fn write_effect(&mut self, ticket: &Ticket, actor: &str, effect: &Effect) -> Result<(), Stop> {
        match effect {
            Effect::KbRequested => self.event(ticket.id, actor, EventKind::KbRequested, None, None, None)?,
            Effect::Parent { old, new } => {
                queries::set_parent(self.conn, ticket.id, *new, self.now)?;
                self.group.forget();
                let old = old.map(|x| x.to_string());
                self.event(ticket.id, actor, EventKind::Parent, old.as_deref(), Some(&new.to_string()), None)?;
                self.event(*new, actor, EventKind::Child, None, Some(&ticket.id.to_string()), None)?;
            }
            Effect::Major { old, new } => {
                queries::set_major(self.conn, ticket.id, *new, self.now)?;
                self.group.forget();
                let (old, new) = (old.to_string(), new.to_string());
                self.event(ticket.id, actor, EventKind::Major, Some(&old), Some(&new), None)?;
            }
            Effect::Planned { old, at } => {
                queries::set_planned(self.conn, ticket.id, Some(*at), self.now)?;
                let old = old.map(|p| p.and_utc().to_rfc3339());
                let new = at.and_utc().to_rfc3339();
                self.event(ticket.id, actor, EventKind::Planned, old.as_deref(), Some(&new), None)?;
            }
            Effect::Requester { old, new } => {
                let c = queries::upsert_contact(self.conn, new, "", None, self.now)?;
                if c.id != ticket.requester_id {
                    queries::set_requester(self.conn, ticket.id, c.id, self.now)?;
                    self.event(ticket.id, actor, EventKind::Requester, Some(old), Some(new), None)?;
                }
            }
            Effect::Watch(email) => {
                let c = queries::upsert_contact(self.conn, email, "", None, self.now)?;
                queries::add_watcher(self.conn, ticket.id, c.id)?;
                self.event(ticket.id, actor, EventKind::WatcherAdded, None, Some(email), None)?;
            }
            Effect::Unwatch(email) => {
                if let Some(c) = queries::contact_by_email(self.conn, email)? {
                    queries::remove_watcher(self.conn, ticket.id, c.id)?;
                }
                self.event(ticket.id, actor, EventKind::WatcherRemoved, Some(email), None, None)?;
            }
            Effect::Merge { into } => {
                queries::merge_ticket(self.conn, ticket.id, *into, self.now)?;
                self.group.forget();
                self.event(ticket.id, actor, EventKind::MergedInto, None, Some(&into.to_string()), None)?;
                self.event(*into, actor, EventKind::MergedFrom, None, Some(&ticket.id.to_string()), None)?;
            }
            Effect::Split { article } => self.split(ticket, actor, *article)?,
        }
        Ok(())
    }
}

/// What a technician's commands on a ticket need to know, read before
/// they are decided.
struct Read<'a> {
    settings: &'a Settings,
    me: String,
    /// The tickets named by `#parent` or `#merge` that exist.
    existing: Vec<i64>,
    /// Those named by `#merge` that are open.
    open: Vec<i64>,
    /// The article of the notice this mail answers.
    answered_article: Option<i64>,
    /// Who followed the ticket (read for `#unwatch`).
    watchers: Vec<String>,
    /// The requester's address (read for `#requester`).
    requester: String,
}

impl Known for Read<'_> {
    fn me(&self) -> &str {
        &self.me
    }
    fn technician(&self, email: &str) -> Option<String> {
        self.settings.technician(email).map(|t| t.email.clone())
    }
    fn group_has_members(&self, group: &str) -> bool {
        self.settings.group_members(group).next().is_some()
    }
    fn ticket_exists(&self, id: i64) -> bool {
        self.existing.contains(&id)
    }
    fn ticket_open(&self, id: i64) -> bool {
        self.open.contains(&id)
    }
    fn answered_article(&self) -> Option<i64> {
        self.answered_article
    }
    fn follows(&self, email: &str) -> bool {
        self.watchers.iter().any(|w| w.eq_ignore_ascii_case(email))
    }
    fn requester(&self) -> &str {
        &self.requester
    }
    fn in_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        let zone = self.settings.reader_zone(&self.me);
        local.and_local_timezone(zone).earliest().map(|t| t.naive_utc()).unwrap_or(local)
    }
}

/// The notices to technicians a technician's mail answers.
pub(crate) struct Answered {
    texts: Vec<String>,
    answers_note: bool,
    /// Why one of the notices could not be read back (its template broken
    /// since): what the answer quotes of it cannot be told from the rest.
    unreadable: Option<String>,
}

/// What a technician's commands did.
pub(crate) struct Applied {
    old_status: Status,
    status: Status,
    /// The status moved because they asked (not just taken).
    commanded: bool,
    /// The ticket's new assignee, when it changed.
    handed_to: Option<String>,
    /// `#merge`: the ticket it now continues as.
    merged_into: Option<i64>,
    pub(crate) errors: Vec<(String, Refusal)>,
}
