//! `guichet outbox list|show`: rows are rendered here as the sender
//! renders them, so what is shown is what goes (or went) out.

use std::process::ExitCode;

use serde_json::json;

use crate::mail::inbound::InboundMail;
use crate::notify::render::{render_row, RenderError};
use crate::store::queries;

use super::{exit, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List outgoing mail: queued, sent and failed.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print one outgoing mail as it goes out: its headers and decoded text part.
    Show {
        id: i64,
        /// The bytes exactly as sent, MIME encoding and HTML part included
        #[arg(long)]
        raw: bool,
    },
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    // Each template read when a row needs it: a broken or missing one
    // shows as that row's error, not as a refusal to list anything.
    let templates = crate::notify::templates::Templates::lazy(
        env.settings.templates_dir.as_deref(),
        &env.settings.tickets.languages,
    );
    let mut conn = store.conn()?;
    let json = match cmd {
        Command::List { json } => json,
        Command::Show { id, raw } => {
            let row = queries::list_outbox(&mut conn)?.into_iter().find(|r| r.id == id);
            let Some(row) = row else {
                return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("there is no outgoing mail {id}")));
            };
            let bytes = match render_row(&mut conn, &env.settings, &templates, &row) {
                Ok(mail) => mail.bytes,
                Err(RenderError::Store(e)) => return Err(e.into()),
                Err(e) => {
                    let state = format!("{} after {} attempt(s)", row.state, row.attempts);
                    return Err(Failure::new(
                        exit::FAILURE,
                        anyhow::anyhow!("outgoing mail {id} ({state}) cannot be rendered: {e}"),
                    ));
                }
            };
            let content = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
            if raw {
                print!("{content}");
            } else {
                let head = content.split("\n\n").next().unwrap_or_default();
                let text = InboundMail::parse(&bytes).map(|m| m.text).unwrap_or_default();
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
        let mut v = Vec::with_capacity(rows.len());
        for r in &rows {
            // A row that cannot be rendered shows why in place of its mail.
            let (content, render_error) = match render_row(&mut conn, &env.settings, &templates, r) {
                Ok(mail) => (Some(String::from_utf8_lossy(&mail.bytes).into_owned()), None),
                Err(RenderError::Store(e)) => return Err(e.into()),
                Err(e) => (None, Some(e.to_string())),
            };
            v.push(json!({
                "id": r.id, "ticket": r.ticket_id, "template": r.template, "lang": r.lang,
                "message_id": r.message_id,
                "recipients": r.recipients.split(',').collect::<Vec<_>>(), "subject": r.subject,
                "automatic": r.automatic, "state": r.state, "attempts": r.attempts, "last_error": r.last_error,
                "history": attempts.remove(&r.id).unwrap_or_default(),
                "content": content, "render_error": render_error,
            }));
        }
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
