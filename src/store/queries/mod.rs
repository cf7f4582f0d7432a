//! The queries guichet runs, as plain functions over a connection so that
//! callers compose them inside one transaction, one file per table or
//! concern.

mod articles;
pub mod audit;
mod contacts;
mod history;
mod itil;
mod outbox;
mod quarantine;
mod queues;
mod raw;
mod secrets;
mod sources;
mod status;
mod surveys;
mod threading;
mod tickets;

pub use articles::*;
pub use contacts::*;
pub use history::*;
pub use itil::*;
pub use outbox::*;
pub use quarantine::*;
pub use queues::*;
pub use raw::*;
pub use secrets::*;
pub use sources::*;
pub use status::*;
pub use surveys::*;
pub use threading::*;
pub use tickets::*;

use diesel::prelude::*;

use super::Conn;

type QResult<T> = Result<T, diesel::result::Error>;

/// The statuses of a closed ticket.
const CLOSED: [&str; 2] = ["resolved", "unresolved"];

/// A ticket is open: its status is neither closing one. Two comparisons,
/// not `NOT IN (…)`, which SQLite would prepare again at every run.
pub type IsOpen = diesel::dsl::And<
    diesel::dsl::NotEq<crate::store::schema::tickets::status, &'static str>,
    diesel::dsl::NotEq<crate::store::schema::tickets::status, &'static str>,
>;

pub fn is_open() -> IsOpen {
    use crate::store::schema::tickets;
    tickets::status.ne(CLOSED[0]).and(tickets::status.ne(CLOSED[1]))
}

/// A round trip to the database, for health checks.
pub fn ping(conn: &mut Conn) -> QResult<()> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).execute(conn).map(drop)
}
