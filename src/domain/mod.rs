//! The functional core: data in, decisions out. Nothing in here performs
//! I/O or imports tokio, diesel or lettre.

pub mod assign;
pub mod classify;
pub mod clock;
pub mod commands;
pub mod facts;
pub mod language;
pub mod rules;
pub mod threading;
pub mod ticket;
pub mod trim;
pub mod urgency;
