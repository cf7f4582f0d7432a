//! `guichet retention [--dry-run]`: applies `[retention]` now, or shows
//! what it would remove (the sweeper of `run` does the same in batches).

use std::process::ExitCode;

use crate::store::retention::{self, Counts, Cutoffs};

use super::{Env, Failure};

/// Deletes raw mail, quarantine entries and old closed tickets as
/// `[retention]` says, now; with --dry-run, only says what would go.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Change nothing: show the counts and ticket numbers that would go
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(env: Env, args: Args) -> Result<ExitCode, Failure> {
    let policy = &env.settings.retention;
    let cut = Cutoffs::of(policy, env.clock.now());
    if cut.is_off() {
        println!("retention is off: [retention] sets no raw_mail_days, quarantine_days or closed_tickets_months");
        return Ok(ExitCode::SUCCESS);
    }
    let store = env.store()?;
    let counts = if args.dry_run {
        let mut conn = store.conn()?;
        retention::due(&mut conn, &cut)?
    } else {
        let technicians: Vec<String> = env.settings.technicians.iter().map(|t| t.email.clone()).collect();
        retention::run_all(&store, &cut, i64::from(policy.batch), &technicians, env.clock.now().naive_utc())?
    };
    if args.json {
        let v = serde_json::json!({ "dry_run": args.dry_run, "done": counts });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        print(&counts, args.dry_run);
    }
    Ok(ExitCode::SUCCESS)
}

fn print(c: &Counts, dry_run: bool) {
    let verb = if dry_run { "would go" } else { "gone" };
    let numbers = |ids: &[i64]| -> String {
        if ids.is_empty() {
            String::new()
        } else {
            format!(" ({})", ids.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", "))
        }
    };
    println!("raw mail:           {} {verb}", c.raw_mail);
    println!("quarantine entries: {} {verb}", c.quarantine);
    println!(
        "tickets anonymised: {}{}{}",
        c.anonymised.len(),
        numbers(&c.anonymised),
        if dry_run { " (would be)" } else { "" }
    );
    println!(
        "tickets deleted:    {}{}{}",
        c.deleted.len(),
        numbers(&c.deleted),
        if dry_run { " (would be)" } else { "" }
    );
}
