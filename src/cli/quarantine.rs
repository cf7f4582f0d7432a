//! `guichet quarantine list|retry`

use std::process::ExitCode;

use serde_json::json;

use crate::ingest::{retry_quarantined, IngestError, Outcome};
use crate::notify::outbox::Desk;
use crate::store::queries;
use crate::store::queries::audit::{self, AuditEntry};

use super::ingest::outcome_text;
use super::{exit, time, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List mail held in quarantine, with the reason.
    List {
        /// Include entries already released
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Process a quarantined mail again (after fixing what held it).
    Retry { id: i64 },
    /// Write a quarantined mail's bytes, exactly as they came, to stdout
    /// (to read it, or hand it on: `> mail.eml`).
    Export { id: i64 },
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    match cmd {
        Command::List { all, json } => {
            let mut conn = store.conn()?;
            let entries = queries::quarantined(&mut conn, all)?;
            if json {
                let v: Vec<_> = entries
                    .iter()
                    .map(|q| {
                        json!({
                            "id": q.id, "mailbox": q.mailbox, "reason": q.reason, "state": q.state,
                            "retries": q.retries, "raw_message_id": q.raw_message_id,
                            "size": queries::raw_size(&mut conn, q.raw_message_id).unwrap_or_default(),
                            "created_at": time(q.created_at),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("{:>4}  {:<8}  {:<12}  {:<20}  REASON", "ID", "STATE", "MAILBOX", "SINCE");
                for q in entries {
                    println!(
                        "{:>4}  {:<8}  {:<12}  {:<20}  {}",
                        q.id,
                        q.state,
                        q.mailbox,
                        q.created_at.format("%Y-%m-%d %H:%M:%S"),
                        q.reason
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { id } => {
            let mut conn = store.conn()?;
            let Some(entry) = queries::quarantine_entry(&mut conn, id)? else {
                return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("there is no quarantine entry {id}")));
            };
            let raw = queries::raw_content(&mut conn, entry.raw_message_id)?;
            // Recorded before the bytes leave: an export the log does not
            // show must not happen.
            let subject = format!("quarantine:{id}");
            let detail = format!("{} bytes from mailbox {}", raw.len(), entry.mailbox);
            let now = env.clock.now().naive_utc();
            store.write(|conn| -> Result<(), Failure> {
                let entry = AuditEntry {
                    actor: &audit::cli_actor(),
                    action: "quarantine.export",
                    subject: &subject,
                    detail: &detail,
                };
                Ok(audit::record(conn, &entry, now)?)
            })?;
            std::io::Write::write_all(&mut std::io::stdout().lock(), &raw)
                .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("writing to stdout: {e}")))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Retry { id } => {
            let templates = env.templates()?;
            let desk = Desk { settings: &env.settings, templates: &templates, now: env.clock.now() };
            let retried = retry_quarantined(&store, &desk, id);
            let now = env.clock.now().naive_utc();
            let subject = format!("quarantine:{id}");
            let (outcome, detail) = match &retried {
                Ok(Some(o @ Outcome::Quarantined { .. })) => (audit::Outcome::Failed, outcome_text(o)),
                Ok(Some(o)) => (audit::Outcome::Ok, outcome_text(o)),
                Err(IngestError::AlreadyReleased(_)) => (audit::Outcome::Refused, "already released".to_string()),
                // Nothing to record: no such entry, or the store failed.
                Ok(None) | Err(_) => (audit::Outcome::Ok, String::new()),
            };
            if !detail.is_empty() {
                store.write(|conn| -> Result<(), Failure> {
                    let entry = AuditEntry {
                        actor: &audit::cli_actor(),
                        action: "quarantine.retry",
                        subject: &subject,
                        detail: &detail,
                    };
                    Ok(audit::record_outcome(conn, &entry, outcome, now)?)
                })?;
            }
            match retried.map_err(|e| {
                let code = if e.is_transient() { exit::TEMPFAIL } else { exit::FAILURE };
                Failure::new(code, e)
            })? {
                None => Err(Failure::new(exit::FAILURE, anyhow::anyhow!("there is no quarantine entry {id}"))),
                Some(outcome) => {
                    super::ingest::print_outcome(&format!("quarantine entry {id}"), &outcome, false);
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}
