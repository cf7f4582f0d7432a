//! Sources hand raw mail to the pipeline, which commits everything it
//! produced in one transaction before the source may forget the message.

pub mod maildir;
pub mod pipeline;

pub use pipeline::{ingest, retry_quarantined, IngestError, Outcome};
