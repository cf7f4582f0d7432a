//! `guichet outbox list`

use std::process::ExitCode;

use serde_json::json;

use crate::store::queries;

use super::{Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List outgoing mail: queued, sent and failed.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let mut conn = store.conn()?;
    let Command::List { json } = cmd;
    let rows = queries::list_outbox(&mut conn)?;
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id, "ticket": r.ticket_id, "template": r.template, "message_id": r.message_id,
                    "recipients": r.recipients.split(',').collect::<Vec<_>>(), "subject": r.subject,
                    "automatic": r.automatic, "state": r.state, "attempts": r.attempts, "last_error": r.last_error,
                    "content": String::from_utf8_lossy(&r.content),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!("{:>4}  {:<8}  {:>6}  {:<16}  {:<34}  SUBJECT", "ID", "STATE", "TICKET", "TEMPLATE", "TO");
        for r in rows {
            println!(
                "{:>4}  {:<8}  {:>6}  {:<16}  {:<34}  {}",
                r.id,
                r.state,
                r.ticket_id.map(|t| format!("#{t}")).unwrap_or_default(),
                r.template,
                r.recipients,
                r.subject
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
