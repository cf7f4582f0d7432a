//! Keys the desk makes for itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

/// A key the desk made for itself, made by `make` the first time. Two
/// instances asking at once agree on the first one stored.
pub fn desk_secret(conn: &mut Conn, name: &str, make: impl FnOnce() -> String, now: NaiveDateTime) -> QResult<String> {
    let stored =
        |conn: &mut Conn| desk_secrets::table.find(name).select(desk_secrets::value).first::<String>(conn).optional();
    if let Some(v) = stored(conn)? {
        return Ok(v);
    }
    let value = make();
    let row = (desk_secrets::name.eq(name), desk_secrets::value.eq(&value), desk_secrets::created_at.eq(now));
    per_backend!(conn, c => diesel::insert_into(desk_secrets::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(stored(conn)?.unwrap_or(value))
}

/// Why a random key of the desk could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] diesel::result::Error),
    #[error("cannot read the system's randomness: {0}")]
    Random(std::io::Error),
}

/// A random key of the desk (32 bytes from the system's randomness, in
/// hex), made the first time `name` is asked for, then kept in the
/// database for every instance.
pub fn random_desk_secret(conn: &mut Conn, name: &str, now: NaiveDateTime) -> Result<Vec<u8>, KeyError> {
    let mut failure = None;
    let key = desk_secret(
        conn,
        name,
        || {
            use std::io::Read;
            let mut bytes = [0u8; 32];
            match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)) {
                Ok(()) => hex::encode(bytes),
                Err(e) => {
                    failure = Some(e);
                    String::new()
                }
            }
        },
        now,
    )?;
    match failure {
        Some(e) if key.is_empty() => Err(KeyError::Random(e)),
        _ => Ok(key.into_bytes()),
    }
}
