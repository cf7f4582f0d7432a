//! guichet — an e-mail driven ITIL service desk.
//!
//! Data flows one way: a source (IMAP, maildir, stdin) hands raw bytes
//! to the ingest pipeline, which parses ([`mail`]), decides ([`domain`]) and
//! commits everything a mail produced in one transaction ([`store`]): raw
//! bytes, article, ticket change, events and outbox rows. Only then is the
//! source message marked done. Workers ([`notify`]) send the outbox. [`net`]
//! holds the TCP and TLS connections both sides use; [`demo`] plays a few
//! weeks of fictional mail through all of it.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod kb;
pub mod mail;
pub mod net;
pub mod notify;
pub mod oauth;
pub mod report;
pub mod sla;
pub mod store;
