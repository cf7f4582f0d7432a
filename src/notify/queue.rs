//! Tickets listed in a mail (a technician's `#list`, a requester's "my
//! tickets", a digest): one line each, due soonest first, in the reader's
//! language and time zone.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::config::Settings;
use crate::domain::ticket::{priority_label, Lang, Status};
use crate::domain::wording;
use crate::notify::context::QueueTicket;
use crate::store::models::{SlaTimer, Ticket};
use crate::store::{queries, Conn};

/// Tickets listed in one mail: a mail to read, not a report.
pub const MAX_LINES: usize = 50;

/// Who reads a list, and how times are written for them.
pub struct Reader {
    pub lang: Lang,
    zone: chrono_tz::Tz,
    named: bool,
}

impl Reader {
    /// `email` reading in `lang`: their time zone, named when it is not
    /// the desk's.
    pub fn of(settings: &Settings, email: &str, lang: Lang) -> Reader {
        let zone = settings.reader_zone(email);
        Reader { lang, zone, named: zone != settings.tickets.time_zone || zone == chrono_tz::Tz::UTC }
    }

    pub fn moment(&self, at: NaiveDateTime) -> String {
        wording::moment(DateTime::<Utc>::from_naive_utc_and_offset(at, Utc), self.zone, self.lang, self.named)
    }
}

/// One line per ticket, due soonest first (breached ones are past due),
/// then by priority; at most `at_most`.
pub fn lines(
    conn: &mut Conn,
    settings: &Settings,
    tickets: Vec<Ticket>,
    reader: &Reader,
    at_most: usize,
) -> Result<Vec<QueueTicket>, diesel::result::Error> {
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let timers = queries::timers_of(conn, &ids)?;
    let mut ordered: Vec<(Option<NaiveDateTime>, bool, Ticket)> = tickets
        .into_iter()
        .map(|t| {
            let mine: Vec<&SlaTimer> = timers.iter().filter(|s| s.ticket_id == t.id).collect();
            let due = mine.iter().filter(|s| s.met_at.is_none() && s.state != "paused").map(|s| s.due_at).min();
            let breached = mine.iter().any(|s| s.breached_at.is_some());
            (due, breached, t)
        })
        .collect();
    ordered.sort_by_key(|(due, _, t)| (due.is_none(), *due, t.priority, t.id));
    ordered.truncate(at_most);
    let mut lines = Vec::with_capacity(ordered.len());
    for (due, breached, t) in ordered {
        let status: Status = t.status.parse().unwrap_or(Status::New);
        let requester = queries::contact(conn, t.requester_id)?;
        let assignee = t.assignee.as_deref().map(|a| settings.technician(a).map_or(a, |x| x.name.as_str()));
        lines.push(QueueTicket {
            number: t.id,
            subject: t.subject.clone(),
            status: status.to_string(),
            status_label: status.label(reader.lang).to_string(),
            priority: i64::from(t.priority),
            priority_label: priority_label(t.priority, reader.lang).to_string(),
            due: due.map(|d| reader.moment(d)).unwrap_or_default(),
            breached,
            pending_since: t.pending_since.map(|p| reader.moment(p)).unwrap_or_default(),
            requester_name: if requester.name.is_empty() { requester.email } else { requester.name },
            assignee_name: assignee.unwrap_or_default().to_string(),
            group: t.group_name.clone().unwrap_or_default(),
            opened: reader.moment(t.created_at),
        });
    }
    Ok(lines)
}
