//! A Maildir source: every file in `new/` and `cur/`, oldest name first.
//! A message is ingested (committed) before the mailbox's `after` action
//! touches it; the store remembers each message by the unique part of its
//! file name, which survives the flag changes other clients make.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::config::{AfterAction, Mailbox, MailboxKind};
use crate::notify::outbox::Desk;
use crate::store::{queries, Store, StoreError};

use super::pipeline::{ingest_in_order, IngestError, Outcome, GROUP_BYTES, GROUP_MAILS};

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("cannot read maildir {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Ingest { path: PathBuf, source: IngestError },
}

impl PollError {
    pub fn is_transient(&self) -> bool {
        match self {
            PollError::Io { .. } => true,
            PollError::Ingest { source, .. } => source.is_transient(),
        }
    }
}

/// The file name without the `:2,FLAGS` info part.
fn unique_name(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match name.split_once(':') {
        Some((unique, _)) => unique.to_string(),
        None => name,
    }
}

fn list(root: &Path) -> Result<Vec<PathBuf>, PollError> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let dir = root.join(sub);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && sub == "cur" => continue,
            Err(source) => return Err(PollError::Io { path: dir, source }),
        };
        for entry in entries {
            let entry = entry.map_err(|source| PollError::Io { path: dir.clone(), source })?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort_by_key(|p| unique_name(p));
    Ok(files)
}

/// A maildir being polled. With `after = "keep"` the files stay, so the
/// poller remembers which it has stored and does not read them again.
#[derive(Debug, Default)]
pub struct MaildirSource {
    known: HashSet<String>,
}

impl MaildirSource {
    pub fn new() -> MaildirSource {
        MaildirSource::default()
    }

    /// Ingests every message not yet stored, then applies the `after`
    /// action; `stored` hears of each mail as soon as it is committed (a
    /// pass over a backlog keeps nothing per mail but its name).
    pub fn poll(
        &mut self,
        store: &Store,
        desk: &Desk<'_>,
        mailbox: &Mailbox,
        stored: &mut dyn FnMut(&Path, &Outcome),
    ) -> Result<(), PollError> {
        let MailboxKind::Maildir { path: root } = &mailbox.kind else {
            return Ok(());
        };
        let keep = mailbox.after == AfterAction::Keep;
        let mut waiting: Vec<(PathBuf, String, Vec<u8>)> = Vec::new();
        let mut bytes = 0;
        for path in list(root)? {
            let key = unique_name(&path);
            if self.known.contains(&key) {
                continue;
            }
            if keep
                && already_read(store, &mailbox.name, &key)
                    .map_err(|e| PollError::Ingest { path: path.clone(), source: e.into() })?
            {
                self.known.insert(key);
                continue;
            }
            let raw = match std::fs::read(&path) {
                Ok(raw) => raw,
                // Another client moved or removed it meanwhile: not ours to lose.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(PollError::Io { path, source }),
            };
            bytes += raw.len();
            waiting.push((path, key, raw));
            if waiting.len() == GROUP_MAILS || bytes > GROUP_BYTES {
                self.store_group(store, desk, mailbox, &mut waiting, stored)?;
                bytes = 0;
            }
        }
        self.store_group(store, desk, mailbox, &mut waiting, stored)
    }

    /// Stores `waiting` in one commit, then applies the `after` action to
    /// each file. When the group fails, its mails go one at a time, and
    /// the first that cannot be stored stops the pass.
    fn store_group(
        &mut self,
        store: &Store,
        desk: &Desk<'_>,
        mailbox: &Mailbox,
        waiting: &mut Vec<(PathBuf, String, Vec<u8>)>,
        stored: &mut dyn FnMut(&Path, &Outcome),
    ) -> Result<(), PollError> {
        let MailboxKind::Maildir { path: root } = &mailbox.kind else { return Ok(()) };
        if waiting.is_empty() {
            return Ok(());
        }
        let mails: Vec<(Option<&str>, &[u8])> =
            waiting.iter().map(|(_, key, raw)| (Some(key.as_str()), raw.as_slice())).collect();
        let (outcomes, failure) = ingest_in_order(store, desk, mailbox, &mails);
        let failure = failure.map(|source| PollError::Ingest { path: waiting[outcomes.len()].0.clone(), source });
        // Stored: the file may go now.
        let done = outcomes.len();
        for ((path, key, _), outcome) in waiting.drain(..done).zip(outcomes) {
            after(&mailbox.after, root, &path)?;
            if mailbox.after == AfterAction::Keep {
                self.known.insert(key);
            }
            stored(&path, &outcome);
        }
        waiting.clear();
        failure.map_or(Ok(()), Err)
    }
}

fn already_read(store: &Store, mailbox: &str, key: &str) -> Result<bool, StoreError> {
    Ok(queries::source_seen(&mut *store.conn()?, mailbox, key)?)
}

fn after(action: &AfterAction, root: &Path, path: &Path) -> Result<(), PollError> {
    let io = |source| PollError::Io { path: path.to_path_buf(), source };
    match action {
        AfterAction::Keep => Ok(()),
        AfterAction::Delete => std::fs::remove_file(path).map_err(io),
        AfterAction::Move(folder) => {
            // Maildir++: subfolders are `.Name` directories beside cur/new.
            let dest = root.join(format!(".{folder}"));
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(dest.join(sub)).map_err(io)?;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let name = if name.contains(":2,") { name } else { format!("{name}:2,S") };
            std::fs::rename(path, dest.join("cur").join(name)).map_err(io)
        }
    }
}
