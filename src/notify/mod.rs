//! Outgoing mail: templates, the outbox rows written in the ingest
//! transaction (what each mail is made of), their rendering, and the
//! worker that renders and sends them.

pub mod context;
pub mod large;
pub mod outbox;
pub mod queue;
mod recipients;
pub mod render;
pub mod sender;
pub mod templates;
