//! Proof by reply token, and the confirmation a technician is asked for
//! when a mail from their address carries none.
//!
//! A mail from a technician's address is theirs when it answers a mail
//! the desk sent them: its recipients hold the reply token of that mail
//! (see `domain::reply_token`). Without one (and without trusted
//! authentication), it is held in quarantine and the technician gets one
//! mail asking them to confirm: replying to that mail (its own token)
//! runs the held mail as theirs. A forged `From:` alone runs nothing.

use super::*;
use crate::domain::reply_token::{self, CONFIRM_PREFIX};

/// What the reply tokens of a mail prove.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Proof {
    /// A token of the sender's, for a ticket: the mail is theirs.
    pub token: bool,
    /// A token of the sender's confirming a held mail: its quarantine entry.
    pub confirms: Option<i64>,
}

/// Reads the tokens among `mail`'s recipients, when it comes from a
/// technician's address and tokens prove technicians. The key is read
/// only then.
pub(crate) fn proof(conn: &mut Conn, desk: &Desk<'_>, mail: &InboundMail) -> Result<Proof, Stop> {
    let settings = desk.settings;
    if settings.technician(&mail.from.email).is_none() {
        return Ok(Proof::default());
    }
    let recipients =
        mail.to.iter().chain(&mail.cc).map(|m| m.email.as_str()).chain(mail.delivered_to.iter().map(String::as_str));
    let tokens = threading::reply_tokens(recipients, settings.our_addresses());
    if tokens.is_empty() {
        return Ok(Proof::default());
    }
    let key = desk.reply_key(conn)?;
    let mut proof = Proof::default();
    for (scope, token) in &tokens {
        if !reply_token::check(&key, scope, &mail.from.email, token) {
            tracing::warn!(from = %mail.from.email, %scope, "reply token not valid for its sender: ignored");
            continue;
        }
        match scope.strip_prefix(CONFIRM_PREFIX) {
            Some(held) => proof.confirms = held.parse().ok().or(proof.confirms),
            None => proof.token = true,
        }
    }
    Ok(proof)
}

/// Asks `tech` to confirm the held mail (quarantine entry `held`) by
/// replying. Returns whether the mail was queued (the hourly share of
/// automatic mail may be spent).
pub(crate) fn ask_to_confirm(
    conn: &mut Conn,
    desk: &Desk<'_>,
    mailbox: &str,
    mail: &InboundMail,
    tech: &Technician,
    held: i64,
) -> Result<bool, Stop> {
    let settings = desk.settings;
    let lang = tech.language.unwrap_or(settings.tickets.language);
    let commands: Vec<String> = mail
        .text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let excerpt: String = mail.text.lines().filter(|l| !l.trim().is_empty()).take(6).collect::<Vec<_>>().join("\n");
    let view = ArticleView { from_name: tech.name.clone(), from_email: tech.email.clone(), ..Default::default() };
    let to = Mailbox { email: tech.email.clone(), name: tech.name.clone() };
    let mut notice = Notice::automatic("confirm", lang, vec![to], &settings.outgoing.from_name, view);
    notice.details = serde_json::json!({ "held": {
        "subject": mail.subject,
        "commands": commands,
        "excerpt": excerpt,
        "date": mail.date.map(|d| d.to_rfc3339()).unwrap_or_default(),
    }});
    notice.reply_scope = Some(format!("{CONFIRM_PREFIX}{held}"));
    let from_address =
        settings.mailbox(mailbox).map(|m| m.address.clone()).unwrap_or_else(|| settings.desk_address().to_string());
    Ok(desk.queue_unticketed(conn, notice, &from_address, mail.message_id.as_deref())?.is_some())
}

/// The held mail a confirmation names, when it is still held and comes
/// from the same technician: its entry and raw bytes.
pub(crate) fn held_for(
    conn: &mut Conn,
    held: i64,
    technician: &str,
) -> Result<Option<(crate::store::models::Quarantined, Vec<u8>)>, Stop> {
    let Some(entry) = queries::quarantine_entry(conn, held)? else { return Ok(None) };
    if entry.state != "held" {
        return Ok(None);
    }
    let raw = queries::raw_content(conn, entry.raw_message_id)?;
    let theirs = InboundMail::parse(&raw).is_ok_and(|m| m.from.email.eq_ignore_ascii_case(technician));
    Ok(theirs.then_some((entry, raw)))
}
