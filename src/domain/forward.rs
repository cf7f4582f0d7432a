//! Forwards read off a subject: whether it says the mail is a forward
//! ("Fwd:", "TR:", "WG:"…) and what it was before the prefixes. Text in,
//! values out: no I/O.

use std::sync::LazyLock;

use regex::Regex;

use super::threading::FORWARD_PREFIXES;

/// One forward prefix; `[2]` is the count some clients add ("Fwd[2]:").
static FORWARD_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^\s*(?:{FORWARD_PREFIXES})\s*(?:\[\d+\])?\s*:\s*")).expect("valid regex")
});

/// Old clients wrap the forwarded subject: "[Fwd: Printer]".
static BRACKETED_FORWARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^\s*\[\s*(?:{FORWARD_PREFIXES})\s*:\s*(.*?)\s*\]\s*$")).expect("valid regex")
});

/// Italian Outlook's "I:", written in capitals only.
static ITALIAN_FORWARD_PREFIX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*I\s*:\s*").expect("valid regex"));

/// What follows a drive letter ("I: drive is full", "I:\partage"): then "I:"
/// is the user's words, not a prefix.
static DRIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[\\/]|(?:drive|lecteur|disque|laufwerk|unidad|unità|schijf|station)\b)").expect("valid regex")
});

/// The subject without the forward prefixes in front of it ("TR: Fwd: x" →
/// "x"); reply prefixes stop it, since "TR: RE: x" forwards a mail whose
/// subject was "RE: x".
#[must_use]
pub fn strip_forward_prefix(subject: &str) -> &str {
    let mut s = subject;
    while let Some(rest) = without_one_prefix(s) {
        s = rest;
    }
    s.trim()
}

/// Whether the subject says the mail is a forward: it begins with a forward
/// prefix. "RE: TR: x" is a reply to a forward, not one.
#[must_use]
pub fn is_forward_subject(subject: &str) -> bool {
    without_one_prefix(subject).is_some()
}

fn without_one_prefix(s: &str) -> Option<&str> {
    if let Some(m) = FORWARD_PREFIX.find(s) {
        return Some(&s[m.end()..]);
    }
    if let Some(inner) = BRACKETED_FORWARD.captures(s).and_then(|c| c.get(1)) {
        return Some(inner.as_str());
    }
    let m = ITALIAN_FORWARD_PREFIX.find(s)?;
    let rest = &s[m.end()..];
    (!DRIVE.is_match(rest)).then_some(rest)
}

#[cfg(test)]
mod tests;
