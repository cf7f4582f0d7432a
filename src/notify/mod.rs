//! Outgoing mail: templates, the outbox rows written in the ingest
//! transaction, and the worker that sends them.

pub mod large;
pub mod outbox;
pub mod sender;
pub mod templates;
