//! `guichet contact export|erase`: the rights of the people who write to
//! the desk. Export hands them what the desk holds; erase takes it out.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use crate::domain::history::Visibility;
use crate::mail::inbound::InboundMail;
use crate::notify::render::{render_row, RenderError};
use crate::store::models::Contact;
use crate::store::queries::audit::{cli_actor as actor, record, record_outcome, AuditEntry, Outcome};
use crate::store::schema::*;
use crate::store::{privacy, queries, retention, Conn};

use super::{exit, time, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Everything the desk holds about a person: a JSON document (contact,
    /// their tickets with the public articles and the ones they wrote,
    /// surveys, mail sent to them) and the mails themselves as `.eml`, in a
    /// folder, or in one archive when OUT ends in `.tar`.
    Export {
        address: String,
        /// Where to write it [default: ./guichet-export-<contact number>]
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Erases a person: their raw mail deleted, what they wrote replaced
    /// by a short note, their address and name replaced everywhere by a
    /// pseudonym, mail not yet sent to them cancelled. Cannot be undone.
    Erase {
        address: String,
        /// Do it without asking (needed when not on a terminal)
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    match cmd {
        Command::Export { address, out } => export(env, &address, out),
        Command::Erase { address, yes } => erase(env, &address, yes),
    }
}

fn known_contact(conn: &mut Conn, address: &str) -> Result<Contact, Failure> {
    if !crate::domain::is_address(address) {
        return Err(Failure::new(exit::USAGE, anyhow::anyhow!("`{address}` is not an e-mail address")));
    }
    privacy::contact_by_address(conn, address)?.ok_or_else(|| {
        Failure::new(
            exit::FAILURE,
            anyhow::anyhow!("the desk knows no one at `{address}` (no contact with that address)"),
        )
    })
}

fn export(env: Env, address: &str, out: Option<PathBuf>) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let mut conn = store.conn()?;
    let contact = known_contact(&mut conn, address)?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("guichet-export-{}", contact.id)));
    let templates = crate::notify::templates::Templates::lazy(
        env.settings.templates_dir.as_deref(),
        &env.settings.tickets.languages,
    );
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();

    let ticket_ids = privacy::tickets_of(&mut conn, &contact)?;
    let mut tickets = Vec::new();
    for id in &ticket_ids {
        let Some(t) = queries::ticket(&mut conn, *id)? else { continue };
        let watcher = queries::watchers(&mut conn, *id)?.iter().any(|w| w.id == contact.id);
        let role = if t.requester_id == contact.id {
            "requester"
        } else if watcher {
            "watcher"
        } else {
            "participant"
        };
        let mut articles = Vec::new();
        let all = queries::articles(&mut conn, *id)?;
        let ids: Vec<i64> = all.iter().map(|a| a.id).collect();
        let attachments = queries::attachments_of(&mut conn, &ids)?;
        for a in all {
            let theirs = a.from_addr.eq_ignore_ascii_case(&contact.email);
            // Internal notes are the desk's own, unless they wrote them.
            if a.visibility() != Ok(Visibility::Public) && !theirs {
                continue;
            }
            let mut raw_file = None;
            if let (true, Some(raw)) = (theirs, a.raw_message_id) {
                let bytes = queries::raw_content(&mut conn, raw)?;
                if !bytes.is_empty() {
                    let name = format!("inbound/article-{}.eml", a.id);
                    files.push((name.clone(), bytes));
                    raw_file = Some(name);
                }
            }
            articles.push(json!({
                "id": a.id,
                "direction": a.direction().map(|d| d.as_str()).unwrap_or("unknown"),
                "from": a.from_addr, "from_name": a.from_name,
                "to": a.to_addrs, "cc": a.cc_addrs, "subject": a.subject,
                "text": a.body_text, "html": a.body_html, "message_id": a.message_id,
                "created_at": time(a.created_at),
                "attachments": attachments.iter().filter(|f| f.article_id == a.id).map(|f| json!({
                    "filename": f.filename, "content_type": f.content_type, "size": f.size, "sha256": f.sha256,
                })).collect::<Vec<_>>(),
                "raw": raw_file,
            }));
        }
        tickets.push(json!({
            "number": t.id, "role": role, "subject": t.subject, "type": t.ticket_type, "status": t.status,
            "created_at": time(t.created_at), "closed_at": t.closed_at.map(time),
            "articles": articles,
        }));
    }

    let requested: Vec<i64> = {
        use diesel::prelude::*;
        tickets::table.filter(tickets::requester_id.eq(contact.id)).select(tickets::id).load(&mut *conn)?
    };
    let mut surveys = Vec::new();
    for t in requested {
        if let Some(s) = queries::survey_of(&mut conn, t)?.filter(|s| s.rating.is_some() || !s.comment.is_empty()) {
            surveys.push(json!({
                "ticket": t, "rating": s.rating, "comment": s.comment,
                "answered_via": s.answered_via, "answered_at": s.answered_at.map(time),
            }));
        }
    }

    let mut sent = Vec::new();
    for row in privacy::outbox_to(&mut conn, &contact.email)? {
        let (file, error) = match render_row(&mut conn, &env.settings, &templates, &row) {
            Ok(mail) => {
                let name = format!("outbound/mail-{}.eml", row.id);
                files.push((name.clone(), mail.bytes));
                (Some(name), None)
            }
            Err(RenderError::Store(e)) => return Err(e.into()),
            Err(e) => (None, Some(e.to_string())),
        };
        sent.push(json!({
            "id": row.id, "ticket": row.ticket_id, "template": row.template, "subject": row.subject,
            "recipients": row.recipients, "state": row.state, "message_id": row.message_id,
            "created_at": time(row.created_at), "sent_at": row.sent_at.map(time),
            "file": file, "render_error": error,
        }));
    }

    let mut held = Vec::new();
    for q in queries::quarantined(&mut conn, true)? {
        let bytes = queries::raw_content(&mut conn, q.raw_message_id)?;
        let from = InboundMail::parse_head(&bytes).map(|m| m.from.email).unwrap_or_default();
        if bytes.is_empty() || !from.eq_ignore_ascii_case(&contact.email) {
            continue;
        }
        let name = format!("quarantine/entry-{}.eml", q.id);
        files.push((name.clone(), bytes));
        held.push(json!({
            "id": q.id, "reason": q.reason, "state": q.state, "created_at": time(q.created_at), "raw": name,
        }));
    }

    let document = json!({
        "address": contact.email,
        "exported_at": time(env.clock.now().naive_utc()),
        "contact": {
            "email": contact.email, "name": contact.name, "language": contact.language,
            "created_at": time(contact.created_at),
        },
        "tickets": tickets,
        "surveys": surveys,
        "outbox": sent,
        "quarantine": held,
    });
    let mut text = serde_json::to_vec_pretty(&document).unwrap_or_default();
    text.push(b'\n');
    files.insert(0, ("export.json".to_string(), text));
    write_export(&out, &files)?;

    let now = env.clock.now().naive_utc();
    let subject = format!("contact:{}", contact.id);
    let detail = format!("{} ticket(s), {} file(s)", ticket_ids.len(), files.len());
    store.write(|c| -> Result<(), crate::store::StoreError> {
        retention::log_action(c, "exported", &subject, now)?;
        let entry = AuditEntry { actor: &actor(), action: "contact.export", subject: &subject, detail: &detail };
        Ok(record(c, &entry, now)?)
    })?;
    println!(
        "exported {} ticket(s), {} mail(s) sent, {} file(s) to {}",
        document["tickets"].as_array().map_or(0, Vec::len),
        document["outbox"].as_array().map_or(0, Vec::len),
        files.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the files into a new (or empty) folder, or one `.tar` archive.
fn write_export(out: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
    let fail =
        |what: &str, e: std::io::Error| Failure::new(exit::FAILURE, anyhow::anyhow!("{what} {}: {e}", out.display()));
    if out.extension().is_some_and(|e| e == "tar") {
        if out.exists() {
            return Err(Failure::new(
                exit::FAILURE,
                anyhow::anyhow!("{} exists already: not overwritten", out.display()),
            ));
        }
        let mut tar = Vec::new();
        for (name, bytes) in files {
            tar_entry(&mut tar, name, bytes);
        }
        tar.extend_from_slice(&[0u8; 1024]);
        return std::fs::write(out, tar).map_err(|e| fail("cannot write", e));
    }
    if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Failure::new(
            exit::FAILURE,
            anyhow::anyhow!("{} is not empty: choose a new folder", out.display()),
        ));
    }
    for (name, bytes) in files {
        let path = out.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail("cannot create", e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| fail("cannot write into", e))?;
    }
    Ok(())
}

/// One file of a ustar archive (names are ours: short and ASCII).
fn tar_entry(tar: &mut Vec<u8>, name: &str, bytes: &[u8]) {
    let mut h = [0u8; 512];
    let n = name.as_bytes();
    h[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
    let octal = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
        let s = format!("{v:0width$o}\0", width = len - 1);
        h[at..at + len].copy_from_slice(s.as_bytes());
    };
    octal(&mut h, 100, 8, 0o600);
    octal(&mut h, 108, 8, 0);
    octal(&mut h, 116, 8, 0);
    octal(&mut h, 124, 12, bytes.len() as u64);
    octal(&mut h, 136, 12, 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    tar.extend_from_slice(&h);
    tar.extend_from_slice(bytes);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
}

fn erase(env: Env, address: &str, yes: bool) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    if env.settings.technician(&address.to_lowercase()).is_some() {
        let now = env.clock.now().naive_utc();
        let entry = AuditEntry {
            actor: &actor(),
            action: "contact.erase",
            subject: "technician",
            detail: "refused: a technician's address",
        };
        store.write(|c| -> Result<(), crate::store::StoreError> {
            Ok(record_outcome(c, &entry, Outcome::Refused, now)?)
        })?;
        return Err(Failure::new(
            exit::FAILURE,
            anyhow::anyhow!(
                "`{address}` is a technician's address (in the config's [[technician]]): technicians are not \
                 erased; remove them from the config first"
            ),
        ));
    }
    let contact = {
        let mut conn = store.conn()?;
        let contact = known_contact(&mut conn, address)?;
        let tickets = privacy::tickets_of(&mut conn, &contact)?;
        if !yes {
            if !std::io::stdin().is_terminal() {
                return Err(Failure::new(
                    exit::USAGE,
                    anyhow::anyhow!(
                        "erasing `{address}` ({} ticket(s)) cannot be undone: add --yes to confirm",
                        tickets.len()
                    ),
                ));
            }
            print!(
                "Erase `{address}` from {} ticket(s)? This cannot be undone. Type the address to confirm: ",
                tickets.len()
            );
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            if !answer.trim().eq_ignore_ascii_case(address) {
                return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("not confirmed: nothing erased")));
            }
        }
        contact
    };
    let now = env.clock.now().naive_utc();
    let actor = actor();
    let done = store.write(|conn| -> Result<privacy::Erased, crate::store::StoreError> {
        let done = privacy::erase(conn, &contact, &actor, now)?;
        let subject = format!("contact:{}", contact.id);
        retention::log_action(conn, "erased", &subject, now)?;
        let detail = format!("now {} on {} ticket(s)", done.pseudonym, done.tickets.len());
        record(conn, &AuditEntry { actor: &actor, action: "contact.erase", subject: &subject, detail: &detail }, now)?;
        Ok(done)
    })?;
    println!(
        "erased: now {} on {} ticket(s); {} article(s) replaced, {} raw mail(s) deleted, {} held mail(s) taken out of quarantine, \
         {} unsent mail(s) cancelled",
        done.pseudonym,
        done.tickets.len(),
        done.articles_blanked,
        done.raw_mail_deleted,
        done.quarantine_removed,
        done.outbox_cancelled
    );
    Ok(ExitCode::SUCCESS)
}
