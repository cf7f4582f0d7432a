//! From a mail accepted by Postfix to its acknowledgement accepted by
//! Postfix, with `guichet run` watching the support mailbox with IDLE.
//!
//! Needs the test servers (`scripts/bench-latency.sh` starts them):
//! `cargo bench --bench idle_latency -- [MAILS]` prints each latency, the
//! median and the 95th percentile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/servers.rs"]
#[allow(dead_code)]
mod servers;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::sql_types::{Nullable, Text, Timestamp};
use diesel::{QueryableByName, RunQueryDsl};
use servers::Servers;

#[derive(QueryableByName)]
struct Sent {
    #[diesel(sql_type = Nullable<Text>)]
    request: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    sent_at: Option<NaiveDateTime>,
    /// When guichet began the pass that stored the mail (IDLE woke it).
    #[diesel(sql_type = Nullable<Timestamp>)]
    stored_at: Option<NaiveDateTime>,
}

#[allow(clippy::disallowed_methods)] // the bench's own stopwatch, not the desk's clock
fn wall() -> DateTime<Utc> {
    Utc::now()
}

fn main() {
    let mails: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(50);
    let srv = Servers::get();
    let (support, requester, tech) = (srv.user("support"), srv.user("requester"), srv.user("tech"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("guichet.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[database]
url = "sqlite://guichet.db"
{mailbox}
{outgoing}
[templates]
dir = "{templates}"

[[technician]]
email = "{tech}"
name = "Tess Tech"

[limits]
automatic_per_hour = 10000
"#,
            mailbox = srv.mailbox_toml("support", &support, "move:Processed"),
            outgoing = srv.outgoing_toml(),
            templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
        ),
    )
    .unwrap();
    let log = dir.path().join("run.log");
    let mut run = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("GUICHET_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("polling") {
        if start.elapsed() > Duration::from_secs(30) || run.try_wait().ok().flatten().is_some() {
            panic!("guichet run did not start:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the first IDLE begin.
    std::thread::sleep(Duration::from_millis(500));

    let mut accepted: HashMap<String, DateTime<Utc>> = HashMap::new();
    for i in 0..mails {
        let id = format!("latency{i}.{}@bench.example.test", std::process::id());
        let raw = format!(
            "From: {requester}\r\nTo: {support}\r\nSubject: Mesure {i}\r\nMessage-ID: <{id}>\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, l'imprimante {i} est en panne.\r\n"
        );
        srv.send(&requester, &[&support], raw.as_bytes());
        accepted.insert(id, wall());
        // One at a time: each mail is measured on a desk with nothing else
        // to do.
        srv.wait_for(&requester, "INBOX", i + 1, Duration::from_secs(60));
    }
    let _ = run.kill();
    let _ = run.wait();

    let settings = guichet::config::Settings::load(&config).unwrap();
    let store = guichet::store::Store::connect(&settings.database).unwrap();
    let rows: Vec<Sent> = diesel::sql_query(
        "SELECT i.message_id AS request, o.sent_at AS sent_at, i.created_at AS stored_at FROM inbound i \
         JOIN outbox o ON o.ticket_id = i.ticket_id AND o.template = 'acknowledgement' WHERE o.state = 'sent'",
    )
    .load(&mut *store.conn().unwrap())
    .unwrap();
    let mut ms: Vec<f64> = rows
        .iter()
        .filter_map(|r| {
            let t0 = accepted.get(r.request.as_deref()?)?;
            let t1 = r.sent_at?.and_utc();
            Some((t1 - *t0).num_microseconds()? as f64 / 1000.0)
        })
        .collect();
    assert_eq!(ms.len(), mails, "every mail acknowledged once");
    // guichet's own share: from the IDLE wake-up to the relay's answer.
    let mut own: Vec<f64> =
        rows.iter().filter_map(|r| Some((r.sent_at? - r.stored_at?).num_microseconds()? as f64 / 1000.0)).collect();
    println!("mails: {mails}");
    println!("end to end   {}", summary(&mut ms));
    println!("guichet part {}", summary(&mut own));
    println!("end to end, each (ms): {}", ms.iter().map(|m| format!("{m:.0}")).collect::<Vec<_>>().join(" "));
}

fn summary(ms: &mut [f64]) -> String {
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    format!("median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms", pct(0.5), pct(0.95), ms[0], ms[ms.len() - 1])
}
