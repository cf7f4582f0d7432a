//! Major incidents: a requester's new incident compared, before it is
//! written, with the open major incidents it may join, then with the
//! tickets opened lately, which may raise one; what the templates say of
//! an incident.

use super::open::Major;
use super::*;

/// A new incident's terms (as stored, as compared), and the open major
/// incident it joins.
pub(crate) struct Joining {
    pub(super) terms: crate::domain::incident::Terms,
    pub(super) hashed: crate::domain::incident::Hashed,
    pub(super) parent: Option<i64>,
}

impl Ctx<'_, '_> {
    /// Compares a requester's new incident, before it is written, with the
    /// open major incidents: the one it joins, if any, with its terms.
    pub(crate) fn incident_to_join(&mut self, subject: &str, lang: Lang, text: &str) -> Result<Joining, Stop> {
        use crate::domain::incident::{similarity_hashed, Hashed, Terms};
        let m = &self.desk.settings.major_incident;
        let terms = Terms::of(subject, &format!("{subject}\n{text}"), lang);
        let hashed = Hashed::from(&terms);
        if !m.enabled {
            return Ok(Joining { terms, hashed, parent: None });
        }
        // Read once for the group, kept in step by what its mails change.
        let parent = self
            .group
            .majors(self.conn)?
            .map(|(id, theirs)| (*id, similarity_hashed(&hashed, theirs)))
            .filter(|(_, s)| *s >= m.similarity)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id);
        Ok(Joining { terms, hashed, parent })
    }

    /// A requester's new incident: written as a child of the major
    /// incident it joins ([`Self::incident_to_join`]), or compared with the
    /// tickets opened within `[major_incident] window_minutes`: when
    /// `count` of them (it included) are alike, one major incident is
    /// raised, they become its children and the technicians are told
    /// once. `None`: a ticket of its own.
    pub(crate) fn major_incident(
        &mut self,
        ticket: &Ticket,
        joining: Joining,
        text: &str,
    ) -> Result<Option<Major>, Stop> {
        use crate::domain::incident::{similarity_hashed, Hashed};
        use crate::store::incidents;
        let m = self.desk.settings.major_incident.clone();
        if !m.enabled {
            return Ok(None);
        }
        let Joining { terms: mine, hashed, parent } = joining;
        incidents::insert_terms(self.conn, ticket.id, &mine.subject, &mine.all)?;
        let terms = || Some(hashed.clone());
        if let Some(parent) = parent {
            self.attached(ticket.id, parent)?;
            self.group.attached(ticket.id, parent, terms());
            let parent = queries::ticket(self.conn, parent)?.ok_or(diesel::result::Error::NotFound)?;
            return Ok(Some(self.major_view(&parent, &[])?));
        }
        let alike = |rows: &mut dyn Iterator<Item = &(i64, Hashed)>| -> Vec<(i64, f64)> {
            rows.map(|(id, theirs)| (*id, similarity_hashed(&hashed, theirs)))
                .filter(|(_, s)| *s >= m.similarity)
                .collect()
        };
        let since = self.now - m.window;
        let similar = alike(&mut self.group.recent(self.conn, since, ticket.id)?);
        if similar.len() + 1 < m.count {
            self.group.opened((ticket.id, hashed.clone()), ticket.created_at);
            return Ok(None);
        }
        // Raised: a ticket of the desk's own, major, highest impact.
        let settings = self.desk.settings;
        let address = settings.mailbox(self.mailbox).map_or(String::new(), |b| b.address.clone());
        let desk = queries::upsert_contact(self.conn, &address, &settings.outgoing.from_name, None, self.now)?;
        let urgency = ticket.urgency.min(2);
        let parent = queries::insert_ticket(
            self.conn,
            &NewTicket {
                subject: &ticket.subject,
                ticket_type: TicketType::Incident.as_str(),
                status: Status::New.as_str(),
                impact: 1,
                urgency,
                priority: settings.tickets.priority_matrix.priority(1, urgency),
                related_id: None,
                parent_id: None,
                requester_id: desk.id,
                major: true,
                assignee: None,
                group_name: ticket.group_name.as_deref(),
                category: ticket.category.as_deref(),
                event_key: None,
                event_count: 0,
                language: &ticket.language,
                mailbox: self.mailbox,
                desk_address: &ticket.desk_address,
                created_at: self.now,
                updated_at: self.now,
            },
        )?;
        let count = (similar.len() + 1).to_string();
        self.event(parent.id, "guichet", EventKind::Created, None, Some("major_incident"), None)?;
        self.event(parent.id, "guichet", EventKind::MajorDetected, None, Some(&count), None)?;
        incidents::insert_terms(self.conn, parent.id, &mine.subject, &mine.all)?;
        let mut children: Vec<i64> = similar.iter().map(|(id, _)| *id).collect();
        children.push(ticket.id);
        children.sort_unstable();
        children.dedup();
        self.group.raised((parent.id, hashed.clone()));
        for child in &children {
            self.attach(*child, parent.id)?;
            self.group.attached(*child, parent.id, (*child == ticket.id).then(terms).flatten());
        }
        let view = self.major_view(&parent, &children)?;
        let article = ArticleView { is_new_ticket: true, ..self.article_view(text, true, false) };
        let details = serde_json::json!({ "major": view.view });
        self.notify_technicians_with(&parent, "major_incident", article, &details)?;
        self.timers(parent.id, false)?;
        Ok(Some(view))
    }

    /// Makes `child` a child of the major incident `parent`.
    pub(crate) fn attach(&mut self, child: i64, parent: i64) -> Result<(), Stop> {
        queries::set_parent(self.conn, child, parent, self.now)?;
        self.attached(child, parent)
    }

    /// Records that `child` is a child of the major incident `parent`.
    fn attached(&mut self, child: i64, parent: i64) -> Result<(), Stop> {
        self.event(child, "guichet", EventKind::Parent, None, Some(&parent.to_string()), None)?;
        self.event(parent, "guichet", EventKind::Child, None, Some(&child.to_string()), None)
    }

    /// The `major` section of the templates for incident `parent`, its
    /// children counted, those of `listed` named (the technicians' mail
    /// lists the tickets that raised it; a requester's, none).
    pub(crate) fn major_view(&mut self, parent: &Ticket, listed: &[i64]) -> Result<Major, Stop> {
        let mut children = Vec::with_capacity(listed.len());
        for id in listed {
            let Some(t) = queries::ticket(self.conn, *id)? else { continue };
            let who = queries::contact(self.conn, t.requester_id)?;
            let requester = if who.name.is_empty() { who.email } else { who.name };
            children.push(serde_json::json!({ "number": t.id, "subject": t.subject, "requester": requester }));
        }
        let view = serde_json::json!({
            "number": parent.id,
            "subject": parent.subject,
            "count": self.group.children_of(self.conn, parent.id)?,
            "window_minutes": self.desk.settings.major_incident.window.num_minutes(),
            "children": children,
        });
        Ok(Major { view })
    }
}
