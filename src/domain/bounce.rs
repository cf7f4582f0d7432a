//! What a delivery report says: which recipients failed, for good or for
//! now (RFC 3464 `message/delivery-status`, Exim's `X-Failed-Recipients`),
//! and which of our mails it returns.

/// One recipient a report says was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Lower-case address.
    pub recipient: String,
    /// RFC 3463 code (`5.1.1`), or empty when the report gives none.
    pub status: String,
    /// A 5.x.x status, or `Action: failed` without a transient status.
    pub permanent: bool,
    /// The address itself is bad (no such user, no such domain, moved,
    /// disabled): a permanent failure about the recipient, not about a
    /// full mailbox, the content or the sender's reputation.
    pub bad_address: bool,
    /// The remote server's words, one line.
    pub diagnostic: String,
}

/// The address in `rfc822; alice@example.test` (or a bare address).
fn address(value: &str) -> Option<String> {
    let v = value.split_once(';').map_or(value, |(_, a)| a).trim();
    let v = v.trim_start_matches('<').trim_end_matches('>').trim();
    (v.contains('@') && !v.contains(char::is_whitespace)).then(|| v.to_ascii_lowercase())
}

/// The per-recipient fields of a `message/delivery-status` body: blocks
/// separated by blank lines, the first about the reporting server.
/// Recipients whose action is `delivered`, `relayed` or `expanded` are not
/// failures; `delayed` ones are, for now.
pub fn delivery_status(body: &str) -> Vec<Failure> {
    let text = body.replace("\r\n", "\n");
    // Header-like fields, continuation lines folded.
    let mut blocks: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim().is_empty() {
            if blocks.last().is_some_and(|b| !b.is_empty()) {
                blocks.push(Vec::new());
            }
            continue;
        }
        let block = blocks.last_mut().expect("never empty");
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = block.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            block.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut out = Vec::new();
    for block in blocks {
        let field = |name: &str| block.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let Some(recipient) = field("final-recipient").or(field("original-recipient")).and_then(address) else {
            continue;
        };
        let action = field("action").unwrap_or_default().to_ascii_lowercase();
        if ["delivered", "relayed", "expanded"].iter().any(|a| action.starts_with(a)) {
            continue;
        }
        let status =
            field("status").map(|s| s.split_whitespace().next().unwrap_or_default().to_string()).unwrap_or_default();
        let permanent = status.starts_with('5') || (action.starts_with("failed") && !status.starts_with('4'));
        let diagnostic: String = field("diagnostic-code")
            .map(|d| d.split_once(';').map_or(d, |(_, t)| t).trim().to_string())
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect();
        let bad_address = permanent && bad_address(&status, &diagnostic);
        out.push(Failure { recipient, status, permanent, bad_address, diagnostic });
    }
    out
}

/// Words remote servers use for an address that does not exist.
const NO_SUCH_ADDRESS: &[&str] = &[
    "user unknown",
    "unknown user",
    "no such user",
    "no such mailbox",
    "no such recipient",
    "unknown recipient",
    "recipient unknown",
    "invalid recipient",
    "recipient not found",
    "user not found",
    "address not found",
    "does not exist",
    "doesn't exist",
    "account has been disabled",
    "account is disabled",
    "mailbox not found",
    "no mailbox",
    "host not found",
    "domain not found",
    "unrouteable address",
    "unroutable address",
];

/// Whether a permanent failure is about the address: RFC 3463 5.1.x
/// (bad mailbox, system or domain, moved; not 5.1.7 and 5.1.8, which are
/// about the sender) or 5.4.4 (no route to the domain); or, for an
/// unspecific status, the server's words. A disabled or suspended mailbox
/// (5.2.1) may come back: not marked.
pub fn bad_address(status: &str, diagnostic: &str) -> bool {
    if (status.starts_with("5.1.") && status != "5.1.7" && status != "5.1.8") || status == "5.4.4" {
        return true;
    }
    let unspecific = status.is_empty() || status.starts_with("5.0.") || status == "5.5.0";
    let said = diagnostic.to_ascii_lowercase();
    unspecific && NO_SUCH_ADDRESS.iter().any(|w| said.contains(w))
}

/// Exim's `X-Failed-Recipients: a@x, b@y`: permanent failures; whether the
/// address is bad is read in `text`, the report's words.
pub fn failed_recipients_header(value: &str, text: &str) -> Vec<Failure> {
    let bad = bad_address("", text);
    value
        .split(',')
        .filter_map(address)
        .map(|recipient| Failure {
            recipient,
            status: String::new(),
            permanent: true,
            bad_address: bad,
            diagnostic: String::new(),
        })
        .collect()
}

/// Message-IDs with our prefix written anywhere in `text` (a returned
/// message, its headers quoted as text), without angle brackets.
pub fn our_message_ids(text: &str, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&format!("<{prefix}")) {
        let after = &rest[i + 1..];
        let end = after.find(|c: char| c == '>' || c.is_whitespace()).unwrap_or(after.len());
        let id = &after[..end];
        if after[end..].starts_with('>') && id.contains('@') && !out.iter().any(|x| x == id) {
            out.push(id.to_string());
        }
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "Reporting-MTA: dns; mx.example.test\r\nArrival-Date: Mon, 30 Nov 2026 10:00:00 +0100\r\n\r\n\
Original-Recipient: rfc822;Bob@Example.test\r\nFinal-Recipient: rfc822; bob@example.test\r\nAction: failed\r\n\
Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <bob@example.test>: Recipient address rejected:\r\n \
User unknown in local recipient table\r\n\r\n\
Final-Recipient: rfc822; carol@example.test\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n\
Final-Recipient: rfc822; dan@example.test\r\nAction: delivered\r\nStatus: 2.0.0\r\n";

    #[test]
    fn a_delivery_status_gives_each_failed_recipient_and_whether_for_good() {
        let f = delivery_status(DSN);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].recipient, "bob@example.test");
        assert_eq!(f[0].status, "5.1.1");
        assert!(f[0].permanent && f[0].bad_address);
        assert_eq!(
            f[0].diagnostic,
            "550 5.1.1 <bob@example.test>: Recipient address rejected: User unknown in local recipient table"
        );
        assert_eq!((f[1].recipient.as_str(), f[1].permanent), ("carol@example.test", false));
    }

    #[test]
    fn failed_without_a_status_is_permanent_and_odd_fields_are_ignored() {
        let f = delivery_status("Final-Recipient: <eve@example.test>\nAction: failed\n\nAction: failed\n");
        assert_eq!(f.len(), 1);
        assert!(f[0].permanent);
        assert!(delivery_status("").is_empty());
        assert!(delivery_status("Final-Recipient: rfc822; not an address\nAction: failed\n").is_empty());
        let exim = failed_recipients_header("bob@example.test, <Carol@Example.test>", "550 No such user here");
        assert!(exim.iter().all(|f| f.permanent && f.bad_address));
        assert_eq!(
            exim.iter().map(|f| f.recipient.as_str()).collect::<Vec<_>>(),
            ["bob@example.test", "carol@example.test"]
        );
    }

    #[test]
    fn only_failures_about_the_address_make_it_bad() {
        for (status, said, bad) in [
            ("5.1.1", "", true),
            ("5.1.10", "null MX", true),
            ("5.2.1", "account disabled", false),
            ("5.1.8", "bad sender's system address", false),
            ("5.2.2", "mailbox full", false),
            ("5.7.1", "message rejected as spam", false),
            ("5.0.0", "550 sorry, no such user here", true),
            ("", "Recipient address rejected: User unknown in virtual mailbox table", true),
            ("5.0.0", "message too large", false),
            ("4.1.1", "user unknown", false),
        ] {
            assert_eq!(bad_address(status, said) && !status.starts_with('4'), bad, "{status} {said}");
        }
    }

    #[test]
    fn our_message_ids_are_found_in_returned_text() {
        let text = "Message-ID: <guichet.4.1a2b.77.0@example.test>\nIn-Reply-To: <other@x.test>\n\
                    References: <guichet.4.1a2b.77.0@example.test> <guichet.4.ff.77.1@example.test>\n<guichet.broken";
        assert_eq!(
            our_message_ids(text, "guichet."),
            ["guichet.4.1a2b.77.0@example.test", "guichet.4.ff.77.1@example.test"]
        );
    }
}
