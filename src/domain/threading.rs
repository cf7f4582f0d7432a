//! Which ticket a mail belongs to. The pipeline looks the candidates up in
//! the store and hands them here; the order of precedence lives here.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use regex::Regex;

use super::ticket::Status;

/// The desk's subject tag `[<tag> #<number>]`, compiled once.
#[derive(Debug, Clone)]
pub struct SubjectTag {
    tag: String,
    pattern: Regex,
}

impl SubjectTag {
    pub fn new(tag: &str) -> SubjectTag {
        let pattern = format!(r"(?i)\[\s*{}\s*#\s*(\d{{1,18}})\s*\]", regex::escape(tag));
        let pattern = Regex::new(&pattern).expect("an escaped tag always makes a valid pattern");
        SubjectTag { tag: tag.to_string(), pattern }
    }

    pub fn as_str(&self) -> &str {
        &self.tag
    }

    /// `[Guichet #12]`
    pub fn format(&self, number: i64) -> String {
        format!("[{} #{number}]", self.tag)
    }

    /// The ticket number of the first tag anywhere in a (decoded) subject.
    pub fn number(&self, subject: &str) -> Option<i64> {
        self.pattern.captures(subject)?.get(1)?.as_str().parse().ok()
    }

    /// The subject without reply/forward prefixes and without our tag, as
    /// a ticket title.
    pub fn clean(&self, subject: &str) -> String {
        let without_tag = self.pattern.replace_all(subject, " ");
        let mut s = without_tag.trim().to_string();
        // Prefixes may sit on both sides of the removed tag: strip until stable.
        loop {
            let next = REPLY_PREFIX.replace(&s, "").trim().to_string();
            if next == s {
                break;
            }
            s = next;
        }
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// `support+42@example.test` carries ticket 42 when `support@example.test`
/// is one of our addresses; so does the note address `support+42-internal@…`.
pub fn plus_address_number<'a>(recipients: impl IntoIterator<Item = &'a str>, our_addresses: &[String]) -> Option<i64> {
    recipients.into_iter().find_map(|addr| plus_address(addr, our_addresses)).map(|(n, _)| n)
}

/// What the plus address of a technician-only notice's `Reply-To` ends with:
/// mail to it is an internal note on the ticket, whatever it says.
const NOTE_SUFFIX: &str = "-internal";

/// `support+42-internal@example.test`: where a reply to a technician-only
/// notice (an alert) goes, so that it stays an internal note.
pub fn note_address(desk_address: &str, number: i64) -> String {
    match desk_address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{number}{NOTE_SUFFIX}@{domain}"),
        None => desk_address.to_string(),
    }
}

/// Whether one of `recipients` is the note address of a ticket.
pub fn to_note_address<'a>(recipients: impl IntoIterator<Item = &'a str>, our_addresses: &[String]) -> bool {
    recipients.into_iter().any(|addr| plus_address(addr, our_addresses).is_some_and(|(_, note)| note))
}

/// The reply tokens among `recipients`, each as (scope, token): `42`,
/// `42-internal` or `confirm-7`, then the token. Whether one is valid is
/// for the caller, who holds the key.
pub fn reply_tokens<'a>(
    recipients: impl IntoIterator<Item = &'a str>,
    our_addresses: &[String],
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for addr in recipients {
        let Some(detail) = plus_detail(addr, our_addresses) else { continue };
        if let Some((scope, token)) = crate::domain::reply_token::split(&detail) {
            let pair = (scope.to_string(), token.to_string());
            if !found.contains(&pair) {
                found.push(pair);
            }
        }
    }
    found
}

/// What follows the `+` of a plus address of ours, in lower case
/// (`support+status@…` gives `status`).
pub fn plus_detail(addr: &str, our_addresses: &[String]) -> Option<String> {
    let (local, domain) = addr.trim().rsplit_once('@')?;
    let (base, detail) = local.split_once('+')?;
    let plain = format!("{base}@{domain}").to_ascii_lowercase();
    our_addresses.iter().any(|a| a.eq_ignore_ascii_case(&plain)).then(|| detail.to_ascii_lowercase())
}

/// The ticket number of a plus address of ours, and whether it is the
/// note address. A reply token after the number (`support+42.token@…`)
/// is read apart, by [`reply_tokens`].
fn plus_address(addr: &str, our_addresses: &[String]) -> Option<(i64, bool)> {
    let detail = plus_detail(addr, our_addresses)?;
    let lower = crate::domain::reply_token::split(&detail).map_or(detail.as_str(), |(scope, _)| scope);
    match lower.strip_suffix(NOTE_SUFFIX) {
        Some(number) => Some((number.parse().ok()?, true)),
        None => Some((lower.parse().ok()?, false)),
    }
}

/// The subject prefixes clients put on a forward (`TR:` French Outlook,
/// `WG:` German, `RV:` Spanish, `Doorst:` Dutch), as regex alternatives:
/// a ticket title drops them like reply prefixes, and `forward` reads them
/// to tell a forward from a reply. Italian Outlook's `I:` is not among them
/// (`forward` reads it apart): a drive letter ("I: drive is full") opens
/// subjects at a service desk.
pub(crate) const FORWARD_PREFIXES: &str = "fwd|fw|tr|wg|rv|doorst";

static REPLY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^\s*(?:(?:re|aw|sv|vs|{FORWARD_PREFIXES}|réf|ref|antw|odp)\s*(?:\[\d+\])?\s*:\s*)+"))
        .expect("valid regex")
});

static ROBOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(no-?reply|do-?not-?reply|ne-?pas-?repondre|nepasrepondre|noreply|mailer|forms?|formulaires?|www-data|notifications?|automate?|robot)([-+._].*)?@")
        .expect("valid regex")
});

/// An address no person reads (`no-reply@`, `forms@`, `www-data@`…): mail
/// from it that names someone in Reply-To is written on their behalf.
pub fn is_robot_address(address: &str) -> bool {
    ROBOT.is_match(address)
}

/// The display name a forwarded mail gives `email`, from its header block
/// (`From: Alice Martin <alice@example.test>`, `De : …`).
pub fn forwarded_name(text: &str, email: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.trim_start_matches(['>', ' ', '*']).split_once(':')?;
        let key = key.trim().trim_matches('*').to_lowercase();
        if !matches!(key.as_str(), "from" | "de" | "von" | "van") {
            return None;
        }
        let (name, addr) = value.rsplit_once('<')?;
        if !addr.trim().trim_end_matches('>').trim().eq_ignore_ascii_case(email) {
            return None;
        }
        let name = name.trim_matches(['"', '*', ' ']);
        (!name.is_empty()).then(|| name.to_string())
    })
}

/// How a mail was tied to a ticket, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    SubjectTag,
    References,
    PlusAddress,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::SubjectTag => "subject tag",
            Via::References => "references",
            Via::PlusAddress => "plus address",
        }
    }
}

/// The tickets each threading signal points at (already looked up).
#[derive(Debug, Default, Clone, Copy)]
pub struct Candidates {
    pub by_tag: Option<i64>,
    pub by_references: Option<i64>,
    pub by_plus_address: Option<i64>,
}

impl Candidates {
    /// The first signal that found a ticket wins.
    pub fn pick(self) -> Option<(i64, Via)> {
        self.by_tag
            .map(|t| (t, Via::SubjectTag))
            .or(self.by_references.map(|t| (t, Via::References)))
            .or(self.by_plus_address.map(|t| (t, Via::PlusAddress)))
    }
}

/// What a participant's mail does to the ticket it threads onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnClosed {
    /// The ticket is open: just add the article.
    Attach,
    /// Closed within the reopen window: reopen it.
    Reopen,
    /// Closed too long ago: open a new ticket linked to this one.
    NewLinked,
}

pub fn on_closed(status: Status, closed_at: Option<DateTime<Utc>>, now: DateTime<Utc>, reopen_days: u32) -> OnClosed {
    if !status.is_closed() {
        return OnClosed::Attach;
    }
    match closed_at {
        Some(at) if now - at > Duration::days(i64::from(reopen_days)) => OnClosed::NewLinked,
        _ => OnClosed::Reopen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forwarded_header_block_gives_the_senders_name() {
        let text =
            "Voici.\n\n---------- Forwarded message ---------\nDe : Alice Martin <alice@example.test>\nDate: lun.\n";
        assert_eq!(forwarded_name(text, "alice@example.test").as_deref(), Some("Alice Martin"));
        let outlook = "> *From:* \"Bob Durand\" <BOB@example.test>\n";
        assert_eq!(forwarded_name(outlook, "bob@example.test").as_deref(), Some("Bob Durand"));
        assert_eq!(forwarded_name(text, "carol@example.test"), None);
    }

    #[test]
    fn subject_tag_is_found_across_prefixes_and_spacing() {
        let cases = [
            ("[Guichet #12] Imprimante", Some(12)),
            ("RE: TR: [Guichet #7] x", Some(7)),
            ("AW: Re:[guichet#99]", Some(99)),
            ("Réf : [ Guichet # 5 ] suivi", Some(5)),
            ("Fwd: [Other #12] x", None),
            ("[Guichet #] x", None),
            ("ticket #12", None),
        ];
        for (subject, want) in cases {
            assert_eq!(SubjectTag::new("Guichet").number(subject), want, "{subject}");
        }
    }

    #[test]
    fn tags_with_regex_characters_are_matched_literally() {
        assert_eq!(SubjectTag::new("IT.Help").number("[IT.Help #3]"), Some(3));
        assert_eq!(SubjectTag::new("IT.Help").number("[ITxHelp #3]"), None);
    }

    #[test]
    fn plus_address_only_counts_for_our_own_addresses() {
        let ours = vec!["support@example.test".to_string()];
        assert_eq!(plus_address_number(["Support+42@example.test"], &ours), Some(42));
        assert_eq!(plus_address_number(["other+42@example.test"], &ours), None);
        assert_eq!(plus_address_number(["support+abc@example.test"], &ours), None);
    }

    #[test]
    fn the_note_address_threads_onto_its_ticket_and_says_it_is_one() {
        let ours = vec!["support@example.test".to_string()];
        let note = note_address("support@example.test", 42);
        assert_eq!(note, "support+42-internal@example.test");
        assert_eq!(plus_address_number([note.as_str()], &ours), Some(42));
        assert!(to_note_address(["Support+42-Internal@example.test"], &ours));
        assert!(!to_note_address(["support+42@example.test"], &ours));
        assert!(!to_note_address(["other+42-internal@example.test"], &ours));
        assert_eq!(plus_address_number(["support+-internal@example.test"], &ours), None);
    }

    #[test]
    fn clean_subject_strips_prefixes_and_our_tag() {
        let cases = [
            ("RE: TR: [Guichet #3] Imprimante HS", "Imprimante HS"),
            ("Re: [Guichet #3] Re: Fwd: VPN", "VPN"),
            ("Réf : Accès", "Accès"),
            ("Doorst: Printer", "Printer"),
            ("Return of the printer", "Return of the printer"),
        ];
        for (subject, want) in cases {
            assert_eq!(SubjectTag::new("Guichet").clean(subject), want, "{subject}");
        }
    }

    #[test]
    fn robot_addresses_are_told_from_people() {
        for robot in [
            "no-reply@intranet.example.test",
            "NoReply@x.test",
            "ne-pas-repondre@x.test",
            "forms+hr@x.test",
            "www-data@web.test",
        ] {
            assert!(is_robot_address(robot), "{robot}");
        }
        for person in ["alice@example.test", "norbert@example.test", "formation@example.test"] {
            assert!(!is_robot_address(person), "{person}");
        }
    }

    #[test]
    fn the_tag_wins_over_references_and_plus_address() {
        let c = Candidates { by_tag: Some(1), by_references: Some(2), by_plus_address: Some(3) };
        assert_eq!(c.pick(), Some((1, Via::SubjectTag)));
        let c = Candidates { by_tag: None, by_references: Some(2), by_plus_address: Some(3) };
        assert_eq!(c.pick(), Some((2, Via::References)));
        assert_eq!(Candidates::default().pick(), None);
    }

    #[test]
    fn a_late_reply_to_a_closed_ticket_opens_a_linked_one() {
        let closed = "2026-11-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let soon = closed + Duration::days(3);
        let late = closed + Duration::days(20);
        assert_eq!(on_closed(Status::Resolved, Some(closed), soon, 14), OnClosed::Reopen);
        assert_eq!(on_closed(Status::Resolved, Some(closed), late, 14), OnClosed::NewLinked);
        assert_eq!(on_closed(Status::Pending, None, late, 14), OnClosed::Attach);
    }
}
