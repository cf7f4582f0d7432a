//! `guichet template preview`

use std::process::ExitCode;

use crate::domain::history::Visibility;
use crate::domain::ticket::Lang;
use crate::mail::inbound::Mailbox;
use crate::notify::outbox::{with_title, ArticleView, ChangeView, Desk, Notice};
use crate::notify::templates::{TemplateContext, TemplateName};
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
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    let Command::Preview { name, ticket, lang } = cmd;
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
    println!("Subject: {}\n\n--- text ---\n{}\n--- html ---\n{}", subject, text, html);
    Ok(ExitCode::SUCCESS)
}
