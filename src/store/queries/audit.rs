//! The audit log: what admins did to the desk (publishing an article,
//! retrying a quarantined mail, signing in to the dashboard, backing up or
//! restoring the store), who did it and how it went. Rows are only added.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::QResult;
use crate::store::schema::audit_log;
use crate::store::Conn;

/// One admin action to record. `actor` is who: a technician's address,
/// `cli:<unix user>` for the command line (see [`cli_actor`]),
/// `dashboard:<login>` for the dashboard. `subject` names what was acted
/// on (`kb:12`, `quarantine:3`, a file); `detail` says more, never a
/// secret.
#[derive(Debug, Clone, Copy)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
}

/// How an action went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Tried and failed (a wrong password, a retry that failed again).
    Failed,
    /// Not attempted: the desk said no (a restore into a desk with data).
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Refused => "refused",
        }
    }
}

/// A recorded action, as `audit list` shows it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub outcome: String,
}

/// Records an action that went through.
pub fn record(conn: &mut Conn, entry: &AuditEntry, now: NaiveDateTime) -> QResult<()> {
    record_outcome(conn, entry, Outcome::Ok, now)
}

/// Records an action and how it went.
pub fn record_outcome(conn: &mut Conn, entry: &AuditEntry, outcome: Outcome, now: NaiveDateTime) -> QResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now),
            audit_log::actor.eq(entry.actor),
            audit_log::action.eq(entry.action),
            audit_log::subject.eq(entry.subject),
            audit_log::detail.eq(entry.detail),
            audit_log::outcome.eq(outcome.as_str()),
        ))
        .execute(conn)
        .map(drop)
}

/// Which rows [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// At or after this time.
    pub since: Option<NaiveDateTime>,
    /// This action only.
    pub action: Option<String>,
    /// At most this many rows (all when `None`).
    pub limit: Option<i64>,
}

/// Recorded actions, newest first.
pub fn list(conn: &mut Conn, filter: &AuditFilter) -> QResult<Vec<AuditRow>> {
    let mut q = audit_log::table.select(AuditRow::as_select()).into_boxed();
    if let Some(since) = filter.since {
        q = q.filter(audit_log::at.ge(since));
    }
    if let Some(action) = &filter.action {
        q = q.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(limit) = filter.limit {
        q = q.limit(limit);
    }
    q.order((audit_log::at.desc(), audit_log::id.desc())).load(conn)
}

/// The actor for the command line: `cli:<unix user>` (`$USER`, else
/// `$LOGNAME`, else the user id of the process).
pub fn cli_actor() -> String {
    let user =
        ["USER", "LOGNAME"].iter().filter_map(|v| std::env::var(v).ok()).find(|u| !u.trim().is_empty()).unwrap_or_else(
            || {
                use std::os::unix::fs::MetadataExt;
                std::fs::metadata("/proc/self").map(|m| format!("uid {}", m.uid())).unwrap_or_else(|_| "unknown".into())
            },
        );
    format!("cli:{user}")
}
