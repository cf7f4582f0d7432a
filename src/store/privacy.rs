//! What the desk holds about one person, and taking it out: the rows an
//! export gathers, and the erasure (or, for one closed ticket, the
//! anonymisation) that replaces them by a pseudonym. Which text columns
//! can name a person is listed once here ([`TEXT_COLUMNS`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::models::*;
use super::schema::*;
use super::{per_backend, Conn};
use crate::domain::history::EventKind;
use crate::domain::privacy::{scrub, Person, ERASED_NOTE};

type QResult<T> = Result<T, diesel::result::Error>;

/// Every text column that may hold an address, a name or someone's words:
/// (table, integer key, columns, the rows of one ticket as a condition on
/// `{t}`). Contacts are handled apart (their row is the person).
const TEXT_COLUMNS: &[(&str, &str, &[&str], &str)] = &[
    ("tickets", "id", &["subject"], "id = {t}"),
    (
        "articles",
        "id",
        &["from_addr", "from_name", "to_addrs", "cc_addrs", "subject", "body_text", "trimmed_text", "body_html"],
        "ticket_id = {t}",
    ),
    ("events", "id", &["actor", "old_value", "new_value"], "ticket_id = {t}"),
    (
        "outbox",
        "id",
        &["envelope_from", "recipients", "subject", "last_error", "context", "headers", "files"],
        "ticket_id = {t}",
    ),
    ("outbox_attempts", "id", &["detail"], "outbox_id IN (SELECT id FROM outbox WHERE ticket_id = {t})"),
    ("automatic_mail", "id", &["address"], "outbox_id IN (SELECT id FROM outbox WHERE ticket_id = {t})"),
    ("surveys", "id", &["comment"], "ticket_id = {t}"),
    ("kb_articles", "id", &["title", "body_text", "body_html", "search_text"], "source_ticket_id = {t}"),
    ("ticket_terms", "ticket_id", &["subject_terms", "terms"], "ticket_id = {t}"),
    ("inbound", "id", &["message_id", "reason"], "ticket_id = {t}"),
    ("message_ids", "id", &["message_id"], "ticket_id = {t}"),
    ("quarantine", "id", &["reason"], "1 = 0"),
];

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    key: i64,
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

/// Replaces, in every text column (of one ticket's rows when `ticket` is
/// given), the person's address and name by their pseudonym. Returns how
/// many values changed.
pub fn scrub_text(conn: &mut Conn, person: &Person, ticket: Option<i64>) -> QResult<usize> {
    super::behind::flush(conn)?;
    let replacements = person.replacements();
    let mut changed = 0;
    for (table, key, columns, scope) in TEXT_COLUMNS {
        let scope = match ticket {
            Some(t) => scope.replace("{t}", &t.to_string()),
            None => "1 = 1".to_string(),
        };
        for column in *columns {
            for (needle, _) in &replacements {
                // LIKE finds the candidates (`_` and `%` in an address only
                // widen the net); the exact replacement is made here.
                let select = format!(
                    "SELECT {key} AS key, {column} AS value FROM {table} \
                     WHERE ({scope}) AND lower({column}) LIKE ?"
                );
                let pattern = format!("%{}%", needle.to_lowercase());
                let hits: Vec<Hit> = per_backend!(&mut *conn, c => diesel::sql_query(placeholders(c, &select))
                    .bind::<Text, _>(&pattern)
                    .load(c))?;
                for hit in hits {
                    let Some(new) = hit.value.as_deref().and_then(|v| scrub(v, &replacements)) else { continue };
                    let update = format!("UPDATE {table} SET {column} = ? WHERE {key} = {}", hit.key);
                    per_backend!(&mut *conn, c => diesel::sql_query(placeholders(c, &update))
                        .bind::<Text, _>(&new)
                        .execute(c))?;
                    changed += 1;
                }
            }
        }
    }
    Ok(changed)
}

/// `?` placeholders as the backend writes them (`$1`… on PostgreSQL).
fn placeholders<C: 'static>(_: &C, sql: &str) -> String {
    if std::any::TypeId::of::<C>() != std::any::TypeId::of::<diesel::pg::PgConnection>() {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 4);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// The contact of this address, whatever its case.
pub fn contact_by_address(conn: &mut Conn, address: &str) -> QResult<Option<Contact>> {
    contacts::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ").bind::<Text, _>(address.to_lowercase()))
        .select(Contact::as_select())
        .first(conn)
        .optional()
}

/// The tickets a person took part in: as requester, watcher, or author or
/// addressee of an article. Sorted.
pub fn tickets_of(conn: &mut Conn, contact: &Contact) -> QResult<Vec<i64>> {
    let mut ids: Vec<i64> =
        tickets::table.filter(tickets::requester_id.eq(contact.id)).select(tickets::id).load(conn)?;
    ids.extend(
        ticket_watchers::table
            .filter(ticket_watchers::contact_id.eq(contact.id))
            .select(ticket_watchers::ticket_id)
            .load::<i64>(conn)?,
    );
    let pattern = format!("%{}%", contact.email.to_lowercase());
    ids.extend(
        articles::table
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(from_addr) = ")
                    .bind::<Text, _>(contact.email.to_lowercase())
                    .sql(" OR lower(to_addrs) LIKE ")
                    .bind::<Text, _>(&pattern)
                    .sql(" OR lower(cc_addrs) LIKE ")
                    .bind::<Text, _>(&pattern)
                    .sql(")"),
            )
            .select(articles::ticket_id)
            .load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Whether an address list (`a@x, b@y`) holds this address.
pub fn list_has(list: &str, address: &str) -> bool {
    list.split([',', ' ', '<', '>']).any(|a| a.trim().eq_ignore_ascii_case(address))
}

/// Outbox rows with this address among their recipients.
pub fn outbox_to(conn: &mut Conn, address: &str) -> QResult<Vec<OutboxRow>> {
    let pattern = format!("%{}%", address.to_lowercase());
    let rows: Vec<OutboxRow> = outbox::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("lower(recipients) LIKE ").bind::<Text, _>(pattern))
        .order(outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().filter(|r| list_has(&r.recipients, address)).collect())
}

/// Whether `haystack` holds `needle`, ASCII letters in any case.
pub fn bytes_contain(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty() && haystack.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Deletes the bytes of these raw mails, keeping the rows (and their hash,
/// so the same mail read again is still a duplicate). Returns how many
/// were emptied now.
pub fn purge_raw(conn: &mut Conn, ids: &[i64], now: NaiveDateTime) -> QResult<usize> {
    diesel::update(raw_messages::table.filter(raw_messages::id.eq_any(ids)).filter(raw_messages::purged_at.is_null()))
        .set((raw_messages::content.eq(Vec::<u8>::new()), raw_messages::purged_at.eq(now)))
        .execute(conn)
}

/// Removes the files of these articles; their content goes too when no
/// other article uses it. Queued or sent mail that relays these articles,
/// or names content now gone, no longer lists the files.
pub fn remove_attachments(conn: &mut Conn, article_ids: &[i64]) -> QResult<usize> {
    let shas: Vec<String> = attachments::table
        .filter(attachments::article_id.eq_any(article_ids))
        .select(attachments::sha256)
        .load(conn)?;
    let n = diesel::delete(attachments::table.filter(attachments::article_id.eq_any(article_ids))).execute(conn)?;
    let mut gone = Vec::new();
    for sha in &shas {
        let used: i64 = attachments::table.filter(attachments::sha256.eq(sha)).count().get_result(conn)?;
        if used == 0 {
            diesel::delete(blobs::table.find(sha)).execute(conn)?;
            gone.push(sha.clone());
        }
    }
    let mut naming: Vec<(i64, Option<i64>, Option<String>)> = Vec::new();
    for sha in &shas {
        naming.extend(
            outbox::table
                .filter(outbox::files.like(format!("%{sha}%")))
                .select((outbox::id, outbox::article_id, outbox::files))
                .load::<(i64, Option<i64>, Option<String>)>(conn)?,
        );
    }
    naming.sort_by_key(|r| r.0);
    naming.dedup_by_key(|r| r.0);
    for (id, article, files) in naming {
        let Some(files) = files else { continue };
        let relays = article.is_some_and(|a| article_ids.contains(&a));
        let drop = |sha: &str| gone.iter().any(|g| g == sha) || (relays && shas.iter().any(|s| s == sha));
        let Ok(list) = serde_json::from_str::<Vec<serde_json::Value>>(&files) else { continue };
        let kept: Vec<serde_json::Value> =
            list.into_iter().filter(|f| !f["sha256"].as_str().is_some_and(drop)).collect();
        let value = (!kept.is_empty()).then(|| serde_json::Value::from(kept).to_string());
        diesel::update(outbox::table.find(id)).set(outbox::files.eq(value)).execute(conn)?;
    }
    Ok(n)
}

/// Replaces what these articles say by `note`: text, HTML and files.
pub fn blank_articles(conn: &mut Conn, ids: &[i64], note: &str) -> QResult<()> {
    remove_attachments(conn, ids)?;
    diesel::update(articles::table.filter(articles::id.eq_any(ids)))
        .set((articles::body_text.eq(note), articles::trimmed_text.eq(note), articles::body_html.eq(None::<String>)))
        .execute(conn)
        .map(drop)
}

/// Survey comments (and their events) of these tickets replaced by `note`.
fn blank_comments(conn: &mut Conn, tickets: &[i64], note: &str) -> QResult<()> {
    diesel::update(surveys::table.filter(surveys::ticket_id.eq_any(tickets)).filter(surveys::comment.ne("")))
        .set(surveys::comment.eq(note))
        .execute(conn)?;
    diesel::update(
        events::table
            .filter(events::ticket_id.eq_any(tickets))
            .filter(events::kind.eq(EventKind::SatisfactionComment.as_str())),
    )
    .set(events::new_value.eq(note))
    .execute(conn)
    .map(drop)
}

/// Raw mail of these tickets, and of held quarantine entries, whose bytes
/// name the person.
fn raw_naming(conn: &mut Conn, tickets: &[i64], person: &Person) -> QResult<(Vec<i64>, Vec<i64>)> {
    let mut ids: Vec<i64> = articles::table
        .filter(articles::ticket_id.eq_any(tickets))
        .filter(articles::raw_message_id.is_not_null())
        .select(articles::raw_message_id.assume_not_null())
        .load(conn)?;
    ids.extend(
        inbound::table.filter(inbound::ticket_id.eq_any(tickets)).select(inbound::raw_message_id).load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    let names = |bytes: &[u8]| {
        bytes_contain(bytes, &person.address) || (person.name.len() >= 3 && bytes_contain(bytes, &person.name))
    };
    let mut raw = Vec::new();
    for id in ids {
        let content: Vec<u8> = raw_messages::table.find(id).select(raw_messages::content).first(conn)?;
        if names(&content) {
            raw.push(id);
        }
    }
    let mut quarantined = Vec::new();
    let held: Vec<(i64, i64)> = quarantine::table.select((quarantine::id, quarantine::raw_message_id)).load(conn)?;
    for (q, id) in held {
        let content: Vec<u8> = raw_messages::table.find(id).select(raw_messages::content).first(conn)?;
        if names(&content) {
            quarantined.push(q);
            raw.push(id);
        }
    }
    Ok((raw, quarantined))
}

/// What an erasure did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Erased {
    pub pseudonym: String,
    pub tickets: Vec<i64>,
    pub articles_blanked: usize,
    pub raw_mail_deleted: usize,
    pub quarantine_removed: usize,
    pub outbox_cancelled: usize,
    pub text_values_scrubbed: usize,
}

/// Erases a person everywhere, in the caller's transaction.
pub fn erase(conn: &mut Conn, contact: &Contact, actor: &str, now: NaiveDateTime) -> QResult<Erased> {
    let person = Person::new(contact.id, &contact.email, &contact.name);
    let tickets = tickets_of(conn, contact)?;
    let mut done = Erased { pseudonym: person.pseudonym.clone(), tickets: tickets.clone(), ..Erased::default() };

    // Their words: the articles they wrote, and their survey comments.
    let written: Vec<i64> = articles::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(from_addr) = ")
                .bind::<Text, _>(&person.address.to_lowercase()),
        )
        .select(articles::id)
        .load(conn)?;
    blank_articles(conn, &written, ERASED_NOTE)?;
    done.articles_blanked = written.len();
    let requested: Vec<i64> =
        tickets::table.filter(tickets::requester_id.eq(contact.id)).select(tickets::id).load(conn)?;
    blank_comments(conn, &requested, ERASED_NOTE)?;

    // Their raw mail, and any raw mail that names them.
    let (raw, quarantined) = raw_naming(conn, &tickets, &person)?;
    diesel::delete(quarantine::table.filter(quarantine::id.eq_any(&quarantined))).execute(conn)?;
    done.quarantine_removed = quarantined.len();
    let mut own: Vec<i64> = articles::table
        .filter(articles::id.eq_any(&written))
        .filter(articles::raw_message_id.is_not_null())
        .select(articles::raw_message_id.assume_not_null())
        .load(conn)?;
    own.extend(raw);
    done.raw_mail_deleted = purge_raw(conn, &own, now)?;

    // Mail to them: what is not sent yet is not sent; what was sent keeps
    // no copy of its bytes.
    let to_them = outbox_to(conn, &person.address)?;
    let ids: Vec<i64> = to_them.iter().map(|r| r.id).collect();
    done.outbox_cancelled =
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)).filter(outbox::state.eq("pending")))
            .set((outbox::state.eq("cancelled"), outbox::last_error.eq("cancelled: the recipient was erased")))
            .execute(conn)?;
    clear_outbox_bytes(conn, &ids)?;
    let on_tickets: Vec<(i64, Option<Vec<u8>>)> = outbox::table
        .filter(outbox::ticket_id.eq_any(&tickets))
        .filter(outbox::state.ne("pending"))
        .select((outbox::id, outbox::content))
        .load(conn)?;
    let naming: Vec<i64> = on_tickets
        .into_iter()
        .filter(|(_, c)| c.as_deref().is_some_and(|c| bytes_contain(c, &person.address)))
        .map(|(id, _)| id)
        .collect();
    clear_outbox_bytes(conn, &naming)?;

    // Their address and name, wherever they are written.
    done.text_values_scrubbed = scrub_text(conn, &person, None)?;
    take_pseudonym(conn, contact, &person)?;
    for t in &tickets {
        super::queries::insert_event(
            conn,
            &NewEvent {
                ticket_id: *t,
                actor,
                kind: EventKind::ContactErased,
                old_value: None,
                new_value: Some(&person.pseudonym),
                article_id: None,
                created_at: now,
            },
        )?;
    }
    Ok(done)
}

fn clear_outbox_bytes(conn: &mut Conn, ids: &[i64]) -> QResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((outbox::content.eq(None::<Vec<u8>>), outbox::smaller_content.eq(None::<Vec<u8>>)))
        .execute(conn)
        .map(drop)
}

/// The contact row becomes its pseudonym. A pseudonym row made earlier
/// (a ticket anonymised by retention) is folded into it.
fn take_pseudonym(conn: &mut Conn, contact: &Contact, person: &Person) -> QResult<()> {
    if let Some(earlier) = contact_by_address(conn, &person.pseudonym)? {
        diesel::update(tickets::table.filter(tickets::requester_id.eq(earlier.id)))
            .set(tickets::requester_id.eq(contact.id))
            .execute(conn)?;
        let both: Vec<i64> = ticket_watchers::table
            .filter(ticket_watchers::contact_id.eq(contact.id))
            .select(ticket_watchers::ticket_id)
            .load(conn)?;
        diesel::delete(
            ticket_watchers::table
                .filter(ticket_watchers::contact_id.eq(earlier.id))
                .filter(ticket_watchers::ticket_id.eq_any(&both)),
        )
        .execute(conn)?;
        diesel::update(ticket_watchers::table.filter(ticket_watchers::contact_id.eq(earlier.id)))
            .set(ticket_watchers::contact_id.eq(contact.id))
            .execute(conn)?;
        diesel::delete(contacts::table.find(earlier.id)).execute(conn)?;
    }
    diesel::update(contacts::table.find(contact.id))
        .set((
            contacts::email.eq(&person.pseudonym),
            contacts::name.eq(&person.pseudonym_name),
            contacts::undeliverable_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(drop)
}

/// The people of one ticket, less technicians and people already erased.
pub fn people_of_ticket(conn: &mut Conn, ticket: i64, technicians: &[String]) -> QResult<Vec<Contact>> {
    let mut ids: Vec<i64> = tickets::table.find(ticket).select(tickets::requester_id).load(conn)?;
    ids.extend(
        ticket_watchers::table
            .filter(ticket_watchers::ticket_id.eq(ticket))
            .select(ticket_watchers::contact_id)
            .load::<i64>(conn)?,
    );
    let authors: Vec<String> = articles::table
        .filter(articles::ticket_id.eq(ticket))
        .filter(articles::author_role.ne("technician"))
        .select(articles::from_addr)
        .load(conn)?;
    for a in authors {
        if let Some(c) = contact_by_address(conn, &a)? {
            ids.push(c.id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let people: Vec<Contact> =
        contacts::table.filter(contacts::id.eq_any(&ids)).select(Contact::as_select()).load(conn)?;
    Ok(people
        .into_iter()
        .filter(|c| !c.email.ends_with("@invalid") && !technicians.iter().any(|t| t.eq_ignore_ascii_case(&c.email)))
        .collect())
}

/// Anonymises one closed ticket in the caller's transaction: its people
/// become their pseudonyms on this ticket only, what they wrote on it is
/// replaced by `note` and its raw mail deleted; the ITIL record and the
/// history stay, so the KPIs hold. Returns how many people were replaced
/// and how many raw mails emptied.
pub fn anonymise_ticket(
    conn: &mut Conn,
    ticket: i64,
    technicians: &[String],
    note: &str,
    now: NaiveDateTime,
) -> QResult<(usize, usize)> {
    let people = people_of_ticket(conn, ticket, technicians)?;
    for c in &people {
        let person = Person::new(c.id, &c.email, &c.name);
        let stand_in = match contact_by_address(conn, &person.pseudonym)? {
            Some(p) => p.id,
            None => diesel::insert_into(contacts::table)
                .values((
                    contacts::email.eq(&person.pseudonym),
                    contacts::name.eq(&person.pseudonym_name),
                    contacts::language.eq(&c.language),
                    contacts::created_at.eq(now),
                ))
                .returning(contacts::id)
                .get_result(conn)?,
        };
        diesel::update(tickets::table.find(ticket).filter(tickets::requester_id.eq(c.id)))
            .set(tickets::requester_id.eq(stand_in))
            .execute(conn)?;
        diesel::update(
            ticket_watchers::table
                .filter(ticket_watchers::ticket_id.eq(ticket))
                .filter(ticket_watchers::contact_id.eq(c.id)),
        )
        .set(ticket_watchers::contact_id.eq(stand_in))
        .execute(conn)?;
        let written: Vec<i64> = articles::table
            .filter(articles::ticket_id.eq(ticket))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(from_addr) = ")
                    .bind::<Text, _>(c.email.to_lowercase()),
            )
            .select(articles::id)
            .load(conn)?;
        blank_articles(conn, &written, note)?;
        scrub_text(conn, &person, Some(ticket))?;
    }
    blank_comments(conn, &[ticket], note)?;
    let mut raw: Vec<i64> = articles::table
        .filter(articles::ticket_id.eq(ticket))
        .filter(articles::raw_message_id.is_not_null())
        .select(articles::raw_message_id.assume_not_null())
        .load(conn)?;
    raw.extend(inbound::table.filter(inbound::ticket_id.eq(ticket)).select(inbound::raw_message_id).load::<i64>(conn)?);
    let purged = purge_raw(conn, &raw, now)?;
    let sent: Vec<i64> = outbox::table
        .filter(outbox::ticket_id.eq(ticket))
        .filter(outbox::state.ne("pending"))
        .select(outbox::id)
        .load(conn)?;
    clear_outbox_bytes(conn, &sent)?;
    diesel::update(tickets::table.find(ticket)).set(tickets::anonymised_at.eq(now)).execute(conn)?;
    Ok((people.len(), purged))
}
