//! The outbox worker: sends due rows through lettre (files or SMTP),
//! records every attempt, retries transient failures with backoff and
//! gives up on permanent ones, leaving them visible.

use chrono::{Duration, NaiveDateTime};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{Outgoing, Tls, Transport};
use crate::domain::clock::Clock;
use crate::store::models::OutboxRow;
use crate::store::{queries, Backend, Store, StoreError};

/// A configured transport.
pub enum Sender {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// How a failed attempt ends.
enum Failure {
    Transient(String),
    Permanent(String),
}

impl Sender {
    pub fn new(outgoing: &Outgoing) -> Result<Sender, String> {
        match &outgoing.transport {
            Transport::File { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Sender::File(AsyncFileTransport::new(dir)))
            }
            Transport::Smtp(s) => {
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host).port(s.port);
                if s.tls != Tls::None {
                    let mut params = TlsParameters::builder(s.host.clone());
                    if let Some(file) = &s.ca_file {
                        let pem =
                            std::fs::read(file).map_err(|e| format!("outgoing.ca_file {}: {e}", file.display()))?;
                        let cert = Certificate::from_pem(&pem)
                            .map_err(|e| format!("outgoing.ca_file {}: {e}", file.display()))?;
                        params = params.add_root_certificate(cert);
                    }
                    let params = params.build_rustls().map_err(|e| format!("TLS for {}: {e}", s.host))?;
                    b = b.tls(if s.tls == Tls::Tls { SmtpTls::Wrapper(params) } else { SmtpTls::Required(params) });
                }
                if let (Some(user), Some(pass)) = (&s.username, &s.password) {
                    b = b.credentials(Credentials::new(user.clone(), pass.clone()));
                }
                Ok(Sender::Smtp(b.build()))
            }
        }
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), Failure> {
        let from = row.envelope_from.parse().map_err(|e| Failure::Permanent(format!("sender address: {e}")))?;
        let mut to = Vec::new();
        for r in row.recipients.split(',').filter(|r| !r.is_empty()) {
            to.push(r.parse().map_err(|e| Failure::Permanent(format!("recipient `{r}`: {e}")))?);
        }
        let envelope = Envelope::new(Some(from), to).map_err(|e| Failure::Permanent(e.to_string()))?;
        match self {
            Sender::File(t) => {
                t.send_raw(&envelope, &row.content).await.map(drop).map_err(|e| Failure::Transient(e.to_string()))
            }
            Sender::Smtp(t) => t.send_raw(&envelope, &row.content).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    Failure::Permanent(e.to_string())
                } else {
                    Failure::Transient(e.to_string())
                }
            }),
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

/// Sends every row due now. Each attempt is recorded at the time the relay
/// answered it.
pub async fn send_due(
    store: &Store,
    sender: &Sender,
    max_attempts: u32,
    clock: &dyn Clock,
) -> Result<SendReport, StoreError> {
    const BATCH: i64 = 200;
    let mut report = SendReport::default();
    if store.backend() == Backend::Postgres {
        send_locked(store, sender, max_attempts, clock, &mut report).await?;
        return Ok(report);
    }
    let at: NaiveDateTime = clock.now().naive_utc();
    loop {
        let s = store.clone();
        let lease = at + LEASE;
        let rows = blocking(move || s.write(|conn| Ok(queries::claim_due_outbox(conn, at, lease, BATCH)?))).await?;
        let last_batch = (rows.len() as i64) < BATCH;
        send_batch(store, sender, max_attempts, clock, rows, &mut report).await?;
        if last_batch {
            return Ok(report);
        }
    }
}

async fn send_batch(
    store: &Store,
    sender: &Sender,
    max_attempts: u32,
    clock: &dyn Clock,
    rows: Vec<OutboxRow>,
    report: &mut SendReport,
) -> Result<(), StoreError> {
    for row in rows {
        let result = sender.send(&row).await;
        let at = clock.now().naive_utc();
        let verdict = Verdict::of(&row, result, max_attempts, report);
        let s = store.clone();
        blocking(move || s.write(|conn| verdict.record(conn, at))).await?;
    }
    Ok(())
}

/// PostgreSQL: each row is sent while its row lock is held, by the
/// transaction that then records the attempt. The lock ends with the
/// instance, so another instance takes a row over at once; it is sent
/// twice only if the instance died between the relay's answer and the
/// commit.
async fn send_locked(
    store: &Store,
    sender: &Sender,
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
        let result = sender.send(&row).await;
        let at = clock.now().naive_utc();
        let verdict = Verdict::of(&row, result, max_attempts, report);
        block_in_place(|| -> Result<(), StoreError> {
            match verdict.record(&mut conn, at) {
                Ok(()) => Ok(crate::store::commit(&mut conn)?),
                Err(e) => {
                    let _ = crate::store::rollback(&mut conn);
                    Err(e)
                }
            }
        })?;
    }
}

/// What an attempt comes to, and how it is written down.
struct Verdict {
    id: i64,
    attempts: i32,
    outcome: &'static str,
    detail: String,
}

impl Verdict {
    fn of(row: &OutboxRow, result: Result<(), Failure>, max_attempts: u32, report: &mut SendReport) -> Verdict {
        let attempts = row.attempts + 1;
        let outcome = match &result {
            Ok(()) => "sent",
            Err(Failure::Transient(_)) if attempts < max_attempts as i32 => "transient",
            Err(_) => "permanent",
        };
        match outcome {
            "sent" => report.sent += 1,
            "transient" => report.retrying += 1,
            _ => report.failed += 1,
        }
        let detail = match result {
            Ok(()) => String::new(),
            Err(Failure::Transient(m)) | Err(Failure::Permanent(m)) => m,
        };
        if !detail.is_empty() {
            tracing::warn!(outbox.id = row.id, attempts, error = %detail, "sending failed");
        }
        Verdict { id: row.id, attempts, outcome, detail }
    }

    fn record(&self, conn: &mut crate::store::Conn, at: NaiveDateTime) -> Result<(), StoreError> {
        let Verdict { id, attempts, outcome, detail } = self;
        queries::record_attempt(conn, *id, at, outcome, detail)?;
        match *outcome {
            "sent" => queries::mark_sent(conn, *id, at)?,
            "transient" => queries::mark_failed(conn, *id, detail, Some(at + backoff(attempts - 1)))?,
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
