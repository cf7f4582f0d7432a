//! `guichet template preview` and `guichet template export`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::domain::history::Visibility;
use crate::domain::ticket::Lang;
use crate::mail::inbound::Mailbox;
use crate::notify::outbox::{with_title, ArticleView, ChangeView, Desk, Notice};
use crate::notify::templates::{builtin_files, TemplateContext, TemplateName, PARTS};
use crate::store::queries;

use super::{exit, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Render a template: against a real ticket, or a sample one. The
    /// Subject shown is the one sent: `[Tag #N] <the ticket's subject>` for
    /// mail about a ticket, whose template `subject` part is the title on
    /// the body's first line.
    Preview {
        /// A template name: acknowledgement, reply, new_article, status_changed, assigned, sla_warning, sla_breached, pending_reminder, auto_closed, survey, low_rating, … (`guichet check` lists problems)
        name: String,
        /// Use this ticket and its last article
        #[arg(long)]
        ticket: Option<i64>,
        /// fr, en, de, es, it or nl [default: the ticket's language, or the config's]
        #[arg(long)]
        lang: Option<String>,
    },
    /// Write the built-in templates to DIR/<lang>/<name>.<part>.hbs, for an
    /// admin to start overrides from: keep the files you change, set
    /// `[templates] dir = "DIR"`, and `guichet check`. Needs no config.
    Export {
        /// Where to write them (created if missing)
        dir: PathBuf,
        /// Only this language: fr, en, de, es, it or nl [default: all]
        #[arg(long)]
        lang: Option<String>,
        /// Overwrite files that already exist
        #[arg(long)]
        force: bool,
    },
}

pub fn run(config: Option<PathBuf>, cmd: Command) -> Result<ExitCode, Failure> {
    match cmd {
        Command::Export { dir, lang, force } => export(&dir, lang, force),
        Command::Preview { name, ticket, lang } => preview(Env::load(config)?, name, ticket, lang),
    }
}

/// Writes the built-in set. Nothing is written when a file is there already
/// (unless `force`): an admin's edits are never replaced by surprise.
fn export(dir: &Path, lang: Option<String>, force: bool) -> Result<ExitCode, Failure> {
    let lang: Option<Lang> = lang.map(|l| l.parse()).transpose().map_err(|e| Failure::new(2, e))?;
    let files: Vec<(PathBuf, &str)> = builtin_files()
        .iter()
        .filter(|(l, ..)| lang.is_none_or(|want| want.as_str() == *l))
        .map(|(l, name, part, source)| (dir.join(l).join(format!("{name}.{part}.hbs")), *source))
        .collect();
    if !force {
        let there: Vec<String> =
            files.iter().filter(|(p, _)| p.exists()).map(|(p, _)| format!("  {}", p.display())).collect();
        if !there.is_empty() {
            return Err(Failure::new(
                exit::FAILURE,
                anyhow::anyhow!(
                    "{} file(s) already exist, nothing written (give --force to overwrite them):\n{}",
                    there.len(),
                    there.join("\n")
                ),
            ));
        }
    }
    for (path, source) in &files {
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, source))
            .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("cannot write {}: {e}", path.display())))?;
        println!("wrote {}", path.display());
    }
    println!("{} built-in template files written to {}", files.len(), dir.display());
    Ok(ExitCode::SUCCESS)
}

fn preview(env: Env, name: String, ticket: Option<i64>, lang: Option<String>) -> Result<ExitCode, Failure> {
    let lang: Option<Lang> = lang.map(|l| l.parse()).transpose().map_err(|e| Failure::new(2, e))?;
    let templates = env.templates()?;
    if !templates.has(&name) {
        let known = templates.names().join(", ");
        return Err(Failure::new(2, anyhow::anyhow!("unknown template `{name}` (known: {known})")));
    }
    let template = &name;
    let settings = &env.settings;
    // Mail about a ticket has the ticket's subject whatever the template
    // says (see `Desk::subject`).
    let about_ticket = name.parse::<TemplateName>().is_ok_and(|n| n.is_about_a_ticket());
    let (lang, ctx, subject) = match ticket {
        None => {
            let lang = lang.unwrap_or(settings.tickets.language);
            let ctx = TemplateContext::sample(lang);
            let subject = format!("{} {}", ctx.ticket.tag, ctx.ticket.subject);
            (lang, ctx, subject)
        }
        Some(n) => {
            let store = env.store()?;
            let mut conn = store.conn()?;
            let Some(t) = queries::ticket(&mut conn, n)? else {
                return Err(Failure::new(exit::FAILURE, anyhow::anyhow!("there is no ticket {n}")));
            };
            let lang = lang.or(t.language.parse().ok()).unwrap_or(settings.tickets.language);
            let requester = queries::contact(&mut conn, t.requester_id)?;
            let last = queries::articles(&mut conn, t.id)?.pop();
            let article = last
                .map(|a| ArticleView {
                    internal: a.visibility() == Ok(Visibility::Internal),
                    from_name: a.from_name,
                    from_email: a.from_addr,
                    subject: a.subject,
                    text: a.trimmed_text,
                    html: None,
                    is_new_ticket: false,
                    attachments: Vec::new(),
                })
                .unwrap_or_default();
            let status = t.status.parse().ok();
            let recipient = Mailbox { email: requester.email, name: requester.name };
            let notice = Notice {
                change: ChangeView { old: status, new: status, by_name: String::new() },
                ..Notice::automatic(template, lang, vec![recipient.clone()], &settings.outgoing.from_name, article)
            };
            let desk = Desk { settings, templates: &templates, now: env.clock.now() };
            let ctx = desk.context(&mut conn, &t, &notice, &recipient)?;
            (lang, ctx, desk.subject(&t))
        }
    };
    let r = templates.render(template, lang, &ctx).map_err(|e| Failure::new(exit::CONFIG, anyhow::anyhow!(e)))?;
    let (subject, text, html) = if about_ticket {
        let (text, html) = with_title(r.text, r.html, &r.title);
        (subject, text, html)
    } else {
        (r.title, r.text, r.html)
    };
    // Which file each part comes from: built in, or the override.
    for part in PARTS {
        let origin = templates.origin(lang, template, part).map_or_else(|| "missing".to_string(), |o| o.to_string());
        println!("Source {part}: {origin}");
    }
    println!("Subject: {}\n\n--- text ---\n{}\n--- html ---\n{}", subject, text, html);
    Ok(ExitCode::SUCCESS)
}
