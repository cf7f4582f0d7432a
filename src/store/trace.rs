//! `GUICHET_STATEMENTS=FILE`: what the store asked of the database, for
//! measuring. Every statement is counted by its SQL (lists of `?` made
//! one), timed, and its preparations counted (a statement prepared as
//! often as it runs is not reused); when the process ends the table goes
//! to FILE, the costliest first. Off unless the variable is set.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};

#[derive(Default)]
struct Tally {
    runs: u64,
    prepared: u64,
    time: Duration,
}

fn tallies() -> &'static Mutex<HashMap<String, Tally>> {
    static T: OnceLock<Mutex<HashMap<String, Tally>>> = OnceLock::new();
    T.get_or_init(Default::default)
}

fn target() -> Option<&'static str> {
    static FILE: OnceLock<Option<String>> = OnceLock::new();
    FILE.get_or_init(|| std::env::var("GUICHET_STATEMENTS").ok().filter(|f| !f.is_empty())).as_deref()
}

/// Counts the statements of every connection opened from now on, when
/// `GUICHET_STATEMENTS` names a file. Called before the first connection.
pub fn install() {
    if target().is_none() {
        return;
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let made = diesel::connection::set_default_instrumentation(|| Some(Box::new(Counter::default())));
        if let Err(e) = made {
            tracing::warn!(error = %e, "GUICHET_STATEMENTS: statements cannot be counted");
        }
    });
}

/// The statement's SQL without its binds, each list of placeholders made
/// one, so that a query counts once whatever the length of its list.
fn shape(query: &str) -> String {
    let sql = query.split(" -- binds:").next().unwrap_or(query).trim();
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find("(?") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(')').map_or(tail.len(), |e| e + 1);
        let inside = &tail[1..end.saturating_sub(1)];
        let only_marks = inside.split(',').all(|p| p.trim() == "?");
        out.push_str(if only_marks { "(?…)" } else { &tail[..end] });
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[derive(Default)]
struct Counter {
    running: Option<(String, Instant)>,
}

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                self.running = Some((shape(&query.to_string()), Instant::now()));
            }
            InstrumentationEvent::CacheQuery { sql, .. } => {
                let mut t = tallies().lock().unwrap_or_else(|e| e.into_inner());
                t.entry(shape(sql)).or_default().prepared += 1;
            }
            InstrumentationEvent::FinishQuery { .. } => {
                if let Some((sql, started)) = self.running.take() {
                    let mut t = tallies().lock().unwrap_or_else(|e| e.into_inner());
                    let tally = t.entry(sql).or_default();
                    tally.runs += 1;
                    tally.time += started.elapsed();
                }
            }
            _ => {}
        }
    }
}

/// Writes the table (runs, times prepared, milliseconds, SQL; tab
/// separated, the costliest first) to the file `GUICHET_STATEMENTS` names.
pub fn write_report() {
    let Some(path) = target() else { return };
    let t = tallies().lock().unwrap_or_else(|e| e.into_inner());
    let mut rows: Vec<_> = t.iter().collect();
    rows.sort_by(|a, b| b.1.time.cmp(&a.1.time).then(b.1.runs.cmp(&a.1.runs)));
    let mut text = String::from("runs\tprepared\tms\tsql\n");
    for (sql, tally) in rows {
        let ms = tally.time.as_secs_f64() * 1000.0;
        text.push_str(&format!("{}\t{}\t{ms:.1}\t{}\n", tally.runs, tally.prepared, sql.replace('\n', " ")));
    }
    if let Err(e) = std::fs::write(path, text) {
        eprintln!("guichet: GUICHET_STATEMENTS: cannot write {path}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::shape;

    #[test]
    fn lists_of_placeholders_count_as_one_statement_and_binds_are_dropped() {
        let a = shape("SELECT id FROM t WHERE x IN (?, ?, ?) AND y = ? -- binds: [1, 2, 3, 4]");
        let b = shape("SELECT id FROM t WHERE x IN (?) AND y = ? -- binds: [1, 4]");
        assert_eq!(a, "SELECT id FROM t WHERE x IN (?…) AND y = ?");
        assert_eq!(a, b);
        assert_eq!(shape("INSERT INTO t (a, b) VALUES (?, ?)"), "INSERT INTO t (a, b) VALUES (?…)");
        assert_eq!(shape("SELECT count(x) FROM t"), "SELECT count(x) FROM t");
    }
}
