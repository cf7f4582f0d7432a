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
