//! `guichet audit list`: what admins did to the desk, newest first.

use std::process::ExitCode;

use chrono::NaiveDateTime;
use serde_json::json;

use crate::store::queries::audit::{self, AuditFilter};

use super::{exit, time, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List recorded admin actions (publishing and editing knowledge-base
    /// articles, quarantine retries and exports, dashboard sign-ins,
    /// backups and restores), newest first. Times are RFC 3339 UTC.
    List {
        /// Only actions at or after this time: YYYY-MM-DD (midnight UTC)
        /// or RFC 3339
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only this action (for example `kb.publish`, `dashboard.sign_in`)
        #[arg(long, value_name = "ACTION")]
        action: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub(crate) fn parse_since(v: &str) -> Option<NaiveDateTime> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0);
    }
    chrono::DateTime::parse_from_rfc3339(v).ok().map(|t| t.naive_utc())
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    match cmd {
        Command::List { since, action, json } => {
            let since = match since.as_deref() {
                None => None,
                Some(v) => Some(parse_since(v).ok_or_else(|| {
                    Failure::new(
                        exit::USAGE,
                        anyhow::anyhow!("--since `{v}`: expected a date (YYYY-MM-DD) or an RFC 3339 time"),
                    )
                })?),
            };
            let store = env.store()?;
            let mut conn = store.conn()?;
            let rows = audit::list(&mut conn, &AuditFilter { since, action, limit: None })?;
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        json!({
                            "id": r.id, "at": time(r.at), "actor": r.actor, "action": r.action,
                            "subject": r.subject, "detail": r.detail, "outcome": r.outcome,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!(
                    "{:<20}  {:<24}  {:<20}  {:<8}  {:<16}  DETAIL",
                    "AT", "ACTOR", "ACTION", "OUTCOME", "SUBJECT"
                );
                for r in rows {
                    println!(
                        "{:<20}  {:<24}  {:<20}  {:<8}  {:<16}  {}",
                        time(r.at),
                        r.actor,
                        r.action,
                        r.outcome,
                        r.subject,
                        r.detail
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
