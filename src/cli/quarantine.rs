//! `guichet quarantine list|retry`

use std::process::ExitCode;

use serde_json::json;

use crate::ingest::retry_quarantined;
use crate::notify::outbox::Desk;
use crate::store::queries;

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
            std::io::Write::write_all(&mut std::io::stdout().lock(), &raw)
                .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("writing to stdout: {e}")))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Retry { id } => {
            let templates = env.templates()?;
            let desk = Desk { settings: &env.settings, templates: &templates, now: env.clock.now() };
            match retry_quarantined(&store, &desk, id).map_err(|e| {
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
