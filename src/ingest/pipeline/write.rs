//! Write: the raw bytes stored once, quarantine entries, and the rows a
//! decision adds to a ticket (its events, articles and status).

use super::*;

/// Stores the raw bytes, unless the mail is already stored: then the
/// duplicate's outcome.
pub(super) fn intake(
    conn: &mut Conn,
    mailbox: &SourceMailbox,
    source_key: Option<&str>,
    sha: &str,
    raw: &[u8],
    now: NaiveDateTime,
) -> Result<Result<i64, Outcome>, diesel::result::Error> {
    if let Some(dup) = already_stored(conn, mailbox, source_key, sha, now)? {
        return Ok(Err(dup));
    }
    let new = NewRawMessage { sha256: sha, size: raw.len() as i64, content: raw, received_at: now };
    let raw_id = queries::insert_raw(conn, &new)?;
    if let Some(key) = source_key {
        queries::record_source(conn, &mailbox.name, key, raw_id, now)?;
    }
    Ok(Ok(raw_id))
}

pub(super) fn already_stored(
    conn: &mut Conn,
    mailbox: &SourceMailbox,
    source_key: Option<&str>,
    sha: &str,
    now: NaiveDateTime,
) -> Result<Option<Outcome>, diesel::result::Error> {
    if let Some(key) = source_key {
        if queries::source_seen(conn, &mailbox.name, key)? {
            return Ok(Some(Outcome::Duplicate { ticket: None }));
        }
    }
    let Some(raw_id) = queries::raw_by_sha(conn, sha)? else { return Ok(None) };
    if let Some(key) = source_key {
        queries::record_source(conn, &mailbox.name, key, raw_id, now)?;
    }
    let ticket = queries::inbound_for_raw(conn, raw_id)?.and_then(|i| i.ticket_id);
    Ok(Some(Outcome::Duplicate { ticket }))
}

/// Processes a quarantined mail again (after a config or template fix).
pub fn retry_quarantined(store: &Store, desk: &Desk<'_>, id: i64) -> Result<Option<Outcome>, IngestError> {
    let now = desk.now.naive_utc();
    let attempt = store.write(|conn| -> Result<Option<Outcome>, Stop> {
        let Some(entry) = queries::quarantine_entry(conn, id)? else { return Ok(None) };
        if entry.state != "held" {
            return Err(Stop::Released(id));
        }
        let raw = queries::raw_content(conn, entry.raw_message_id)?;
        queries::delete_inbound_for_raw(conn, entry.raw_message_id)?;
        let stored = Stored::new(&entry.mailbox, entry.raw_message_id, &raw);
        let outcome = process(conn, &mut Group::default(), desk, stored, None)?;
        match &outcome {
            Outcome::Quarantined { .. } => {}
            _ => queries::release_quarantine(conn, id, now)?,
        }
        Ok(Some(outcome))
    });
    match attempt {
        Ok(o) => Ok(o),
        Err(Stop::Store(e)) => Err(IngestError::Store(e)),
        Err(Stop::Released(id)) => Err(IngestError::AlreadyReleased(id)),
        Err(Stop::Quarantine(reason)) => {
            store.write(|conn| -> Result<(), IngestError> { Ok(queries::requarantine(conn, id, &reason)?) })?;
            Ok(Some(Outcome::Quarantined { id, reason }))
        }
    }
}

/// Keeps the mail in quarantine: a new entry, or the existing one (retry)
/// with its reason brought up to date.
pub(super) fn quarantine(
    conn: &mut Conn,
    mailbox: &str,
    raw_id: i64,
    body_sha: Option<&str>,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Outcome, diesel::result::Error> {
    let existing = queries::quarantine_for_raw(conn, raw_id)?;
    let id = match existing {
        Some(q) => {
            queries::requarantine(conn, q.id, reason)?;
            q.id
        }
        None => queries::insert_quarantine(conn, raw_id, mailbox, reason, now)?,
    };
    let outcome = Outcome::Quarantined { id, reason: reason.to_string() };
    queries::insert_inbound(
        conn,
        &NewInbound {
            raw_message_id: raw_id,
            mailbox,
            message_id: None,
            body_sha256: body_sha.unwrap_or(""),
            outcome: outcome.label(),
            kind: "unknown",
            reason,
            ticket_id: None,
            created_at: now,
        },
    )?;
    Ok(outcome)
}

impl Ctx<'_, '_> {
    pub(super) fn event(
        &mut self,
        ticket: i64,
        actor: &str,
        kind: EventKind,
        old: Option<&str>,
        new: Option<&str>,
        article: Option<i64>,
    ) -> Result<(), Stop> {
        queries::insert_event(
            self.conn,
            &NewEvent {
                ticket_id: ticket,
                actor,
                kind,
                old_value: old,
                new_value: new,
                article_id: article,
                created_at: self.now,
            },
        )?;
        Ok(())
    }

    /// Stores the mail as an article of `ticket`, with its attachments,
    /// and remembers its Message-ID for threading.
    pub(super) fn article(
        &mut self,
        ticket: &Ticket,
        direction: Direction,
        visibility: Visibility,
        role: AuthorRole,
        trimmed: &str,
    ) -> Result<i64, Stop> {
        let m = self.mail;
        let list = |v: &[Mailbox]| v.iter().map(|x| x.email.as_str()).collect::<Vec<_>>().join(", ");
        let id = queries::insert_article(
            self.conn,
            &NewArticle {
                ticket_id: ticket.id,
                raw_message_id: Some(self.raw_id),
                direction,
                visibility,
                author_role: role,
                from_addr: &m.from.email,
                from_name: &m.from.name,
                to_addrs: &list(&m.to),
                cc_addrs: &list(&m.cc),
                subject: &m.subject,
                body_text: &m.text,
                trimmed_text: trimmed,
                body_html: m.html.as_deref(),
                message_id: m.message_id.as_deref(),
                created_at: self.now,
            },
        )?;
        for a in &m.attachments {
            let cid = a.content_id.as_deref();
            queries::insert_attachment(self.conn, id, &a.filename, &a.content_type, a.inline, cid, &a.content)?;
        }
        if let Some(mid) = &m.message_id {
            let audience =
                if visibility == Visibility::Public && role != AuthorRole::Technician { "public" } else { "staff" };
            queries::record_message_id(self.conn, mid, ticket.id, Direction::In, audience, self.now)?;
        }
        // A ticket opened by this very mail is as fresh as it gets (to the
        // microsecond PostgreSQL keeps).
        use chrono::SubsecRound;
        if ticket.updated_at.trunc_subsecs(6) < self.now.trunc_subsecs(6) {
            queries::touch_ticket(self.conn, ticket.id, self.now)?;
        }
        self.event(ticket.id, &m.from.email, EventKind::Article, None, Some(visibility.as_str()), Some(id))?;
        if let Some(size) = m.html_dropped {
            let limit = self.desk.settings.limits.max_html_bytes;
            let why = format!("HTML body of {size} bytes over limits.max_html_bytes = {limit}: text kept");
            self.event(ticket.id, "guichet", EventKind::HtmlNotKept, Some(&why), None, Some(id))?;
        }
        if let Some(charset) = &m.unknown_charset {
            let why = format!(
                "written in the charset `{charset}`, which no table here reads: read as UTF-8 where valid, else as windows-1252; the original mail is kept"
            );
            self.event(ticket.id, "guichet", EventKind::CharsetUnknown, Some(&why), Some(charset), Some(id))?;
        }
        Ok(id)
    }

    /// Starts the SLA timers (and survey) of a ticket this mail opened,
    /// `ticket` as it stands now.
    pub(super) fn start_timers(&mut self, ticket: &Ticket, responded: bool) -> Result<(), Stop> {
        Ok(sla::start(self.conn, self.desk.settings, ticket, responded, self.desk.now)?)
    }

    /// Keeps the ticket's SLA timers and survey in step with its new state.
    pub(super) fn timers(&mut self, ticket: i64, responded: bool) -> Result<(), Stop> {
        if let Some(t) = queries::ticket(self.conn, ticket)? {
            sla::sync(self.conn, self.desk.settings, &t, responded, self.desk.now)?;
        }
        Ok(())
    }

    pub(super) fn set_status(
        &mut self,
        ticket: &Ticket,
        from: Status,
        to: Status,
        actor: &str,
        kind: EventKind,
    ) -> Result<(), Stop> {
        let closed_at = to.is_closed().then_some(self.now);
        queries::set_status(self.conn, ticket.id, to.as_str(), closed_at, self.now)?;
        if from.is_closed() != to.is_closed() {
            // Closed or open again: compared for incidents no longer, or again.
            self.group.forget();
        }
        self.event(ticket.id, actor, kind, Some(from.as_str()), Some(to.as_str()), None)
    }
}
