//! `GET /metrics`: the desk's counts in the Prometheus text format
//! (version 0.0.4), read from the store at each scrape, plus the time the
//! pipeline takes per mail when this process reads mail (`guichet run`).
//! With `[http] metrics_token_env`/`_file`, a scraper must show that token
//! as `Authorization: Bearer …`. `docs/metrics.md` lists every metric.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::Web;
use crate::domain::sla::{TimerKind, TimerState};
use crate::domain::ticket::Status;
use crate::ingest::latency::{self, Snapshot};
use crate::store::metrics::Counts;
use crate::store::StoreError;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The outbox's states and its attempts' results, as the sender writes them.
const OUTBOX_STATES: [&str; 3] = ["pending", "sent", "failed"];
const ATTEMPT_RESULTS: [&str; 6] = ["sent", "partial", "transient", "permanent", "too_large", "unknown"];
const QUARANTINE_STATES: [&str; 2] = ["held", "released"];

pub async fn metrics(State(web): State<Web>, headers: HeaderMap) -> Response {
    let live = web.live.borrow().clone();
    let token = live.settings.http.as_ref().and_then(|h| h.metrics_token.as_deref());
    if let Some(token) = token {
        if !shows_token(&headers, token) {
            let why = "/metrics needs `Authorization: Bearer <token>` with the token of [http] metrics_token_env or metrics_token_file\n";
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer realm=\"guichet metrics\"")], why)
                .into_response();
        }
    }
    let now = web.clock.now().naive_utc();
    let mailboxes: Vec<String> = live.settings.mailboxes.iter().map(|m| m.name.clone()).collect();
    let store = web.store.clone();
    let counts = tokio::task::spawn_blocking(move || -> Result<Counts, StoreError> {
        let mut conn = store.conn()?;
        Ok(crate::store::metrics::counts(&mut conn)?)
    })
    .await;
    match counts {
        Ok(Ok(counts)) => {
            let latency = latency::reads_mail().then(|| latency::INGEST.snapshot());
            let text = exposition(&counts, &mailboxes, now, latency.as_ref()).render();
            (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE), (header::CACHE_CONTROL, "no-store")], text)
                .into_response()
        }
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// Whether the request carries `Authorization: Bearer <token>`. Compared
/// as digests, so the time taken tells nothing about the token.
fn shows_token(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
    let Some((scheme, given)) = value.trim().split_once(' ') else { return false };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    let (a, b) = (Sha256::digest(given.trim().as_bytes()), Sha256::digest(token.as_bytes()));
    crate::domain::login::same_bytes(&a, &b)
}

/// Every family, in the order served.
fn exposition(c: &Counts, mailboxes: &[String], now: NaiveDateTime, latency: Option<&Snapshot>) -> Exposition {
    let mut e = Exposition::default();
    e.family("guichet_build_info", Type::Gauge, "The guichet version serving these metrics: always 1.")
        .sample(&[("version", env!("CARGO_PKG_VERSION"))], 1.0);

    let f = e.family("guichet_tickets", Type::Gauge, "Tickets by status.");
    for (status, n) in with_zeros(Status::ALL.iter().map(|s| s.as_str()), &c.tickets) {
        f.sample(&[("status", &status)], n as f64);
    }

    let f = e.family(
        "guichet_mails_ingested_total",
        Type::Counter,
        "Mails stored, by mailbox, outcome (ticket, article, automatic, quarantine, duplicate) and kind \
         (human, list, auto_reply, bounce, feedback, own; unknown when quarantined). A mail stored by \
         `quarantine retry` counts again under its new outcome.",
    );
    let mut ingested: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
    for (mailbox, outcome, kind, n) in &c.inbound {
        *ingested.entry((mailbox, outcome, kind)).or_default() += n;
    }
    for (mailbox, _, n) in &c.quarantine {
        *ingested.entry((mailbox, "quarantine", "unknown")).or_default() += n;
    }
    for ((mailbox, outcome, kind), n) in ingested {
        f.sample(&[("mailbox", mailbox), ("outcome", outcome), ("kind", kind)], n as f64);
    }

    let mut held: BTreeMap<&str, i64> = QUARANTINE_STATES.iter().map(|s| (*s, 0)).collect();
    for (_, state, n) in &c.quarantine {
        *held.entry(state).or_default() += n;
    }
    let f = e.family(
        "guichet_quarantine_mails",
        Type::Gauge,
        "Quarantine entries: held (waiting for `quarantine retry`) or released (stored by a retry).",
    );
    for (state, n) in held {
        f.sample(&[("state", state)], n as f64);
    }

    let f = e.family(
        "guichet_outbox_mails",
        Type::Gauge,
        "Outgoing mail by state: pending (the queue, retries included), sent, failed (given up: a permanent \
         refusal or the last attempt).",
    );
    for (state, n) in with_zeros(OUTBOX_STATES.into_iter(), &c.outbox) {
        f.sample(&[("state", &state)], n as f64);
    }
    let age = c.oldest_pending.map_or(0.0, |t| ((now - t).num_milliseconds() as f64 / 1000.0).max(0.0));
    e.family(
        "guichet_outbox_oldest_pending_age_seconds",
        Type::Gauge,
        "How long ago the oldest mail still to be sent was queued; 0 when the queue is empty.",
    )
    .sample(&[], age);
    let f = e.family(
        "guichet_outbox_attempts_total",
        Type::Counter,
        "Attempts to send outgoing mail by result: sent, partial (some recipients deferred), transient \
         (retried later), permanent (given up), too_large (refused for its size, sent again with its larger \
         files as links), unknown (a sender stopped before recording it).",
    );
    for (result, n) in with_zeros(ATTEMPT_RESULTS.into_iter(), &c.attempts) {
        f.sample(&[("result", &result)], n as f64);
    }

    let f = e.family("guichet_sla_timers", Type::Gauge, "SLA timers by kind and state.");
    let mut timers: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for kind in TimerKind::ALL {
        for state in TimerState::ALL {
            timers.insert((kind.as_str(), state.as_str()), 0);
        }
    }
    for (kind, state, n) in &c.timers {
        *timers.entry((kind, state)).or_default() += n;
    }
    for ((kind, state), n) in timers {
        f.sample(&[("kind", kind), ("state", state)], n as f64);
    }

    // Only the configured mailboxes: a removed one keeps its last row.
    let polled: Vec<_> = c.health.iter().filter(|h| mailboxes.contains(&h.mailbox)).collect();
    let f = e.family(
        "guichet_mailbox_poll_ok",
        Type::Gauge,
        "1 when the last poll of the mailbox (IMAP) succeeded, 0 when it failed.",
    );
    for h in &polled {
        f.sample(&[("mailbox", &h.mailbox)], if h.state == "ok" { 1.0 } else { 0.0 });
    }
    let f = e.family(
        "guichet_mailbox_poll_failures",
        Type::Gauge,
        "Polls of the mailbox (IMAP) that failed in a row, 0 after a good one.",
    );
    for h in &polled {
        f.sample(&[("mailbox", &h.mailbox)], f64::from(h.failures));
    }
    let f = e.family(
        "guichet_mailbox_last_ok_timestamp_seconds",
        Type::Gauge,
        "When a poll of the mailbox (IMAP) last succeeded, in Unix time; recorded at most once a minute.",
    );
    for h in &polled {
        if let Some(at) = h.last_ok_at {
            f.sample(&[("mailbox", &h.mailbox)], at.and_utc().timestamp_millis() as f64 / 1000.0);
        }
    }

    if let Some(s) = latency {
        e.family(
            "guichet_ingest_duration_seconds",
            Type::Histogram,
            "Per mail stored by this process's sources since it started, the time from the pipeline taking it \
             in hand (with the rest of its group, up to 100 mails) to the commit that stored it. Mail stored by \
             `guichet ingest` processes is not in it.",
        )
        .histogram(s);
    }
    e
}

/// `known` names first with 0 when the store has none, then any other
/// name the store has.
fn with_zeros<'a>(known: impl Iterator<Item = &'a str>, rows: &[(String, i64)]) -> Vec<(String, i64)> {
    let mut all: Vec<(String, i64)> = known.map(|k| (k.to_string(), 0)).collect();
    for (name, n) in rows {
        match all.iter_mut().find(|(k, _)| k == name) {
            Some(entry) => entry.1 += n,
            None => all.push((name.clone(), *n)),
        }
    }
    all
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Counter,
    Gauge,
    Histogram,
}

impl Type {
    fn as_str(self) -> &'static str {
        match self {
            Type::Counter => "counter",
            Type::Gauge => "gauge",
            Type::Histogram => "histogram",
        }
    }
}

/// Label names and values, in the order written.
type Labels = Vec<(&'static str, String)>;

/// One metric family: its HELP and TYPE lines, then its samples.
struct Family {
    name: &'static str,
    kind: Type,
    help: &'static str,
    /// (name suffix, labels, value).
    samples: Vec<(&'static str, Labels, f64)>,
}

impl Family {
    fn sample(&mut self, labels: &[(&'static str, &str)], value: f64) -> &mut Self {
        let labels = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.samples.push(("", labels, value));
        self
    }

    fn histogram(&mut self, s: &Snapshot) -> &mut Self {
        for (bound, n) in &s.buckets {
            self.samples.push(("_bucket", vec![("le", number(*bound))], *n as f64));
        }
        self.samples.push(("_sum", Vec::new(), s.sum_seconds));
        self.samples.push(("_count", Vec::new(), s.count as f64));
        self
    }
}

/// Families in order; each name once, its samples together under it.
#[derive(Default)]
struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    fn family(&mut self, name: &'static str, kind: Type, help: &'static str) -> &mut Family {
        debug_assert!(self.families.iter().all(|f| f.name != name), "{name} twice");
        self.families.push(Family { name, kind, help, samples: Vec::new() });
        let last = self.families.len() - 1;
        &mut self.families[last]
    }

    fn render(&self) -> String {
        let mut out = String::new();
        // A family without samples says nothing (no IMAP mailbox, say).
        for f in self.families.iter().filter(|f| !f.samples.is_empty()) {
            let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(f.help));
            let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
            for (suffix, labels, value) in &f.samples {
                out.push_str(f.name);
                out.push_str(suffix);
                if !labels.is_empty() {
                    let pairs: Vec<String> =
                        labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape_label(v))).collect();
                    let _ = write!(out, "{{{}}}", pairs.join(","));
                }
                let _ = writeln!(out, " {}", number(*value));
            }
        }
        out
    }
}

/// A sample value or bucket bound as the format writes it: integers
/// without a fraction, `+Inf`, `-Inf`, `NaN`.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        // Rust prints the shortest decimal that reads back the same, never
        // with an exponent: valid for the format's float parser.
        format!("{v}")
    }
}

/// In a label value: backslash, double quote and line feed are escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

/// In HELP text: backslash and line feed are escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', r"\\").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::models::MailboxHealth;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn counts() -> Counts {
        let health = |mailbox: &str, state: &str, failures: i32, last_ok: Option<&str>| MailboxHealth {
            mailbox: mailbox.into(),
            state: state.into(),
            detail: String::new(),
            holder: "host:1".into(),
            failures,
            last_ok_at: last_ok.map(at),
            updated_at: at("2026-12-01 10:00:00"),
        };
        Counts {
            tickets: vec![("new".into(), 3), ("resolved".into(), 1)],
            inbound: vec![
                ("support".into(), "article".into(), "bounce".into(), 1),
                ("support".into(), "ticket".into(), "human".into(), 3),
                ("sup\"port\\\n2".into(), "ticket".into(), "list".into(), 2),
            ],
            quarantine: vec![("support".into(), "held".into(), 1), ("support".into(), "released".into(), 2)],
            outbox: vec![("pending".into(), 4)],
            oldest_pending: Some(at("2026-12-01 09:59:30")),
            attempts: vec![("transient".into(), 2)],
            timers: vec![("resolution".into(), "running".into(), 3)],
            health: vec![
                health("[outgoing relay]", "failing", 2, None),
                health("gone", "failing", 9, None),
                health("imap", "failing", 3, Some("2026-12-01 09:00:00")),
                health("support", "ok", 0, None),
            ],
        }
    }

    fn rendered(latency: Option<&Snapshot>) -> String {
        let mailboxes = vec!["support".to_string(), "imap".to_string()];
        exposition(&counts(), &mailboxes, at("2026-12-01 10:00:00"), latency).render()
    }

    /// Checks what a strict reader of the text format requires: each
    /// family once, HELP then TYPE before its samples, samples named after
    /// their family, label values quoted and escaped, numbers that parse.
    /// Returns the samples as (name, labels, value).
    fn strictly(text: &str) -> Vec<(String, String, f64)> {
        assert!(text.ends_with('\n'), "the last line ends with a line feed");
        let mut seen = std::collections::HashSet::new();
        let mut family: Option<(String, String)> = None;
        let mut help_for: Option<String> = None;
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, _) = rest.split_once(' ').expect("HELP name text");
                assert!(seen.insert(name.to_string()), "family {name} appears twice");
                help_for = Some(name.to_string());
                family = None;
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE name type");
                assert_eq!(help_for.as_deref(), Some(name), "TYPE right after the HELP of {name}");
                assert!(["counter", "gauge", "histogram"].contains(&kind), "{kind}");
                family = Some((name.to_string(), kind.to_string()));
            } else {
                assert!(!line.starts_with('#') && !line.is_empty(), "unexpected line `{line}`");
                let (name, kind) = family.clone().expect("a sample after its family's HELP and TYPE");
                let (series, value) = line.rsplit_once(' ').expect("series value");
                let (sample_name, labels) = match series.split_once('{') {
                    Some((n, l)) => (n, l.strip_suffix('}').expect("labels closed")),
                    None => (series, ""),
                };
                let allowed: Vec<String> = match kind.as_str() {
                    "histogram" => ["_bucket", "_sum", "_count"].iter().map(|s| format!("{name}{s}")).collect(),
                    _ => vec![name.clone()],
                };
                assert!(allowed.iter().any(|a| a == sample_name), "{sample_name} under {name}");
                assert!(kind != "counter" || name.ends_with("_total"), "counter {name} ends in _total");
                // label="value" pairs, values escaped.
                let mut rest = labels;
                while !rest.is_empty() {
                    let (key, after) = rest.split_once("=\"").expect("label=\"");
                    assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "label name {key}");
                    let mut chars = after.char_indices();
                    let end = loop {
                        match chars.next().expect("closing quote") {
                            (_, '\\') => {
                                let (_, c) = chars.next().expect("escaped char");
                                assert!(['\\', '"', 'n'].contains(&c), "escape \\{c}");
                            }
                            (_, '\n') => panic!("raw line feed in a label value"),
                            (i, '"') => break i,
                            _ => {}
                        }
                    };
                    rest = after[end + 1..].strip_prefix(',').unwrap_or(&after[end + 1..]);
                }
                let v = match value {
                    "+Inf" => f64::INFINITY,
                    "-Inf" => f64::NEG_INFINITY,
                    "NaN" => f64::NAN,
                    v => v.parse().unwrap_or_else(|_| panic!("value {v}")),
                };
                samples.push((sample_name.to_string(), labels.to_string(), v));
            }
        }
        samples
    }

    fn value(samples: &[(String, String, f64)], name: &str, labels: &str) -> f64 {
        samples.iter().find(|(n, l, _)| n == name && l == labels).map(|s| s.2).unwrap_or_else(|| {
            panic!("no {name}{{{labels}}}");
        })
    }

    #[test]
    fn the_exposition_is_well_formed_with_help_and_type_before_each_family_once() {
        let h = latency::Histogram::new();
        h.observe(std::time::Duration::from_millis(3));
        h.observe(std::time::Duration::from_millis(700));
        let text = rendered(Some(&h.snapshot()));
        let samples = strictly(&text);
        assert_eq!(value(&samples, "guichet_tickets", "status=\"new\""), 3.0);
        assert_eq!(value(&samples, "guichet_tickets", "status=\"planned\""), 0.0, "known statuses at 0");
        assert_eq!(value(&samples, "guichet_outbox_mails", "state=\"failed\""), 0.0);
        assert_eq!(value(&samples, "guichet_outbox_oldest_pending_age_seconds", ""), 30.0);
        assert_eq!(value(&samples, "guichet_outbox_attempts_total", "result=\"permanent\""), 0.0);
        assert_eq!(value(&samples, "guichet_sla_timers", "kind=\"resolution\",state=\"running\""), 3.0);
        assert_eq!(value(&samples, "guichet_sla_timers", "kind=\"first_response\",state=\"breached\""), 0.0);
        assert_eq!(value(&samples, "guichet_quarantine_mails", "state=\"released\""), 2.0);
        // Every quarantined mail, released or not, once.
        let q = "mailbox=\"support\",outcome=\"quarantine\",kind=\"unknown\"";
        assert_eq!(value(&samples, "guichet_mails_ingested_total", q), 3.0);
        assert_eq!(value(&samples, "guichet_ingest_duration_seconds_bucket", "le=\"0.005\""), 1.0);
        assert_eq!(value(&samples, "guichet_ingest_duration_seconds_bucket", "le=\"+Inf\""), 2.0);
        assert_eq!(value(&samples, "guichet_ingest_duration_seconds_count", ""), 2.0);
        assert!((value(&samples, "guichet_ingest_duration_seconds_sum", "") - 0.703).abs() < 1e-9);
    }

    #[test]
    fn label_values_are_escaped_and_help_stays_on_one_line() {
        let text = rendered(None);
        strictly(&text);
        assert!(text.contains(r#"mailbox="sup\"port\\\n2""#), "{text}");
        assert_eq!(escape_help("a\\b\nc"), r"a\\b\nc");
        assert_eq!(escape_label("\"\\\n"), r#"\"\\\n"#);
    }

    #[test]
    fn only_configured_mailboxes_are_shown_and_the_relay_row_is_not_a_mailbox() {
        let text = rendered(None);
        assert!(text.contains("guichet_mailbox_poll_ok{mailbox=\"support\"} 1\n"), "{text}");
        assert!(text.contains("guichet_mailbox_poll_ok{mailbox=\"imap\"} 0\n"), "{text}");
        assert!(text.contains("guichet_mailbox_poll_failures{mailbox=\"imap\"} 3\n"), "{text}");
        assert!(text.contains("guichet_mailbox_last_ok_timestamp_seconds{mailbox=\"imap\"} 1796115600\n"), "{text}");
        assert!(!text.contains("gone") && !text.contains("relay"), "{text}");
    }

    #[test]
    fn without_mail_read_by_this_process_there_is_no_latency_histogram() {
        assert!(!rendered(None).contains("guichet_ingest_duration_seconds"));
    }

    #[test]
    fn numbers_are_written_as_the_format_reads_them() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.005), "0.005");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(1e-7), "0.0000001");
    }

    #[test]
    fn a_scraper_must_show_the_bearer_token_when_one_is_set() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().unwrap());
            h
        };
        let token = "s3cret-token-for-metrics";
        assert!(shows_token(&with("Bearer s3cret-token-for-metrics"), token));
        assert!(shows_token(&with("bearer s3cret-token-for-metrics"), token));
        assert!(!shows_token(&with("Bearer s3cret-token-for-metric"), token));
        assert!(!shows_token(&with("Basic czNjcmV0"), token));
        assert!(!shows_token(&HeaderMap::new(), token));
    }
}
