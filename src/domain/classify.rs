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
mod tests {
    use super::*;

    /// A mail made of headers only; From, Subject, Message-ID and
    /// Content-Type are derived from them as `MailFacts::from_message` does.
    fn mail(headers: &[(&str, &str)]) -> MailFacts {
        let headers: Vec<(String, String)> =
            headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned())).collect();
        let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let from = get("from").map(|f| {
            let inner = f.split_once('<').and_then(|(_, r)| r.split_once('>')).map_or(f.as_str(), |(a, _)| a);
            inner.trim().to_ascii_lowercase()
        });
        let ct = get("content-type").unwrap_or_else(|| "text/plain".to_owned());
        let mut params = ct.split(';');
        let content_type = params.next().unwrap_or_default().trim().to_ascii_lowercase();
        let report_type = params.find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim() == "report-type").then(|| v.trim().trim_matches('"').to_ascii_lowercase())
        });
        MailFacts {
            subject: get("subject").unwrap_or_default(),
            message_id: get("message-id").map(|m| m.trim_matches(['<', '>']).to_owned()),
            part_types: vec![content_type.clone()],
            from,
            content_type,
            report_type,
            headers,
        }
    }

    fn with_parts(mut facts: MailFacts, parts: &[&str]) -> MailFacts {
        facts.part_types.extend(parts.iter().map(|p| (*p).to_owned()));
        facts
    }

    fn ours() -> OwnMarkers {
        OwnMarkers {
            loop_values: vec!["guichet support@example.test".to_owned()],
            message_id_domains: vec!["guichet.example.test".to_owned()],
            addresses: vec!["support@example.test".to_owned(), "helpdesk@example.test".to_owned()],
        }
    }

    /// Runs a table: (what the case is, the mail, the expected kind).
    fn check(cases: &[(&str, MailFacts, MailKind)]) {
        let mut failures = Vec::new();
        for (what, facts, expected) in cases {
            let got = classify(facts, &ours());
            if got.kind != *expected {
                failures.push(format!("{what}: expected {expected:?}, got {:?} ({})", got.kind, got.reason));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    const PERSON: (&str, &str) = ("From", "Marie Dupont <marie.dupont@client.test>");

    #[test]
    fn auto_replies_are_recognised_by_headers_and_by_subject_in_french_and_english() {
        use MailKind::AutoReply;
        check(&[
            (
                "RFC 3834 auto-replied",
                mail(&[PERSON, ("Subject", "Re: VPN"), ("Auto-Submitted", "auto-replied")]),
                AutoReply,
            ),
            (
                "RFC 3834 auto-generated with a parameter",
                mail(&[PERSON, ("Auto-Submitted", "auto-generated; owner-email=x@y.test")]),
                AutoReply,
            ),
            ("X-Autoreply", mail(&[PERSON, ("Subject", "Re: ticket"), ("X-Autoreply", "yes")]), AutoReply),
            ("X-Autorespond", mail(&[PERSON, ("X-Autorespond", "1")]), AutoReply),
            ("X-Autogenerated: Reply", mail(&[PERSON, ("X-Autogenerated", "Reply")]), AutoReply),
            (
                "Exchange inbox rule",
                mail(&[PERSON, ("X-MS-Exchange-Inbox-Rules-Loop", "marie.dupont@client.test")]),
                AutoReply,
            ),
            (
                "Exchange generated message",
                mail(&[PERSON, ("X-MS-Exchange-Generated-Message-Source", "Mailbox Rules Agent")]),
                AutoReply,
            ),
            ("Lotus Notes class 9", mail(&[PERSON, ("X-POST-MessageClass", "9; Autoresponder")]), AutoReply),
            ("Delivered-To: Autoresponder", mail(&[PERSON, ("Delivered-To", "Autoresponder")]), AutoReply),
            ("Precedence: auto_reply", mail(&[PERSON, ("Precedence", "auto_reply")]), AutoReply),
            ("Precedence: junk", mail(&[PERSON, ("Precedence", "junk")]), AutoReply),
            ("Precedence: bulk without list headers", mail(&[PERSON, ("Precedence", "bulk")]), AutoReply),
            ("English Outlook", mail(&[PERSON, ("Subject", "Automatic reply: Imprimante")]), AutoReply),
            ("English out of office", mail(&[PERSON, ("Subject", "Out of Office: printer")]), AutoReply),
            ("Domino", mail(&[PERSON, ("Subject", "Auto: printer jammed")]), AutoReply),
            ("Autoreply", mail(&[PERSON, ("Subject", "AutoReply: printer")]), AutoReply),
            ("French Outlook", mail(&[PERSON, ("Subject", "Réponse automatique : Imprimante")]), AutoReply),
            ("French, upper case", mail(&[PERSON, ("Subject", "RÉPONSE AUTOMATIQUE: imprimante")]), AutoReply),
            ("French absence", mail(&[PERSON, ("Subject", "Absence du bureau jusqu'au 12")]), AutoReply),
            ("German", mail(&[PERSON, ("Subject", "Abwesenheitsnotiz: Drucker")]), AutoReply),
            ("Spanish", mail(&[PERSON, ("Subject", "Respuesta automática: impresora")]), AutoReply),
            (
                "read receipt",
                with_parts(
                    mail(&[
                        PERSON,
                        ("Subject", "Lu : Imprimante"),
                        ("Content-Type", "multipart/report; report-type=disposition-notification"),
                    ]),
                    &["text/plain", "message/disposition-notification"],
                ),
                AutoReply,
            ),
            (
                "null sender without anything else",
                mail(&[PERSON, ("Return-Path", "<>"), ("Subject", "Votre demande")]),
                AutoReply,
            ),
        ]);
    }

    #[test]
    fn bounces_are_recognised_by_structure_sender_and_subject() {
        use MailKind::Bounce;
        check(&[
            (
                "RFC 3464 report",
                with_parts(
                    mail(&[
                        ("From", "Mail Delivery System <mailer@mx.client.test>"),
                        ("Subject", "Votre message"),
                        ("Content-Type", "multipart/report; report-type=delivery-status; boundary=x"),
                    ]),
                    &["text/plain", "message/delivery-status", "message/rfc822"],
                ),
                Bounce,
            ),
            (
                "delivery-status part in a mixed mail",
                with_parts(
                    mail(&[("From", "mx@client.test"), ("Content-Type", "multipart/mixed")]),
                    &["text/plain", "message/delivery-status"],
                ),
                Bounce,
            ),
            (
                "Exim failed recipients",
                mail(&[
                    ("From", "Mail Delivery System <noreply@mx.client.test>"),
                    ("X-Failed-Recipients", "x@client.test"),
                ]),
                Bounce,
            ),
            (
                "from MAILER-DAEMON, whatever the subject",
                mail(&[
                    ("From", "MAILER-DAEMON@mx.client.test"),
                    ("Subject", "Warning: message 1a2b delayed 24 hours"),
                ]),
                Bounce,
            ),
            ("bare MAILER-DAEMON", mail(&[("From", "MAILER-DAEMON"), ("Subject", "x")]), Bounce),
            (
                "postmaster with a failure subject, English",
                mail(&[("From", "postmaster@client.test"), ("Subject", "Undeliverable: Imprimante")]),
                Bounce,
            ),
            (
                "postmaster with a failure subject, French",
                mail(&[("From", "Postmaster <postmaster@client.test>"), ("Subject", "Non remis : Imprimante")]),
                Bounce,
            ),
            (
                "postmaster with a null sender",
                mail(&[("From", "postmaster@client.test"), ("Return-Path", "<>"), ("Subject", "Notification")]),
                Bounce,
            ),
            (
                "null sender with a DSN subject",
                mail(&[
                    ("From", "mx@client.test"),
                    ("Return-Path", "<>"),
                    ("Subject", "Delivery Status Notification (Failure)"),
                ]),
                Bounce,
            ),
            (
                "null sender with a French DSN subject",
                mail(&[
                    ("From", "serveur@client.test"),
                    ("Return-Path", "<>"),
                    ("Subject", "Échec de la remise : Imprimante"),
                ]),
                Bounce,
            ),
            (
                "null sender with the returned message attached",
                with_parts(
                    mail(&[
                        ("From", "no-reply@isp.test"),
                        ("Return-Path", "<>"),
                        ("Subject", "Mail"),
                        ("Content-Type", "multipart/mixed"),
                    ]),
                    &["text/plain", "message/rfc822"],
                ),
                Bounce,
            ),
            (
                "a bounce that also says auto-replied is a bounce",
                mail(&[
                    ("From", "Mail Delivery System <Mailer-Daemon@mx.client.test>"),
                    ("Auto-Submitted", "auto-replied"),
                    ("Subject", "Mail delivery failed: returning message to sender"),
                ]),
                Bounce,
            ),
        ]);
    }

    #[test]
    fn feedback_reports_are_recognised() {
        use MailKind::Feedback;
        check(&[
            (
                "ARF report",
                with_parts(
                    mail(&[
                        ("From", "abuse@isp.test"),
                        ("Content-Type", "multipart/report; report-type=feedback-report"),
                    ]),
                    &["text/plain", "message/feedback-report", "message/rfc822"],
                ),
                Feedback,
            ),
            (
                "feedback part without the report type",
                with_parts(mail(&[("From", "abuse@isp.test")]), &["message/feedback-report"]),
                Feedback,
            ),
            (
                "Microsoft JMRP complaint",
                with_parts(
                    mail(&[
                        ("From", "staff@hotmail.test"),
                        ("Subject", "complaint about message from 192.0.2.1"),
                        ("Content-Type", "multipart/mixed"),
                    ]),
                    &["message/rfc822"],
                ),
                Feedback,
            ),
        ]);
    }

    #[test]
    fn list_mail_is_recognised_by_its_list_headers() {
        use MailKind::List;
        check(&[
            ("List-Id", mail(&[PERSON, ("List-Id", "<users.lists.example.test>")]), List),
            ("List-Unsubscribe", mail(&[PERSON, ("List-Unsubscribe", "<mailto:leave@lists.example.test>")]), List),
            ("Precedence: list", mail(&[PERSON, ("Precedence", "list")]), List),
            ("Mailing-List", mail(&[PERSON, ("Mailing-List", "contact users-help@example.test; run by ezmlm")]), List),
            ("X-Mailing-List", mail(&[PERSON, ("X-Mailing-List", "<users@example.test>")]), List),
            (
                "Precedence: bulk on list mail is list mail",
                mail(&[PERSON, ("Precedence", "bulk"), ("List-Id", "<news.example.test>")]),
                List,
            ),
        ]);
    }

    #[test]
    fn our_own_mail_coming_back_is_recognised_before_anything_else() {
        use MailKind::Own;
        check(&[
            ("our X-Loop", mail(&[PERSON, ("X-Loop", "guichet support@example.test")]), Own),
            (
                "our X-Loop among others, any case",
                mail(&[PERSON, ("X-Loop", "other@elsewhere.test"), ("X-Loop", "Guichet Support@Example.test ")]),
                Own,
            ),
            ("our Message-ID", mail(&[PERSON, ("Message-ID", "<guichet.42.18f3a.0.1@guichet.example.test>")]), Own),
            (
                "our address",
                mail(&[("From", "Support <Support@Example.test>"), ("Subject", "[Ticket #42] Réponse")]),
                Own,
            ),
            ("our address with a detail", mail(&[("From", "support+42@example.test")]), Own),
            (
                "our own bounce-looking mail is still ours",
                mail(&[("From", "helpdesk@example.test"), ("Auto-Submitted", "auto-replied"), ("List-Id", "<x>")]),
                Own,
            ),
        ]);
    }

    #[test]
    fn people_writing_about_bounces_absences_or_replies_are_human() {
        use MailKind::Human;
        check(&[
            ("plain mail", mail(&[PERSON, ("Subject", "L'imprimante du 3e est en panne")]), Human),
            (
                "a reply to one of our mails (In-Reply-To ours)",
                mail(&[
                    PERSON,
                    ("Subject", "Re: [Ticket #42] VPN"),
                    ("In-Reply-To", "<guichet.42.18f3a.0.1@guichet.example.test>"),
                ]),
                Human,
            ),
            (
                "a colleague writing from our own domain (not a guichet Message-ID)",
                mail(&[
                    ("From", "Paul <paul@guichet.example.test>"),
                    ("Message-ID", "<CAB1x2y3@guichet.example.test>"),
                ]),
                Human,
            ),
            ("forwarded bounce", mail(&[PERSON, ("Subject", "Fwd: Undeliverable: devis")]), Human),
            ("forwarded French bounce", mail(&[PERSON, ("Subject", "TR: Non remis : devis")]), Human),
            ("network outage, in French", mail(&[PERSON, ("Subject", "Absence de réseau au bureau 3")]), Human),
            ("asking about an auto-reply", mail(&[PERSON, ("Subject", "Re: Réponse automatique non reçue")]), Human),
            ("out-of-office setup question", mail(&[PERSON, ("Subject", "How do I set my out of office?")]), Human),
            ("Auto-Submitted: no", mail(&[PERSON, ("Auto-Submitted", "no")]), Human),
            (
                "X-Auto-Response-Suppress is a request, not a signal",
                mail(&[PERSON, ("X-Auto-Response-Suppress", "All")]),
                Human,
            ),
            (
                "a person writing from the postmaster role account",
                mail(&[("From", "postmaster@client.test"), ("Subject", "Question sur le relais SMTP")]),
                Human,
            ),
            ("an ordinary Return-Path", mail(&[PERSON, ("Return-Path", "<marie.dupont@client.test>")]), Human),
            (
                "a failure subject from a person with a normal envelope",
                mail(&[
                    PERSON,
                    ("Return-Path", "<marie.dupont@client.test>"),
                    ("Subject", "Undeliverable mail since this morning"),
                ]),
                Human,
            ),
            (
                "a forwarded message attached by a person",
                with_parts(mail(&[PERSON, ("Content-Type", "multipart/mixed")]), &["text/plain", "message/rfc822"]),
                Human,
            ),
        ]);
    }

    #[test]
    fn only_human_mail_may_be_answered_and_list_mail_is_not_automatic() {
        let table = [
            (MailKind::Human, false, true),
            (MailKind::AutoReply, true, false),
            (MailKind::Bounce, true, false),
            (MailKind::Feedback, true, false),
            (MailKind::List, false, false),
            (MailKind::Own, true, false),
        ];
        for (kind, automatic, answerable) in table {
            assert_eq!(kind.is_automatic(), automatic, "{kind:?} automatic");
            assert_eq!(kind.may_be_answered(), answerable, "{kind:?} answerable");
        }
    }

    #[test]
    fn the_reason_names_the_deciding_signal() {
        let table = [
            (mail(&[PERSON, ("Auto-Submitted", "auto-replied")]), "Auto-Submitted: auto-replied"),
            (mail(&[PERSON, ("X-Loop", "guichet support@example.test")]), "X-Loop: guichet support@example.test"),
            (mail(&[PERSON, ("List-Id", "<users.example.test>")]), "List-Id: <users.example.test>"),
            (mail(&[("From", "MAILER-DAEMON@mx.test")]), "From: mailer-daemon@mx.test"),
            (mail(&[PERSON]), "no automatic-mail signal"),
        ];
        for (facts, reason) in table {
            assert_eq!(classify(&facts, &ours()).reason, reason);
        }
    }

    #[test]
    fn kinds_serialise_in_snake_case() {
        let json = serde_json::to_string(&[MailKind::AutoReply, MailKind::Own]).expect("serialisable");
        assert_eq!(json, r#"["auto_reply","own"]"#);
    }

    #[test]
    fn empty_markers_and_empty_facts_classify_as_human() {
        let got = classify(&MailFacts::default(), &OwnMarkers::default());
        assert_eq!(got.kind, MailKind::Human);
    }
}
