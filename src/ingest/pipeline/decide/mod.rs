//! Decide: what a mail does to the desk. A mail that threads onto nothing
//! opens a ticket ([`open`]), a reply goes on its ticket ([`reply`]), a
//! technician's commands change it ([`commands`], decided as values in
//! `domain::changes`), and who is told is chosen ([`notices`]); what the
//! whole group reads once is kept in [`group`].

mod ask;
mod commands;
mod confirm;
mod forward;
mod group;
mod incident;
mod merge;
mod notices;
mod open;
mod reply;

pub(crate) use confirm::{ask_to_confirm, held_for, proof, Proof};
pub(crate) use forward::forwarded;
pub(crate) use group::Group;
pub(crate) use notices::tell_too_large;
pub(crate) use open::Opening;
pub use open::{open_by_hand, Call, PHONE};
pub(crate) use reply::find_ticket;

use super::*;
