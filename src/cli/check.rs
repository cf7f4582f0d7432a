//! `guichet check`

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{ConfigError, MailboxKind, Settings, Transport, DEFAULT_PATH};
use crate::notify::templates::{TemplateName, Templates};

use super::{exit, Failure};

/// Validate the config, the templates (rendered in strict mode against a
/// sample ticket) and the paths they name; print every problem.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(config: Option<PathBuf>, _args: Args) -> Result<ExitCode, Failure> {
    let path = config.unwrap_or_else(|| PathBuf::from(DEFAULT_PATH));
    let mut problems: Vec<String> = Vec::new();
    match Settings::load(&path) {
        Err(ConfigError::Invalid { problems: p, .. }) => {
            problems.extend(p.iter().map(|p| format!("{}: {p}", path.display())))
        }
        Err(e) => problems.push(e.to_string()),
        Ok(settings) => {
            for (i, m) in settings.mailboxes.iter().enumerate() {
                let MailboxKind::Maildir { path: dir } = &m.kind else { continue };
                if !dir.join("new").is_dir() {
                    problems.push(format!(
                        "{}: `mailbox[{i}].path`: {} is not a maildir (no new/ directory)",
                        path.display(),
                        dir.display()
                    ));
                }
            }
            if let Transport::File { dir } = &settings.outgoing.transport {
                if dir.exists() && !dir.is_dir() {
                    problems.push(format!("{}: `outgoing.dir`: {} is not a directory", path.display(), dir.display()));
                }
            }
            if !settings.templates_dir.is_dir() {
                let dir = settings.templates_dir.display();
                problems.push(format!("{}: `templates.dir`: {dir} is not a directory", path.display()));
            } else {
                match Templates::load(&settings.templates_dir, &settings.tickets.languages) {
                    Err(p) => problems.extend(p.iter().map(|p| p.to_string())),
                    Ok(t) => {
                        // A rule naming a template that does not exist would
                        // hold every mail it matches.
                        for (i, rule) in settings.rules.iter().enumerate() {
                            if let Some(name) = rule.then.template.as_deref().filter(|n| !t.has(n)) {
                                problems.push(format!(
                                    "{}: `rule[{i}].then.template`: no template `{name}` in {} (known: {})",
                                    path.display(),
                                    settings.templates_dir.display(),
                                    t.names().join(", ")
                                ));
                            }
                        }
                        // A template of the admin's own that no rule names is never
                        // sent: a misspelt file name, or one left behind.
                        for name in t.names() {
                            let named =
                                settings.rules.iter().any(|r| r.then.template.as_deref() == Some(name.as_str()));
                            if matches!(name.parse(), Ok(TemplateName::Custom(_))) && !named {
                                problems.push(format!(
                                    "{}: unknown template `{name}`: not one guichet sends ({}) and no rule names it",
                                    settings.templates_dir.display(),
                                    TemplateName::OURS.iter().map(TemplateName::as_str).collect::<Vec<_>>().join(", ")
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        if let Ok(settings) = Settings::load(&path) {
            dkim_notes(&settings);
        }
        println!("{}: config and templates are valid", path.display());
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            println!("{p}");
        }
        eprintln!("guichet: {} problem(s) found", problems.len());
        Ok(ExitCode::from(exit::CONFIG))
    }
}

/// Which key signs each address's mail, once DKIM is set up: an address
/// left unsigned is not an error, but seldom meant.
fn dkim_notes(settings: &Settings) {
    let keys = &settings.outgoing.dkim;
    if keys.is_empty() {
        return;
    }
    let mut addresses: Vec<&str> = settings.mailboxes.iter().map(|m| m.address.as_str()).collect();
    addresses.dedup();
    for address in addresses {
        match crate::mail::dkim::key_for(keys, address) {
            Some(k) => println!(
                "mail from {address} is DKIM-signed: d={} s={} a={}",
                k.domain,
                k.selector,
                k.algorithm.as_str()
            ),
            None => println!("note: mail from {address} goes out unsigned: no [[outgoing.dkim]] covers its domain"),
        }
    }
}
