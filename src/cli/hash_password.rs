//! `guichet hash-password`

use std::io::{BufRead, Read};
use std::process::ExitCode;

use crate::domain::login::{PasswordHash, ITERATIONS};

use super::{exit, Failure};

/// Reads a password on stdin (its first line) and prints the hash to put
/// in an `[[admin]]`'s `password_hash`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// PBKDF2 iterations (fewer are faster to check and easier to guess)
    #[arg(long, default_value_t = ITERATIONS, value_parser = clap::value_parser!(u32).range(1000..))]
    iterations: u32,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("cannot read the password on stdin: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(Failure::new(exit::USAGE, anyhow::anyhow!("no password on stdin")));
    }
    let mut salt = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut salt))
        .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("cannot read /dev/urandom for a salt: {e}")))?;
    println!("{}", PasswordHash::new(password, &salt, args.iterations));
    Ok(ExitCode::SUCCESS)
}
