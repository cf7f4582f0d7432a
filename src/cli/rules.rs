//! `guichet rules test FILE`: what the rules make of a mail, storing
//! nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use crate::domain::classify::MailKind;
use crate::domain::rules::LanguageFrom;
use crate::ingest::pipeline::{forwarded, triage, Opening, Path};
use crate::ingest::routing::{auto_assign, route};
use crate::mail::inbound::InboundMail;
use crate::store::Store;

use super::{exit, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show which rules match a mail, in order, and the ticket they would
    /// make. Nothing is stored and nothing is sent.
    Test {
        /// The mail (.eml, as received)
        file: PathBuf,
        /// The mailbox it arrives in [default: the first one]
        #[arg(long)]
        mailbox: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let Command::Test { file, mailbox, json } = cmd;
    let settings = &env.settings;
    let raw = std::fs::read(&file)
        .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("cannot read {}: {e}", file.display())))?;
    let mail = InboundMail::parse(&raw).map_err(|e| {
        Failure::new(exit::FAILURE, anyhow::anyhow!("{}: {e} (it would be quarantined)", file.display()))
    })?;
    let mailbox = match mailbox {
        Some(m) if settings.mailbox(&m).is_some() || m == crate::ingest::pipeline::PHONE => m,
        Some(m) => return Err(Failure::new(2, anyhow::anyhow!("no mailbox is named `{m}`"))),
        None => settings.mailboxes.first().map(|m| m.name.clone()).unwrap_or_default(),
    };
    // What the pipeline decides before any rule.
    // A reply token is not read here: it takes the desk's key.
    let triage = triage(&mail, settings, false);
    let before = match triage.path {
        Path::NoSender => Some(format!("held in quarantine: {}", crate::mail::inbound::Unusable::NoSender)),
        Path::Person => None,
        Path::Unconfirmed => Some(format!(
            "held in quarantine: {}; its technician is asked to confirm it (a reply to a mail of ours proves them)",
            triage.unproven.as_deref().unwrap_or_default()
        )),
        Path::Ask => Some(format!(
            "a question ({}): answered by mail, opens no ticket, no rule applies",
            triage.question.as_ref().map(|q| q.name()).unwrap_or_default()
        )),
        Path::Own | Path::Automatic => Some(format!(
            "{} mail ({}): recorded, opens no ticket, no rule applies",
            triage.class.kind.as_str(),
            triage.class.reason
        )),
    };
    if let Some(what) = before {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({ "mailbox": mailbox, "result": what })).unwrap_or_default()
            );
        } else {
            println!("{}: {what}", file.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let staff = triage.staff;
    // A technician's forward is decided on the mail it carries, as ingest does.
    let forward = staff.and_then(|_| forwarded(settings, &mail));
    let opening = match (&forward, staff) {
        (Some(f), Some(tech)) => Opening::of_forward(&mail, f, tech),
        _ => Opening::of_mail(settings, &mail, staff, triage.class.kind == MailKind::List),
    };
    let decided = forward.as_ref().map_or(&mail, |f| &f.mail);
    let r = route(settings, &mailbox, decided, &opening.requester.email);
    // Who would get it depends on everyone's load: read it if the
    // database is there, never create or change it.
    let assignment = match (&r.assignee, &r.group) {
        (Some(a), _) => Some((Some(a.clone()), "named by a rule".to_string())),
        (None, Some(g)) => {
            let exists = match &settings.database {
                crate::config::Database::Sqlite { path, .. } => path.exists(),
                crate::config::Database::Postgres { .. } => true,
            };
            let (now, category) = (env.clock.now(), r.category.as_deref());
            let read = exists.then(|| Store::connect(&settings.database).ok()).flatten().and_then(|store| {
                let mut conn = store.conn().ok()?;
                auto_assign(Some(&mut conn), settings, now, g, category, &r.tags).ok()
            });
            let choice = read.or_else(|| {
                // No database yet (or not readable): nobody has a ticket.
                let mut c = auto_assign(None, settings, now, g, category, &r.tags).ok()?;
                c.why.push_str(" (no ticket history read)");
                Some(c)
            });
            Some(match choice {
                Some(c) => (c.assignee, c.why),
                None => (None, "cannot be worked out".to_string()),
            })
        }
        (None, None) => None,
    };
    // The service level the ticket would start under, and its due times.
    let now = env.clock.now();
    let sla = settings.sla_policy(r.priority, r.ticket_type, r.group.as_deref()).map(|p| {
        let due = |m: Option<i64>| m.map(|m| p.calendar.add(now, m).to_rfc3339());
        json!({
            "policy": p.name,
            "first_response_minutes": p.first_response,
            "first_response_due": due(p.first_response),
            "resolution_minutes": p.resolution,
            "resolution_due": due(p.resolution),
        })
    });
    if json {
        let v = json!({
            "sla": sla,
            "mailbox": mailbox,
            "requester": opening.requester.email,
            "rules": r.decision.trace,
            "ticket": r,
            "assignment": assignment.as_ref().map(|(who, why)| json!({ "assignee": who, "why": why })),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} (mailbox {mailbox}, from {})", file.display(), mail.from.email);
    if let Some(n) = settings.tickets.subject_tag.number(&mail.subject) {
        println!(
            "Note: its subject carries ticket #{n}: if that ticket exists, the mail joins it and no rule applies."
        );
    }
    println!("Rules, in order:");
    if r.decision.trace.is_empty() {
        println!("  (no [[rule]] in the config)");
    }
    let width = r.decision.trace.iter().map(|t| t.rule.chars().count()).max().unwrap_or(0);
    for (i, t) in r.decision.trace.iter().enumerate() {
        let how = if t.matched {
            if t.stopped {
                "matched, stop".to_string()
            } else {
                "matched".to_string()
            }
        } else {
            format!("no ({} does not match)", t.failed.as_deref().unwrap_or("?"))
        };
        println!("  {:>2}. {:<width$}  {how}", i + 1, t.rule);
    }
    if r.decision.trace.len() < settings.rules.len() {
        println!("      ({} rule(s) after the stop not looked at)", settings.rules.len() - r.decision.trace.len());
    }
    if let Some(q) = &r.quarantine {
        println!("Result: held in quarantine: {q}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("Result:");
    println!("  requester  {}", opening.requester.email);
    println!("  type       {}", r.ticket_type);
    println!(
        "  impact     {}   urgency {}   priority {}{}",
        r.impact,
        r.urgency,
        r.priority,
        if r.major { "   MAJOR" } else { "" }
    );
    for h in &r.hints {
        println!("             ({h})");
    }
    match (r.language, r.language_from) {
        (Some(l), Some(LanguageFrom::Header)) => println!("  language   {l} (from its headers)"),
        (Some(l), _) => println!("  language   {l} (guessed from its words)"),
        (None, _) => println!("  language   unknown (no `language` condition holds)"),
    }
    if let Some(g) = &r.group {
        let from = r.group_from.map(|f| format!("{f:?}").to_lowercase()).unwrap_or_default();
        println!("  group      {g} (from the {from})");
    }
    if let Some((who, why)) = &assignment {
        println!("  assignee   {} ({why})", who.as_deref().unwrap_or("nobody yet"));
    }
    if !r.tags.is_empty() {
        println!("  tags       {}", r.tags.join(", "));
    }
    if let Some(c) = &r.category {
        println!("  category   {c}");
    }
    if let Some(k) = &r.event_key {
        println!("  event      {k}{}", if r.event_recovery { " (recovery: resolves it)" } else { "" });
    }
    match &sla {
        Some(p) => {
            let part = |what: &str, m: &serde_json::Value, due: &serde_json::Value| match (m.as_i64(), due.as_str()) {
                (Some(m), Some(d)) => format!("{what} {} (due {d})", crate::sla::minutes_label(m)),
                _ => format!("no {what} target"),
            };
            println!(
                "  SLA        {}: {}, {}",
                p["policy"].as_str().unwrap_or_default(),
                part("first response", &p["first_response_minutes"], &p["first_response_due"]),
                part("resolution", &p["resolution_minutes"], &p["resolution_due"])
            );
        }
        None => println!("  SLA        none (no [[sla]] covers it)"),
    }
    let ack = if !r.acknowledge || r.internal { "none".to_string() } else { format!("template `{}`", r.template) };
    println!("  answer     {ack}{}", if r.internal { "   (internal only)" } else { "" });
    Ok(ExitCode::SUCCESS)
}
