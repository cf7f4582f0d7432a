//! The few facts of a parsed mail that classification (automatic mail, mail
//! loops) needs, copied out of mail-parser into owned, plain data so that
//! [`crate::domain::classify`] never sees a mail-parser type.
//!
//! Building the facts never panics, whatever the input: every access to the
//! parsed message goes through `get`/`first`, never through indexing.

pub use crate::domain::facts::MailFacts;
use mail_parser::{parsers::MessageStream, Address, HeaderName, HeaderValue, Message, MessagePart, PartType};

impl MailFacts {
    /// Extracts the facts from a message parsed by mail-parser.
    pub fn from_message(msg: &Message<'_>) -> MailFacts {
        let Some(root) = msg.parts.first() else {
            return MailFacts { content_type: "text/plain".to_owned(), ..MailFacts::default() };
        };
        let raw: &[u8] = msg.raw_message.as_ref();

        let headers: Vec<(String, String)> = root
            .headers
            .iter()
            .map(|h| {
                let bytes = raw.get(h.offset_start as usize..h.offset_end as usize).unwrap_or_default();
                (h.name.as_str().to_ascii_lowercase(), header_text(&h.name, &h.value, bytes))
            })
            .collect();

        let subject = headers.iter().find(|(n, _)| n == "subject").map(|(_, v)| v.clone()).unwrap_or_default();

        let from = root.headers.iter().find(|h| h.name == HeaderName::From).and_then(|h| {
            let bytes = raw.get(h.offset_start as usize..h.offset_end as usize).unwrap_or_default();
            parsed_address(&h.value).or_else(|| address_from_raw(&unfold(bytes)))
        });

        let message_id = headers.iter().find(|(n, _)| n == "message-id").and_then(|(_, v)| bare_message_id(v));

        let content_type = part_type(root);
        let report_type = if content_type == "multipart/report" {
            root.headers
                .iter()
                .find(|h| h.name == HeaderName::ContentType)
                .and_then(|h| h.value.as_content_type())
                .and_then(|ct| {
                    ct.attributes()?
                        .iter()
                        .find(|a| a.name.eq_ignore_ascii_case("report-type"))
                        .map(|a| a.value.trim().trim_matches('"').to_ascii_lowercase())
                })
        } else {
            None
        };

        let part_types = msg.parts.iter().map(part_type).collect();

        MailFacts { headers, from, subject, content_type, report_type, part_types, message_id }
    }
}

/// Free-text headers are decoded; structured ones are kept raw (unfolded).
fn header_text(name: &HeaderName<'_>, value: &HeaderValue<'_>, bytes: &[u8]) -> String {
    let free_text = !name.is_structured()
        || matches!(
            name,
            HeaderName::Subject
                | HeaderName::Comments
                | HeaderName::ContentDescription
                | HeaderName::ContentLocation
                | HeaderName::ContentTransferEncoding
                | HeaderName::Keywords
                | HeaderName::ContentLanguage
        );
    if !free_text {
        return unfold(bytes);
    }
    match value {
        // mail-parser already decoded these (Subject and friends).
        HeaderValue::Text(t) if name.is_structured() => collapse(t),
        _ => match MessageStream::new(bytes).parse_unstructured() {
            HeaderValue::Text(t) => collapse(&t),
            HeaderValue::TextList(list) => collapse(&list.join(", ")),
            _ => unfold(bytes),
        },
    }
}

/// Raw header bytes to one trimmed line (lossy UTF-8).
fn unfold(bytes: &[u8]) -> String {
    collapse(&String::from_utf8_lossy(bytes))
}

/// Collapses every run of white space (folding included) to one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parsed_address(value: &HeaderValue<'_>) -> Option<String> {
    let address: &Address<'_> = value.as_address()?;
    address
        .iter()
        .find_map(|a| a.address())
        .map(|a| a.trim().trim_matches(['<', '>']).to_ascii_lowercase())
        .filter(|a| !a.is_empty())
}

/// Fallback when mail-parser found no address: `<x>` first, then a word
/// with an `@`, then the first word (`From: MAILER-DAEMON`).
fn address_from_raw(raw: &str) -> Option<String> {
    let bracketed = raw
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(inner, _)| inner.trim())
        .filter(|s| !s.is_empty());
    let candidate = bracketed
        .or_else(|| raw.split_whitespace().find(|w| w.contains('@')))
        .or_else(|| raw.split_whitespace().next())?;
    let cleaned =
        candidate.trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '(' | ')' | ',' | ';')).to_ascii_lowercase();
    (!cleaned.is_empty()).then_some(cleaned)
}

fn bare_message_id(raw: &str) -> Option<String> {
    let inner = raw.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(inner, _)| inner).unwrap_or(raw);
    let id = inner.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

pub(crate) fn part_type(part: &MessagePart<'_>) -> String {
    let declared =
        part.headers.iter().find(|h| h.name == HeaderName::ContentType).and_then(|h| h.value.as_content_type());
    match declared {
        Some(ct) => {
            let main = ct.ctype().trim().to_ascii_lowercase();
            match ct.subtype() {
                Some(sub) => format!("{main}/{}", sub.trim().to_ascii_lowercase()),
                None => main,
            }
        }
        None => match part.body {
            PartType::Message(_) => "message/rfc822".to_owned(),
            PartType::Multipart(_) => "multipart/mixed".to_owned(),
            PartType::Html(_) => "text/html".to_owned(),
            _ => "text/plain".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn facts(raw: &str) -> MailFacts {
        let msg = MessageParser::default().parse(raw.as_bytes()).expect("parsable");
        MailFacts::from_message(&msg)
    }

    #[test]
    fn free_text_headers_are_decoded_and_unfolded() {
        let f = facts(
            "From: Jean <Jean@Example.TEST>\r\nSubject: =?UTF-8?Q?R=C3=A9ponse_automatique?=\r\n\
             X-Note: =?UTF-8?B?w6l0w6k=?=\r\n  suite\r\nAuto-Submitted: auto-replied\r\n\
             Message-ID: <abc@example.test>\r\n\r\nbody\r\n",
        );
        assert_eq!(f.subject, "Réponse automatique");
        assert_eq!(f.header("x-note"), Some("été suite"));
        assert_eq!(f.header("AUTO-SUBMITTED"), Some("auto-replied"));
        assert_eq!(f.from.as_deref(), Some("jean@example.test"));
        assert_eq!(f.message_id.as_deref(), Some("abc@example.test"));
        assert_eq!(f.content_type, "text/plain");
    }

    #[test]
    fn a_bare_mailer_daemon_is_the_from_address() {
        let f = facts("From: MAILER-DAEMON\nSubject: x\n\nbody\n");
        assert_eq!(f.from.as_deref(), Some("mailer-daemon"));
    }

    #[test]
    fn a_delivery_report_shows_its_report_type_and_parts() {
        let f = facts(concat!(
            "From: postmaster@example.test\n",
            "Return-Path: <>\n",
            "Content-Type: multipart/report; report-type=\"Delivery-Status\"; boundary=b\n\n",
            "--b\nContent-Type: text/plain\n\nfailed\n",
            "--b\nContent-Type: message/delivery-status\n\nAction: failed\n",
            "--b\nContent-Type: message/rfc822\n\n",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=c\n\n",
            "--c\nContent-Type: message/feedback-report\n\nx\n--c--\n",
            "--b--\n",
        ));
        assert_eq!(f.content_type, "multipart/report");
        assert_eq!(f.report_type.as_deref(), Some("delivery-status"));
        assert_eq!(f.header("return-path"), Some("<>"));
        assert!(f.part_types.iter().any(|t| t == "message/delivery-status"));
        assert!(f.part_types.iter().any(|t| t == "message/rfc822"));
        assert!(!f.part_types.iter().any(|t| t == "message/feedback-report"));
    }

    #[test]
    fn an_empty_message_gives_empty_facts() {
        let f = MailFacts::from_message(&Message::default());
        assert!(f.headers.is_empty());
        assert_eq!(f.content_type, "text/plain");
    }
}
