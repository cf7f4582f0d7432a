//! `guichet status`

use std::process::ExitCode;

use serde_json::{json, Map, Value};

use crate::config::MailboxKind;
use crate::store::queries;

use super::{Env, Failure};

/// Counts at a glance: tickets by status, mail by outcome, the outbox by
/// state, quarantine, and whether each mailbox can be read.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

fn counts(rows: Vec<(String, i64)>) -> Value {
    Value::Object(rows.into_iter().map(|(k, n)| (k, Value::from(n))).collect::<Map<_, _>>())
}

pub fn run(env: Env, args: Args) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let mut conn = store.conn()?;
    let mailboxes: Vec<Value> = env
        .settings
        .mailboxes
        .iter()
        .map(|m| {
            let MailboxKind::Maildir { path } = &m.kind;
            let readable = std::fs::read_dir(path.join("new")).is_ok();
            json!({ "name": m.name, "address": m.address, "path": path.display().to_string(), "readable": readable })
        })
        .collect();
    let v = json!({
        "tickets": counts(queries::tickets_by_status(&mut conn)?),
        "mail": counts(queries::inbound_outcomes(&mut conn)?),
        "outbox": counts(queries::outbox_by_state(&mut conn)?),
        "quarantine_held": queries::quarantine_held(&mut conn)?,
        "mailboxes": mailboxes,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    let line = |v: &Value| -> String {
        let parts: Vec<String> = v.as_object().into_iter().flatten().map(|(k, n)| format!("{k} {n}")).collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    };
    println!("tickets:    {}", line(&v["tickets"]));
    println!("mail in:    {}", line(&v["mail"]));
    println!("mail out:   {}", line(&v["outbox"]));
    println!("quarantine: {} held", v["quarantine_held"]);
    for m in v["mailboxes"].as_array().into_iter().flatten() {
        let state = if m["readable"] == Value::Bool(true) { "ok" } else { "CANNOT READ" };
        println!(
            "mailbox {} <{}>: {} ({state})",
            m["name"].as_str().unwrap_or_default(),
            m["address"].as_str().unwrap_or_default(),
            m["path"].as_str().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
