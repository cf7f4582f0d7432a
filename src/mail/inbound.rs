//! An inbound mail, owned and decoded: addresses, threading headers, the
//! text (charset-decoded, or rendered from HTML), the HTML sanitised, and
//! attachments. Building one never panics; a mail we cannot work with is
//! an error that sends it to quarantine with the reason.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::charset;
use super::facts::{part_type, MailFacts};
use super::inline;
use crate::domain::bounce::{self, Failure};
use crate::domain::classify::OWN_MESSAGE_ID_PREFIX;
use crate::domain::ticket::Lang;

/// A mailbox: address (lower-case) and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub email: String,
    pub name: String,
}

/// `Name <address>`, or the address alone, as people read it.
impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name.is_empty() {
            f.write_str(&self.email)
        } else {
            write!(f, "{} <{}>", self.name, self.email)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
    /// Shown in the body (`Content-Disposition: inline`, or an image the
    /// HTML shows) rather than attached beside it.
    pub inline: bool,
    /// Without `<>`.
    pub content_id: Option<String>,
    /// The HTML shows it in place (`<img src="cid:…">`); the text says
    /// `[image: name]` there.
    pub in_html: bool,
}

#[derive(Debug, Clone)]
pub struct InboundMail {
    pub facts: MailFacts,
    pub message_id: Option<String>,
    /// `In-Reply-To` then `References`, newest first, without `<>`.
    pub references: Vec<String>,
    /// The sender; `email` is empty when no header gave a usable address.
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Where the sender asks answers to go (web forms send from a no-reply
    /// address with the person in Reply-To).
    pub reply_to: Option<Mailbox>,
    /// `Delivered-To` / `X-Original-To`: where the MTA delivered it.
    pub delivered_to: Vec<String>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// The text body; rendered from HTML when the mail has no text part.
    pub text: String,
    /// The HTML body after sanitising, when there was one.
    pub html: Option<String>,
    /// The size of an HTML body left out for being over the limit.
    pub html_dropped: Option<usize>,
    pub attachments: Vec<Attachment>,
    pub language: Option<Lang>,
    /// A charset the mail names that no table here knows: its text was read
    /// as UTF-8 where valid, else as windows-1252, so no byte is lost.
    pub unknown_charset: Option<String>,
    /// sha256 of everything after the header block: the same mail relayed
    /// along another path has other `Received` lines but the same body.
    pub body_sha256: String,
    /// What a delivery report in it says (empty for other mail).
    pub report: Report,
}

/// The failures a delivery report lists and the Message-IDs of ours it
/// returns (from the returned message or its headers quoted as text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub failures: Vec<Failure>,
    pub returned: Vec<String>,
}

fn report(msg: &mail_parser::Message<'_>, raw: &[u8]) -> Report {
    let mut r = Report::default();
    for part in &msg.parts {
        let ty = part_type(part);
        if ty == "message/delivery-status" || ty == "message/global-delivery-status" {
            r.failures.extend(bounce::delivery_status(&String::from_utf8_lossy(part.contents())));
        }
        let text = match &part.body {
            mail_parser::PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
            _ if ty.starts_with("text/") || ty.starts_with("message/") => {
                String::from_utf8_lossy(part.contents()).into_owned()
            }
            _ => continue,
        };
        for id in bounce::our_message_ids(&text, OWN_MESSAGE_ID_PREFIX) {
            if !r.returned.contains(&id) {
                r.returned.push(id);
            }
        }
    }
    for id in bounce::our_message_ids(&String::from_utf8_lossy(raw), OWN_MESSAGE_ID_PREFIX) {
        if !r.returned.contains(&id) {
            r.returned.push(id);
        }
    }
    let words = msg.body_text(0).unwrap_or_default();
    for h in msg.headers().iter().filter(|h| h.name().eq_ignore_ascii_case("X-Failed-Recipients")) {
        for f in h.value().as_text().map(|v| bounce::failed_recipients_header(v, &words)).unwrap_or_default() {
            if !r.failures.iter().any(|x| x.recipient == f.recipient) {
                r.failures.push(f);
            }
        }
    }
    r
}

/// Why a mail cannot be processed (it goes to quarantine with this).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("not a mail: no header could be parsed")]
    NotMail,
    #[error("no sender address in From, Sender or Reply-To")]
    NoSender,
    /// The MIME parser gave up with a panic (its internal checks fire on
    /// some malformed structures in debug builds).
    #[error("the MIME parser failed on it: {0}")]
    ParserFailed(String),
}

/// HTML bodies larger than this are not sanitised unless the caller sets
/// its own limit (`[limits] max_html_bytes`, whose default is the same).
pub const DEFAULT_MAX_HTML_BYTES: usize = 2 << 20;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// True while this thread is decoding a mail under the guard that turns a
/// panic into [`Unusable::ParserFailed`]. A panic hook that aborts (a fuzzer's)
/// can let such panics through.
pub fn parser_guarded() -> bool {
    GUARDED.with(Cell::get)
}

fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let outer = GUARDED.replace(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.set(outer);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        one_line(&message)
    })
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"));
    // Pasted images point at parts of the same mail.
    b.add_url_schemes(["cid"]);
    b
});

/// Removes scripts, event handlers, `javascript:` links and anything else
/// that could run in a technician's browser.
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The hash of a body whatever its line endings: the same mail read from a
/// maildir (LF) and from IMAP or SMTP (CRLF) is one mail.
fn body_hash(body: &[u8]) -> String {
    let mut h = Sha256::new();
    let mut rest = body;
    while let Some(i) = rest.iter().position(|&b| b == b'\r') {
        h.update(&rest[..i]);
        if rest.get(i + 1) != Some(&b'\n') {
            h.update(b"\n");
        }
        rest = &rest[i + 1..];
    }
    h.update(rest);
    hex::encode(h.finalize())
}

impl InboundMail {
    /// [`InboundMail::parse_limited`] with the default HTML limit.
    pub fn parse(raw: &[u8]) -> Result<InboundMail, Unusable> {
        Self::parse_limited(raw, DEFAULT_MAX_HTML_BYTES)
    }

    /// Decodes `raw`. An HTML body over `max_html_bytes` is not sanitised
    /// (the time it takes grows with it): the text part is kept, or the
    /// text made from the HTML in one pass, and `html_dropped` says how
    /// large it was. The raw bytes stay in the store either way.
    pub fn parse_limited(raw: &[u8], max_html_bytes: usize) -> Result<InboundMail, Unusable> {
        guarded(|| Self::decode(raw, max_html_bytes)).unwrap_or_else(|message| Err(Unusable::ParserFailed(message)))
    }

    /// The header block alone, for a mail too large to take in whole: who
    /// sent it, to where, about what. `None` when no header block ends
    /// within the first 256 KiB or it names no sender.
    pub fn parse_head(raw: &[u8]) -> Option<InboundMail> {
        let window = &raw[..raw.len().min(256 << 10)];
        let lf = window.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
        let crlf = window.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
        let end = lf.into_iter().chain(crlf).min()?;
        let mut head = window[..end].to_vec();
        // Say nothing of a body the parser would look for.
        head.extend_from_slice(b"\r\n");
        Self::parse_limited(&head, 0).ok().filter(|m| !m.from.email.is_empty())
    }

    fn decode(raw: &[u8], max_html_bytes: usize) -> Result<InboundMail, Unusable> {
        // Old Mac mail ends lines with CR alone, where the parser sees one
        // endless header line. The stored bytes stay as they came.
        let lf;
        let raw = if raw.contains(&b'\r') && !raw.contains(&b'\n') {
            lf = raw.iter().map(|&b| if b == b'\r' { b'\n' } else { b }).collect::<Vec<u8>>();
            &lf[..]
        } else {
            raw
        };
        let msg = MessageParser::default().parse(raw).ok_or(Unusable::NotMail)?;
        if msg.headers().is_empty() {
            return Err(Unusable::NotMail);
        }
        let facts = MailFacts::from_message(&msg);

        let mut from = [msg.from(), msg.sender(), msg.reply_to()]
            .into_iter()
            .flatten()
            .flat_map(|a| a.iter())
            .find_map(mailbox)
            .or_else(|| msg.header_raw("From").and_then(written_address))
            // Bounces often come from a bare `MAILER-DAEMON`: what to do with
            // a mail without a usable sender is the pipeline's call.
            .unwrap_or_else(|| Mailbox {
                email: String::new(),
                name: one_line(msg.header_raw("From").unwrap_or_default()),
            });
        // A name in encoded words the parser cannot read (UTF-7, a charset
        // nobody knows) is read again.
        if let Some((again, _)) = msg.header_raw("From").and_then(charset::reread_words) {
            if let Some(again) = written_address(&again).filter(|a| a.email == from.email) {
                from.name = again.name;
            }
        }
        let to = msg.all_to().flat_map(|a| a.iter()).filter_map(mailbox).collect();
        let cc = msg.all_cc().flat_map(|a| a.iter()).filter_map(mailbox).collect();
        let reply_to = msg.reply_to().and_then(|a| a.iter().find_map(mailbox));
        let delivered_to = msg
            .headers()
            .iter()
            .filter(|h| {
                let n = h.name();
                n.eq_ignore_ascii_case("Delivered-To") || n.eq_ignore_ascii_case("X-Original-To")
            })
            .filter_map(|h| h.value().as_text().map(bare_address))
            .collect();

        let mut references = ids(msg.in_reply_to());
        let mut older = ids(msg.references());
        older.reverse();
        for id in older {
            if !references.contains(&id) {
                references.push(id);
            }
        }

        let mut unknown_charset = None;
        let mut reread = |part: Option<&mail_parser::MessagePart<'_>>| {
            let part = part?;
            let (text, charset) = charset::reread(part, raw)?;
            if let Some(charset) = charset {
                unknown_charset.get_or_insert(charset);
            }
            Some(text)
        };
        let html_again = reread(msg.html_part(0).filter(|_| msg.html_body_count() > 0));
        let text_again = reread(msg.text_part(0));
        let mut html_dropped = None;
        let html_body = match html_again {
            Some(h) => Some(h.into()),
            None => msg.body_html(0).filter(|_| msg.html_body_count() > 0),
        };
        let html = html_body.and_then(|h| {
            if h.len() > max_html_bytes {
                html_dropped = Some(h.len());
                None
            } else {
                Some(sanitize_html(&h))
            }
        });
        let text = match (msg.text_part(0).map(|p| &p.body), text_again) {
            (Some(PartType::Html(_)), Some(html)) => super::html::to_text(&html),
            (_, Some(text)) => text.replace("\r\n", "\n"),
            (Some(PartType::Text(text)), None) => text.replace("\r\n", "\n"),
            // No text part: the HTML one, as a person sees it in a browser.
            (Some(PartType::Html(html)), None) => super::html::to_text(html),
            _ => String::new(),
        };
        let mut subject = one_line(msg.subject().unwrap_or_default());
        if let Some((again, charset)) = msg.header_raw("Subject").and_then(charset::reread_words) {
            subject = one_line(&again);
            if let Some(charset) = charset {
                unknown_charset.get_or_insert(charset);
            }
        }

        let mut attachments: Vec<Attachment> = msg
            .attachments()
            .enumerate()
            .map(|(i, part)| {
                let content_type = part
                    .content_type()
                    .map(|ct| match ct.subtype() {
                        Some(sub) => format!("{}/{}", ct.ctype(), sub),
                        None => ct.ctype().to_string(),
                    })
                    .unwrap_or_else(|| "application/octet-stream".to_string())
                    .to_ascii_lowercase();
                let filename = part
                    .attachment_name()
                    .map(clean_filename)
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| format!("attachment-{}", i + 1));
                let inline = part.content_disposition().is_some_and(|d| d.is_inline());
                let content_id =
                    part.content_id().map(|id| one_line(&inline::bare_content_id(id))).filter(|id| !id.is_empty());
                Attachment {
                    filename,
                    content_type,
                    content: part.contents().to_vec(),
                    inline,
                    content_id,
                    in_html: false,
                }
            })
            .collect();
        let (html, text) = tie_images(html, text, &mut attachments);

        // What the mail says it is written in, else what the sender's client
        // says they read (Outlook sends Accept-Language).
        let language = match msg.content_language() {
            HeaderValue::Text(t) => Lang::from_tags(t),
            HeaderValue::TextList(list) => list.iter().find_map(|t| Lang::from_tags(t)),
            _ => None,
        }
        .or_else(|| msg.header_raw("Accept-Language").and_then(Lang::from_tags));
        let body_start = (msg.root_part().raw_body_offset() as usize).min(raw.len());

        Ok(InboundMail {
            message_id: msg.message_id().map(|id| id.trim().to_string()).filter(|id| !id.is_empty()),
            references,
            from,
            to,
            cc,
            reply_to,
            delivered_to,
            subject,
            date: msg.date().and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
            text,
            html,
            html_dropped,
            attachments,
            language,
            unknown_charset,
            body_sha256: body_hash(&raw[body_start..]),
            report: report(&msg, raw),
            facts,
        })
    }
}

/// Ties each `<img src="cid:…">` of the sanitised HTML to the part it
/// names (a reference to no part is removed) and makes the text say
/// `[image: name]` where each image was: Outlook's `[cid:…]` lines are
/// renamed, Gmail's markers are already there, and a text part that shows
/// nothing where images were (Apple Mail) is made again from the HTML.
fn tie_images(html: Option<String>, text: String, attachments: &mut [Attachment]) -> (Option<String>, String) {
    let part = |attachments: &[Attachment], cid: &str| {
        attachments.iter().position(|a| a.content_id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(cid)))
    };
    let text = if text.contains("[cid:") {
        inline::outlook_markers(&text, |cid| part(attachments, cid).map(|i| attachments[i].filename.clone()))
    } else {
        text
    };
    let Some(html) = html else { return (None, text) };
    let refs = inline::referenced(&html);
    if refs.is_empty() {
        return (Some(html), text);
    }
    let mut shown: Vec<usize> = Vec::new();
    let html = inline::replace_images(&html, |cid, tag| {
        let i = part(attachments, cid)?;
        shown.push(i);
        Some(tag.to_string())
    });
    for &i in &shown {
        attachments[i].in_html = true;
        attachments[i].inline = true;
    }
    let missing = shown.iter().any(|&i| {
        let name = &attachments[i].filename;
        let needed = shown.iter().filter(|&&j| attachments[j].filename == *name).count();
        text.matches(&inline::marker(name)).count() < needed
    });
    if !missing {
        return (Some(html), text);
    }
    let marked = inline::replace_images(&html, |cid, _| {
        part(attachments, cid).map(|i| handlebars::html_escape(&inline::marker(&attachments[i].filename)))
    });
    (Some(html), super::html::to_text(&marked))
}

fn mailbox(addr: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let email = bare_address(addr.address()?);
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return None;
    }
    // A quote left open in the header stays stuck to the name.
    let name = one_line(addr.name().unwrap_or_default()).trim_matches(['"', '\'']).trim().to_string();
    Some(Mailbox { email, name })
}

/// The address in a From the parser could not read (an unbalanced quote:
/// `"Bob <bob@example.test>`): what is between the last `<` and `>`, else
/// the last word with an `@`. Kept as written, lower-case; whether mail
/// can be sent to it is decided when mail is.
fn written_address(raw: &str) -> Option<Mailbox> {
    let raw = one_line(&decode_words(raw));
    let (name, email) = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => (&raw[..open], &raw[open + 1..close]),
        _ => {
            let word = raw.split_whitespace().rev().find(|w| w.contains('@'))?;
            (raw.strip_suffix(word).unwrap_or_default(), word)
        }
    };
    let email = bare_address(email);
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return None;
    }
    let name = one_line(name.trim().trim_matches(['"', '\'']));
    Some(Mailbox { email, name })
}

/// A header value with its encoded words decoded (`=?UTF-8?Q?…?=`).
fn decode_words(raw: &str) -> String {
    let header = format!("Subject: {}\r\n\r\n", raw.trim());
    MessageParser::default()
        .parse(header.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| raw.to_string())
}

fn bare_address(text: &str) -> String {
    text.trim().trim_start_matches('<').trim_end_matches('>').trim().to_ascii_lowercase()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    list.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Header text from users is shown and stored on one line: line breaks
/// (possible inside encoded words) and other control characters go.
pub fn one_line(s: &str) -> String {
    let cleaned: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file name without directories or control characters.
fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    one_line(base).trim_matches('.').to_string()
}

#[cfg(test)]
mod tests;
