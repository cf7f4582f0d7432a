//! Mail in and out: mail-parser to an owned [`inbound::InboundMail`], HTML
//! sanitising and rendering to text, and outgoing messages with threading
//! headers and DKIM signatures.

pub mod charset;
pub mod dkim;
pub mod facts;
pub mod html;
pub mod inbound;
pub mod inline;
pub mod outbound;
