//! What a group of mails reads once and keeps in step while its mails are
//! decided, instead of reading it again for each: the tickets a new
//! incident is compared with. Anything a mail changes that the snapshot
//! does not follow (a status, an incident set by hand, a mail undone)
//! drops it, and the next mail that needs it reads it again.

use chrono::NaiveDateTime;

use crate::domain::incident::Hashed;
use crate::store::incidents::{self, Compared};
use crate::store::Conn;

/// The recent open tickets read at most, as `incidents::recent_open`
/// compares them.
pub(crate) const RECENT: i64 = 100;

/// A ticket compared, as kept: (ticket, or its incident for a child; its
/// terms as numbers).
pub(crate) type Kept = (i64, Hashed);

fn kept((id, subject, all): Compared) -> Kept {
    (id, Hashed::of(&subject, &all))
}

#[derive(Debug, Default)]
pub(crate) struct Group {
    /// The open tickets outside any incident, with their terms and
    /// opening, newest first: as read at the group's first new incident,
    /// with the group's own since.
    recent: Option<Vec<(Kept, NaiveDateTime)>>,
    /// The open major incidents and their newest children, as
    /// `incidents::open_majors` reads them, newest first.
    majors: Option<(Vec<Kept>, Vec<Kept>)>,
    /// How many children each major incident holds, as counted once.
    counts: std::collections::HashMap<i64, i64>,
}

impl Group {
    /// Forgets what was read: a change the snapshot does not follow.
    pub(crate) fn forget(&mut self) {
        *self = Group::default();
    }

    /// The open major incidents and their newest children, each as
    /// (incident, terms).
    pub(crate) fn majors(&mut self, conn: &mut Conn) -> diesel::QueryResult<impl Iterator<Item = &Kept>> {
        if self.majors.is_none() {
            let (majors, children) = incidents::open_majors(conn)?;
            self.majors = Some((majors.into_iter().map(kept).collect(), children.into_iter().map(kept).collect()));
        }
        let (majors, children) = self.majors.as_ref().map_or((&[][..], &[][..]), |(m, c)| (&m[..], &c[..]));
        Ok(majors.iter().chain(children))
    }

    /// The tickets opened since `since` to compare `ticket` with, newest
    /// first.
    pub(crate) fn recent(
        &mut self,
        conn: &mut Conn,
        since: NaiveDateTime,
        ticket: i64,
    ) -> diesel::QueryResult<impl Iterator<Item = &Kept>> {
        if self.recent.is_none() {
            let rows = incidents::recent_open_since(conn, since, RECENT + 1)?;
            self.recent = Some(rows.into_iter().map(|(c, at)| (kept(c), at)).collect());
        }
        let rows = self.recent.as_deref().unwrap_or_default();
        let others = rows.iter().filter(move |((id, _), at)| *at >= since && *id != ticket);
        Ok(others.map(|(c, _)| c).take(RECENT as usize))
    }

    /// How many children the major incident `parent` holds.
    pub(crate) fn children_of(&mut self, conn: &mut Conn, parent: i64) -> diesel::QueryResult<i64> {
        if let Some(n) = self.counts.get(&parent) {
            return Ok(*n);
        }
        let n = incidents::count_children(conn, parent)?;
        self.counts.insert(parent, n);
        Ok(n)
    }

    /// A ticket opened on its own, compared from now on.
    pub(crate) fn opened(&mut self, compared: Kept, at: NaiveDateTime) {
        if let Some(rows) = &mut self.recent {
            // Read with its terms already written: it is there once.
            if rows.iter().any(|((id, _), _)| *id == compared.0) {
                return;
            }
            rows.insert(0, (compared, at));
            rows.truncate(RECENT as usize + 1);
        }
    }

    /// `child` joined the open major incident `parent`: no longer compared
    /// on its own, but as one of the incident's, with its terms (`terms`
    /// when it was not compared yet).
    pub(crate) fn attached(&mut self, child: i64, parent: i64, terms: Option<Hashed>) {
        if let Some(n) = self.counts.get_mut(&parent) {
            *n += 1;
        }
        let mut terms = terms;
        if let Some(rows) = &mut self.recent {
            if let Some(at) = rows.iter().position(|((id, _), _)| *id == child) {
                let ((_, hashed), _) = rows.remove(at);
                terms = terms.or(Some(hashed));
            }
        }
        let (Some((_, children)), Some(terms)) = (&mut self.majors, terms) else { return };
        children.insert(0, (parent, terms));
        children.truncate(incidents::CHILDREN);
    }

    /// A major incident raised by the group, with its terms.
    pub(crate) fn raised(&mut self, compared: Kept) {
        if let Some((majors, _)) = &mut self.majors {
            majors.insert(0, compared);
        }
    }
}
