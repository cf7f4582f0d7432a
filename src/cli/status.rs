//! `guichet status`

use std::process::ExitCode;

use serde_json::{json, Map, Value};

use crate::config::MailboxKind;
use crate::store::queries;

use super::{Env, Failure};

/// Counts at a glance: tickets by status, mail by outcome, the outbox by
/// state, quarantine, SLA timers and surveys by state, and whether each
/// mailbox can be read.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

/// Bytes an unprivileged writer may still use on the file system of
/// `file` (or of its directory, before it exists).
fn free_bytes(file: &std::path::Path) -> Option<u64> {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// `failing 3×: <error>; last good poll <time>`, from a health object.
fn health_line(h: &Value, last_ok: &str) -> String {
    let mut line = h["state"].as_str().unwrap_or_default().to_string();
    if let Some(e) = h["error"].as_str() {
        line = format!("{line} {}×: {e}", h["failures"]);
    }
    if let Some(at) = h["last_ok_at"].as_str() {
        line = format!("{line}; {last_ok} {at}");
    }
    line
}

/// The row the write probe keeps beside the mailboxes'.
const DATABASE_PROBE: &str = "[database]";

fn counts(rows: Vec<(String, i64)>) -> Value {
    Value::Object(rows.into_iter().map(|(k, n)| (k, Value::from(n))).collect::<Map<_, _>>())
}

pub fn run(env: Env, args: Args) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let mut conn = store.conn()?;
    // What the pollers last recorded; a maildir is also checked here.
    let health = queries::mailbox_health(&mut conn)?;
    let mailboxes: Vec<Value> = env
        .settings
        .mailboxes
        .iter()
        .map(|m| {
            let h = health.iter().find(|h| h.mailbox == m.name);
            let (source, readable) = match &m.kind {
                MailboxKind::Maildir { path } => {
                    (path.display().to_string(), Some(std::fs::read_dir(path.join("new")).is_ok()))
                }
                MailboxKind::Imap(i) => (format!("imap://{}@{}:{}/{}", i.username, i.host, i.port, i.folder), None),
            };
            let state = match (readable, h) {
                (Some(false), _) => "failing",
                (_, Some(h)) => h.state.as_str(),
                (Some(true), None) => "ok",
                (None, None) => "not polled yet",
            };
            json!({
                "name": m.name,
                "address": m.address,
                "source": source,
                "state": state,
                "error": h.filter(|h| h.state != "ok").map(|h| h.detail.clone()),
                "failures": h.map_or(0, |h| h.failures),
                "polled_by": h.map(|h| h.holder.clone()),
                "last_ok_at": h.and_then(|h| h.last_ok_at).map(super::time),
                "checked_at": h.map(|h| super::time(h.updated_at)),
            })
        })
        .collect();
    // The relay's state as `run` last found it.
    let relay = health.iter().find(|h| h.mailbox == super::run::RELAY_HEALTH).map(|h| {
        json!({
            "state": h.state,
            "error": (h.state != "ok").then(|| h.detail.clone()),
            "failures": h.failures,
            "last_ok_at": h.last_ok_at.map(super::time),
            "checked_at": super::time(h.updated_at),
        })
    });
    // Whether the database takes a write now (a full disk, a read-only
    // file): the probe is a row of its own.
    let probe = store.write(|conn| -> Result<(), crate::store::StoreError> {
        let now = env.clock.now().naive_utc();
        Ok(queries::record_poll(conn, DATABASE_PROBE, &crate::ingest::imap::holder(), None, now)?)
    });
    // Room left for the SQLite file: below one mail of the largest size
    // allowed, a large mail may not be stored.
    let free = match &env.settings.database {
        crate::config::Database::Sqlite { path, .. } => free_bytes(path),
        crate::config::Database::Postgres { .. } => None,
    };
    let state = match (&probe, free) {
        (_, Some(f)) if f < 1 << 20 => "full",
        (Err(_), _) => "unwritable",
        (Ok(()), Some(f)) if f < env.settings.limits.max_message_bytes as u64 => "low on space",
        (Ok(()), _) => "ok",
    };
    let database = json!({
        "backend": store.backend().as_str(),
        "state": state,
        "writable": probe.is_ok(),
        "free_bytes": free,
        "error": probe.err().map(|e| e.to_string()),
    });
    let v = json!({
        "database": database,
        "outgoing": relay,
        "tickets": counts(queries::tickets_by_status(&mut conn)?),
        "mail": counts(queries::inbound_outcomes(&mut conn)?),
        "outbox": counts(queries::outbox_by_state(&mut conn)?),
        "outbox_unrenderable": queries::unrenderable_outbox(&mut conn)?
            .into_iter()
            .map(|(id, state, template, lang, why)| {
                json!({ "id": id, "state": state, "template": template, "lang": lang, "error": why })
            })
            .collect::<Vec<_>>(),
        "quarantine_held": queries::quarantine_held(&mut conn)?,
        "sla_timers": counts(queries::timers_by_state(&mut conn)?),
        "surveys": counts(queries::surveys_by_state(&mut conn)?),
        "retention": counts(crate::store::retention::totals(&mut conn)?),
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
    let db = &v["database"];
    let mut line_db =
        format!("{}, {}", db["backend"].as_str().unwrap_or_default(), db["state"].as_str().unwrap_or_default());
    if let Some(f) = db["free_bytes"].as_u64() {
        line_db.push_str(&format!(", {:.1} MB free", f as f64 / 1e6));
    }
    if let Some(e) = db["error"].as_str() {
        line_db.push_str(&format!(": {e}"));
    }
    println!("database:   {line_db}");
    let outgoing = &v["outgoing"];
    if !outgoing.is_null() {
        println!("relay:      {}", health_line(outgoing, "last mail sent"));
    }
    println!("tickets:    {}", line(&v["tickets"]));
    println!("mail in:    {}", line(&v["mail"]));
    println!("mail out:   {}", line(&v["outbox"]));
    for r in v["outbox_unrenderable"].as_array().into_iter().flatten() {
        let state = if r["state"] == "pending" { "to retry" } else { "failed" };
        println!("  {state} {}: {}", r["id"], r["error"].as_str().unwrap_or_default());
    }
    println!("quarantine: {} held", v["quarantine_held"]);
    println!("SLA timers: {}", line(&v["sla_timers"]));
    println!("surveys:    {}", line(&v["surveys"]));
    println!("retention:  {}", line(&v["retention"]));
    for m in v["mailboxes"].as_array().into_iter().flatten() {
        let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
        println!("mailbox {} <{}>: {} ({})", s("name"), s("address"), s("source"), health_line(m, "last good poll"));
    }
    Ok(ExitCode::SUCCESS)
}
