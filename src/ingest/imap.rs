//! An IMAP source. Per pass: SELECT the folder, compare UIDVALIDITY with
//! the checkpoint, `UID FETCH` the messages above the last committed UID in
//! batches with `BODY.PEEK[]` (which leaves \Seen alone), hand each to the
//! pipeline, and only once a message is committed apply the mailbox's
//! `after` action and move the checkpoint. The \Seen flag is never used:
//! other clients change it.
//!
//! Between passes the session waits in IDLE when the server offers it, and
//! ends and restarts the IDLE every `idle_renew`; without IDLE it polls.
//! Connection failures are retried with a capped exponential backoff, and
//! each pass's result is recorded for `guichet status`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::types::UnsolicitedResponse;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::net::TcpStream;

use crate::config::{AfterAction, Imap, Mailbox, MailboxKind, Tls};
use crate::net::{self, NetStream};
use crate::notify::outbox::Desk;
use crate::store::{queries, Store};

use super::pipeline::{ingest_in_order, IngestError, Outcome, GROUP_BYTES, GROUP_MAILS};

/// Connecting, greeting and logging in must end within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// One pass (fetch, store, move) must end within this, or the connection
/// is taken for dead.
const PASS_TIMEOUT: Duration = Duration::from_secs(600);

/// Why a pass over a mailbox failed. Each message names the step and
/// carries its cause (kept as the error's source too).
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot reach {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot reach {addr}: closed before its greeting")]
    NoGreeting { addr: String },
    #[error("TLS with {host}: {source}")]
    Tls {
        host: String,
        #[source]
        source: net::TlsError,
    },
    #[error("login refused for {user}: {source}")]
    Login {
        user: String,
        #[source]
        source: async_imap::error::Error,
    },
    #[error("login refused for {user}: the server offers neither XOAUTH2 nor OAUTHBEARER")]
    NoOAuthMechanism { user: String },
    #[error("IMAP: {0}")]
    Protocol(#[from] async_imap::error::Error),
    #[error("IMAP: {0}")]
    Io(#[source] std::io::Error),
    /// The server said something this client cannot go on from.
    #[error("IMAP: {0}")]
    Unexpected(String),
    #[error("no answer from the server within {0:?}")]
    Timeout(Duration),
    #[error(transparent)]
    Store(#[from] IngestError),
    #[error(transparent)]
    OAuth(#[from] crate::oauth::OAuthError),
}

impl ImapError {
    /// An OAuth2 grant refused: waiting does not mend it, an admin does.
    pub fn is_refused_grant(&self) -> bool {
        matches!(self, ImapError::OAuth(e) if !e.is_transient())
    }
}

/// The server could not answer for now: the connection broke, or it said
/// so with the RFC 5530 response code `[UNAVAILABLE]` (its authentication
/// back end, such as an OAuth2 issuer, is away). async-imap hands a NO
/// over as text, response code included; the code is the signal read, not
/// the words around it.
fn server_unavailable(e: &async_imap::error::Error) -> bool {
    use async_imap::error::Error;
    match e {
        Error::Io(_) | Error::ConnectionLost => true,
        Error::No(text) => text.contains("[UNAVAILABLE]"),
        _ => false,
    }
}

impl From<crate::store::StoreError> for ImapError {
    fn from(e: crate::store::StoreError) -> Self {
        ImapError::Store(e.into())
    }
}

pub type ImapSession = Session<NetStream>;

async fn tls_wrap(cfg: &Imap, tcp: TcpStream) -> Result<NetStream, ImapError> {
    net::tls(tcp, &cfg.host, cfg.ca_file.as_deref())
        .await
        .map_err(|source| ImapError::Tls { host: cfg.host.clone(), source })
}

/// Connects, reads the greeting, secures the line as configured and logs in.
pub async fn connect(cfg: &Imap) -> Result<ImapSession, ImapError> {
    tokio::time::timeout(CONNECT_TIMEOUT, connect_inner(cfg)).await.map_err(|_| ImapError::Timeout(CONNECT_TIMEOUT))?
}

async fn connect_inner(cfg: &Imap) -> Result<ImapSession, ImapError> {
    let addr = format!("{}:{}", cfg.host, cfg.port);
    let tcp =
        net::tcp(&cfg.host, cfg.port).await.map_err(|source| ImapError::Connect { addr: addr.clone(), source })?;
    let stream = match cfg.tls {
        Tls::Tls => tls_wrap(cfg, tcp).await?,
        Tls::None | Tls::Starttls => NetStream::Plain(tcp),
    };
    let mut client = Client::new(stream);
    match client.read_response().await {
        Ok(Some(_greeting)) => {}
        Ok(None) => return Err(ImapError::NoGreeting { addr }),
        Err(source) => return Err(ImapError::Connect { addr, source }),
    }
    if cfg.tls == Tls::Starttls {
        client.run_command_and_check_ok("STARTTLS", None).await?;
        let NetStream::Plain(tcp) = client.into_inner() else {
            return Err(ImapError::Unexpected("STARTTLS on a TLS connection".into()));
        };
        client = Client::new(tls_wrap(cfg, tcp).await?);
    }
    match &cfg.auth {
        crate::config::Auth::Password(password) => client
            .login(&cfg.username, password)
            .await
            .map_err(|(source, _)| ImapError::Login { user: cfg.username.clone(), source }),
        crate::config::Auth::OAuth2(o) => oauth2_login(client, cfg, o).await,
    }
}

/// The server's SASL mechanisms, asked before logging in (async-imap
/// only asks once logged in): one CAPABILITY on the bare stream.
async fn auth_mechanisms(client: Client<NetStream>) -> Result<(Client<NetStream>, Vec<String>), ImapError> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let mut stream = tokio::io::BufReader::new(client.into_inner());
    stream.get_mut().write_all(b"g0 CAPABILITY\r\n").await.map_err(ImapError::Io)?;
    stream.get_mut().flush().await.map_err(ImapError::Io)?;
    let mut found = Vec::new();
    loop {
        let mut line = String::new();
        let n = stream.read_line(&mut line).await.map_err(ImapError::Io)?;
        if n == 0 || line.len() > 64 * 1024 {
            return Err(ImapError::Unexpected("no answer to CAPABILITY".into()));
        }
        if let Some(caps) = line.strip_prefix("* CAPABILITY ") {
            found.extend(
                caps.split_whitespace()
                    .filter_map(|c| c.to_ascii_uppercase().strip_prefix("AUTH=").map(str::to_string)),
            );
        } else if line.starts_with("g0 ") {
            break;
        }
    }
    // Nothing follows the tagged answer until the next command.
    Ok((Client::new(stream.into_inner()), found))
}

/// Answers a SASL exchange: the initial response first, then an empty
/// line to any challenge (how a client acknowledges the server's error
/// details after a refused token).
struct Sasl(Option<String>);

impl async_imap::Authenticator for Sasl {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        self.0.take().unwrap_or_default()
    }
}

/// Logs in with XOAUTH2 (or OAUTHBEARER when only that is offered). A
/// refused token is dropped and a fresh one tried once; refused again,
/// the grant is taken as refused (revoked, wrong scope, no permission).
async fn oauth2_login(
    client: Client<NetStream>,
    cfg: &Imap,
    o: &crate::config::OAuth2,
) -> Result<ImapSession, ImapError> {
    let (mut client, mechanisms) = auth_mechanisms(client).await?;
    let bearer = if mechanisms.iter().any(|m| m == "XOAUTH2") {
        false
    } else if mechanisms.iter().any(|m| m == "OAUTHBEARER") {
        true
    } else {
        return Err(ImapError::NoOAuthMechanism { user: o.user.clone() });
    };
    let tokens = crate::oauth::tokens(o);
    let mut last = String::new();
    for _ in 0..2 {
        let token = tokens.access_token().await?;
        let (mechanism, response) = if bearer {
            ("OAUTHBEARER", crate::domain::oauth2::oauthbearer(&o.user, &cfg.host, cfg.port, &token))
        } else {
            ("XOAUTH2", crate::domain::oauth2::xoauth2(&o.user, &token))
        };
        match client.authenticate(mechanism, Sasl(Some(response))).await {
            Ok(session) => return Ok(session),
            Err((e, c)) => {
                client = c;
                tokens.forget().await;
                // The server could not check the token (its issuer is
                // away) or the line broke: not the grant's fault.
                if server_unavailable(&e) {
                    return Err(ImapError::Login { user: o.user.clone(), source: e });
                }
                last = e.to_string();
            }
        }
    }
    Err(crate::oauth::OAuthError::Refused {
        grant: o.grant.clone(),
        reason: format!("the IMAP server refused the token of {} for {} ({last})", o.login, o.user),
        action: tokens.action(),
    }
    .into())
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct PassReport {
    /// (UID, outcome) of every message stored, in UID order.
    pub outcomes: Vec<(u32, Outcome)>,
}

/// Runs `f` (which blocks on the store) off the async workers.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// One connected mailbox: the session and what this connection learned.
pub struct Reader {
    session: ImapSession,
    has_move: bool,
    has_uidplus: bool,
    has_idle: bool,
    folder_ready: bool,
}

impl Reader {
    pub async fn open(cfg: &Imap) -> Result<Reader, ImapError> {
        let mut session = connect(cfg).await?;
        let caps = session.capabilities().await?;
        let reader = Reader {
            has_move: caps.has_str("MOVE"),
            has_uidplus: caps.has_str("UIDPLUS"),
            has_idle: caps.has_str("IDLE"),
            folder_ready: false,
            session,
        };
        if !reader.has_move || !reader.has_uidplus {
            tracing::info!(
                host = %cfg.host,
                r#move = reader.has_move,
                uidplus = reader.has_uidplus,
                "older IMAP server: moving by COPY then expunging"
            );
        }
        Ok(reader)
    }

    pub fn can_idle(&self) -> bool {
        self.has_idle
    }

    /// Stores every message not yet committed, then applies `after`.
    /// `stored` is called after each commit (the outbox may go at once).
    pub async fn pass(
        &mut self,
        store: &Store,
        desk: &Desk<'_>,
        mailbox: &Mailbox,
        stored: &(dyn Fn() + Sync),
    ) -> Result<PassReport, ImapError> {
        tokio::time::timeout(PASS_TIMEOUT, self.pass_inner(store, desk, mailbox, stored))
            .await
            .map_err(|_| ImapError::Timeout(PASS_TIMEOUT))?
    }

    async fn pass_inner(
        &mut self,
        store: &Store,
        desk: &Desk<'_>,
        mailbox: &Mailbox,
        stored: &(dyn Fn() + Sync),
    ) -> Result<PassReport, ImapError> {
        let MailboxKind::Imap(cfg) = &mailbox.kind else {
            return Err(ImapError::Unexpected(format!("mailbox `{}` is not an IMAP mailbox", mailbox.name)));
        };
        let selected = self.session.select(&cfg.folder).await?;
        let validity = i64::from(selected.uid_validity.unwrap_or(0));
        let now = desk.now.naive_utc();
        let last = blocking(|| -> Result<i64, ImapError> {
            let mut conn = store.conn()?;
            Ok(match queries::checkpoint(&mut conn, &mailbox.name).map_err(IngestError::from)? {
                Some((v, last)) if v == validity => last,
                Some((v, _)) => {
                    // The server renumbered the folder: read it all again;
                    // what was stored comes back as duplicates.
                    tracing::warn!(mailbox = %mailbox.name, old = v, new = validity, "UIDVALIDITY changed; reading the folder again");
                    0
                }
                None => 0,
            })
        })?;
        let mut report = PassReport::default();
        if selected.exists == 0 {
            return Ok(report);
        }
        // The new messages and their sizes, so that a chunk holds one
        // commit's worth (see GROUP_MAILS, GROUP_BYTES) and no more in
        // memory. `N:*` always matches the highest UID, even below N: filter.
        let sizes: Vec<async_imap::types::Fetch> =
            self.session.uid_fetch(format!("{}:*", last + 1), "(UID RFC822.SIZE)").await?.try_collect().await?;
        let mut found: Vec<(u32, usize)> = sizes
            .iter()
            .filter_map(|f| Some((f.uid?, f.size.unwrap_or(0) as usize)))
            .filter(|(uid, _)| i64::from(*uid) > last)
            .collect();
        found.sort_unstable();
        found.dedup_by_key(|(uid, _)| *uid);
        // Fetched a window of chunks at a time, in one `UID FETCH` whose
        // answer streams in while the chunk before is being committed (the
        // socket's buffer holds the next one): fetching and storing overlap.
        // The window's messages are moved and the checkpoint set after its
        // last commit; should the pass fail before, the next one reads the
        // committed messages again, as duplicates of themselves.
        let chunks = chunks(&found);
        for window in chunks.chunks(WINDOW_CHUNKS) {
            let uids: Vec<u32> = window.iter().flatten().copied().collect();
            let mut committed = Vec::with_capacity(uids.len());
            let mut failure = None;
            {
                let mut stream = self.session.uid_fetch(uid_ranges(&uids), "(UID BODY.PEEK[])").await?;
                let mut next = window.iter();
                let mut chunk = next.next();
                let mut bodies: Vec<(u32, Vec<u8>)> = Vec::new();
                loop {
                    let fetch = stream.try_next().await?;
                    let arrived = fetch.as_ref().and_then(|f| Some((f.uid?, f.body()?)));
                    // Answers come in UID order: one beyond the chunk (or
                    // the end of the answer) means the chunk is all here.
                    while let Some(current) = chunk {
                        let beyond = match arrived {
                            Some((uid, _)) => uid > *current.last().unwrap_or(&0),
                            None => fetch.is_none(),
                        };
                        if !beyond {
                            break;
                        }
                        failure =
                            commit(store, desk, mailbox, validity, &mut bodies, &mut committed, stored, &mut report);
                        if failure.is_some() {
                            break;
                        }
                        chunk = next.next();
                    }
                    if failure.is_some() {
                        break;
                    }
                    match (arrived, chunk) {
                        (Some((uid, body)), Some(current)) if current.contains(&uid) => {
                            bodies.push((uid, body.to_vec()))
                        }
                        _ => {}
                    }
                    if fetch.is_none() {
                        break;
                    }
                }
            }
            if let Some(e) = failure {
                // The connection is dropped with the answer half read.
                return Err(e.into());
            }
            for done in committed.chunks(GROUP_MAILS) {
                self.after(&mailbox.after, done).await?;
            }
            if let Some(&high) = committed.iter().max() {
                blocking(|| -> Result<(), ImapError> {
                    let mut conn = store.conn()?;
                    queries::set_checkpoint(&mut conn, &mailbox.name, validity, i64::from(high), now)
                        .map_err(IngestError::from)?;
                    Ok(())
                })?;
            }
        }
        Ok(report)
    }

    /// Applies the mailbox's `after` action to committed messages.
    async fn after(&mut self, action: &AfterAction, uids: &[u32]) -> Result<(), ImapError> {
        let set = uid_set(uids);
        match action {
            AfterAction::Keep => Ok(()),
            AfterAction::Delete => self.expunge(&set).await,
            AfterAction::Move(folder) => {
                if !self.folder_ready {
                    // Already there is the usual answer: a NO we can ignore.
                    if let Err(e) = self.session.create(folder).await {
                        tracing::debug!(folder, error = %e, "CREATE");
                    }
                    self.folder_ready = true;
                }
                if self.has_move {
                    self.session.uid_mv(&set, folder).await?;
                    Ok(())
                } else {
                    self.session.uid_copy(&set, folder).await?;
                    self.expunge(&set).await
                }
            }
        }
    }

    async fn expunge(&mut self, set: &str) -> Result<(), ImapError> {
        let _: Vec<_> = self.session.uid_store(set, "+FLAGS.SILENT (\\Deleted)").await?.try_collect().await?;
        if self.has_uidplus {
            let _: Vec<_> = self.session.uid_expunge(set).await?.try_collect().await?;
        } else {
            let _: Vec<_> = self.session.expunge().await?.try_collect().await?;
        }
        Ok(())
    }

    /// Waits in IDLE until the server reports a change or `renew` passes.
    /// Returns whether there may be new mail.
    pub async fn idle(self, renew: Duration) -> Result<(Reader, bool), ImapError> {
        let Reader { session, has_move, has_uidplus, has_idle, folder_ready } = self;
        let unsolicited = session.unsolicited_responses.clone();
        let arrived = |early: &mut bool| {
            while let Ok(r) = unsolicited.try_recv() {
                *early |= matches!(r, UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_));
            }
        };
        // Mail that arrived during the pass, after its search, was announced
        // as an unsolicited EXISTS then; mail that arrived between the last
        // command and IDLE is announced before IDLE's continuation. Either
        // way: another pass, not a wait until IDLE is renewed.
        let mut early = false;
        arrived(&mut early);
        let mut handle = session.idle();
        handle.init().await?;
        arrived(&mut early);
        let news = if early {
            true
        } else {
            let (wait, _stop) = handle.wait_with_timeout(renew);
            // The server's keep-alives ("OK Still here") restart
            // async-imap's own timeout: bound the whole wait as well.
            match tokio::time::timeout(renew, wait).await {
                Ok(response) => !matches!(response?, IdleResponse::Timeout),
                Err(_) => false,
            }
        };
        let session = handle.done().await?;
        Ok((Reader { session, has_move, has_uidplus, has_idle, folder_ready }, news))
    }

    pub async fn logout(mut self) {
        let _ = self.session.logout().await;
    }
}

/// Stores one chunk's `bodies` (emptied) in one commit, or as many of
/// them as can be, in order; their UIDs join `committed`.
#[allow(clippy::too_many_arguments)]
fn commit(
    store: &Store,
    desk: &Desk<'_>,
    mailbox: &Mailbox,
    validity: i64,
    bodies: &mut Vec<(u32, Vec<u8>)>,
    committed: &mut Vec<u32>,
    stored: &(dyn Fn() + Sync),
    report: &mut PassReport,
) -> Option<IngestError> {
    bodies.sort_by_key(|(uid, _)| *uid);
    bodies.dedup_by_key(|(uid, _)| *uid);
    let keys: Vec<String> = bodies.iter().map(|(uid, _)| format!("{validity}:{uid}")).collect();
    let mails: Vec<(Option<&str>, &[u8])> =
        keys.iter().zip(bodies.iter()).map(|(key, (_, raw))| (Some(key.as_str()), raw.as_slice())).collect();
    let (outcomes, failure) = blocking(|| ingest_in_order(store, desk, mailbox, &mails));
    for ((uid, _), outcome) in bodies.iter().zip(outcomes) {
        stored();
        committed.push(*uid);
        report.outcomes.push((*uid, outcome));
    }
    bodies.clear();
    failure
}

/// Chunks fetched by one `UID FETCH` (see `Reader::pass`).
const WINDOW_CHUNKS: usize = 10;

/// The UIDs to store in one commit: at most
/// GROUP_MAILS messages and GROUP_BYTES (a larger message goes alone).
fn chunks(found: &[(u32, usize)]) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0;
    for &(uid, size) in found {
        match out.last_mut() {
            Some(chunk) if chunk.len() < GROUP_MAILS && bytes + size <= GROUP_BYTES => {
                chunk.push(uid);
                bytes += size;
            }
            _ => {
                out.push(vec![uid]);
                bytes = size;
            }
        }
    }
    out
}

/// `1,2,3` — UIDs are few per command.
fn uid_set(uids: &[u32]) -> String {
    uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// `1:40,42:90` for sorted `uids`: short whatever their number.
fn uid_ranges(uids: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let mut j = i;
        while j + 1 < uids.len() && uids[j + 1] == uids[j] + 1 {
            j += 1;
        }
        out.push(if i == j { uids[i].to_string() } else { format!("{}:{}", uids[i], uids[j]) });
        i = j + 1;
    }
    out.join(",")
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").field("move", &self.has_move).field("idle", &self.has_idle).finish()
    }
}

/// Waits after `failures` failures in a row: 1 s, 2, 4 … capped at 5 min.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs((1u64 << failures.min(9)).min(300))
}

/// Who polls: `host:pid`, shown by `guichet status`.
pub fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// How long an instance that finds a mailbox taken waits before trying
/// again: the time another instance needs to take over from a dead one.
const LOCK_RETRY: Duration = Duration::from_secs(3);

/// A refused OAuth2 grant: the people who look after the mailbox are told
/// once (see [`crate::oauth::notice`]); `wake` sends the mail at once.
pub fn grant_refused(store: &Store, desk: &Desk<'_>, mailbox: &Mailbox, error: &ImapError) -> bool {
    let ImapError::OAuth(crate::oauth::OAuthError::Refused { reason, action, .. }) = error else { return false };
    let action = action.trim_start_matches("to mend it: ");
    blocking(|| match store.conn() {
        Ok(mut conn) => crate::oauth::notice::tell_once(&mut conn, desk, mailbox, reason, action),
        Err(e) => {
            tracing::warn!(mailbox = %mailbox.name, error = %e, "cannot queue the notice of a refused login");
            false
        }
    })
}

/// The mailbox logged in: a later refusal is told again.
pub fn grant_accepted(store: &Store, mailbox: &Mailbox) {
    if matches!(&mailbox.kind, MailboxKind::Imap(i) if matches!(i.auth, crate::config::Auth::OAuth2(_))) {
        blocking(|| {
            if let Ok(mut conn) = store.conn() {
                crate::oauth::notice::clear(&mut conn, &mailbox.name);
            }
        });
    }
}

/// How often a mailbox whose OAuth2 grant was refused looks for a new one.
const GRANT_RETRY: Duration = Duration::from_secs(5);

/// Records the result of a pass for `guichet status`; a store that cannot
/// take it is already failing louder elsewhere.
pub fn record(store: &Store, mailbox: &str, error: Option<&str>, now: chrono::DateTime<chrono::Utc>) {
    let holder = holder();
    let result = blocking(|| -> Result<(), crate::store::StoreError> {
        let mut conn = store.conn()?;
        Ok(queries::record_poll(&mut conn, mailbox, &holder, error, now.naive_utc())?)
    });
    if let Err(e) = result {
        tracing::warn!(mailbox, error = %e, "cannot record the mailbox's state");
    }
}

/// Watches one IMAP mailbox until the task is aborted: takes the
/// mailbox's lock, connects, stores what is waiting, then IDLEs (or polls)
/// and stores again; reconnects after a failure with backoff. `wake` is
/// told whenever something was stored, so the outbox goes out at once.
pub async fn watch(
    mailbox: Mailbox,
    live: tokio::sync::watch::Receiver<Arc<super::Live>>,
    store: Store,
    clock: Arc<dyn crate::domain::clock::Clock>,
    wake: Arc<tokio::sync::Notify>,
) {
    let MailboxKind::Imap(cfg) = &mailbox.kind else { return };
    let mut failures = 0u32;
    let mut waiting_logged = false;
    loop {
        let mut lock = match blocking(|| store.try_lock_mailbox(&mailbox.name)) {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                if !waiting_logged {
                    tracing::info!(mailbox = %mailbox.name, "another instance polls this mailbox; standing by");
                    waiting_logged = true;
                }
                tokio::time::sleep(LOCK_RETRY).await;
                continue;
            }
            Err(e) => {
                failures += 1;
                tracing::error!(mailbox = %mailbox.name, error = %e, "cannot take the mailbox's lock");
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
        };
        waiting_logged = false;
        tracing::info!(mailbox = %mailbox.name, host = %cfg.host, "polling");
        let result = session(&mailbox, cfg, &mut lock, &live, &store, &*clock, &wake, &mut failures).await;
        drop(lock);
        if let Err(e) = result {
            failures += 1;
            // A refused grant is mended by `guichet auth login`, which any
            // instance sees at its next try: no long backoff for it.
            let wait = if e.is_refused_grant() { backoff(failures).min(GRANT_RETRY) } else { backoff(failures) };
            tracing::error!(mailbox = %mailbox.name, error = %e, failures, retry_in = ?wait, "mailbox failing");
            record(&store, &mailbox.name, Some(&e.to_string()), clock.now());
            if e.is_refused_grant() {
                let snapshot = live.borrow().clone();
                let desk = Desk { settings: &snapshot.settings, templates: &snapshot.templates, now: clock.now() };
                if grant_refused(&store, &desk, &mailbox, &e) {
                    wake.notify_one();
                }
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn session(
    mailbox: &Mailbox,
    cfg: &Imap,
    lock: &mut crate::store::lock::MailboxLock,
    live: &tokio::sync::watch::Receiver<Arc<super::Live>>,
    store: &Store,
    clock: &dyn crate::domain::clock::Clock,
    wake: &tokio::sync::Notify,
    failures: &mut u32,
) -> Result<(), ImapError> {
    let mut reader = Reader::open(cfg).await?;
    grant_accepted(store, mailbox);
    if cfg.idle && reader.can_idle() {
        tracing::info!(mailbox = %mailbox.name, renew = ?cfg.idle_renew, "waiting for mail with IDLE");
    } else {
        tracing::info!(mailbox = %mailbox.name, every = ?mailbox.poll, "checking for mail periodically (no IDLE)");
    }
    // A good poll is written down when the mailbox was failing, and then
    // once a minute: not on every wake-up.
    let mut recorded_ok: Option<std::time::Instant> = None;
    loop {
        if !blocking(|| lock.still_held()) {
            tracing::warn!(mailbox = %mailbox.name, "lost the mailbox's lock (database connection gone)");
            reader.logout().await;
            return Ok(());
        }
        let snapshot = live.borrow().clone();
        let desk = Desk { settings: &snapshot.settings, templates: &snapshot.templates, now: clock.now() };
        let report = reader.pass(store, &desk, mailbox, &|| wake.notify_one()).await?;
        *failures = 0;
        if recorded_ok.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
            record(store, &mailbox.name, None, clock.now());
            recorded_ok = Some(std::time::Instant::now());
        }
        for (uid, outcome) in &report.outcomes {
            tracing::info!(mailbox = %mailbox.name, uid, outcome = outcome.label(), "mail stored");
        }
        if cfg.idle && reader.can_idle() {
            reader = reader.idle(cfg.idle_renew).await?.0;
        } else {
            tokio::time::sleep(mailbox.poll).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hold_one_commit_and_a_large_message_goes_alone() {
        let small: Vec<(u32, usize)> = (1..=250).map(|uid| (uid, 1_000)).collect();
        let sizes: Vec<usize> = chunks(&small).iter().map(Vec::len).collect();
        assert_eq!(sizes, [GROUP_MAILS, GROUP_MAILS, 50]);
        let mixed = [(1, 1_000), (2, GROUP_BYTES + 1), (3, 1_000), (4, GROUP_BYTES / 2), (5, GROUP_BYTES / 2)];
        assert_eq!(chunks(&mixed), vec![vec![1], vec![2], vec![3, 4], vec![5]]);
        assert!(chunks(&[]).is_empty());
    }

    #[test]
    fn only_a_broken_line_or_an_unavailable_server_is_a_passing_login_failure() {
        use async_imap::error::Error;
        // async-imap's rendering of a tagged NO: the response code stays in the text.
        let no = |info: &str| Error::No(format!("code: None, info: Some({info:?})"));
        let cases = [
            (no("[UNAVAILABLE] Temporary authentication failure. [host:2026-12-05]"), true),
            (no("[AUTHENTICATIONFAILED] Authentication failed."), false),
            (no("Temporary words without the code"), false),
            (Error::ConnectionLost, true),
            (Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)), true),
            (Error::Bad("[UNAVAILABLE] but BAD".into()), false),
        ];
        for (e, want) in cases {
            assert_eq!(server_unavailable(&e), want, "{e}");
        }
    }

    #[test]
    fn a_window_of_uids_is_named_by_ranges() {
        let uids: Vec<u32> = (1..=1_000).chain([1_002]).chain(1_004..=1_005).collect();
        assert_eq!(uid_ranges(&uids), "1:1000,1002,1004:1005");
        assert_eq!(uid_ranges(&[7]), "7");
    }
}
