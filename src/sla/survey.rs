//! Satisfaction surveys: at most one per ticket, scheduled when it is
//! resolved, sent by the sweeper if it still is, answered by a reply or a
//! signed link.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{event, SlaError};
use crate::config::Settings;
use crate::domain::history::EventKind;
use crate::domain::survey::rating_label;
use crate::domain::ticket::{Lang, Status};
use crate::domain::token;
use crate::mail::inbound::Mailbox;
use crate::notify::outbox::{ArticleView, Desk, Notice};
use crate::store::models::{Survey, Ticket};
use crate::store::{queries, Conn};

/// scheduled: to send at `due_at`; waiting: the ticket was reopened before
/// it went, it goes after the next resolution; skipped: not in the sample.
const SCHEDULED: &str = "scheduled";
const WAITING: &str = "waiting";

/// Whether ticket `id` is in the sampled share: spread evenly, and the
/// same answer every time it is asked.
fn sampled(id: i64, share_percent: u8) -> bool {
    let spread = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    spread % 100 < u64::from(share_percent)
}

/// Schedules the survey of a resolved ticket; holds it back while the
/// ticket is open again.
pub(super) fn sync(
    conn: &mut Conn,
    settings: &Settings,
    ticket: &Ticket,
    status: Status,
    now: DateTime<Utc>,
    new: bool,
) -> Result<(), diesel::result::Error> {
    // A ticket opened in this transaction has none yet.
    let survey = if new { None } else { queries::survey_of(conn, ticket.id)? };
    let due = (now + settings.survey.delay).naive_utc();
    match (status, survey) {
        // A merged ticket goes on as another: that one is asked about.
        (Status::Resolved, None) if settings.survey.enabled && ticket.merged_into.is_none() => {
            let state = if sampled(ticket.id, settings.survey.share_percent) { SCHEDULED } else { "skipped" };
            queries::insert_survey(conn, ticket.id, state, due, now.naive_utc())?;
            if state == SCHEDULED {
                event(conn, ticket.id, EventKind::SurveyScheduled, None, Some(&due.and_utc().to_rfc3339()), now)?;
            }
        }
        (Status::Resolved, Some(s)) if s.state == WAITING => {
            queries::reschedule_survey(conn, s.id, due)?;
            queries::set_survey_state(conn, s.id, SCHEDULED)?;
        }
        (s, Some(survey)) if s != Status::Resolved && survey.state == SCHEDULED => {
            queries::set_survey_state(conn, survey.id, WAITING)?;
        }
        _ => {}
    }
    Ok(())
}

/// The key that signs survey links: the configured one, or one the desk
/// made and keeps in the database for every instance.
pub fn link_key(conn: &mut Conn, settings: &Settings, now: DateTime<Utc>) -> Result<Vec<u8>, SlaError> {
    if let Some(secret) = settings.http.as_ref().and_then(|h| h.secret.clone()) {
        return Ok(secret.into_bytes());
    }
    queries::random_desk_secret(conn, "survey_links", now.naive_utc()).map_err(|e| match e {
        queries::KeyError::Store(e) => e.into(),
        queries::KeyError::Random(e) => SlaError::LinkKey(e),
    })
}

/// Sends the ticket's survey if it is due and the ticket still resolved.
pub(super) fn send_due(conn: &mut Conn, desk: &Desk<'_>, ticket: &Ticket) -> Result<bool, SlaError> {
    let Some(survey) = queries::survey_of(conn, ticket.id)? else { return Ok(false) };
    if survey.state != SCHEDULED || survey.due_at > desk.now.naive_utc() {
        return Ok(false);
    }
    if ticket.status != Status::Resolved.as_str() {
        queries::set_survey_state(conn, survey.id, WAITING)?;
        return Ok(false);
    }
    let settings = desk.settings;
    let lang: Lang = ticket.language.parse().unwrap_or(settings.tickets.language);
    let valid = settings.survey.link_valid;
    let links: Vec<serde_json::Value> = match &settings.http {
        Some(http) => {
            let key = link_key(conn, settings, desk.now)?;
            let t = token::sign(&key, survey.id, desk.now + valid);
            (1..=5u8)
                .rev()
                .map(|r| json!({ "rating": r, "url": format!("{}/survey/{t}?r={r}", http.base_url), "label": rating_label(r, lang) }))
                .collect()
        }
        None => Vec::new(),
    };
    let details =
        json!({ "survey": { "has_links": !links.is_empty(), "links": links, "valid_days": valid.num_days() } });
    let requester = queries::contact(conn, ticket.requester_id)?;
    let to = vec![Mailbox { email: requester.email, name: requester.name }];
    let notice = Notice {
        details,
        ..Notice::automatic("survey", lang, to, &settings.outgoing.from_name, ArticleView::default())
    };
    match desk.queue(conn, ticket, notice)? {
        Some(outbox_id) => {
            let message_id = queries::outbox_message_id(conn, outbox_id)?;
            queries::survey_sent(conn, survey.id, &message_id, desk.now.naive_utc())?;
            event(conn, ticket.id, EventKind::SurveySent, None, Some(&message_id), desk.now)?;
            Ok(true)
        }
        None => {
            // Nobody to send it to (the requester's automatic mail is capped).
            queries::set_survey_state(conn, survey.id, "skipped")?;
            Ok(false)
        }
    }
}

/// Records an answer to `survey`; a low rating alerts the group lead.
/// `via` is `mail` or `link`.
pub fn answer(
    conn: &mut Conn,
    desk: &Desk<'_>,
    survey: &Survey,
    rating: Option<u8>,
    comment: &str,
    via: &str,
) -> Result<(), SlaError> {
    let now = desk.now;
    queries::answer_survey(conn, survey.id, rating.map(i32::from), comment, via, now.naive_utc())?;
    let Some(ticket) = queries::ticket(conn, survey.ticket_id)? else { return Ok(()) };
    let requester = queries::contact(conn, ticket.requester_id)?;
    let changed = rating.is_some_and(|r| survey.rating != Some(i32::from(r)));
    if let Some(r) = rating.filter(|_| changed) {
        queries::insert_event(
            conn,
            &crate::store::models::NewEvent {
                ticket_id: ticket.id,
                actor: &requester.email,
                kind: EventKind::Satisfaction,
                old_value: survey.rating.map(|o| o.to_string()).as_deref(),
                new_value: Some(&r.to_string()),
                article_id: None,
                created_at: now.naive_utc(),
            },
        )?;
    }
    if !comment.trim().is_empty() {
        event(conn, ticket.id, EventKind::SatisfactionComment, None, Some(via), now)?;
    }
    let low = rating.is_some_and(|r| r <= desk.settings.survey.low_rating);
    // Told once per rating given, with the comment when it comes with it.
    if low && changed {
        let stored = queries::survey(conn, survey.id)?;
        let said = stored.map(|s| s.comment).unwrap_or_default();
        let details = json!({ "rating": { "value": rating, "comment": said } });
        let leads = desk.settings.group_lead(ticket.group_name.as_deref());
        desk.tell_technicians(conn, &ticket, &leads, "low_rating", ArticleView::default(), &details)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sampled;

    #[test]
    fn the_sample_is_the_share_asked_for_and_always_the_same_tickets() {
        assert!((1..=1000).all(|id| sampled(id, 100)));
        assert!((1..=1000).all(|id| !sampled(id, 0)));
        let in_sample = (1..=1000).filter(|&id| sampled(id, 30)).count();
        assert!((250..=350).contains(&in_sample), "{in_sample} of 1000 for 30%");
        let again = (1..=1000).filter(|&id| sampled(id, 30)).count();
        assert_eq!(in_sample, again);
        // A larger share keeps the tickets a smaller one had.
        assert!((1..=1000).filter(|&id| sampled(id, 30)).all(|id| sampled(id, 60)));
    }
}
