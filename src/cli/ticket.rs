//! `guichet ticket list|show`

use std::process::ExitCode;

use serde_json::{json, Value};

use crate::store::models::Ticket;
use crate::store::{queries, Conn};

use super::{exit, time, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List tickets, oldest first.
    List {
        /// Only tickets with this status
        #[arg(long)]
        status: Option<String>,
        /// A JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Show one ticket with its articles and history.
    Show {
        number: i64,
        #[arg(long)]
        json: bool,
    },
}

fn split(list: &str) -> Vec<&str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// A ticket's fields as `ticket list --json` prints them; `show` adds the
/// articles and the history.
fn ticket_json(conn: &mut Conn, t: &Ticket) -> Result<Value, diesel::result::Error> {
    let requester = queries::contact(conn, t.requester_id)?;
    let watchers: Vec<String> = queries::watchers(conn, t.id)?.into_iter().map(|c| c.email).collect();
    let sla: Vec<Value> = queries::sla_timers(conn, t.id)?
        .iter()
        .map(|s| json!({ "kind": s.kind, "due_at": time(s.due_at), "state": s.state }))
        .collect();
    Ok(json!({
        "number": t.id,
        "subject": t.subject,
        "type": t.ticket_type,
        "status": t.status,
        "impact": t.impact,
        "urgency": t.urgency,
        "priority": t.priority,
        "major": t.major,
        "requester": requester.email,
        "requester_name": requester.name,
        "watchers": watchers,
        "assignee": t.assignee,
        "group": t.group_name,
        "parent": t.parent_id,
        "related": t.related_id,
        "language": t.language,
        "created_at": time(t.created_at),
        "updated_at": time(t.updated_at),
        "closed_at": t.closed_at.map(time),
        "sla": sla,
    }))
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let mut conn = store.conn()?;
    match cmd {
        Command::List { status, json } => {
            if let Some(s) = &status {
                s.parse::<crate::domain::ticket::Status>().map_err(|e| Failure::new(2, e))?;
            }
            let tickets = queries::list_tickets(&mut conn, status.as_deref())?;
            if json {
                let all = tickets.iter().map(|t| ticket_json(&mut conn, t)).collect::<Result<Vec<_>, _>>()?;
                println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            } else {
                println!(
                    "{:>5}  {:<10}  {:<9}  {:>3}  {:<28}  {:<24}  SUBJECT",
                    "#", "STATUS", "TYPE", "PRI", "REQUESTER", "ASSIGNEE"
                );
                for t in &tickets {
                    let requester = queries::contact(&mut conn, t.requester_id)?;
                    println!(
                        "{:>5}  {:<10}  {:<9}  {:>3}  {:<28}  {:<24}  {}",
                        t.id,
                        t.status,
                        t.ticket_type,
                        t.priority,
                        truncate(&requester.email, 28),
                        truncate(t.assignee.as_deref().unwrap_or("-"), 24),
                        t.subject
                    );
                }
            }
        }
        Command::Show { number, json } => {
            let Some(t) = queries::ticket(&mut conn, number)? else {
                return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("there is no ticket {number}")));
            };
            let mut v = ticket_json(&mut conn, &t)?;
            let articles = queries::articles(&mut conn, t.id)?;
            let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
            let attachments = queries::attachments_of(&mut conn, &ids)?;
            let articles_json: Vec<Value> = articles
                .iter()
                .map(|a| {
                    let files: Vec<Value> = attachments
                        .iter()
                        .filter(|f| f.article_id == a.id)
                        .map(|f| json!({ "filename": f.filename, "content_type": f.content_type, "size": f.size, "sha256": f.sha256, "inline": f.inline }))
                        .collect();
                    json!({
                        "direction": a.direction,
                        "visibility": a.visibility,
                        "author_role": a.author_role,
                        "from": a.from_addr,
                        "from_name": a.from_name,
                        "to": split(&a.to_addrs),
                        "cc": split(&a.cc_addrs),
                        "subject": a.subject,
                        "text": a.body_text,
                        "trimmed_text": a.trimmed_text,
                        "html": a.body_html,
                        "message_id": a.message_id,
                        "created_at": time(a.created_at),
                        "attachments": files,
                    })
                })
                .collect();
            let events: Vec<Value> = queries::events(&mut conn, t.id)?
                .iter()
                .map(|e| json!({ "at": time(e.created_at), "actor": e.actor, "kind": e.kind, "old": e.old_value, "new": e.new_value }))
                .collect();
            if let Some(o) = v.as_object_mut() {
                o.insert("articles".into(), Value::Array(articles_json));
                o.insert("history".into(), Value::Array(events));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                print_ticket(&v);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_ticket(v: &Value) {
    println!("Ticket #{}: {}", s(&v["number"]), s(&v["subject"]));
    println!(
        "  type {} · status {} · impact {} · urgency {} · priority {}{}",
        s(&v["type"]),
        s(&v["status"]),
        s(&v["impact"]),
        s(&v["urgency"]),
        s(&v["priority"]),
        if v["major"] == Value::Bool(true) { " · MAJOR" } else { "" }
    );
    println!("  requester {} · assignee {} · group {}", s(&v["requester"]), s(&v["assignee"]), s(&v["group"]));
    if let Some(w) = v["watchers"].as_array().filter(|w| !w.is_empty()) {
        println!("  watchers {}", w.iter().map(s).collect::<Vec<_>>().join(", "));
    }
    if !v["related"].is_null() {
        println!("  follows ticket #{}", s(&v["related"]));
    }
    println!("  opened {} · updated {}", s(&v["created_at"]), s(&v["updated_at"]));
    for a in v["articles"].as_array().into_iter().flatten() {
        println!();
        println!(
            "  ── {} {} {} from {} ({}) at {}",
            s(&a["direction"]),
            s(&a["visibility"]),
            s(&a["author_role"]),
            s(&a["from"]),
            s(&a["from_name"]),
            s(&a["created_at"])
        );
        for line in s(&a["trimmed_text"]).lines() {
            println!("  │ {line}");
        }
        for f in a["attachments"].as_array().into_iter().flatten() {
            println!("  📎 {} ({}, {} bytes)", s(&f["filename"]), s(&f["content_type"]), s(&f["size"]));
        }
    }
    println!();
    println!("  History:");
    for e in v["history"].as_array().into_iter().flatten() {
        let change = match (&e["old"], &e["new"]) {
            (Value::Null, Value::Null) => String::new(),
            (Value::Null, n) => format!(": {}", s(n)),
            (o, n) => format!(": {} → {}", s(o), s(n)),
        };
        println!("  {}  {:<14} {}{}", s(&e["at"]), s(&e["kind"]), s(&e["actor"]), change);
    }
}
