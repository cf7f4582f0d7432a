//! The pipeline's decisions, in process (see `common/harness.rs`): what
//! becomes of a mail, who is told, what a technician's commands do. Fast
//! enough to run on every edit; `tests/pipeline.rs` and the other binary
//! tests keep the CLI contract.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

#[path = "../common/mod.rs"]
mod common;

mod conversation;
mod intake;
mod itil;
mod sla;
mod technicians;
