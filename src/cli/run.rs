//! `guichet run`

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::config::{Mailbox, MailboxKind, Settings};
use crate::domain::clock::Clock;
use crate::ingest::imap::{self, Reader};
use crate::ingest::maildir::{MaildirSource, PollError};
use crate::ingest::{Live, Outcome};
use crate::notify::outbox::Desk;
use crate::notify::sender::{send_due, Renderer, SendReport, Sender};
use crate::notify::templates::Templates;
use crate::sla::{sweep, SweepReport};
use crate::store::Store;

use super::{exit, Env, Failure};

/// Poll the mailboxes and send the outbox until stopped (SIGINT/SIGTERM).
/// IMAP mailboxes are watched with IDLE; edited config and templates are
/// picked up without a restart.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One pass over every mailbox and the outbox, then exit
    #[arg(long)]
    once: bool,
}

/// What one pass did, for the summary `--once` prints.
#[derive(Debug, Default)]
struct Pass {
    outcomes: BTreeMap<&'static str, usize>,
    sent: SendReport,
    swept: SweepReport,
    faults: Vec<String>,
    transient: bool,
    /// Why the outgoing relay could not be reached, when it could not.
    relay_down: Option<String>,
}

fn label(o: &Outcome) -> &'static str {
    match o {
        Outcome::Ticket { .. } => "new tickets",
        Outcome::Article { .. } => "articles",
        Outcome::Automatic { .. } => "automatic mails recorded",
        Outcome::Quarantined { .. } => "quarantined",
        Outcome::Duplicate { .. } => "duplicates",
        Outcome::Answered { .. } => "questions answered",
        Outcome::Confirmed { .. } => "held mails confirmed",
    }
}

pub fn run(mut env: Env, args: Args) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    crate::oauth::init(&store, env.settings.http.as_ref().and_then(|h| h.secret.clone()), env.clock.clone());
    let mut templates = env.templates()?;
    let runtime = super::runtime()?;
    runtime.block_on(async {
        // The SMTP pool needs the runtime to exist.
        let mut sender =
            Sender::new(&env.settings.outgoing).map_err(|e| Failure::new(exit::CONFIG, anyhow::anyhow!(e)))?;
        if args.once {
            let mut polling = Polling::default();
            let pass = cycle(&env, &store, &templates, &sender, &mut polling, true).await;
            for (what, n) in &pass.outcomes {
                println!("{n} {what}");
            }
            let w = &pass.swept;
            println!(
                "timers: {} warned, {} breached, {} reminded, {} closed unanswered, {} surveys sent",
                w.warned, w.breached, w.reminded, w.closed, w.surveys
            );
            println!("digests: {} queued", w.digests);
            if w.retention > 0 {
                println!("retention: {} removed or anonymised", w.retention);
            }
            println!("outbox: {} sent, {} to retry, {} failed", pass.sent.sent, pass.sent.retrying, pass.sent.failed);
            for f in pass.faults.iter().chain(&pass.relay_down) {
                eprintln!("guichet: {f}");
            }
            return Ok(if pass.transient || pass.relay_down.is_some() {
                ExitCode::from(exit::TEMPFAIL)
            } else if pass.faults.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::FAILURE)
            });
        }
        let mut config_stamp = modified(&env.settings.path);
        let live = |env: &Env, templates: &Templates| {
            Arc::new(Live { settings: env.settings.clone(), templates: templates.clone() })
        };
        let (live_tx, live_rx) = watch::channel(live(&env, &templates));
        let wake = Arc::new(Notify::new());
        // This process's sources time their mail for /metrics.
        crate::ingest::latency::set_reads_mail();
        let web = match &env.settings.http {
            Some(http) => {
                let listener = super::serve::bind(http.listen).await?;
                let web = crate::http::Web { store: store.clone(), live: live_rx.clone(), clock: env.clock.clone() };
                let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
                let task = tokio::spawn(async move {
                    let stop = async move {
                        let _ = stop_rx.await;
                    };
                    if let Err(e) = crate::http::serve(listener, web, stop).await {
                        tracing::error!(error = %e, "http server stopped");
                    }
                });
                Some((stop_tx, task))
            }
            None => None,
        };
        let mut watchers = Watchers::default();
        watchers.reconcile(&env.settings, &live_rx, &store, &env.clock, &wake);
        // Before the line below: a SIGHUP or SIGTERM sent once it is out
        // must reach these handlers, not end the process.
        let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut hangup = signal(tokio::signal::unix::SignalKind::hangup())?;
        // Logged after the stamps are taken: an edit made once this line is
        // out is always seen.
        tracing::info!(mailboxes = env.settings.mailboxes.len(), "running");
        let mut polling = Polling::default();
        loop {
            // Technicians, mailboxes, limits and templates change without a
            // restart; a broken edit keeps the running config.
            let mut changed = false;
            if modified(&env.settings.path) != config_stamp {
                config_stamp = modified(&env.settings.path);
                changed |= reload(&mut env, &mut templates, &mut sender);
            }
            match templates.reload_if_changed() {
                Ok(true) => {
                    tracing::info!("templates reloaded");
                    changed = true;
                }
                Ok(false) => {}
                Err(problems) => {
                    for p in problems {
                        tracing::error!(problem = %p, "template edit rejected; the previous templates stay in use");
                    }
                }
            }
            if changed {
                live_tx.send_replace(live(&env, &templates));
                watchers.reconcile(&env.settings, &live_rx, &store, &env.clock, &wake);
            }
            let pass = cycle(&env, &store, &templates, &sender, &mut polling, false).await;
            // A fault (the database down or full, a maildir unreadable) is
            // tried again after 1 s, 2, 4 … at most 30 s; the relay has its
            // own clock (see `cycle`), and IMAP mailboxes their own tasks.
            polling.faulty_passes = if pass.faults.is_empty() { 0 } else { polling.faulty_passes + 1 };
            let pause = backoff(polling.faulty_passes, Duration::from_secs(30));
            for f in &pass.faults {
                tracing::error!(fault = %f, retry_in_s = pause.as_secs(), "will try again");
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                // An IMAP watcher stored mail: its acknowledgements go now.
                _ = wake.notified() => {}
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate.recv() => break,
                _ = hangup.recv() => {
                    tracing::info!("SIGHUP: reloading the config and templates");
                    if reload(&mut env, &mut templates, &mut sender) {
                        live_tx.send_replace(live(&env, &templates));
                        watchers.reconcile(&env.settings, &live_rx, &store, &env.clock, &wake);
                    }
                }
            }
        }
        watchers.stop();
        if let Some((stop, task)) = web {
            let _ = stop.send(());
            let _ = task.await;
        }
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// One task per IMAP mailbox, restarted when its settings change.
#[derive(Default)]
struct Watchers {
    running: BTreeMap<String, (Mailbox, JoinHandle<()>)>,
}

impl Watchers {
    fn reconcile(
        &mut self,
        settings: &Settings,
        live: &watch::Receiver<Arc<Live>>,
        store: &Store,
        clock: &Arc<dyn Clock>,
        wake: &Arc<Notify>,
    ) {
        self.running.retain(|name, (mailbox, task)| {
            let keep = settings.mailbox(name) == Some(mailbox);
            if !keep {
                tracing::info!(mailbox = %name, "mailbox settings changed; reconnecting");
                task.abort();
            }
            keep
        });
        for mailbox in &settings.mailboxes {
            if matches!(mailbox.kind, MailboxKind::Imap(_)) && !self.running.contains_key(&mailbox.name) {
                let task = tokio::spawn(imap::watch(
                    mailbox.clone(),
                    live.clone(),
                    store.clone(),
                    clock.clone(),
                    wake.clone(),
                ));
                self.running.insert(mailbox.name.clone(), (mailbox.clone(), task));
            }
        }
    }

    fn stop(self) {
        for (_, (_, task)) in self.running {
            task.abort();
        }
    }
}

/// Reads the config again and puts it in use, keeping the database the
/// process opened (changing it needs a restart). Returns whether it did.
fn reload(env: &mut Env, templates: &mut Templates, sender: &mut Sender) -> bool {
    let fresh = match Settings::load(&env.settings.path) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "config edit rejected; the running config stays in use");
            return false;
        }
    };
    if fresh.database != env.settings.database {
        tracing::warn!("database.url changed: it takes effect at the next start");
    }
    // Other languages are other templates to load and check.
    let same_languages = fresh.tickets.languages == env.settings.tickets.languages;
    let new_templates = if fresh.templates_dir == env.settings.templates_dir && same_languages {
        None
    } else {
        match Templates::load(fresh.templates_dir.as_deref(), &fresh.tickets.languages) {
            Ok(t) => Some(t),
            Err(problems) => {
                for p in problems {
                    tracing::error!(problem = %p, "templates of the new config rejected; config not reloaded");
                }
                return false;
            }
        }
    };
    let new_sender = match Sender::new(&fresh.outgoing) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "outgoing settings rejected; config not reloaded");
            return false;
        }
    };
    if let Some(t) = new_templates {
        *templates = t;
    }
    *sender = new_sender;
    let database = env.settings.database.clone();
    env.settings = Settings { database, ..fresh };
    tracing::info!("config reloaded");
    true
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Result<tokio::signal::unix::Signal, Failure> {
    tokio::signal::unix::signal(kind).map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("signal handler: {e}")))
}

/// Per mailbox: when it was last polled, and its source's memory; how
/// long faults have lasted.
#[derive(Default)]
struct Polling {
    last: BTreeMap<String, Instant>,
    sources: BTreeMap<String, MaildirSource>,
    /// Passes in a row that met a fault.
    faulty_passes: u32,
    /// Passes in a row that found the relay down, and when to try it next.
    relay_failures: u32,
    relay_next: Option<Instant>,
}

/// The pause after `failures` failures in a row: 1 s (also the pause
/// between passes without one), then twice as long each time, up to `max`.
fn backoff(failures: u32, max: Duration) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(10)).min(max)
}

/// The name the relay's state is kept under beside the mailboxes' (no
/// mailbox name has brackets).
pub const RELAY_HEALTH: &str = "[outgoing relay]";

/// One pass over an IMAP mailbox, unless another instance holds it.
async fn imap_once(store: &Store, desk: &Desk<'_>, mailbox: &Mailbox, pass: &mut Pass) {
    let MailboxKind::Imap(cfg) = &mailbox.kind else { return };
    let lock = match tokio::task::block_in_place(|| store.try_lock_mailbox(&mailbox.name)) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            eprintln!("guichet: mailbox `{}` is being polled by another instance; skipped", mailbox.name);
            return;
        }
        Err(e) => {
            pass.transient = true;
            pass.faults.push(format!("mailbox `{}`: {e}", mailbox.name));
            return;
        }
    };
    let result = async {
        let mut reader = Reader::open(cfg).await?;
        let report = reader.pass(store, desk, mailbox, &|| {}).await;
        reader.logout().await;
        report
    }
    .await;
    drop(lock);
    match result {
        Ok(report) => {
            imap::record(store, &mailbox.name, None, desk.now);
            imap::grant_accepted(store, mailbox);
            for (uid, outcome) in &report.outcomes {
                tracing::info!(mailbox = %mailbox.name, uid, outcome = label(outcome), "mail stored");
                *pass.outcomes.entry(label(outcome)).or_default() += 1;
            }
        }
        Err(e) => {
            imap::record(store, &mailbox.name, Some(&e.to_string()), desk.now);
            imap::grant_refused(store, desk, mailbox, &e);
            // The server, the network or the store may all be back later;
            // a refused grant waits for an admin.
            pass.transient |= !e.is_refused_grant();
            pass.faults.push(format!("mailbox `{}`: {e}", mailbox.name));
        }
    }
}

/// Polls the mailboxes that are due, then sends what the outbox holds.
async fn cycle(
    env: &Env,
    store: &Store,
    templates: &Templates,
    sender: &Sender,
    polling: &mut Polling,
    force: bool,
) -> Pass {
    let mut pass = Pass::default();
    for mailbox in &env.settings.mailboxes {
        if let MailboxKind::Imap(_) = mailbox.kind {
            // Watched by their own tasks, except in a single pass.
            if force {
                let desk = Desk { settings: &env.settings, templates, now: env.clock.now() };
                imap_once(store, &desk, mailbox, &mut pass).await;
            }
            continue;
        }
        let due = force || polling.last.get(&mailbox.name).is_none_or(|t| t.elapsed() >= mailbox.poll);
        if !due {
            continue;
        }
        polling.last.insert(mailbox.name.clone(), Instant::now());
        let desk = Desk { settings: &env.settings, templates, now: env.clock.now() };
        // Maildir and SQLite calls block: keep them off the async workers.
        let source = polling.sources.entry(mailbox.name.clone()).or_default();
        let outcomes = &mut pass.outcomes;
        let mut stored = |path: &std::path::Path, outcome: &Outcome| {
            tracing::info!(imap.mailbox = %mailbox.name, file = %path.display(), outcome = label(outcome), "mail stored");
            *outcomes.entry(label(outcome)).or_default() += 1;
        };
        let result = tokio::task::block_in_place(|| source.poll(store, &desk, mailbox, &mut stored));
        match result {
            Ok(()) => {}
            Err(e) => {
                pass.transient |= e.is_transient();
                pass.faults.push(format!("mailbox `{}`: {e}", mailbox.name));
                if let PollError::Ingest { .. } = e {
                    tracing::warn!(mailbox = %mailbox.name, "pass stopped at a mail that could not be stored");
                }
            }
        }
    }
    // Timers first: what they queue goes out in the same pass.
    let desk = Desk { settings: &env.settings, templates, now: env.clock.now() };
    match tokio::task::block_in_place(|| sweep(store, &desk)) {
        Ok(report) => {
            if !report.is_empty() {
                tracing::info!(?report, "timers fired");
            }
            pass.swept = report;
        }
        Err(e) => {
            pass.transient |= e.is_transient();
            pass.faults.push(format!("timers: {e}"));
        }
    }
    // While the relay is down, it is tried again after 1 s, 2, 4 … at
    // most 30 s: a probe costs one connection, and mail flows again soon
    // after it is back. Rows are not charged for it.
    if !force && polling.relay_next.is_some_and(|t| Instant::now() < t) {
        return pass;
    }
    let renderer = Renderer { settings: &env.settings, templates };
    match send_due(store, sender, renderer, &*env.clock).await {
        Ok(report) => {
            let now = env.clock.now();
            match &report.relay_down {
                Some(why) => {
                    polling.relay_failures += 1;
                    let wait = backoff(polling.relay_failures, Duration::from_secs(30));
                    polling.relay_next = Some(Instant::now() + wait);
                    tracing::error!(error = %why, failures = polling.relay_failures, retry_in_s = wait.as_secs(), "outgoing relay unreachable; mail waits in the outbox");
                    imap::record(store, RELAY_HEALTH, Some(why), now);
                    pass.relay_down = Some(format!("outgoing relay: {why}"));
                }
                None => {
                    if polling.relay_failures > 0 {
                        tracing::info!(
                            failures = polling.relay_failures,
                            sent = report.sent,
                            "outgoing relay reachable again"
                        );
                    }
                    if polling.relay_failures > 0 || report.sent > 0 {
                        imap::record(store, RELAY_HEALTH, None, now);
                    }
                    polling.relay_failures = 0;
                    polling.relay_next = None;
                }
            }
            pass.sent = report;
        }
        Err(e) => {
            pass.transient |= e.is_transient();
            pass.faults.push(format!("outbox: {e}"));
        }
    }
    pass
}
