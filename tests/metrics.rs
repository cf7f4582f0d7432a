//! `/metrics` through `guichet serve` and `guichet run`: what a Prometheus
//! server would read, parsed by a strict text-format parser, holds the
//! counts of what the desk did, whichever process did it; counters never
//! go down; the latency histogram is served by the process that reads the
//! mail; a token, when set, is required.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;
use openmetrics_parser::{prometheus::parse_prometheus, PrometheusValue};
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

fn get(port: u16, path: &str, authorization: Option<&str>) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Reply { status, head: head.to_ascii_lowercase(), body: body.to_string() }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(desk: &Desk, port: u16) -> Server {
    let child = desk.command(&["serve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let server = Server(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() || get(port, "/healthz", None).status != 200 {
        assert!(start.elapsed() < Duration::from_secs(20), "guichet serve did not answer /healthz");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// A histogram as served: (upper bound, cumulative count) buckets, sum, count.
type Histogram = (Vec<(f64, f64)>, f64, f64);

/// Counters and gauges as `name{label="value",…}` → value (labels in
/// name order), and each histogram.
#[derive(Debug, Default)]
struct Scrape {
    series: BTreeMap<String, f64>,
    histograms: BTreeMap<String, Histogram>,
    types: BTreeMap<String, String>,
}

impl Scrape {
    fn get(&self, series: &str) -> f64 {
        *self.series.get(series).unwrap_or_else(|| panic!("no {series} in {:#?}", self.series))
    }

    /// The series of one family.
    fn family(&self, name: &str) -> BTreeMap<String, f64> {
        self.series.iter().filter(|(k, _)| k.split('{').next() == Some(name)).map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// GET /metrics, checked as a scraper would, and parsed strictly.
fn scrape(port: u16, authorization: Option<&str>) -> Scrape {
    let reply = get(port, "/metrics", authorization);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.head.contains("content-type: text/plain; version=0.0.4; charset=utf-8"), "{}", reply.head);
    let exposition = parse_prometheus(&reply.body)
        .unwrap_or_else(|e| panic!("not the Prometheus text format: {e:?}\n{}", reply.body));
    let mut out = Scrape::default();
    for (name, family) in &exposition.families {
        assert!(name.starts_with("guichet_"), "{name}");
        assert!(!family.help.is_empty(), "{name} has HELP");
        out.types.insert(name.clone(), family.family_type.to_string());
        for sample in family.iter_samples() {
            let labelset = sample.get_labelset().unwrap();
            let mut labels: Vec<(String, String)> = labelset.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            labels.sort();
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            let key = if labels.is_empty() { name.clone() } else { format!("{name}{{{}}}", labels.join(",")) };
            let value = match &sample.value {
                PrometheusValue::Counter(c) => c.value.as_f64(),
                PrometheusValue::Gauge(n) => n.as_f64(),
                PrometheusValue::Histogram(h) => {
                    let buckets = h.buckets.iter().map(|b| (b.upper_bound, b.count.as_f64())).collect();
                    let sum = h.sum.as_ref().map(|s| s.as_f64()).unwrap();
                    let count = h.count.unwrap() as f64;
                    out.histograms.insert(key, (buckets, sum, count));
                    continue;
                }
                other => panic!("{name}: unexpected {other:?}"),
            };
            assert!(out.series.insert(key.clone(), value).is_none(), "{key} twice");
        }
    }
    out
}

/// How many objects of `items` have each value at `field`.
fn tally<'a>(items: impl Iterator<Item = &'a Value>, field: impl Fn(&Value) -> String) -> BTreeMap<String, f64> {
    let mut n = BTreeMap::new();
    for item in items {
        *n.entry(field(item)).or_insert(0.0) += 1.0;
    }
    n
}

/// A gauge family's non-zero series as `label value` → value.
fn nonzero(scrape: &Scrape, family: &str) -> BTreeMap<String, f64> {
    scrape
        .family(family)
        .into_iter()
        .filter(|(_, v)| *v != 0.0)
        .map(|(k, v)| (k.split_once('{').map(|(_, l)| l.trim_end_matches('}').to_string()).unwrap_or(k), v))
        .collect()
}

/// A desk with an SLA policy, a small size limit (a large mail is held
/// in quarantine), an IMAP mailbox nobody answers, and `[http]`.
fn config(port: u16, imap_port: u16, max_bytes: usize, http_extra: &str) -> String {
    Desk::config_text(
        &format!(
            r#"
[[mailbox]]
name = "imap"
kind = "imap"
address = "imap-help@example.test"
host = "127.0.0.1"
port = {imap_port}
tls = "none"
username = "help"
password_file = "imap-password"

[limits]
max_message_bytes = {max_bytes}

[[sla]]
name = "standard"
first_response = "4h"
resolution = "16h"

[http]
listen = "127.0.0.1:{port}"
{http_extra}
"#
        ),
        "",
    )
}

fn auto_reply(subject: &str) -> Vec<u8> {
    mail(ALICE, subject, "ooo-1@example.test", "Auto-Submitted: auto-replied\r\n", "I am away until Monday.")
}

fn bounce() -> Vec<u8> {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\nTo: {SUPPORT}\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example.test>\r\n\
Auto-Submitted: auto-replied\r\nX-Failed-Recipients: nobody@example.test\r\n\
Content-Type: text/plain\r\n\r\nThe mail to nobody@example.test could not be delivered.\r\n"
    )
    .into_bytes()
}

#[test]
fn a_scrape_parses_and_counts_what_each_mail_became_and_counters_never_go_down() {
    let port = free_port();
    let imap_port = free_port();
    let mut desk = Desk::with_config(&config(port, imap_port, 4096, ""));
    std::fs::write(desk.path("imap-password"), "secret\n").unwrap();
    desk.now = Some("2026-12-01T09:00:00Z".into());

    let first = mail(ALICE, "Imprimante en panne", "alice-1@example.test", "", "Elle ne marche plus.");
    let out = desk.ingest(&first);
    assert_eq!(out["outcome"], "ticket", "{out}");
    let n = as_i64(&out["ticket"]);
    let tag = format!("RE: [Guichet #{n}] Imprimante en panne");
    let reply = mail(ALICE, &tag, "alice-2@example.test", "", "Toujours en panne.");
    assert_eq!(desk.ingest(&reply)["outcome"], "article");
    assert_eq!(desk.ingest(&auto_reply(&tag))["outcome"], "article");
    let b = desk.ingest(&bounce());
    assert_eq!((b["outcome"].as_str(), b["kind"].as_str()), (Some("automatic"), Some("bounce")), "{b}");
    let big = mail(ALICE, "Photos", "alice-big@example.test", "", &"x".repeat(5000));
    let held = desk.ingest(&big);
    assert_eq!(held["outcome"], "quarantined", "{held}");
    // The same mail again through another path (one more header): a
    // duplicate recorded; the very same bytes again: nothing new.
    let relayed = [b"Received: from relay.example.test\r\n".as_slice(), &first].concat();
    assert_eq!(desk.ingest(&relayed)["outcome"], "duplicate");
    assert_eq!(desk.ingest(&first)["outcome"], "duplicate");
    // A technician's answer meets the first-response timer.
    let answer = mail(MARC, &tag, "marc-1@example.test", "", "Je passe cet après-midi.");
    assert_eq!(desk.ingest(&answer)["outcome"], "article");

    desk.now = Some("2026-12-01T09:10:00Z".into());
    let before = {
        let _server = serve(&desk, port);
        scrape(port, None)
    };
    let ingested = |s: &Scrape, outcome: &str, kind: &str| {
        s.get(&format!("guichet_mails_ingested_total{{kind=\"{kind}\",mailbox=\"support\",outcome=\"{outcome}\"}}"))
    };
    assert_eq!(ingested(&before, "ticket", "human"), 1.0);
    assert_eq!(ingested(&before, "article", "human"), 2.0, "the requester's reply and the technician's answer");
    assert_eq!(ingested(&before, "article", "auto_reply"), 1.0);
    assert_eq!(ingested(&before, "automatic", "bounce"), 1.0);
    assert_eq!(ingested(&before, "quarantine", "unknown"), 1.0);
    assert_eq!(ingested(&before, "duplicate", "human"), 1.0);
    assert_eq!(before.family("guichet_mails_ingested_total").len(), 6, "{:#?}", before.series);
    assert_eq!(before.types["guichet_mails_ingested_total"], "counter");
    assert_eq!(before.get("guichet_quarantine_mails{state=\"held\"}"), 1.0);
    assert_eq!(before.get("guichet_quarantine_mails{state=\"released\"}"), 0.0);

    // What the CLI shows, the scrape shows.
    let tickets = desk.tickets();
    let by_status = tally(tickets.iter(), |t| format!("status=\"{}\"", t["status"].as_str().unwrap()));
    assert_eq!(nonzero(&before, "guichet_tickets"), by_status);
    let timers: Vec<Value> = tickets.iter().flat_map(|t| t["sla"].as_array().unwrap().clone()).collect();
    assert!(!timers.is_empty());
    let by_state = tally(timers.iter(), |t| {
        format!("kind=\"{}\",state=\"{}\"", t["kind"].as_str().unwrap(), t["state"].as_str().unwrap())
    });
    assert_eq!(nonzero(&before, "guichet_sla_timers"), by_state);
    assert_eq!(before.get("guichet_sla_timers{kind=\"first_response\",state=\"met\"}"), 1.0);
    let outbox = desk.outbox();
    let pending = outbox.iter().filter(|m| m["state"] == "pending").count() as f64;
    assert!(pending > 0.0);
    assert_eq!(before.get("guichet_outbox_mails{state=\"pending\"}"), pending);
    assert_eq!(before.get("guichet_outbox_mails{state=\"sent\"}"), 0.0);
    assert_eq!(before.get("guichet_outbox_oldest_pending_age_seconds"), 600.0, "queued at 09:00, read at 09:10");
    assert_eq!(before.family("guichet_outbox_attempts_total").values().sum::<f64>(), 0.0);
    assert!(before.family("guichet_mailbox_poll_ok").is_empty(), "not polled yet");
    assert!(before.histograms.is_empty(), "serve reads no mail: no latency histogram");

    // The limit raised, the held mail is stored; one pass sends the
    // outbox and finds the IMAP server down, a second too.
    std::fs::write(&desk.config, config(port, imap_port, 1 << 20, "")).unwrap();
    let id = as_i64(&held["id"]).to_string();
    assert!(desk.ok(&["quarantine", "retry", &id]).contains("new ticket"));
    for _ in 0..2 {
        assert_eq!(desk.run(&["run", "--once"]).status.code(), Some(75), "the IMAP mailbox is unreachable");
    }
    let after = {
        let _server = serve(&desk, port);
        scrape(port, None)
    };
    for (series, was) in &before.series {
        if before.types[series.split('{').next().unwrap()] == "counter" {
            assert!(after.get(series) >= *was, "{series} went down from {was} to {}", after.get(series));
        }
    }
    assert_eq!(ingested(&after, "ticket", "human"), 2.0, "the released mail opened a ticket");
    assert_eq!(ingested(&after, "quarantine", "unknown"), 1.0, "and still counts as quarantined once");
    assert_eq!(after.get("guichet_quarantine_mails{state=\"held\"}"), 0.0);
    assert_eq!(after.get("guichet_quarantine_mails{state=\"released\"}"), 1.0);
    let outbox = desk.outbox();
    let states = tally(outbox.iter(), |m| format!("state=\"{}\"", m["state"].as_str().unwrap()));
    assert_eq!(nonzero(&after, "guichet_outbox_mails"), states);
    let sent = outbox.iter().filter(|m| m["state"] == "sent").count() as f64;
    assert!(sent > 0.0);
    assert_eq!(after.get("guichet_outbox_attempts_total{result=\"sent\"}"), sent);
    assert_eq!(after.get("guichet_outbox_oldest_pending_age_seconds"), 0.0, "nothing waits");
    assert_eq!(after.get("guichet_mailbox_poll_ok{mailbox=\"imap\"}"), 0.0);
    assert_eq!(after.get("guichet_mailbox_poll_failures{mailbox=\"imap\"}"), 2.0);
    assert!(after.family("guichet_mailbox_last_ok_timestamp_seconds").is_empty(), "never polled well");
    assert_eq!(after.types["guichet_mailbox_poll_failures"], "gauge");
}

#[test]
fn with_a_metrics_token_a_scraper_without_it_or_with_another_gets_401() {
    let port = free_port();
    let token = "5d41402abc4b2a76b9719d911017c592";
    let desk = Desk::with_config(&config(port, free_port(), 1 << 20, "metrics_token_file = \"metrics-token\""));
    std::fs::write(desk.path("imap-password"), "secret\n").unwrap();
    std::fs::write(desk.path("metrics-token"), format!("{token}\n")).unwrap();
    let _server = serve(&desk, port);

    for auth in [None, Some("Bearer wrong-token-of-the-same-kind"), Some(&*format!("Basic {token}"))] {
        let reply = get(port, "/metrics", auth);
        assert_eq!(reply.status, 401, "{auth:?}: {}", reply.body);
        assert!(reply.head.contains("www-authenticate: bearer"), "{}", reply.head);
        assert!(!reply.body.contains("guichet_"), "no metrics without the token");
    }
    let s = scrape(port, Some(&format!("Bearer {token}")));
    assert_eq!(s.get(&format!("guichet_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"))), 1.0);
    assert_eq!(get(port, "/healthz", None).status, 200, "the health check stays open");
}

#[test]
fn a_metrics_token_too_short_is_a_config_problem_that_names_its_key() {
    let desk = Desk::with_config(&config(free_port(), free_port(), 1 << 20, "metrics_token_file = \"metrics-token\""));
    std::fs::write(desk.path("imap-password"), "secret\n").unwrap();
    std::fs::write(desk.path("metrics-token"), "short\n").unwrap();
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`http.metrics_token_file`"), "{text}");
    assert!(!text.contains("short"), "the token is not shown: {text}");
}

#[test]
fn run_serves_the_time_each_mail_took_as_a_histogram_of_the_mail_it_read() {
    let port = free_port();
    let desk = Desk::with(&format!("[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    for i in 0..3 {
        let raw = mail(ALICE, &format!("Demande {i}"), &format!("run-{i}@example.test"), "", "Bonjour.");
        desk.deliver(&format!("{i}.eml"), &raw);
    }
    let (child, lines) = start_run(&desk);
    let _run = Server(child);
    for _ in 0..3 {
        wait_for(&lines, "mail stored");
    }
    let s = scrape(port, None);
    assert_eq!(s.types["guichet_ingest_duration_seconds"], "histogram");
    let (buckets, sum, count) = &s.histograms["guichet_ingest_duration_seconds"];
    assert_eq!(*count, 3.0);
    assert!(*sum > 0.0);
    assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1), "cumulative: {buckets:?}");
    assert_eq!(buckets.last(), Some(&(f64::INFINITY, 3.0)), "+Inf holds every mail");
    let ingested = "guichet_mails_ingested_total{kind=\"human\",mailbox=\"support\",outcome=\"ticket\"}";
    assert_eq!(s.get(ingested), 3.0);
}
