//! Is this mail written by a person, or by a machine that must never be
//! answered? Auto-replies, bounces, feedback reports, mailing-list mail and
//! our own mail coming back are recognised here, from headers and MIME
//! structure only, so that guichet never takes part in a mail loop.
//!
//! Pure logic over [`MailFacts`]: no I/O, no mail-parser type.

use serde::Serialize;

use super::facts::MailFacts;

/// Who (or what) wrote a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// A person wrote it: it may be answered.
    Human,
    /// Out of office, vacation notice, autoresponder (RFC 3834).
    AutoReply,
    /// Non-delivery or delivery status notification (RFC 3464 and the
    /// many non-standard forms).
    Bounce,
    /// Abuse / feedback report (RFC 5965 ARF).
    Feedback,
    /// Mailing-list traffic (RFC 2369 / 2919): may open a ticket, never
    /// answered.
    List,
    /// Our own mail coming back (X-Loop, our Message-ID, our From).
    Own,
}

impl MailKind {
    /// The name stored and printed, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Human => "human",
            MailKind::AutoReply => "auto_reply",
            MailKind::Bounce => "bounce",
            MailKind::Feedback => "feedback",
            MailKind::List => "list",
            MailKind::Own => "own",
        }
    }

    /// True for every kind written by a machine, which guichet must never
    /// answer automatically: auto-replies, bounces, feedback reports and our
    /// own mail. Mailing-list mail is not automatic (a support address can
    /// itself be a group or list alias), but is not answered either: see
    /// [`MailKind::may_be_answered`].
    pub fn is_automatic(self) -> bool {
        matches!(self, MailKind::AutoReply | MailKind::Bounce | MailKind::Feedback | MailKind::Own)
    }

    /// Only mail written by a person to us directly may get an automatic
    /// answer (acknowledgement, notification).
    pub fn may_be_answered(self) -> bool {
        self == MailKind::Human
    }
}

/// The verdict and the signal that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub kind: MailKind,
    /// Which signal decided, for the record, e.g.
    /// `Auto-Submitted: auto-replied`.
    pub reason: String,
}

impl Classification {
    fn new(kind: MailKind, reason: impl Into<String>) -> Classification {
        Classification { kind, reason: reason.into() }
    }
}

/// How our own outgoing mail can be recognised when it comes back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnMarkers {
    /// Our X-Loop header values, e.g. `guichet support@example.test`: one
    /// per address the desk sends from.
    pub loop_values: Vec<String>,
    /// Our Message-IDs end with `@` one of these (and start with
    /// [`OWN_MESSAGE_ID_PREFIX`]): each address the desk sends from may
    /// have its own.
    pub message_id_domains: Vec<String>,
    /// Our support addresses, lower-case.
    pub addresses: Vec<String>,
}

/// Classifies a mail. Order: own mail, then delivery reports and feedback
/// reports recognised by their MIME structure, then bounces recognised by
/// headers, sender and subject, then auto-replies, then list mail. Human
/// otherwise.
pub fn classify(facts: &MailFacts, own: &OwnMarkers) -> Classification {
    own_mail(facts, own)
        .or_else(|| structural_bounce(facts))
        .or_else(|| structural_feedback(facts))
        .or_else(|| heuristic_bounce(facts))
        .or_else(|| heuristic_feedback(facts))
        .or_else(|| auto_reply(facts))
        .or_else(|| list_mail(facts))
        .unwrap_or_else(|| Classification::new(MailKind::Human, "no automatic-mail signal"))
}

/// Every Message-ID guichet writes starts with this.
pub const OWN_MESSAGE_ID_PREFIX: &str = "guichet.";

fn own_mail(facts: &MailFacts, own: &OwnMarkers) -> Option<Classification> {
    let loop_values = || own.loop_values.iter().map(|v| v.trim()).filter(|v| !v.is_empty());
    if let Some(v) = facts.header_all("x-loop").find(|v| loop_values().any(|l| v.trim().eq_ignore_ascii_case(l))) {
        return Some(Classification::new(MailKind::Own, format!("X-Loop: {v}")));
    }
    if let Some(id) = &facts.message_id {
        // People of the desk's own domain write from it too: only the
        // IDs we generate (`guichet.…@domain`) are ours.
        let ours = id.rsplit_once('@').is_some_and(|(local, d)| {
            local.starts_with(OWN_MESSAGE_ID_PREFIX)
                && own
                    .message_id_domains
                    .iter()
                    .map(|m| m.trim().trim_start_matches('@'))
                    .any(|m| !m.is_empty() && d.trim().eq_ignore_ascii_case(m))
        });
        if ours {
            return Some(Classification::new(MailKind::Own, format!("Message-ID: <{id}>")));
        }
    }
    let from = facts.from.as_deref()?;
    let plain = without_detail(from);
    own.addresses
        .iter()
        .map(|a| a.trim())
        .find(|a| a.eq_ignore_ascii_case(from) || a.eq_ignore_ascii_case(&plain))
        .map(|a| Classification::new(MailKind::Own, format!("From: {a} (our address)")))
}

/// `support+42@example.test` -> `support@example.test`.
fn without_detail(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let base = local.split_once('+').map_or(local, |(b, _)| b);
            format!("{base}@{domain}")
        }
        None => address.to_owned(),
    }
}

fn has_part(facts: &MailFacts, wanted: &[&str]) -> Option<String> {
    facts.part_types.iter().find(|t| wanted.contains(&t.as_str())).cloned()
}

fn structural_bounce(facts: &MailFacts) -> Option<Classification> {
    if facts.content_type == "multipart/report"
        && facts.report_type.as_deref().is_some_and(|r| r == "delivery-status" || r == "global-delivery-status")
    {
        let r = facts.report_type.as_deref().unwrap_or_default();
        return Some(Classification::new(MailKind::Bounce, format!("Content-Type: multipart/report; report-type={r}")));
    }
    has_part(facts, &["message/delivery-status", "message/global-delivery-status"])
        .map(|t| Classification::new(MailKind::Bounce, format!("MIME part {t}")))
}

fn structural_feedback(facts: &MailFacts) -> Option<Classification> {
    if facts.content_type == "multipart/report" && facts.report_type.as_deref() == Some("feedback-report") {
        return Some(Classification::new(
            MailKind::Feedback,
            "Content-Type: multipart/report; report-type=feedback-report",
        ));
    }
    has_part(facts, &["message/feedback-report"])
        .map(|t| Classification::new(MailKind::Feedback, format!("MIME part {t}")))
}

/// Local parts only mail systems send from: mail from them is a delivery
/// report whatever else it says.
const DAEMON_LOCAL_PARTS: &[&str] =
    &["mailer-daemon", "mailer_daemon", "mail-daemon", "maildaemon", "mail.delivery.system"];

/// Role accounts that send delivery reports, but that a person may also
/// write from: they need a second signal.
const POSTMASTER_LOCAL_PARTS: &[&str] = &["postmaster", "post_master", "double-bounce"];

/// Subject starts of delivery failure / delay / status notices
/// (lower-case). Anchored at the start, so that `Fwd: Undeliverable...`, a
/// person asking about a bounce, is not one.
const BOUNCE_SUBJECTS: &[&str] = &[
    "undelivered mail returned to sender",
    "undeliverable",
    "undelivered mail",
    "undelivered message",
    "delivery status notification",
    "mail delivery status notification",
    "delivery notification",
    "mail delivery failed",
    "mail delivery failure",
    "mail delivery system",
    "mail system error",
    "message delivery has failed",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "failed delivery",
    "failure delivery",
    "failure notice",
    "returned mail",
    "mail returned",
    "mail failed",
    "message not delivered",
    "mail could not be delivered",
    "could not send message",
    "warning: could not send message",
    "there was an error sending your mail",
    "delayed mail",
    "delivery delayed",
    "delivery delay",
    "warning: message",
    "non remis",
    "non distribuable",
    "échec de la remise",
    "echec de la remise",
    "remise différée",
    "unzustellbar",
    "nicht zustellbar",
    "no se puede entregar",
    "onbestelbaar",
    "non recapitabile",
];

fn starts_with_any<'a>(text: &str, prefixes: &[&'a str]) -> Option<&'a str> {
    let lowered = text.trim_start().to_lowercase();
    prefixes.iter().copied().find(|p| lowered.starts_with(p))
}

fn local_part(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(local, _)| local).trim()
}

/// The envelope sender as the delivering MTA recorded it: `<>` (RFC 5321
/// null reverse-path, what every delivery report is sent with) or a daemon
/// address.
fn null_or_daemon_return_path(facts: &MailFacts) -> Option<&str> {
    facts.header_all("return-path").find(|v| {
        let bare = v.trim().trim_start_matches('<').split('>').next().unwrap_or_default().trim().to_ascii_lowercase();
        let local = local_part(&bare);
        bare.is_empty() || DAEMON_LOCAL_PARTS.contains(&local) || local == "postmaster"
    })
}

fn heuristic_bounce(facts: &MailFacts) -> Option<Classification> {
    let bounce = |reason: String| Some(Classification::new(MailKind::Bounce, reason));
    if let Some(v) = facts.header("x-failed-recipients") {
        return bounce(format!("X-Failed-Recipients: {v}"));
    }
    let from = facts.from.as_deref().unwrap_or_default();
    let from_local = local_part(from);
    if DAEMON_LOCAL_PARTS.contains(&from_local) {
        return bounce(format!("From: {from}"));
    }
    let subject = starts_with_any(&facts.subject, BOUNCE_SUBJECTS);
    let return_path = null_or_daemon_return_path(facts);
    if POSTMASTER_LOCAL_PARTS.contains(&from_local) {
        if let Some(rp) = return_path {
            return bounce(format!("From: {from} with Return-Path: {rp}"));
        }
        if let Some(p) = subject {
            return bounce(format!("From: {from} with subject \"{p}…\""));
        }
        if let Some(v) = auto_submitted(facts) {
            return bounce(format!("From: {from} with Auto-Submitted: {v}"));
        }
    }
    let rp = return_path?;
    if let Some(p) = subject {
        return bounce(format!("Return-Path: {rp} with subject \"{p}…\""));
    }
    // The classic non-standard bounce: null sender, returned message attached.
    has_part(facts, &["message/rfc822", "text/rfc822-headers"])
        .filter(|_| is_null_return_path(rp))
        .map(|t| Classification::new(MailKind::Bounce, format!("Return-Path: {rp} with a {t} part")))
}

fn is_null_return_path(value: &str) -> bool {
    value.trim_matches(|c: char| c.is_whitespace() || c == '<' || c == '>').is_empty()
}

/// Subjects of Microsoft's JMRP complaint reports (not ARF-formatted).
const FEEDBACK_SUBJECTS: &[&str] = &["complaint about message from"];

fn heuristic_feedback(facts: &MailFacts) -> Option<Classification> {
    let p = starts_with_any(&facts.subject, FEEDBACK_SUBJECTS)?;
    has_part(facts, &["message/rfc822"])
        .map(|_| Classification::new(MailKind::Feedback, format!("subject \"{p}…\" with an attached message")))
}

/// The first Auto-Submitted value other than `no` (RFC 3834).
fn auto_submitted(facts: &MailFacts) -> Option<&str> {
    facts.header_all("auto-submitted").find(|v| {
        let token = v.split(';').next().unwrap_or_default().trim();
        !token.is_empty() && !token.eq_ignore_ascii_case("no")
    })
}

/// Subject starts of auto-replies (lower-case).
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "out of office",
    "out of the office",
    "auto:",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autoresponse",
    "autorespons",
    "réponse automatique",
    "reponse automatique",
    "réponse automatique d'absence",
    "absence du bureau",
    "absent du bureau",
    "abwesenheitsnotiz",
    "automatische antwort",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "risposta automatica",
    "automatisch antwoord",
    "resposta automática",
    "vacation reply",
    "on vacation",
];

fn auto_reply(facts: &MailFacts) -> Option<Classification> {
    let auto = |reason: String| Some(Classification::new(MailKind::AutoReply, reason));

    // RFC 3834: anything but "no" (parameters after ';' ignored).
    if let Some(v) = auto_submitted(facts) {
        return auto(format!("Auto-Submitted: {v}"));
    }
    // RFC 8098 read receipts (message disposition notifications).
    if facts.report_type.as_deref() == Some("disposition-notification") {
        return auto("Content-Type: multipart/report; report-type=disposition-notification".to_owned());
    }
    if let Some(t) = has_part(facts, &["message/disposition-notification"]) {
        return auto(format!("MIME part {t}"));
    }
    for name in ["x-autoreply", "x-autorespond", "x-autoresponder"] {
        if let Some(v) = facts.header(name) {
            if !matches!(v.trim().to_ascii_lowercase().as_str(), "no" | "false" | "0") {
                return auto(format!("{}: {v}", display_name(name)));
            }
        }
    }
    if let Some(v) = facts.header("x-autogenerated") {
        if v.trim().eq_ignore_ascii_case("reply") {
            return auto(format!("X-Autogenerated: {v}"));
        }
    }
    for name in ["x-ms-exchange-generated-message-source", "x-ms-exchange-inbox-rules-loop"] {
        if let Some(v) = facts.header(name) {
            return auto(format!("{}: {v}", display_name(name)));
        }
    }
    if let Some(v) = facts.header("x-post-messageclass") {
        if v.trim().starts_with('9') {
            return auto(format!("X-POST-MessageClass: {v}"));
        }
    }
    if let Some(v) = facts.header_all("delivered-to").find(|v| v.trim().eq_ignore_ascii_case("autoresponder")) {
        return auto(format!("Delivered-To: {v}"));
    }
    if let Some(p) = starts_with_any(&facts.subject, AUTO_REPLY_SUBJECTS) {
        return auto(format!("subject starts with \"{p}\""));
    }
    // RFC 5321 4.5.5 / RFC 3834: only notifications are sent with a null
    // reverse-path; whatever its headers say, such a mail is automatic.
    if let Some(rp) = facts.header_all("return-path").find(|v| is_null_return_path(v)) {
        return auto(format!("Return-Path: {rp} (null sender)"));
    }
    // Precedence: bulk/junk on list mail says "list", not "auto-reply".
    if let Some(v) = facts.header("precedence") {
        let p = v.trim().to_ascii_lowercase();
        let list_headers = list_header(facts).is_some();
        if p == "auto_reply" || p == "auto-reply" || (!list_headers && (p == "bulk" || p == "junk")) {
            return auto(format!("Precedence: {v}"));
        }
    }
    None
}

fn list_header(facts: &MailFacts) -> Option<(&'static str, &str)> {
    [
        ("List-Id", "list-id"),
        ("List-Unsubscribe", "list-unsubscribe"),
        ("List-Post", "list-post"),
        ("Mailing-List", "mailing-list"),
        ("X-Mailing-List", "x-mailing-list"),
        ("X-ML-Name", "x-ml-name"),
        ("X-MLServer", "x-mlserver"),
    ]
    .into_iter()
    .find_map(|(display, name)| facts.header(name).map(|v| (display, v)))
}

fn list_mail(facts: &MailFacts) -> Option<Classification> {
    if let Some((name, v)) = list_header(facts) {
        return Some(Classification::new(MailKind::List, format!("{name}: {v}")));
    }
    // Bulk and junk without list headers were taken as auto-replies.
    let precedence = facts.header("precedence")?;
    precedence
        .trim()
        .eq_ignore_ascii_case("list")
        .then(|| Classification::new(MailKind::List, format!("Precedence: {precedence}")))
}

/// `x-ms-exchange-inbox-rules-loop` -> `X-Ms-Exchange-Inbox-Rules-Loop`,
/// for reasons only.
fn display_name(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests;
