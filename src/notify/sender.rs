//! The outbox worker: renders each due row just before sending it
//! (`notify::render`, on a blocking thread), sends it through lettre (files
//! or SMTP), records every attempt, retries transient failures with backoff
//! and gives up on permanent ones, leaving them visible. A row whose
//! template fails to render is tried again like a transient failure (the
//! admin fixes the template, the mail goes), with the template, language
//! and reason shown by `status`, and fails once its attempts run out.

use chrono::{Duration, NaiveDateTime};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};

use super::render::{render_row, RenderError, RenderedMail};
use super::templates::Templates;
use crate::config::{Outgoing, Settings, Smtp, Tls, Transport};
use crate::domain::clock::Clock;
use crate::net::NetStream;
use crate::store::models::OutboxRow;
use crate::store::{queries, Backend, Store, StoreError};

/// A configured transport.
pub enum Sender {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(Box<SmtpSender>),
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Why the relay could not be reached (or refused the login): the pass
    /// stopped at once, no row was charged an attempt, and the caller
    /// waits before it tries again.
    pub relay_down: Option<String>,
}

/// Recipients the relay did not take, when it took the mail for others.
#[derive(Debug, Default)]
struct Delivery {
    /// Taken by the relay. Empty when the transport does not say (files).
    accepted: Vec<String>,
    /// Refused for good (5xx at RCPT), with the relay's answer.
    refused: Vec<(String, String)>,
    /// Refused for now (4xx at RCPT): to be tried again.
    deferred: Vec<(String, String)>,
}

/// How a failed attempt ends.
enum Failure {
    /// No session with the relay (down, unreachable, TLS or login refused):
    /// nothing to do with this mail.
    Relay(String),
    Transient(String),
    Permanent(String),
    /// Refused for its size (552, 5.3.4, 5.2.3): sent again as its smaller
    /// version, when there is one.
    TooLarge(String),
    /// Its template or its row cannot give a mail: failed for good.
    Unrenderable(String),
}

/// SMTP over one kept connection, opened with Nagle off: lettre writes a
/// message and its final dot separately, and with Nagle on the dot waits
/// for the relay's delayed ACK (40 ms a mail on Linux).
pub struct SmtpSender {
    cfg: Smtp,
    hello: ClientId,
    /// For STARTTLS (lettre upgrades the connection).
    starttls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    kept: tokio::sync::Mutex<Option<Kept>>,
}

struct Kept {
    conn: AsyncSmtpConnection,
    used: std::time::Instant,
}

impl lettre::transport::smtp::client::AsyncTokioStream for NetStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        NetStream::peer_addr(self)
    }
}

/// A kept connection unused for this long is checked (NOOP) before use.
const IDLE_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

impl SmtpSender {
    async fn connect(&self) -> Result<AsyncSmtpConnection, Failure> {
        let s = &self.cfg;
        let net = |e: String| Failure::Relay(format!("{}:{}: {e}", s.host, s.port));
        let tcp = crate::net::tcp(&s.host, s.port).await.map_err(|e| net(e.to_string()))?;
        let stream = match s.tls {
            Tls::Tls => crate::net::tls(tcp, &s.host, s.ca_file.as_deref()).await.map_err(|e| net(e.to_string()))?,
            Tls::Starttls | Tls::None => NetStream::Plain(tcp),
        };
        // Whatever fails before a mail is given (greeting, STARTTLS, a
        // refused login) is the relay's or the settings' fault, never the
        // mail's: the mail waits for it to be mended.
        let smtp = |e: lettre::transport::smtp::Error| net(e.to_string());
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await.map_err(smtp)?;
        if let Some(params) = &self.starttls {
            conn.starttls(params.clone(), &self.hello).await.map_err(smtp)?;
        }
        if let Some(o) = &s.oauth2 {
            // A refused or unreachable grant is the settings' or the
            // issuer's fault: the mail waits in the outbox.
            let tokens = crate::oauth::tokens(o);
            let token = tokens.access_token().await.map_err(|e| Failure::Relay(e.to_string()))?;
            if let Err(e) = conn.auth(&[Mechanism::Xoauth2], &Credentials::new(o.user.clone(), token)).await {
                tokens.forget().await;
                return Err(smtp(e));
            }
        } else if let Some(creds) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], creds).await.map_err(smtp)?;
        }
        Ok(conn)
    }

    async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<Delivery, Failure> {
        let mut kept = self.kept.lock().await;
        let mut conn = match kept.take() {
            Some(mut k) => {
                if k.used.elapsed() < IDLE_CHECK || k.conn.test_connected().await {
                    k.conn
                } else {
                    k.conn.abort().await;
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        match transaction(&mut conn, envelope, raw).await {
            Ok(delivery) => {
                *kept = Some(Kept { conn, used: std::time::Instant::now() });
                Ok(delivery)
            }
            Err(e) => {
                let offers_auth =
                    conn.server_info().get_auth_mechanism(&[Mechanism::Plain, Mechanism::Login]).is_some();
                // A refused transaction leaves the session half-way: start
                // afresh next time.
                conn.abort().await;
                Err(match e {
                    TxError::Smtp(e) => {
                        classify(&e, self.credentials.is_none() && self.cfg.oauth2.is_none() && offers_auth)
                    }
                    TxError::Unsupported(why) => Failure::Permanent(why.to_string()),
                })
            }
        }
    }
}

/// One SMTP transaction, recipient by recipient: one refused address does
/// not keep the mail from the others. All refused: the whole attempt failed,
/// as the first refusal says (a transient one wins, so it is tried again).
async fn transaction(conn: &mut AsyncSmtpConnection, envelope: &Envelope, raw: &[u8]) -> Result<Delivery, TxError> {
    let info = conn.server_info();
    let mut options = Vec::new();
    if envelope.to().iter().chain(envelope.from()).any(|a| !a.to_string().is_ascii()) {
        if !info.supports_feature(Extension::SmtpUtfEight) {
            return Err(TxError::Unsupported("an address is not ASCII and the relay has no SMTPUTF8"));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !raw.is_ascii() {
        if !info.supports_feature(Extension::EightBitMime) {
            return Err(TxError::Unsupported("the mail is not ASCII and the relay has no 8BITMIME"));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(envelope.from().cloned(), options)).await.map_err(TxError::Smtp)?;
    let mut delivery = Delivery::default();
    let mut first_error = None;
    for to in envelope.to() {
        match conn.command(Rcpt::new(to.clone(), vec![])).await {
            Ok(_) => delivery.accepted.push(to.to_string()),
            Err(e) if e.is_permanent() || e.is_transient() => {
                let list = if e.is_permanent() { &mut delivery.refused } else { &mut delivery.deferred };
                list.push((to.to_string(), e.to_string()));
                if first_error.is_none() || e.is_transient() {
                    first_error = Some(e);
                }
            }
            Err(e) => return Err(TxError::Smtp(e)),
        }
    }
    if delivery.accepted.is_empty() {
        return Err(first_error.map_or(TxError::Unsupported("no recipient"), TxError::Smtp));
    }
    conn.command(Data).await.map_err(TxError::Smtp)?;
    conn.message(raw).await.map_err(TxError::Smtp)?;
    Ok(delivery)
}

enum TxError {
    Smtp(lettre::transport::smtp::Error),
    /// The mail cannot go through this relay as it is.
    Unsupported(&'static str),
}

/// A permanent refusal is the mail's fault, except a policy refusal (530,
/// or an enhanced code 5.7.x) from a relay that offers a login guichet did
/// not use: that one is the settings' fault, and the mail waits.
fn classify(e: &lettre::transport::smtp::Error, anonymous_on_auth_relay: bool) -> Failure {
    let text = e.to_string();
    let policy = e.status().is_some_and(|c| c.to_string() == "530") || text.contains(" 5.7.");
    if e.is_permanent() && anonymous_on_auth_relay && policy {
        Failure::Transient(format!(
            "{text} (the relay offers a login and none was given: set [outgoing] username and a password)"
        ))
    } else if e.is_permanent()
        && (e.status().is_some_and(|c| c.to_string() == "552") || text.contains(" 5.3.4") || text.contains(" 5.2.3"))
    {
        Failure::TooLarge(text)
    } else if e.is_permanent() {
        Failure::Permanent(text)
    } else {
        Failure::Transient(text)
    }
}

impl Sender {
    pub fn new(outgoing: &Outgoing) -> Result<Sender, String> {
        match &outgoing.transport {
            Transport::File { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Sender::File(AsyncFileTransport::new(dir)))
            }
            Transport::Smtp(s) => {
                let mut starttls = None;
                if s.tls == Tls::Starttls {
                    let mut params = TlsParameters::builder(s.host.trim_matches(['[', ']']).to_string());
                    if let Some(file) = &s.ca_file {
                        let pem =
                            std::fs::read(file).map_err(|e| format!("outgoing.ca_file {}: {e}", file.display()))?;
                        let cert = Certificate::from_pem(&pem)
                            .map_err(|e| format!("outgoing.ca_file {}: {e}", file.display()))?;
                        params = params.add_root_certificate(cert);
                    }
                    starttls = Some(params.build_rustls().map_err(|e| format!("TLS for {}: {e}", s.host))?);
                }
                if s.tls == Tls::Tls {
                    // Checked now, so that a bad CA file is a config error.
                    crate::net::tls_connector(s.ca_file.as_deref()).map_err(|e| format!("outgoing.ca_file {e}"))?;
                }
                let credentials = match (&s.username, &s.password) {
                    (Some(user), Some(pass)) => Some(Credentials::new(user.clone(), pass.clone())),
                    _ => None,
                };
                Ok(Sender::Smtp(Box::new(SmtpSender {
                    cfg: s.clone(),
                    hello: ClientId::default(),
                    starttls,
                    credentials,
                    kept: tokio::sync::Mutex::new(None),
                })))
            }
        }
    }

    /// Sends `raw`, the rendered mail of `row`, to the row's recipients.
    async fn send(&self, row: &OutboxRow, raw: &[u8]) -> Result<Delivery, Failure> {
        let from = row.envelope_from.parse().map_err(|e| Failure::Permanent(format!("sender address: {e}")))?;
        let mut to = Vec::new();
        for r in row.recipients.split(',').filter(|r| !r.is_empty()) {
            to.push(r.parse().map_err(|e| Failure::Permanent(format!("recipient `{r}`: {e}")))?);
        }
        let envelope = Envelope::new(Some(from), to).map_err(|e| Failure::Permanent(e.to_string()))?;
        match self {
            Sender::File(t) => t
                .send_raw(&envelope, raw)
                .await
                .map(|_| Delivery::default())
                .map_err(|e| Failure::Transient(e.to_string())),
            Sender::Smtp(t) => t.send(&envelope, raw).await,
        }
    }
}

/// How long a claimed row is left to its sender before another may take it.
const LEASE: Duration = Duration::minutes(10);

/// Waits after the n-th failed attempt: 1 min, 2, 4 … capped at 6 hours.
pub fn backoff(attempts: i32) -> Duration {
    let minutes = 1i64 << attempts.clamp(0, 9);
    Duration::minutes(minutes.min(360))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Unavailable(e.to_string()))?
}

/// What rendering a row needs.
#[derive(Clone, Copy)]
pub struct Renderer<'a> {
    pub settings: &'a Settings,
    pub templates: &'a Templates,
}

impl Renderer<'_> {
    /// Renders `row` off the async workers (templates, MIME, DKIM are CPU
    /// work; reading the quoted article and files is a database read).
    fn render(&self, conn: &mut crate::store::Conn, row: &OutboxRow) -> Result<RenderedMail, RenderError> {
        tokio::task::block_in_place(|| render_row(conn, self.settings, self.templates, row))
    }
}

/// How a render that failed ends: the row's fault fails the row; the
/// store's stops the pass.
fn render_failure(row: &OutboxRow, e: RenderError) -> Result<Failure, StoreError> {
    if let RenderError::Store(e) = e {
        return Err(e.into());
    }
    tracing::error!(outbox.id = row.id, template = %row.template, error = %e, "an outgoing mail cannot be rendered");
    Ok(Failure::Unrenderable(format!("cannot render: {e}")))
}

/// Sends every row due now, each rendered just before. Each attempt is
/// recorded at the time the relay answered it.
pub async fn send_due(
    store: &Store,
    sender: &Sender,
    renderer: Renderer<'_>,
    clock: &dyn Clock,
) -> Result<SendReport, StoreError> {
    let max_attempts = renderer.settings.outgoing.max_attempts;
    const BATCH: i64 = 200;
    let mut report = SendReport::default();
    record_unrecorded(store).await?;
    if store.backend() == Backend::Postgres {
        send_locked(store, sender, renderer, max_attempts, clock, &mut report).await?;
        return Ok(report);
    }
    // Another process sends (SQLite): its rows are its own.
    let s = store.clone();
    let now = clock.now().naive_utc();
    if !blocking(move || s.outbox_sender(now)).await? {
        return Ok(report);
    }
    // This process is the only sender and between batches: a row still
    // leased is one it could not give back.
    if LEASES_LEFT.swap(false, std::sync::atomic::Ordering::Relaxed) {
        let s = store.clone();
        if let Err(e) = blocking(move || s.write(|conn| Ok(queries::release_leases(conn)?))).await {
            LEASES_LEFT.store(true, std::sync::atomic::Ordering::Relaxed);
            return Err(e);
        }
    }
    let at: NaiveDateTime = clock.now().naive_utc();
    loop {
        let s = store.clone();
        let lease = at + LEASE;
        let rows = blocking(move || s.write(|conn| Ok(queries::claim_due_outbox(conn, at, lease, BATCH)?))).await?;
        let last_batch = (rows.len() as i64) < BATCH;
        send_batch(store, sender, renderer, max_attempts, clock, rows, &mut report).await?;
        if last_batch || report.relay_down.is_some() {
            return Ok(report);
        }
    }
}

async fn send_batch(
    store: &Store,
    sender: &Sender,
    renderer: Renderer<'_>,
    max_attempts: u32,
    clock: &dyn Clock,
    rows: Vec<OutboxRow>,
    report: &mut SendReport,
) -> Result<(), StoreError> {
    // Rows claimed and not tried are given back at once when the pass
    // stops early, rather than when their lease runs out.
    let give_back = |rest: Vec<i64>| async move {
        let s = store.clone();
        if let Err(e) = blocking(move || s.write(|conn| Ok(queries::release_outbox_rows(conn, &rest)?))).await {
            tracing::warn!(error = %e, "could not give back the unsent rows; the next pass will");
            LEASES_LEFT.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let mut rows = rows.into_iter();
    while let Some(row) = rows.next() {
        let rendered = tokio::task::block_in_place(|| match store.conn() {
            Ok(mut conn) => {
                render_row(&mut conn, renderer.settings, renderer.templates, &row).map_err(|e| render_failure(&row, e))
            }
            Err(e) => Err(Err(e)),
        });
        let (result, has_files) = match rendered {
            Ok(mail) => (sender.send(&row, &mail.bytes).await, mail.has_files),
            Err(Ok(failure)) => (Err(failure), false),
            Err(Err(e)) => {
                give_back(std::iter::once(row.id).chain(rows.map(|r| r.id)).collect()).await;
                return Err(e);
            }
        };
        if let Err(Failure::Relay(why)) = result {
            report.relay_down = Some(why);
            give_back(std::iter::once(row.id).chain(rows.map(|r| r.id)).collect()).await;
            return Ok(());
        }
        let at = clock.now().naive_utc();
        let verdict = Verdict::of(&row, result, has_files, max_attempts, report);
        if let Err(e) = record_soon(store, verdict, at).await {
            give_back(rows.map(|r| r.id).collect()).await;
            return Err(e);
        }
    }
    Ok(())
}

/// Set when rows this process claimed could not be given back (SQLite).
static LEASES_LEFT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Attempts made whose record the store refused (full, down): kept in
/// memory and written before anything else is sent, so that the mail is
/// not sent again while the store is away. Lost only if the process dies
/// first; then the mail goes once more.
static UNRECORDED: std::sync::Mutex<Vec<(std::sync::Arc<Verdict>, NaiveDateTime)>> = std::sync::Mutex::new(Vec::new());

fn unrecorded() -> std::sync::MutexGuard<'static, Vec<(std::sync::Arc<Verdict>, NaiveDateTime)>> {
    UNRECORDED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records one attempt in a transaction of its own.
async fn record(store: &Store, verdict: &std::sync::Arc<Verdict>, at: NaiveDateTime) -> Result<(), StoreError> {
    let (s, v) = (store.clone(), verdict.clone());
    blocking(move || s.write(|conn| v.record(conn, at))).await
}

/// Writes the attempts [`UNRECORDED`] holds; stops at the first refusal.
async fn record_unrecorded(store: &Store) -> Result<(), StoreError> {
    let held = std::mem::take(&mut *unrecorded());
    let mut rest = held.into_iter();
    while let Some((verdict, at)) = rest.next() {
        if let Err(e) = record(store, &verdict, at).await {
            let mut list = unrecorded();
            list.push((verdict, at));
            list.extend(rest);
            return Err(e);
        }
        tracing::info!(outbox.id = verdict.id, "an attempt made while the database refused writes is recorded");
    }
    Ok(())
}

/// Records an attempt, trying again for a few seconds while the store is
/// busy; after that it waits in [`UNRECORDED`].
async fn record_soon(store: &Store, verdict: Verdict, at: NaiveDateTime) -> Result<(), StoreError> {
    let verdict = std::sync::Arc::new(verdict);
    let mut wait = std::time::Duration::from_millis(100);
    loop {
        match record(store, &verdict, at).await {
            Err(e) if e.is_transient() && wait < std::time::Duration::from_secs(2) => {
                tracing::warn!(outbox.id = verdict.id, error = %e, "recording a sent mail failed; trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => {
                tracing::error!(outbox.id = verdict.id, error = %e, "a sent mail is not recorded yet; it will be before anything else is sent");
                unrecorded().push((verdict, at));
                return Err(e);
            }
            Ok(()) => return Ok(()),
        }
    }
}

/// PostgreSQL: each row is sent while its row lock is held, by the
/// transaction that then records the attempt. The lock ends with the
/// instance, so another instance takes a row over at once; it is sent
/// twice only if the instance died between the relay's answer and the
/// commit.
async fn send_locked(
    store: &Store,
    sender: &Sender,
    renderer: Renderer<'_>,
    max_attempts: u32,
    clock: &dyn Clock,
    report: &mut SendReport,
) -> Result<(), StoreError> {
    use tokio::task::block_in_place;
    loop {
        let mut conn = block_in_place(|| store.conn())?;
        let now = clock.now().naive_utc();
        let row = block_in_place(|| -> Result<Option<OutboxRow>, StoreError> {
            crate::store::begin(&mut conn)?;
            let row = queries::lock_one_due(&mut conn, now);
            if !matches!(row, Ok(Some(_))) {
                let _ = crate::store::rollback(&mut conn);
            }
            Ok(row?)
        })?;
        let Some(row) = row else { return Ok(()) };
        let (result, has_files) = match renderer.render(&mut conn, &row) {
            Ok(mail) => (sender.send(&row, &mail.bytes).await, mail.has_files),
            Err(e) => match render_failure(&row, e) {
                Ok(failure) => (Err(failure), false),
                Err(e) => {
                    let _ = block_in_place(|| crate::store::rollback(&mut conn));
                    return Err(e);
                }
            },
        };
        if let Err(Failure::Relay(why)) = result {
            report.relay_down = Some(why);
            let _ = block_in_place(|| crate::store::rollback(&mut conn));
            return Ok(());
        }
        let at = clock.now().naive_utc();
        let verdict = Verdict::of(&row, result, has_files, max_attempts, report);
        let recorded = block_in_place(|| -> Result<(), StoreError> {
            match verdict.record(&mut conn, at) {
                Ok(()) => Ok(crate::store::commit(&mut conn)?),
                Err(e) => {
                    let _ = crate::store::rollback(&mut conn);
                    Err(e)
                }
            }
        });
        if recorded.is_err() {
            drop(conn);
            // The connection may be what failed: a fresh one, a few tries.
            record_soon(store, verdict, at).await?;
        }
    }
}

/// What an attempt comes to, and how it is written down.
struct Verdict {
    id: i64,
    attempts: i32,
    outcome: &'static str,
    detail: String,
    /// Recipients still to be tried, when the relay deferred only some.
    remaining: Option<String>,
    /// A smaller version of the mail (its files as links) can be rendered.
    renders_smaller: bool,
}

impl Verdict {
    fn of(
        row: &OutboxRow,
        result: Result<Delivery, Failure>,
        has_files: bool,
        max_attempts: u32,
        report: &mut SendReport,
    ) -> Verdict {
        let attempts = row.attempts + 1;
        let may_retry = attempts < max_attempts as i32;
        let refusals = |d: &Delivery| {
            std::iter::once(format!("sent to {}", d.accepted.join(", ")))
                .chain(d.refused.iter().map(|(a, why)| format!("{a} refused: {why}")))
                .chain(d.deferred.iter().map(|(a, why)| format!("{a} deferred: {why}")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let (outcome, detail, remaining) = match result {
            Ok(d) if d.refused.is_empty() && d.deferred.is_empty() => ("sent", String::new(), None),
            // Delivered to the others; what the relay deferred waits its turn.
            Ok(d) if !d.deferred.is_empty() && may_retry => {
                let rest = d.deferred.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>().join(",");
                ("partial", refusals(&d), Some(rest))
            }
            Ok(d) => ("sent", refusals(&d), None),
            // A template missing or broken is an admin's to fix: the mail
            // waits its turn like any other until the attempts run out.
            Err(Failure::Transient(m) | Failure::Relay(m) | Failure::Unrenderable(m)) if may_retry => {
                ("transient", m, None)
            }
            Err(Failure::TooLarge(m)) => ("too_large", m, None),
            Err(Failure::Transient(m) | Failure::Relay(m) | Failure::Permanent(m) | Failure::Unrenderable(m)) => {
                ("permanent", m, None)
            }
        };
        match outcome {
            "sent" => report.sent += 1,
            "partial" | "transient" | "too_large" => report.retrying += 1,
            _ => report.failed += 1,
        }
        if !detail.is_empty() {
            tracing::warn!(outbox.id = row.id, attempts, error = %detail, "sending failed for some or all recipients");
        } else if outcome == "sent" {
            tracing::info!(outbox.id = row.id, template = %row.template, "mail sent");
        }
        Verdict { id: row.id, attempts, outcome, detail, remaining, renders_smaller: has_files && !row.smaller }
    }

    fn record(&self, conn: &mut crate::store::Conn, at: NaiveDateTime) -> Result<(), StoreError> {
        let Verdict { id, attempts, outcome, detail, remaining, renders_smaller } = self;
        // Refused for its size: the smaller version goes next, at once; a
        // mail without one has failed for good.
        let smaller = *outcome == "too_large" && queries::use_smaller_outbox_content(conn, *id, *renders_smaller)?;
        let (outcome, detail) = match *outcome {
            "too_large" if smaller => ("too_large", format!("{detail} (sent again with the larger files as links)")),
            "too_large" => ("permanent", detail.clone()),
            other => (other, detail.clone()),
        };
        let detail = &detail;
        queries::record_attempt(conn, *id, at, outcome, detail)?;
        match outcome {
            "sent" => {
                queries::mark_sent(conn, *id, at)?;
                if !detail.is_empty() {
                    queries::note_outbox_error(conn, *id, detail)?;
                }
            }
            "partial" => {
                queries::set_outbox_recipients(conn, *id, remaining.as_deref().unwrap_or_default())?;
                queries::mark_failed(conn, *id, detail, Some(at + backoff(attempts - 1)))?;
            }
            "transient" => queries::mark_failed(conn, *id, detail, Some(at + backoff(attempts - 1)))?,
            "too_large" => queries::mark_failed(conn, *id, detail, Some(at))?,
            _ => queries::mark_failed(conn, *id, detail, None)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::minutes(1));
        assert_eq!(backoff(3), Duration::minutes(8));
        assert_eq!(backoff(30), Duration::minutes(360));
    }
}
