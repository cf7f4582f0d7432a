//! `guichet template preview`

use std::process::ExitCode;

use crate::domain::ticket::Lang;
use crate::mail::inbound::Mailbox;
use crate::notify::outbox::{ArticleView, ChangeView, Desk, Notice};
use crate::notify::templates::sample_context;
use crate::store::queries;

use super::{exit, Env, Failure};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Render a template: against a real ticket, or a sample one.
    Preview {
        /// A template name: acknowledgement, reply, new_article, status_changed, assigned, sla_warning, sla_breached, pending_reminder, auto_closed, survey, low_rating, … (`guichet check` lists problems)
        name: String,
        /// Use this ticket and its last article
        #[arg(long)]
        ticket: Option<i64>,
        /// fr or en [default: the ticket's language, or the config's]
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
    let (lang, ctx) = match ticket {
        None => {
            let lang = lang.unwrap_or(settings.tickets.language);
            (lang, sample_context(lang))
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
                    from_name: a.from_name,
                    from_email: a.from_addr,
                    subject: a.subject,
                    text: a.trimmed_text,
                    html: None,
                    is_new_ticket: false,
                    internal: a.visibility == "internal",
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
            (lang, ctx)
        }
    };
    let r = templates.render(template, lang, &ctx).map_err(|e| Failure::new(exit::CONFIG, anyhow::anyhow!(e)))?;
    println!("Subject: {}\n\n--- text ---\n{}\n--- html ---\n{}", r.subject, r.text, r.html);
    Ok(ExitCode::SUCCESS)
}
