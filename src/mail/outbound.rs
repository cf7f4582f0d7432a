//! Outgoing mail as bytes: lettre builds the MIME structure and encodes
//! headers; we add the threading and loop-prevention headers every mail of
//! ours carries. Values that came from users are put on one line first, so
//! a subject can never smuggle in a header.

use std::time::SystemTime;

use base64::Engine as _;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{
    Attachment as LettreAttachment, Mailbox as LettreMailbox, MultiPart, MultiPartBuilder, MultiPartKind, SinglePart,
};
use lettre::Message;

use super::inbound::{one_line, Attachment, Mailbox};

/// Everything needed to write one outgoing mail.
#[derive(Debug, Clone)]
pub struct Draft {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Where a reply goes when it must not go to `from` (a technician-only
    /// notice: the ticket's note address).
    pub reply_to: Option<Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Without `<>`.
    pub message_id: String,
    /// Message-IDs of the thread, oldest first, without `<>`.
    pub references: Vec<String>,
    /// Automatic mail (acknowledgements, notices) says so (RFC 3834);
    /// a technician's reply relayed by us does not.
    pub automatic: bool,
    pub loop_value: String,
    pub date: SystemTime,
    /// Files to attach after the text and HTML parts.
    pub attachments: Vec<Attachment>,
    /// Outlook's conversation: `Thread-Topic` (the ticket's subject) and
    /// `Thread-Index` (see [`thread_index`]); `None` for mail about no ticket.
    pub thread: Option<(String, String)>,
}

/// 100 ns ticks between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const FILETIME_UNIX_OFFSET: i64 = 116_444_736_000_000_000;

fn filetime(at: chrono::DateTime<chrono::Utc>) -> u64 {
    let ticks = at.timestamp() * 10_000_000 + i64::from(at.timestamp_subsec_nanos() / 100);
    u64::try_from(ticks + FILETIME_UNIX_OFFSET).unwrap_or(0)
}

/// Outlook's `Thread-Index` ([MS-OXOMSG] PidTagConversationIndex), base64:
/// a 22-byte header block — the top 6 bytes of the root's FILETIME and a
/// 16-byte GUID — then, for mail after the root, a 5-byte child block
/// holding the time since the root. Every mail of a ticket is given the
/// same root (its creation time and a GUID made from the ticket), so
/// Outlook files them in one conversation whatever their subjects.
pub fn thread_index(root: chrono::DateTime<chrono::Utc>, guid: [u8; 16], at: chrono::DateTime<chrono::Utc>) -> String {
    // The header keeps the top 48 bits; children count from that truncated time.
    let root_time = filetime(root) & !0xFFFF;
    let mut bytes = (root_time >> 16).to_be_bytes()[2..].to_vec();
    bytes.extend_from_slice(&guid);
    let diff = filetime(at).saturating_sub(root_time);
    if diff >> 16 > 0 {
        // One bit for the scale, 31 bits of the difference, then 8 bits of
        // random and sequence, which a deterministic index leaves at zero.
        let (code, bits) =
            if diff >> 49 == 0 { (0u64, (diff >> 18) & 0x7FFF_FFFF) } else { (1, (diff >> 23) & 0x7FFF_FFFF) };
        let block = ((code << 31) | bits) << 8;
        bytes.extend_from_slice(&block.to_be_bytes()[3..]);
    }
    base64::engine::general_purpose::STANDARD.encode(&bytes)
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("invalid address `{address}`: {reason}")]
    Address { address: String, reason: String },
    #[error("cannot build the message: {0}")]
    Message(String),
    #[error("no recipient")]
    NoRecipient,
    #[error("cannot sign the message: {0}")]
    Sign(String),
}

/// A multipart builder whose boundary comes from the mail's Message-ID
/// and the part's role: the same mail is the same bytes each time it is
/// built (lettre picks boundaries at random).
fn multipart(kind: MultiPartKind, message_id: &str, role: &str) -> MultiPartBuilder {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(format!("{role}\n{message_id}").as_bytes());
    let boundary = format!("=_{}", &hex::encode(hash)[..38]);
    MultiPart::builder().kind(kind).boundary(boundary)
}

/// Why mail cannot be sent to `email` as written (`Test test@example.test`,
/// a trailing dot after the domain), or `None` when it can.
pub fn unsendable(email: &str) -> Option<String> {
    email.parse::<lettre::Address>().err().map(|e| e.to_string())
}

fn lettre_mailbox(m: &Mailbox) -> Result<LettreMailbox, BuildError> {
    let email = m.email.parse().map_err(|e: lettre::address::AddressError| BuildError::Address {
        address: m.email.clone(),
        reason: e.to_string(),
    })?;
    let name = one_line(&m.name);
    Ok(LettreMailbox::new((!name.is_empty()).then_some(name), email))
}

fn content_type(given: &str) -> ContentType {
    ContentType::parse(given).unwrap_or_else(|_| ContentType::parse("application/octet-stream").expect("a valid type"))
}

fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), one_line(value))
}

impl Draft {
    /// The RFC 5322 bytes of this mail.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BuildError> {
        self.to_signed_bytes(None)
    }

    /// The bytes of this mail, with a DKIM signature when a key is given.
    /// The same draft gives the same bytes: boundaries come from the
    /// Message-ID, the signature's time from the Date.
    pub fn to_signed_bytes(&self, dkim: Option<&super::dkim::DkimKey>) -> Result<Vec<u8>, BuildError> {
        if self.to.is_empty() && self.cc.is_empty() {
            return Err(BuildError::NoRecipient);
        }
        let mut b = Message::builder()
            .from(lettre_mailbox(&self.from)?)
            .subject(one_line(&self.subject))
            .date(self.date)
            .message_id(Some(format!("<{}>", self.message_id)));
        for m in &self.to {
            b = b.to(lettre_mailbox(m)?);
        }
        for m in &self.cc {
            b = b.cc(lettre_mailbox(m)?);
        }
        if let Some(m) = &self.reply_to {
            b = b.reply_to(lettre_mailbox(m)?);
        }
        if let Some(parent) = self.references.last() {
            b = b.in_reply_to(format!("<{}>", one_line(parent)));
            let all: Vec<String> = self.references.iter().map(|r| format!("<{}>", one_line(r))).collect();
            b = b.references(all.join(" "));
        }
        if self.automatic {
            b = b.raw_header(header("Auto-Submitted", "auto-replied"));
        }
        b = b.raw_header(header("X-Auto-Response-Suppress", "All")).raw_header(header("X-Loop", &self.loop_value));
        if let Some((topic, index)) = &self.thread {
            b = b.raw_header(header("Thread-Topic", topic)).raw_header(header("Thread-Index", index));
        }
        // Images the HTML shows go beside it in multipart/related, so
        // clients draw them in place; other files are attached after.
        let (images, files): (Vec<&Attachment>, Vec<&Attachment>) = self.attachments.iter().partition(|a| {
            a.content_id
                .as_deref()
                .is_some_and(|id| self.html.contains(&format!("cid:{}", handlebars::html_escape(id))))
        });
        let html = SinglePart::builder().header(ContentType::TEXT_HTML).body(self.html.clone());
        let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(self.text.clone());
        let body = if images.is_empty() {
            multipart(MultiPartKind::Alternative, &self.message_id, "alternative").singlepart(text).singlepart(html)
        } else {
            let mut related = multipart(MultiPartKind::Related, &self.message_id, "related").singlepart(html);
            for a in images {
                let id = one_line(a.content_id.as_deref().unwrap_or_default());
                related = related.singlepart(
                    LettreAttachment::new_inline_with_name(id, one_line(&a.filename))
                        .body(a.content.clone(), content_type(&a.content_type)),
                );
            }
            multipart(MultiPartKind::Alternative, &self.message_id, "alternative").singlepart(text).multipart(related)
        };
        let message = if files.is_empty() {
            b.multipart(body)
        } else {
            let mut mixed = multipart(MultiPartKind::Mixed, &self.message_id, "mixed").multipart(body);
            for a in files {
                mixed = mixed.singlepart(
                    LettreAttachment::new(one_line(&a.filename)).body(a.content.clone(), content_type(&a.content_type)),
                );
            }
            b.multipart(mixed)
        }
        .map_err(|e| BuildError::Message(e.to_string()))?;
        let bytes = message.formatted();
        match dkim {
            Some(key) => key.sign(&bytes, self.date).map_err(BuildError::Sign),
            None => Ok(bytes),
        }
    }
}

/// The record of a call a technician took: a plain text mail from the
/// caller to the desk, kept as the ticket's raw message. It carries none of
/// our loop headers: it is not mail we send.
pub fn call_record(
    caller: &Mailbox,
    desk: &str,
    subject: &str,
    text: &str,
    message_id: &str,
    recorded_by: &str,
    date: SystemTime,
) -> Result<Vec<u8>, BuildError> {
    let desk = Mailbox { email: desk.to_string(), name: String::new() };
    let message = Message::builder()
        .from(lettre_mailbox(caller)?)
        .to(lettre_mailbox(&desk)?)
        .subject(one_line(subject))
        .date(date)
        .message_id(Some(format!("<{message_id}>")))
        .raw_header(header("X-Guichet-Recorded-By", recorded_by))
        .singlepart(SinglePart::plain(text.to_string()))
        .map_err(|e| BuildError::Message(e.to_string()))?;
    Ok(message.formatted())
}

/// A plain text mail as a person's mail client writes it, without any of
/// our headers: what `guichet demo` hands the pipeline for the people it
/// plays.
#[derive(Debug, Clone)]
pub struct PersonMail {
    pub from: Mailbox,
    pub to: Mailbox,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    /// Without `<>`.
    pub message_id: String,
    /// The thread, oldest first, without `<>`; the last is replied to.
    pub references: Vec<String>,
    /// `Content-Language`.
    pub language: Option<String>,
    /// Extra header lines, e.g. the receiving MTA's `Authentication-Results`.
    pub headers: Vec<(&'static str, String)>,
    pub date: SystemTime,
}

impl PersonMail {
    pub fn to_bytes(&self) -> Result<Vec<u8>, BuildError> {
        let mut b = Message::builder()
            .from(lettre_mailbox(&self.from)?)
            .to(lettre_mailbox(&self.to)?)
            .subject(one_line(&self.subject))
            .date(self.date)
            .message_id(Some(format!("<{}>", self.message_id)));
        for m in &self.cc {
            b = b.cc(lettre_mailbox(m)?);
        }
        if let Some(parent) = self.references.last() {
            b = b.in_reply_to(format!("<{}>", one_line(parent)));
            let all: Vec<String> = self.references.iter().map(|r| format!("<{}>", one_line(r))).collect();
            b = b.references(all.join(" "));
        }
        if let Some(lang) = &self.language {
            b = b.raw_header(header("Content-Language", lang));
        }
        for (name, value) in &self.headers {
            b = b.raw_header(header(name, value));
        }
        let message =
            b.singlepart(SinglePart::plain(self.text.clone())).map_err(|e| BuildError::Message(e.to_string()))?;
        Ok(message.formatted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::inbound::InboundMail;

    fn draft() -> Draft {
        Draft {
            from: Mailbox { email: "support@example.test".into(), name: "Support".into() },
            to: vec![Mailbox { email: "alice@example.test".into(), name: "Alice\r\nBcc: x@evil.test".into() }],
            cc: vec![],
            reply_to: None,
            subject: "[Guichet #1] Imprimante\r\nBcc: mallory@evil.test".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            message_id: "guichet.1.abc@example.test".into(),
            references: vec!["first@example.test".into(), "second@example.test".into()],
            automatic: true,
            loop_value: "guichet support@example.test".into(),
            date: SystemTime::UNIX_EPOCH,
            attachments: Vec::new(),
            thread: Some(("Imprimante".into(), "AdxkAAAA".into())),
        }
    }

    fn decoded(b64: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
    }

    #[test]
    fn the_thread_index_is_a_shared_root_plus_one_child_block_for_later_mail() {
        use chrono::TimeZone;
        let root = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        let guid = [7u8; 16];
        let first = decoded(&thread_index(root, guid, root));
        assert_eq!(first.len(), 22);
        let ft = filetime(root);
        assert_eq!(first[..6], ft.to_be_bytes()[..6], "the top six bytes of the root's FILETIME");
        assert_eq!(first[0], 0x01, "dates of this century start with the reserved 1");
        assert_eq!(first[6..], guid);

        let later = root + chrono::Duration::minutes(90);
        let child = decoded(&thread_index(root, guid, later));
        assert_eq!(child.len(), 27);
        assert_eq!(child[..22], first[..], "the same root");
        let block = u64::from_be_bytes([0, 0, 0, child[22], child[23], child[24], child[25], child[26]]);
        assert_eq!(block >> 39, 0, "a short difference has code 0");
        let diff = ((block >> 8) & 0x7FFF_FFFF) << 18;
        let want = (ft & !0xFFFF) + 90 * 60 * 10_000_000;
        let got = (ft & !0xFFFF) + diff;
        assert!(want - got < 1 << 18, "the difference is kept to 26 ms");

        let years = root + chrono::Duration::days(3 * 365);
        let far = decoded(&thread_index(root, guid, years));
        assert_eq!(far[22] >> 7, 1, "beyond 1.7 years the coarse scale is used");
    }

    #[test]
    fn our_mail_carries_threading_and_loop_headers() {
        let bytes = draft().to_bytes().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for want in [
            "Message-ID: <guichet.1.abc@example.test>",
            "In-Reply-To: <second@example.test>",
            "References: <first@example.test> <second@example.test>",
            "Auto-Submitted: auto-replied",
            "X-Auto-Response-Suppress: All",
            "X-Loop: guichet support@example.test",
            "Thread-Topic: Imprimante",
            "Thread-Index: AdxkAAAA",
        ] {
            assert!(text.contains(want), "{want} missing in\n{text}");
        }
    }

    #[test]
    fn user_text_in_headers_cannot_inject_a_header() {
        let bytes = draft().to_bytes().unwrap();
        let parsed = InboundMail::parse(&bytes).unwrap();
        assert!(parsed.facts.header("bcc").is_none(), "{}", String::from_utf8_lossy(&bytes));
        assert!(parsed.subject.contains("Bcc: mallory"), "the text stays in the subject");
        assert_eq!(parsed.to.len(), 1);
    }
}
