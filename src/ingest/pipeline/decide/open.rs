//! Open: a mail that threads onto nothing becomes a ticket, routed by the
//! rules (or a count on a monitoring event); its major incident, the
//! knowledge base articles that answer it, the requester's other tickets,
//! and who is told. A call is recorded as a ticket by hand.

use super::*;

impl Ctx<'_, '_> {
    /// Opens a ticket for this mail, routed by the rules.
    pub(crate) fn open_routed(&mut self, related: Option<i64>, answer: bool) -> Result<i64, Stop> {
        let opening = Opening::of_mail(self.desk.settings, self.mail, self.staff, self.list);
        let routing = route(self.desk.settings, self.mailbox, self.mail, &opening.requester.email);
        self.open_ticket(related, opening, routing, answer)
    }

    pub(crate) fn open_ticket(
        &mut self,
        related: Option<i64>,
        opening: Opening,
        r: Routing,
        answer: bool,
    ) -> Result<i64, Stop> {
        let m = self.mail;
        let settings = self.desk.settings;
        // A call is the requester talking to a technician: answered already.
        let talked =
            opening.channel == PHONE && opening.by.as_ref().is_some_and(|t| t.email != opening.requester.email);
        // The language the mail declares, then the one it is written in,
        // then the one the requester last wrote in, then the desk's: the
        // first the desk answers in.
        let guessed = crate::domain::language::guess(&format!("{}\n{}", m.subject, opening.text));
        let said = m.language.or(guessed);
        let who = &opening.requester;
        let last = queries::contact_by_email(self.conn, &who.email)?.and_then(|c| c.language?.parse().ok());
        let requester = queries::upsert_contact(self.conn, &who.email, &who.name, said.map(Lang::as_str), self.now)?;
        let lang = settings.tickets.answer_in([m.language, guessed, last]);
        let mut subject = settings.tickets.subject_tag.clean(&m.subject);
        if subject.is_empty() {
            subject = match lang {
                Lang::Fr => "(sans objet)".into(),
                Lang::En => "(no subject)".into(),
                Lang::De => "(kein Betreff)".into(),
                Lang::Es => "(sin asunto)".into(),
                Lang::It => "(senza oggetto)".into(),
                Lang::Nl => "(geen onderwerp)".into(),
            };
        }
        // Every mail about the ticket goes out from the address it came in by.
        let desk_address = settings.mailbox(self.mailbox).map_or(settings.desk_address(), |b| b.address.as_str());
        let trimmed = trim_reply(&opening.text);
        let internal = r.internal;
        // Decided before the ticket is written, so that it is written once:
        // the major incident it joins (a requester's incident may be one of
        // many about the same outage) and, with no technician's commands to
        // come first, who takes it (a rule's assignee, else the automatic
        // choice in the group).
        let compared = opening.by.is_none() && !internal && r.ticket_type == TicketType::Incident;
        let joining = if compared { Some(self.incident_to_join(&subject, lang, &trimmed)?) } else { None };
        let mut chosen = None;
        if opening.by.is_none() {
            chosen = match (&r.assignee, &r.group) {
                (Some(a), _) => Some((a.clone(), None)),
                (None, Some(g)) => {
                    let choice =
                        auto_assign(Some(self.conn), settings, self.desk.now, g, r.category.as_deref(), &r.tags)?;
                    Some((choice.assignee.unwrap_or_default(), Some(choice.why)))
                }
                (None, None) => None,
            };
        }
        let assignee = chosen.as_ref().map(|(who, _)| who.as_str()).filter(|who| !who.is_empty());
        let status = if assignee.is_some() { Status::Assigned } else { Status::New };
        let ticket = queries::insert_ticket(
            self.conn,
            &NewTicket {
                subject: &subject,
                ticket_type: r.ticket_type.as_str(),
                status: status.as_str(),
                impact: r.impact,
                urgency: r.urgency,
                priority: r.priority,
                related_id: related,
                parent_id: joining.as_ref().and_then(|j| j.parent),
                requester_id: requester.id,
                major: r.major,
                assignee,
                group_name: r.group.as_deref(),
                category: r.category.as_deref(),
                event_key: r.event_key.as_deref(),
                event_count: i32::from(r.event_key.is_some()),
                language: lang.as_str(),
                mailbox: self.mailbox,
                desk_address,
                created_at: self.now,
                updated_at: self.now,
            },
        )?;
        let actor = opening.by.as_ref().map_or(m.from.email.clone(), |t| t.email.clone());
        self.event(ticket.id, &actor, EventKind::Created, None, Some(opening.channel), None)?;
        for rule in r.matched() {
            self.event(ticket.id, "guichet", EventKind::Rule, None, Some(&rule), None)?;
        }
        for hint in &r.hints {
            self.event(ticket.id, "guichet", EventKind::Classified, None, Some(hint), None)?;
        }
        if let Some(g) = &r.group {
            self.event(ticket.id, "guichet", EventKind::Group, None, Some(g), None)?;
        }
        for tag in &r.tags {
            queries::add_tag(self.conn, ticket.id, tag)?;
        }
        if let Some(old) = related {
            self.event(ticket.id, &actor, EventKind::Related, None, Some(&old.to_string()), None)?;
            self.event(old, &actor, EventKind::FollowedBy, None, Some(&ticket.id.to_string()), None)?;
        }
        self.add_watchers(&ticket, &requester.email)?;
        // A forward's first article is its sender's, the technician's words
        // a note after it.
        let role = match &opening.by {
            Some(_) if opening.note.is_some() && m.from.email == requester.email => AuthorRole::Requester,
            Some(_) => AuthorRole::Technician,
            None => AuthorRole::Requester,
        };
        self.article(&ticket, Direction::In, Visibility::internal_if(internal), role, &trimmed)?;
        if let (Some(tech), Some(note)) = (&opening.by, &opening.note) {
            if !note.is_empty() {
                self.forward_note(&ticket, tech, note)?;
            }
        }
        let major = match joining {
            Some(joining) => self.major_incident(&ticket, joining, &trimmed)?,
            None => None,
        };

        // A technician's commands (a forward, a call) come next; then a rule's
        // assignee; then the automatic choice in the group.
        let mut ticket = ticket;
        if let Some(tech) = &opening.by {
            let applied = self.apply_commands(&ticket, tech, &opening.commands, opening.errors.clone(), false)?;
            ticket = queries::ticket(self.conn, ticket.id)?.unwrap_or(ticket);
            self.refuse(&ticket, tech, &applied.errors, &trimmed, internal)?;
        }
        if let Some((who, why)) = &chosen {
            // Written with the ticket: its history tells it here.
            if let Some(why) = why {
                self.event(ticket.id, "guichet", EventKind::Assignment, None, Some(why), None)?;
            }
            if !who.is_empty() {
                self.event(ticket.id, "guichet", EventKind::Assignee, None, Some(who), None)?;
                let (from, to) = (Some(Status::New.as_str()), Some(Status::Assigned.as_str()));
                self.event(ticket.id, "guichet", EventKind::Status, from, to, None)?;
            }
        } else if ticket.assignee.is_none() {
            let chosen = match (&r.assignee, &ticket.group_name) {
                (Some(a), _) => Some(a.clone()),
                (None, Some(g)) => {
                    let choice =
                        auto_assign(Some(self.conn), settings, self.desk.now, g, r.category.as_deref(), &r.tags)?;
                    self.event(ticket.id, "guichet", EventKind::Assignment, None, Some(&choice.why), None)?;
                    choice.assignee
                }
                (None, None) => None,
            };
            if let Some(who) = chosen {
                queries::set_assignment(self.conn, ticket.id, Some(&who), ticket.group_name.as_deref(), self.now)?;
                self.event(ticket.id, "guichet", EventKind::Assignee, None, Some(&who), None)?;
                if ticket.status == Status::New.as_str() {
                    self.set_status(&ticket, Status::New, Status::Assigned, "guichet", EventKind::Status)?;
                }
                ticket = queries::ticket(self.conn, ticket.id)?.unwrap_or(ticket);
            }
        }
        // A From written wrong: the ticket opens, nothing is sent to it, and
        // the technicians are told so they reach the person another way.
        let unsendable = crate::mail::outbound::unsendable(&requester.email);
        if let Some(why) = &unsendable {
            let written = m.from.to_string();
            self.event(ticket.id, "guichet", EventKind::SenderAddressUnusable, Some(&written), Some(why), None)?;
        }
        let history = if major.is_none() { self.requester_history(&ticket, lang, &trimmed)? } else { Value::Null };
        let view = self.article_view(&trimmed, true, internal);
        let requester_is_staff = settings.technician(&requester.email).is_some();
        if answer && r.acknowledge && !internal && !requester_is_staff && unsendable.is_none() {
            let to = vec![Mailbox { email: requester.email.clone(), name: requester.name.clone() }];
            // Their own files are not sent back to them.
            let article = ArticleView { attachments: Vec::new(), ..view.clone() };
            let notice = match &major {
                // Known already: the incident's state, not a fresh acknowledgement.
                Some(m) => Notice {
                    details: serde_json::json!({ "major": m.view }),
                    ..Notice::automatic("major_incident_status", lang, to, &settings.outgoing.from_name, article)
                },
                None => {
                    let mut n = Notice::automatic(r.template.clone(), lang, to, &settings.outgoing.from_name, article);
                    n.details = self.suggest_articles(&ticket, lang, &format!("{}\n{}", ticket.subject, trimmed))?;
                    n
                }
            };
            self.desk.queue(self.conn, &ticket, notice)?;
        }
        if major.is_some() {
            // The technicians know: told once, of the incident.
        } else if let Some(a) = ticket.assignee.clone() {
            if a != actor {
                self.notify_assignee_with(&ticket, &a, view.clone(), &history)?;
            }
        } else {
            self.notify_technicians_with(&ticket, "new_article", view, &history)?;
        }
        if let Some(why) = unsendable {
            let details = serde_json::json!({ "bounce": {
                "written": true,
                "failures": [{ "recipient": requester.email, "status": "", "diagnostic": why }],
                "undeliverable_days": 0,
            }});
            let view = ArticleView { attachments: Vec::new(), ..self.article_view("", false, true) };
            self.notify_technicians_with(&ticket, "delivery_failed", view, &details)?;
        }
        // The ticket as written: only a raised incident changed it since (its parent).
        self.start_timers(&ticket, talked)?;
        Ok(ticket.id)
    }

    /// The requester's other tickets, open or closed lately, for the
    /// technicians' notice of a new one (`history`); the one most alike to
    /// it, if any, is linked to it in both histories.
    pub(crate) fn requester_history(&mut self, ticket: &Ticket, lang: Lang, text: &str) -> Result<Value, Stop> {
        use crate::domain::incident::{similarity, Terms};
        const RECENTLY_CLOSED_DAYS: i64 = 30;
        const LISTED: i64 = 5;
        let since = self.now - chrono::Duration::days(RECENTLY_CLOSED_DAYS);
        let others = queries::requester_tickets(self.conn, ticket.requester_id, ticket.id, since, LISTED)?;
        if others.is_empty() {
            return Ok(Value::Null);
        }
        let mine = Terms::of(&ticket.subject, &format!("{}\n{text}", ticket.subject), lang);
        let threshold = self.desk.settings.major_incident.similarity;
        let mut alike: Option<(f64, &Ticket)> = None;
        let mut listed = Vec::with_capacity(others.len());
        for t in &others {
            let first = queries::first_article_text(self.conn, t.id)?;
            let their_lang = t.language.parse().unwrap_or(lang);
            let theirs = Terms::of(&t.subject, &format!("{}\n{}", t.subject, first.unwrap_or_default()), their_lang);
            let score = similarity(&mine, &theirs);
            if score >= threshold && alike.is_none_or(|(best, _)| score > best) {
                alike = Some((score, t));
            }
            let status: Status = t.status.parse().unwrap_or(Status::New);
            listed.push(serde_json::json!({
                "number": t.id,
                "subject": t.subject,
                // Worded for each reader by `Desk::context`.
                "status": status.as_str(),
                "closed": status.is_closed(),
                "when": t.closed_at.unwrap_or(t.created_at).and_utc().to_rfc3339(),
            }));
        }
        let related = match alike {
            Some((_, t)) => {
                // A reply to a ticket closed too long ago is linked to it already.
                if ticket.related_id != Some(t.id) {
                    if ticket.related_id.is_none() {
                        queries::set_related(self.conn, ticket.id, t.id, self.now)?;
                    }
                    self.event(ticket.id, "guichet", EventKind::Related, None, Some(&t.id.to_string()), None)?;
                    self.event(t.id, "guichet", EventKind::FollowedBy, None, Some(&ticket.id.to_string()), None)?;
                }
                serde_json::json!({ "number": t.id, "subject": t.subject })
            }
            None => Value::Null,
        };
        Ok(serde_json::json!({ "history": { "has_tickets": true, "tickets": listed, "related": related } }))
    }

    /// The published articles that answer a new ticket's `text`, recorded
    /// as suggested to it, as the `kb` section of its acknowledgement.
    pub(crate) fn suggest_articles(
        &mut self,
        ticket: &Ticket,
        lang: Lang,
        text: &str,
    ) -> Result<serde_json::Value, Stop> {
        let k = &self.desk.settings.knowledge;
        if !k.suggest {
            return Ok(serde_json::Value::Null);
        }
        let found = crate::kb::suggest(self.conn, text, lang, k.min_score, k.suggestions)?;
        if found.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        let mut articles = Vec::with_capacity(found.len());
        for (a, score) in &found {
            crate::store::kb::suggested(self.conn, ticket.id, a.id, *score, self.now)?;
            articles.push(serde_json::json!({
                "number": a.id,
                "title": a.title,
                "excerpt": crate::domain::knowledge::excerpt(&a.body_text, 200),
                "text": a.body_text.trim_end(),
                "lines": a.body_text.trim_end().lines().collect::<Vec<_>>(),
                "html": a.body_html,
            }));
        }
        let ids: Vec<String> = found.iter().map(|(a, _)| a.id.to_string()).collect();
        self.event(ticket.id, "guichet", EventKind::KbSuggested, None, Some(&ids.join(",")), None)?;
        Ok(serde_json::json!({ "kb": { "has_articles": true, "articles": articles } }))
    }
}

/// A new ticket's major incident, as the templates see it.
pub(crate) struct Major {
    pub(super) view: serde_json::Value,
}

/// Who a new ticket is for and what opened it.
pub(crate) struct Opening {
    pub requester: Mailbox,
    /// The technician who opened it (a forward with `#requester`, a call,
    /// a problem they noticed); their commands apply.
    pub by: Option<Technician>,
    pub commands: Vec<Command>,
    pub errors: Vec<(String, Refusal)>,
    /// The words of the request, commands removed.
    pub text: String,
    /// mail | phone
    pub channel: &'static str,
    /// A technician's forward: their own words, kept as an internal note
    /// after the forwarded mail.
    pub note: Option<String>,
}

impl Opening {
    /// From a mail: its sender, or whom a form speaks for; or, from a
    /// technician, whom their `#requester` names.
    pub fn of_mail(settings: &Settings, m: &InboundMail, staff: Option<&Technician>, list: bool) -> Opening {
        if let Some(tech) = staff {
            let parsed = crate::domain::commands::parse(&m.text);
            let named = parsed.commands.iter().rev().find_map(|c| match c {
                Command::Requester(a) => Some(a.clone()),
                _ => None,
            });
            let requester = match named {
                Some(email) => {
                    // The forwarded mail names them: take their name from it.
                    let name = threading::forwarded_name(&parsed.text, &email).unwrap_or_default();
                    Mailbox { email, name }
                }
                None => Mailbox { email: tech.email.clone(), name: tech.name.clone() },
            };
            return Opening {
                requester,
                by: Some(tech.clone()),
                commands: parsed.commands.into_iter().filter(|c| !matches!(c, Command::Requester(_))).collect(),
                errors: parsed.errors.into_iter().map(|e| (e.line, e.reason)).collect(),
                text: parsed.text,
                channel: "mail",
                note: None,
            };
        }
        // A form or a system writing from a no-reply address on someone's
        // behalf names them in Reply-To: they are the requester. A person's
        // own Reply-To, or a list's, does not change who asked.
        let ours = settings.our_addresses();
        let who = m
            .reply_to
            .as_ref()
            .filter(|r| !ours.contains(&r.email) && !list && threading::is_robot_address(&m.from.email))
            .unwrap_or(&m.from);
        Opening {
            requester: who.clone(),
            by: None,
            commands: Vec::new(),
            errors: Vec::new(),
            text: m.text.clone(),
            channel: "mail",
            note: None,
        }
    }
}

/// A ticket opened by hand: a call taken by phone, or a problem a
/// technician noticed. The words are kept as a mail of their own, so the
/// record is the same as for any ticket.
pub struct Call {
    /// Who called; `None`: the technician records it for themselves.
    pub requester: Option<Mailbox>,
    pub by: Technician,
    pub subject: String,
    pub text: String,
    /// `#type`, `#impact`, `#assign group:…` as the technician would write them.
    pub commands: Vec<Command>,
}

/// The mailbox name calls are recorded under (rules can match it).
pub const PHONE: &str = "phone";

pub fn open_by_hand(store: &Store, desk: &Desk<'_>, call: &Call) -> Result<Outcome, IngestError> {
    let now = desk.now.naive_utc();
    let requester =
        call.requester.clone().unwrap_or(Mailbox { email: call.by.email.clone(), name: call.by.name.clone() });
    let nanos = desk.now.timestamp_nanos_opt().unwrap_or_default();
    let message_id = format!("call.{nanos:x}.{}@{}", std::process::id(), desk.settings.outgoing.message_id_domain);
    let raw = crate::mail::outbound::call_record(
        &requester,
        desk.settings.desk_address(),
        &call.subject,
        &call.text,
        &message_id,
        &call.by.email,
        desk.now.into(),
    )?;
    let sha = sha256_hex(&raw);
    let result = store.write(|conn| -> Result<Outcome, Stop> {
        let raw_id = queries::insert_raw(
            conn,
            &NewRawMessage { sha256: &sha, size: raw.len() as i64, content: &raw, received_at: now },
        )?;
        let mail = InboundMail::parse(&raw).map_err(|e| Stop::Quarantine(e.to_string()))?;
        let routing = route(desk.settings, PHONE, &mail, &requester.email);
        let opening = Opening {
            requester: requester.clone(),
            by: Some(call.by.clone()),
            commands: call.commands.clone(),
            errors: Vec::new(),
            text: call.text.clone(),
            channel: PHONE,
            note: None,
        };
        let mut group = Group::default();
        let mut ctx = Ctx {
            conn,
            group: &mut group,
            desk,
            mail: &mail,
            staff: Some(&call.by),
            raw_id,
            mailbox: PHONE,
            now,
            list: false,
        };
        let id = ctx.open_ticket(None, opening, routing, call.requester.is_some())?;
        let outcome = Outcome::Ticket { ticket: id };
        let reason = format!("recorded by {}", call.by.email);
        queries::insert_inbound(
            ctx.conn,
            &NewInbound {
                raw_message_id: raw_id,
                mailbox: PHONE,
                message_id: mail.message_id.as_deref(),
                body_sha256: &mail.body_sha256,
                outcome: outcome.label(),
                kind: MailKind::Human.as_str(),
                reason: &reason,
                ticket_id: Some(id),
                created_at: now,
            },
        )?;
        Ok(outcome)
    });
    match result {
        Ok(o) => Ok(o),
        Err(Stop::Store(e)) => Err(IngestError::Store(e)),
        Err(Stop::Released(id)) => Err(IngestError::AlreadyReleased(id)),
        Err(Stop::Quarantine(reason)) => Err(IngestError::Refused(reason)),
    }
}

impl Ctx<'_, '_> {
    /// A mail that threads onto no ticket: held by a rule, gathered on a
    /// monitoring event, or a new ticket.
    pub(crate) fn new_mail(
        &mut self,
        opening: Opening,
        routing: Routing,
        answer: bool,
    ) -> Result<(Outcome, String), Stop> {
        if let Some(key) = routing.event_key.clone() {
            return self.monitoring_event(&key, opening, routing, answer);
        }
        let how = match &opening.by {
            Some(t) if t.email != opening.requester.email => {
                format!("new ticket, opened by {} for its requester", t.email)
            }
            _ => "new ticket".to_string(),
        };
        let id = self.open_ticket(None, opening, routing, answer)?;
        Ok((Outcome::Ticket { ticket: id }, how))
    }

    /// Monitoring: one open ticket per key. A repeated alert is counted on
    /// it; a recovery resolves it.
    pub(crate) fn monitoring_event(
        &mut self,
        key: &str,
        opening: Opening,
        routing: Routing,
        answer: bool,
    ) -> Result<(Outcome, String), Stop> {
        let open = queries::open_event_ticket(self.conn, key)?;
        let actor = self.mail.from.email.clone();
        match (open, routing.event_recovery) {
            (Some(ticket), recovery) => {
                let trimmed = trim_reply(&self.mail.text);
                let article =
                    self.article(&ticket, Direction::In, Visibility::Internal, AuthorRole::Automatic, &trimmed)?;
                if recovery {
                    let status: Status = ticket.status.parse().unwrap_or(Status::New);
                    self.set_status(&ticket, status, Status::Resolved, &actor, EventKind::Status)?;
                    self.event(ticket.id, &actor, EventKind::EventRecovered, None, Some(key), Some(article))?;
                    self.timers(ticket.id, false)?;
                    let current = queries::ticket(self.conn, ticket.id)?.unwrap_or(ticket);
                    let view = self.article_view(&trimmed, false, true);
                    self.notify_technicians(&current, "new_article", view)?;
                    self.resolve_children(&current, &actor, "", Status::Resolved)?;
                    Ok((Outcome::Article { ticket: current.id }, format!("monitoring `{key}` recovered")))
                } else {
                    let n = queries::count_event(self.conn, ticket.id, self.now)?;
                    self.event(ticket.id, &actor, EventKind::EventRepeated, None, Some(&n.to_string()), Some(article))?;
                    Ok((Outcome::Article { ticket: ticket.id }, format!("monitoring `{key}` repeated ({n} alerts)")))
                }
            }
            (None, true) => Ok((
                Outcome::Automatic { kind: MailKind::Human, ticket: None },
                format!("monitoring `{key}` recovered, but no ticket of it is open"),
            )),
            (None, false) => {
                let id = self.open_ticket(None, opening, routing, answer)?;
                Ok((Outcome::Ticket { ticket: id }, format!("new monitoring event `{key}`")))
            }
        }
    }
}
