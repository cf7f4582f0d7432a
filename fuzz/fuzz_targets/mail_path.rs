//! Arbitrary bytes through what guichet does with an inbound mail before
//! it touches the store: parse, classify, the threading decisions, the
//! technician's commands, trimming the quoted history, reading a survey
//! answer, guessing the language and the urgency hints. None of it may
//! panic, overflow or hang, whatever the bytes.
//!
//! Run with scripts/fuzz.sh (see fuzz/README.md).

#![no_main]

use std::sync::LazyLock;

use guichet::domain::classify::{classify, OwnMarkers};
use guichet::domain::commands::{self, Command};
use guichet::domain::threading::{self, Candidates, SubjectTag};
use guichet::domain::urgency::{self, Keywords};
use guichet::domain::{language, survey, trim};
use guichet::mail::inbound::{parser_guarded, InboundMail};
use libfuzzer_sys::fuzz_target;

/// The desk's own markers, on the domain the seed mails use, so that the
/// own-mail and plus-address paths are reachable.
static OWN: LazyLock<OwnMarkers> = LazyLock::new(|| OwnMarkers {
    loop_values: vec!["guichet support@example.test".to_owned()],
    message_id_domains: vec!["example.test".to_owned()],
    addresses: vec!["support@example.test".to_owned()],
});
static TAG: LazyLock<SubjectTag> = LazyLock::new(|| SubjectTag::new("Guichet"));
static KEYWORDS: LazyLock<Keywords> = LazyLock::new(Keywords::default);

/// libFuzzer's panic hook aborts at once, before any `catch_unwind`. The
/// MIME parser's own checks (debug assertions) fire on some malformed
/// structures; guichet catches those and quarantines the mail, which is
/// what this target checks it does. Any other panic is still a finding.
fn tolerate_parser_panics() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_parser = info.location().is_some_and(|l| l.file().contains("mail-parser"));
        if !(in_parser && parser_guarded()) {
            abort(info);
        }
    }));
}

fuzz_target!(init: tolerate_parser_panics(), |data: &[u8]| {
    let Ok(mail) = InboundMail::parse(data) else {
        return;
    };

    // What parsing promises: header text shown to people is on one line,
    // and a sender address is either absent or has an `@`.
    assert!(!mail.subject.chars().any(char::is_control), "control character in subject {:?}", mail.subject);
    assert!(!mail.from.name.chars().any(char::is_control), "control character in sender name {:?}", mail.from.name);
    assert!(mail.from.email.is_empty() || mail.from.email.contains('@'), "sender {:?}", mail.from.email);

    // Automatic mail or a person.
    let class = classify(&mail.facts, &OWN);
    let _ = (class.kind.as_str(), class.kind.is_automatic(), class.kind.may_be_answered());

    // Threading: subject tag, plus address, then the order of precedence.
    let by_tag = TAG.number(&mail.subject);
    let title = TAG.clean(&mail.subject);
    let _ = TAG.format(by_tag.unwrap_or_default());
    let recipients =
        mail.to.iter().chain(&mail.cc).map(|m| m.email.as_str()).chain(mail.delivered_to.iter().map(String::as_str));
    let by_plus_address = threading::plus_address_number(recipients, &OWN.addresses);
    // The store looks references up; any reference stands for a hit here.
    let by_references = mail.references.first().map(|_| 1);
    let _ = Candidates { by_tag, by_references, by_plus_address }.pick().map(|(_, via)| via.as_str());
    let on_behalf = threading::is_robot_address(&mail.from.email);

    // A technician's commands, and whom a `#requester` names in the
    // forwarded text.
    let parsed = commands::parse(&mail.text);
    let _ = parsed.is_internal();
    for command in &parsed.commands {
        let _ = command.line();
        if let Command::Requester(email) = command {
            let _ = threading::forwarded_name(&parsed.text, email);
        }
    }
    if let Some(reply_to) = mail.reply_to.as_ref().filter(|_| on_behalf) {
        let _ = threading::forwarded_name(&mail.text, &reply_to.email);
    }

    // The requester's own words, what they say to a survey, which language
    // and how urgent.
    let trimmed = trim::trim_reply(&mail.text);
    let _ = trim::trim_reply(&parsed.text);
    let _ = survey::read_answer(&trimmed);
    let _ = mail.language.or_else(|| language::guess(&format!("{}\n{}", mail.subject, parsed.text)));
    let _ = urgency::hint(&mail.facts.headers, &title, &trimmed, &KEYWORDS);
});
