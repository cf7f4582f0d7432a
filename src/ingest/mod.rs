//! Sources hand raw mail to the pipeline, which commits everything it
//! produced in one transaction before the source may forget the message.

pub mod imap;
pub mod latency;
pub mod maildir;
pub mod pipeline;
pub mod routing;

pub use pipeline::{ingest, retry_quarantined, IngestError, Outcome};

/// The config and templates in use, which `run` replaces when they are
/// edited; long-running pollers read it afresh before each pass.
pub struct Live {
    pub settings: crate::config::Settings,
    pub templates: crate::notify::templates::Templates,
}
