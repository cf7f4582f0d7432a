//! How often the knowledge base suggests the right article: the articles of
//! `tests/fixtures/kb/articles` (seven topics, French and English) and the
//! sixty-two mails of `tests/fixtures/kb/mails.json`, each labelled with the
//! article that answers it or none, on an empty SQLite desk. For each
//! relevance threshold: the mails whose first suggestion is the right
//! article, those given a wrong one, those given none when one was due, and
//! those given one when none was. `--database URL` runs on PostgreSQL.
//!
//!   cargo bench --bench kb_accuracy [-- --database URL]

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use guichet::config::{Database, Knowledge};
use guichet::domain::knowledge::read_written;
use guichet::domain::ticket::Lang;
use guichet::kb::{save, suggest, Text};
use guichet::store::Store;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let url = args.iter().position(|a| a == "--database").and_then(|i| args.get(i + 1)).cloned();
    let work = tempfile::tempdir().unwrap();
    let database = match &url {
        Some(url) => Database::Postgres { url: url.clone(), pool_size: 2 },
        None => Database::Sqlite { path: work.path().join("kb.db"), busy_timeout: Duration::from_secs(5) },
    };
    let store = Store::open(&database).expect("open the store");
    let mut conn = store.conn().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kb");

    let mut files: Vec<PathBuf> =
        std::fs::read_dir(fixtures.join("articles")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let now = guichet::domain::clock::Clock::now(&guichet::domain::clock::SystemClock).naive_utc();
    let mut by_id = BTreeMap::new();
    for f in &files {
        let w = read_written(&std::fs::read_to_string(f).unwrap()).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = Text { title: &w.title, body: &w.body, lang: w.lang.unwrap(), tags: &w.tags, status: "published" };
        let id = save(&mut conn, None, &text, None, Some(&name), now).unwrap();
        by_id.insert(id, name);
    }
    let mails: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("mails.json")).unwrap()).unwrap();

    // Every match, scored once; each threshold then reads the same list.
    let started = Instant::now();
    let mut scored = Vec::new();
    for m in &mails {
        let lang: Lang = m["lang"].as_str().unwrap().parse().unwrap();
        let text = format!("{}\n{}", m["subject"].as_str().unwrap(), m["body"].as_str().unwrap());
        let found = suggest(&mut conn, &text, lang, 0.0, 3).unwrap();
        let first = found.first().map(|(a, s)| (by_id[&a.id].clone(), *s));
        scored.push((m, first));
    }
    let per_mail = started.elapsed() / mails.len() as u32;

    let default = Knowledge::default().min_score;
    let backend = if url.is_some() { "postgresql" } else { "sqlite" };
    println!(
        "{backend}: {} articles, {} mails ({} with an answer); {per_mail:.2?} a mail to search and score",
        by_id.len(),
        mails.len(),
        mails.iter().filter(|m| !m["expect"].is_null()).count()
    );
    println!("threshold  right  wrong  missed  unwanted  share right");
    for t in [0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50] {
        let (mut right, mut wrong, mut missed, mut unwanted) = (0, 0, 0, 0);
        for (m, first) in &scored {
            let got = first.as_ref().filter(|(_, s)| *s >= t).map(|(name, _)| name.as_str());
            match (m["expect"].as_str(), got) {
                (Some(e), Some(g)) if e == g => right += 1,
                (Some(_), Some(_)) => wrong += 1,
                (Some(_), None) => missed += 1,
                (None, Some(_)) => unwanted += 1,
                (None, None) => right += 1,
            }
        }
        let mark = if (t - default).abs() < 1e-9 { "  (default)" } else { "" };
        let share = 100.0 * f64::from(right) / mails.len() as f64;
        println!("{t:>9.2}  {right:>5}  {wrong:>5}  {missed:>6}  {unwanted:>8}  {share:>10.0} %{mark}");
    }
    println!("at the default threshold, the mails not answered right:");
    for (m, first) in &scored {
        let got = first.as_ref().filter(|(_, s)| *s >= default);
        let ok = match (m["expect"].as_str(), got) {
            (Some(e), Some((g, _))) => e == g,
            (None, None) => true,
            _ => false,
        };
        if !ok {
            let best = first.as_ref().map_or("nothing".to_string(), |(n, s)| format!("{n} ({s:.2})"));
            println!(
                "  {:<50} expected {:<25} best {best}",
                m["subject"].as_str().unwrap(),
                m["expect"].as_str().unwrap_or("none")
            );
        }
    }
}
