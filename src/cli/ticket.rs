//! `guichet ticket list|show`

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::config::Settings;
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
        /// Only tickets assigned to this technician (an address)
        #[arg(long)]
        assignee: Option<String>,
        /// Only tickets of this group
        #[arg(long)]
        group: Option<String>,
        /// Only tickets still open
        #[arg(long)]
        open: bool,
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
    /// Open a ticket by hand: a call taken by phone (with --requester, who
    /// gets the usual acknowledgement), or a problem a technician noticed
    /// (without). The description is read from standard input.
    Open {
        /// Who called (an address)
        #[arg(long)]
        requester: Option<String>,
        /// Their name, as they gave it
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        subject: String,
        /// The technician recording it [default: $GUICHET_TECHNICIAN]
        #[arg(long, env = "GUICHET_TECHNICIAN")]
        by: String,
        /// incident, request, problem or event [default: incident with a
        /// requester, problem without]
        #[arg(long = "type")]
        ticket_type: Option<String>,
        #[arg(long)]
        impact: Option<i32>,
        #[arg(long)]
        urgency: Option<i32>,
        /// Hand it to this group (someone of it is chosen)
        #[arg(long)]
        group: Option<String>,
        /// Assign it to this technician (an address, or `me`)
        #[arg(long)]
        assign: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn split(list: &str) -> Vec<&str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// A ticket's fields as `ticket list --json` prints them; `show` adds the
/// articles and the history.
fn ticket_json(
    conn: &mut Conn,
    settings: &Settings,
    now: DateTime<Utc>,
    t: &Ticket,
) -> Result<Value, diesel::result::Error> {
    let requester = queries::contact(conn, t.requester_id)?;
    let watchers: Vec<String> = queries::watchers(conn, t.id)?.into_iter().map(|c| c.email).collect();
    let sla: Vec<Value> =
        queries::sla_timers(conn, t.id)?.iter().map(|s| crate::sla::describe(settings, s, now)).collect();
    let survey = queries::survey_of(conn, t.id)?.map(|s| {
        json!({
            "state": s.state,
            "due_at": time(s.due_at),
            "sent_at": s.sent_at.map(time),
            "rating": s.rating,
            "comment": s.comment,
            "answered_via": s.answered_via,
            "answered_at": s.answered_at.map(time),
        })
    });
    let tags = queries::tags(conn, t.id)?;
    let children = queries::children(conn, t.id)?;
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
        "children": children,
        "related": t.related_id,
        "merged_into": t.merged_into,
        "category": t.category,
        "tags": tags,
        "planned_at": t.planned_at.map(time),
        "event_key": t.event_key,
        "event_count": t.event_count,
        "language": t.language,
        "mailbox": t.mailbox,
        // The address its mail is sent from (see `Settings::identity`).
        "address": settings.identity(&t.mailbox, &t.desk_address).address(),
        "created_at": time(t.created_at),
        "updated_at": time(t.updated_at),
        "closed_at": t.closed_at.map(time),
        "sla": sla,
        "survey": survey,
        "rating": survey.as_ref().and_then(|s| s["rating"].as_i64()),
    }))
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    if let Command::Open { requester, name, subject, by, ticket_type, impact, urgency, group, assign, json } = cmd {
        let opts = OpenArgs { requester, name, subject, by, ticket_type, impact, urgency, group, assign };
        return open(env, opts, json);
    }
    let store = env.store()?;
    let mut conn = store.conn()?;
    match cmd {
        Command::List { status, assignee, group, open, json } => {
            if let Some(s) = &status {
                s.parse::<crate::domain::ticket::Status>().map_err(|e| Failure::new(2, e))?;
            }
            let filter = queries::TicketFilter {
                status,
                assignee: assignee.map(|a| a.trim().to_ascii_lowercase()),
                group,
                open,
            };
            let tickets = queries::list_tickets(&mut conn, &filter)?;
            if json {
                let all = tickets
                    .iter()
                    .map(|t| ticket_json(&mut conn, &env.settings, env.clock.now(), t))
                    .collect::<Result<Vec<_>, _>>()?;
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
        Command::Open { .. } => {}
        Command::Show { number, json } => {
            let Some(t) = queries::ticket(&mut conn, number)? else {
                return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("there is no ticket {number}")));
            };
            let mut v = ticket_json(&mut conn, &env.settings, env.clock.now(), &t)?;
            let articles = queries::articles(&mut conn, t.id)?;
            let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
            let attachments = queries::attachments_of(&mut conn, &ids)?;
            let articles_json: Vec<Value> = articles
                .iter()
                .map(|a| {
                    let files: Vec<Value> = attachments
                        .iter()
                        .filter(|f| f.article_id == a.id)
                        .map(|f| json!({ "filename": f.filename, "content_type": f.content_type, "size": f.size, "sha256": f.sha256, "inline": f.inline, "content_id": f.content_id }))
                        .collect();
                    json!({
                        "direction": stored(a.direction()),
                        "visibility": stored(a.visibility()),
                        "author_role": stored(a.author_role()),
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
                .map(|e| json!({ "at": time(e.created_at), "actor": e.actor, "kind": e.kind_name(), "old": e.old_value, "new": e.new_value }))
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

struct OpenArgs {
    requester: Option<String>,
    name: String,
    subject: String,
    by: String,
    ticket_type: Option<String>,
    impact: Option<i32>,
    urgency: Option<i32>,
    group: Option<String>,
    assign: Option<String>,
}

fn open(env: Env, a: OpenArgs, json: bool) -> Result<ExitCode, Failure> {
    use crate::domain::commands::{Assignee, Command as Cmd};
    use crate::domain::ticket::TicketType;
    let usage = |m: String| Failure::new(2, anyhow::anyhow!(m));
    let settings = &env.settings;
    let by = settings
        .technician(&a.by)
        .cloned()
        .ok_or_else(|| usage(format!("--by `{}` is not a [[technician]] of this desk", a.by)))?;
    if a.subject.trim().is_empty() {
        return Err(usage("--subject must not be empty".into()));
    }
    let requester = match &a.requester {
        Some(r) => {
            let email = r.trim().to_ascii_lowercase();
            if !crate::domain::is_address(&email) {
                return Err(usage(format!("--requester `{r}` is not an e-mail address")));
            }
            Some(crate::mail::inbound::Mailbox { email, name: a.name.trim().to_string() })
        }
        None => None,
    };
    let mut commands = Vec::new();
    let default_type = if requester.is_some() { None } else { Some(TicketType::Problem) };
    match a.ticket_type.as_deref().map(str::parse::<TicketType>).transpose().map_err(|e| usage(e.to_string()))? {
        Some(t) => commands.push(Cmd::Type(t)),
        None => commands.extend(default_type.map(Cmd::Type)),
    }
    for (flag, v, make) in [("impact", a.impact, Cmd::Impact as fn(i32) -> Cmd), ("urgency", a.urgency, Cmd::Urgency)] {
        match v {
            Some(n @ 1..=5) => commands.push(make(n)),
            Some(n) => return Err(usage(format!("--{flag} takes a level from 1 (highest) to 5, not {n}"))),
            None => {}
        }
    }
    if let Some(g) = a.group {
        if settings.group_members(&g).next().is_none() {
            return Err(usage(format!("--group: no technician is in group `{g}`")));
        }
        commands.push(Cmd::Assign(Assignee::Group(g)));
    }
    if let Some(who) = a.assign {
        let who = who.trim().to_ascii_lowercase();
        commands.push(Cmd::Assign(if who == "me" {
            Assignee::Me
        } else if settings.technician(&who).is_some() {
            Assignee::Technician(who)
        } else {
            return Err(usage(format!("--assign `{who}` is not a [[technician]] of this desk")));
        }));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("reading the description from stdin: {e}")))?;
    let store = env.store()?;
    let templates = env.templates()?;
    let desk = crate::notify::outbox::Desk { settings, templates: &templates, now: env.clock.now() };
    let call = crate::ingest::pipeline::Call { requester, by, subject: a.subject, text, commands };
    let outcome = crate::ingest::pipeline::open_by_hand(&store, &desk, &call).map_err(|e| {
        let code = if e.is_transient() { exit::TEMPFAIL } else { exit::FAILURE };
        Failure::new(code, e)
    })?;
    let crate::ingest::Outcome::Ticket { ticket } = outcome else {
        return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("no ticket was opened: {outcome:?}")));
    };
    if json {
        let mut conn = store.conn()?;
        let t = queries::ticket(&mut conn, ticket)?
            .ok_or_else(|| Failure::new(exit::FAILURE, anyhow::anyhow!("ticket {ticket} vanished")))?;
        println!(
            "{}",
            serde_json::to_string_pretty(&ticket_json(&mut conn, &env.settings, env.clock.now(), &t)?)
                .unwrap_or_default()
        );
    } else {
        println!("opened ticket #{ticket}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A stored name as it reads, known to this version or not.
fn stored<T: std::fmt::Display>(name: Result<T, crate::domain::ticket::UnknownName>) -> String {
    name.map_or_else(|e| e.value, |n| n.to_string())
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
    if let Some(tags) = v["tags"].as_array().filter(|t| !t.is_empty()) {
        println!("  tags {}", tags.iter().map(s).collect::<Vec<_>>().join(", "));
    }
    if !v["category"].is_null() {
        println!("  category {}", s(&v["category"]));
    }
    if !v["planned_at"].is_null() {
        println!("  planned for {}", s(&v["planned_at"]));
    }
    if !v["parent"].is_null() {
        println!("  child of ticket #{}", s(&v["parent"]));
    }
    if let Some(c) = v["children"].as_array().filter(|c| !c.is_empty()) {
        println!("  children {}", c.iter().map(|n| format!("#{}", s(n))).collect::<Vec<_>>().join(", "));
    }
    if !v["event_key"].is_null() {
        println!("  monitoring event {} ({} alerts)", s(&v["event_key"]), s(&v["event_count"]));
    }
    if !v["related"].is_null() {
        println!("  follows ticket #{}", s(&v["related"]));
    }
    if !v["merged_into"].is_null() {
        println!("  merged into ticket #{}: its mail goes there", s(&v["merged_into"]));
    }
    println!("  opened {} · updated {}", s(&v["created_at"]), s(&v["updated_at"]));
    for t in v["sla"].as_array().into_iter().flatten() {
        let left = t["left_business_minutes"].as_i64().unwrap_or(0);
        let when = if t["due_at"].is_null() { String::new() } else { format!(", due {}", s(&t["due_at"])) };
        let left = if left >= 0 { format!("{left} business min left") } else { format!("{} business min late", -left) };
        println!("  SLA {} ({}): {}{when}, {left}", s(&t["kind"]), s(&t["policy"]), s(&t["state"]));
    }
    if let Some(r) = v["survey"].as_object() {
        let rating =
            r.get("rating").filter(|x| !x.is_null()).map(|x| format!(", rated {}/5", s(x))).unwrap_or_default();
        println!("  survey {}{rating}", s(&r["state"]));
    }
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
