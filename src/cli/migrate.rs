//! `guichet migrate`

use std::process::ExitCode;

use crate::store::Store;

use super::{Env, Failure};

/// Apply pending database migrations (every command that opens the
/// database also applies them).
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(env: Env, _args: Args) -> Result<ExitCode, Failure> {
    let store = Store::connect(&env.settings.database)?;
    let applied = store.migrate()?;
    for name in &applied {
        println!("applied {name}");
    }
    println!("database is up to date ({} migration(s) applied now)", applied.len());
    Ok(ExitCode::SUCCESS)
}
