//! The facts of a mail that the decisions in `domain` read: plain owned
//! data, filled in from the parsed mail by `mail::facts`.

/// What classification needs to know of a parsed mail, owned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFacts {
    /// Top-level headers in order: lower-case name, unfolded value. Free-text
    /// headers (Subject, X-*, Auto-Submitted...) are decoded (RFC 2047 encoded
    /// words); structured ones (addresses, ids, dates, Content-Type) are the
    /// raw text, unfolded and trimmed.
    pub headers: Vec<(String, String)>,
    /// The first From address, bare and lower-case (`mailer-daemon@host`, or
    /// just `mailer-daemon` when the header carries no domain).
    pub from: Option<String>,
    /// Decoded subject, empty when absent.
    pub subject: String,
    /// Top-level `type/subtype`, lower-case; `text/plain` when absent.
    pub content_type: String,
    /// The `report-type` parameter of a top-level `multipart/report`,
    /// lower-case.
    pub report_type: Option<String>,
    /// Every MIME part's `type/subtype`, lower-case, in parse order,
    /// including the root. Parts of attached messages (`message/rfc822`) are
    /// not descended into: a forwarded bounce is not a bounce.
    pub part_types: Vec<String>,
    /// Message-ID without the angle brackets.
    pub message_id: Option<String>,
}

impl MailFacts {
    /// The first header of that name (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every header of that name (case-insensitive), in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}
