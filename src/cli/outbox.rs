//! `guichet outbox list`

use std::process::ExitCode;

use serde_json::json;

use crate::mail::inbound::InboundMail;
use crate::store::queries;

use super::{exit, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List outgoing mail: queued, sent and failed.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print one outgoing mail: its headers and decoded text part.
    Show {
        id: i64,
        /// The bytes exactly as sent, MIME encoding and HTML part included
        #[arg(long)]
        raw: bool,
    },
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let mut conn = store.conn()?;
    let json = match cmd {
        Command::List { json } => json,
        Command::Show { id, raw } => {
            let row = queries::list_outbox(&mut conn)?.into_iter().find(|r| r.id == id);
            let Some(row) = row else {
                return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("there is no outgoing mail {id}")));
            };
            let content = String::from_utf8_lossy(&row.content).replace("\r\n", "\n");
            if raw {
                print!("{content}");
            } else {
                let head = content.split("\n\n").next().unwrap_or_default();
                let text = InboundMail::parse(&row.content).map(|m| m.text).unwrap_or_default();
                println!("{head}\n\n{text}");
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let rows = queries::list_outbox(&mut conn)?;
    if json {
        let mut attempts: std::collections::BTreeMap<i64, Vec<serde_json::Value>> = Default::default();
        for (id, at, result, detail) in queries::outbox_attempts(&mut conn)? {
            attempts.entry(id).or_default().push(json!({ "at": super::time(at), "result": result, "detail": detail }));
        }
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id, "ticket": r.ticket_id, "template": r.template, "message_id": r.message_id,
                    "recipients": r.recipients.split(',').collect::<Vec<_>>(), "subject": r.subject,
                    "automatic": r.automatic, "state": r.state, "attempts": r.attempts, "last_error": r.last_error,
                    "history": attempts.remove(&r.id).unwrap_or_default(),
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
