//! `guichet check`

use std::path::{Path, PathBuf};
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
    let mut notes: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
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
            match Templates::load(settings.templates_dir.as_deref(), &settings.tickets.languages) {
                Err(p) => problems.extend(p.iter().map(|p| p.to_string())),
                Ok(t) => {
                    template_problems(&path, &settings, &t, &mut problems);
                    notes.extend(template_notes(&settings, &t));
                }
            }
            warnings = crate::config::warnings(&settings);
        }
    }
    for note in &notes {
        println!("{note}");
    }
    for w in &warnings {
        println!("warning: {w}");
    }
    if problems.is_empty() {
        if let Ok(settings) = Settings::load(&path) {
            dkim_notes(&settings);
        }
        match warnings.len() {
            0 => println!("{}: config and templates are valid", path.display()),
            n => println!("{}: config and templates are valid, with {n} warning(s)", path.display()),
        }
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            println!("{p}");
        }
        eprintln!("guichet: {} problem(s) found", problems.len());
        Ok(ExitCode::from(exit::CONFIG))
    }
}

/// A rule naming a template that does not exist would hold every mail it
/// matches; a template of the admin's own that no rule names is never sent:
/// a misspelt file name, or one left behind.
fn template_problems(path: &Path, settings: &Settings, t: &Templates, problems: &mut Vec<String>) {
    let dir = || settings.templates_dir.as_ref().map_or("the built-in set".to_string(), |d| d.display().to_string());
    for (i, rule) in settings.rules.iter().enumerate() {
        if let Some(name) = rule.then.template.as_deref().filter(|n| !t.has(n)) {
            problems.push(format!(
                "{}: `rule[{i}].then.template`: no template `{name}` in {} (known: {})",
                path.display(),
                dir(),
                t.names().join(", ")
            ));
        }
    }
    for name in t.names() {
        let named = settings.rules.iter().any(|r| r.then.template.as_deref() == Some(name.as_str()));
        if !matches!(name.parse(), Ok(TemplateName::Custom(_))) || named {
            continue;
        }
        for file in t.overrides().iter().filter(|o| &o.name == name) {
            problems.push(format!(
                "{}: unknown template `{name}`: not one guichet sends ({}) and no rule names it",
                file.path.display(),
                TemplateName::OURS.iter().map(TemplateName::as_str).collect::<Vec<_>>().join(", ")
            ));
        }
    }
}

/// How many templates are built in, then each file of the override
/// directory and what it replaces.
fn template_notes(settings: &Settings, t: &Templates) -> Vec<String> {
    let mut notes = vec![format!(
        "templates: {} built in, in {} languages ({} files)",
        TemplateName::OURS.len(),
        crate::domain::ticket::Lang::ALL.len(),
        crate::notify::templates::builtin_files().len()
    )];
    if let Some(dir) = &settings.templates_dir {
        notes.push(format!("templates: {} override(s) in {}", t.overrides().len(), dir.display()));
    }
    for o in t.overrides() {
        let what = if o.replaces_builtin() {
            format!("replaces built-in {}/{}.{}.hbs", o.lang, o.name, o.part)
        } else {
            format!("template of its own `{}` ({} part, {})", o.name, o.part, o.lang)
        };
        let unused = if settings.tickets.languages.contains(&o.lang) {
            ""
        } else {
            " (a language the desk does not answer in: not sent)"
        };
        notes.push(format!("  {}: {what}{unused}", o.path.display()));
    }
    notes
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
