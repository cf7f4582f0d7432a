//! The functional core: data in, decisions out. Nothing in here performs
//! I/O or imports tokio, diesel or lettre.

pub mod assign;
pub mod auth;
pub mod bounce;
pub mod calendar;
pub mod classify;
pub mod clock;
pub mod commands;
pub mod facts;
pub mod language;
pub mod rules;
pub mod sla;
pub mod survey;
pub mod threading;
pub mod ticket;
pub mod token;
pub mod trim;
pub mod urgency;

/// `local@domain.tld`, with no white space: the shape every address a
/// person types (config, commands, the command line) must have.
pub fn is_address(a: &str) -> bool {
    matches!(a.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !a.contains(char::is_whitespace))
}
