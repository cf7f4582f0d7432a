//! `guichet ingest`

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::ingest::pipeline::{ingest_batch, GROUP_BYTES, GROUP_MAILS};
use crate::ingest::{ingest, Outcome};
use crate::notify::outbox::Desk;
use crate::notify::templates::Templates;

use super::{exit, Env, Failure};

/// Store mail given as files, or one mail on stdin (for an MTA pipe).
///
/// Exits 0 when every mail was stored or quarantined, 75 when one could
/// not be stored for now (locked or unwritable database, broken config):
/// the MTA keeps the mail and tries again.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mailbox the mail arrived in [default: the first one]
    #[arg(long)]
    mailbox: Option<String>,
    /// Print one JSON object per mail
    #[arg(long)]
    json: bool,
    /// Mail files (RFC 5322); stdin when none
    files: Vec<PathBuf>,
}

pub fn run(config: Option<PathBuf>, args: Args) -> Result<ExitCode, Failure> {
    // Whatever stops us before the mail is stored is temporary for the MTA:
    // an admin fixes the config, the MTA delivers again.
    let temp = |f: Failure| Failure { code: exit::TEMPFAIL, ..f };
    let env = Env::load(config).map_err(temp)?;
    // Compiled as they are needed: a process per mail renders two or three.
    let templates = Templates::lazy(&env.settings.templates_dir, &env.settings.tickets.languages);
    let store = env.store().map_err(temp)?;
    let settings = &env.settings;
    let mailbox = match &args.mailbox {
        Some(name) => settings.mailbox(name).ok_or_else(|| {
            Failure::new(exit::TEMPFAIL, anyhow::anyhow!("no mailbox named `{name}` in {}", settings.path.display()))
        })?,
        None => settings
            .mailboxes
            .first()
            .ok_or_else(|| Failure::new(exit::TEMPFAIL, anyhow::anyhow!("no [[mailbox]] configured")))?,
    };

    let inputs: Vec<(String, Vec<u8>)> = if args.files.is_empty() {
        let mut raw = Vec::new();
        std::io::stdin()
            .read_to_end(&mut raw)
            .map_err(|e| Failure::new(exit::TEMPFAIL, anyhow::anyhow!("cannot read stdin: {e}")))?;
        vec![("stdin".to_string(), raw)]
    } else {
        let mut v = Vec::new();
        for f in &args.files {
            let raw =
                std::fs::read(f).map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("{}: {e}", f.display())))?;
            v.push((f.display().to_string(), raw));
        }
        v
    };

    let mut code = ExitCode::SUCCESS;
    // Mails go in groups, one commit each; a group that fails goes again
    // one mail at a time, so that each file gets its own answer.
    for group in groups(&inputs) {
        let desk = Desk { settings, templates: &templates, now: env.clock.now() };
        let mails: Vec<(Option<&str>, &[u8])> = group.iter().map(|(_, raw)| (None, raw.as_slice())).collect();
        if let Ok(outcomes) = ingest_batch(&store, &desk, mailbox, &mails) {
            for ((name, _), outcome) in group.iter().zip(&outcomes) {
                print_outcome(name, outcome, args.json);
            }
            continue;
        }
        for (name, raw) in group {
            match ingest(&store, &desk, mailbox, None, raw) {
                Ok(outcome) => print_outcome(name, &outcome, args.json),
                Err(e) => {
                    // Whatever the store's trouble, the mail is not stored: the MTA
                    // must keep it (75) rather than bounce it (any other code).
                    eprintln!("guichet: {name}: {e}");
                    code = ExitCode::from(exit::TEMPFAIL);
                }
            }
        }
    }
    Ok(code)
}

/// The mails in groups of one commit each (see [`GROUP_MAILS`]).
fn groups<T: AsRef<[u8]>, N>(mails: &[(N, T)]) -> Vec<&[(N, T)]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, raw)) in mails.iter().enumerate() {
        let size = raw.as_ref().len();
        if i > start && (i - start == GROUP_MAILS || bytes + size > GROUP_BYTES) {
            out.push(&mails[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < mails.len() {
        out.push(&mails[start..]);
    }
    out
}

pub fn print_outcome(name: &str, outcome: &Outcome, json: bool) {
    if json {
        let mut v = serde_json::to_value(outcome).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("source".into(), name.into());
        }
        println!("{v}");
        return;
    }
    println!("{name}: {}", outcome_text(outcome));
}

/// What became of a mail, in words.
pub fn outcome_text(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ticket { ticket } => format!("new ticket #{ticket}"),
        Outcome::Article { ticket } => format!("added to ticket #{ticket}"),
        Outcome::Automatic { kind, ticket } => format!(
            "automatic mail ({}){}, not answered",
            kind.as_str(),
            ticket.map(|t| format!(" about ticket #{t}")).unwrap_or_default()
        ),
        Outcome::Quarantined { id, reason } => format!("quarantined (entry {id}): {reason}"),
        Outcome::Duplicate { ticket } => {
            format!("already stored{}", ticket.map(|t| format!(" (ticket #{t})")).unwrap_or_default())
        }
        Outcome::Answered { question } => format!("question `{question}` answered, nothing opened"),
    }
}
