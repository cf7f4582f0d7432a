//! The queries of major incident detection: each ticket's terms, the
//! recent open tickets and the open major incidents to compare a new one
//! with.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::queries::is_open;
use super::schema::{ticket_terms, tickets};
use super::Conn;

type QResult<T> = Result<T, diesel::result::Error>;

/// A ticket and its terms (subject's, all), as compared.
pub type Compared = (i64, String, String);

pub fn insert_terms(conn: &mut Conn, ticket: i64, subject: &str, all: &str) -> QResult<()> {
    diesel::insert_into(ticket_terms::table)
        .values((
            ticket_terms::ticket_id.eq(ticket),
            ticket_terms::subject_terms.eq(subject),
            ticket_terms::terms.eq(all),
        ))
        .execute(conn)
        .map(drop)
}

#[derive(QueryableByName)]
struct Recent {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    subject_terms: String,
    #[diesel(sql_type = Text)]
    terms: String,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
}

/// The open tickets opened since `since` that are neither a major
/// incident nor attached to one, with their opening; the newest `limit`.
/// Its conditions are written out as the partial index
/// `tickets_open_unattached` states them, so that both backends read
/// that index and nothing else.
pub fn recent_open_since(conn: &mut Conn, since: NaiveDateTime, limit: i64) -> QResult<Vec<(Compared, NaiveDateTime)>> {
    const WHERE: &str = "t.parent_id IS NULL AND t.major = FALSE AND t.status NOT IN ('resolved', 'unresolved')";
    const COLUMNS: &str =
        "t.id AS id, tt.subject_terms AS subject_terms, tt.terms AS terms, t.created_at AS created_at";
    let rows: Vec<Recent> = match conn {
        super::AnyConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT {COLUMNS} \
             FROM tickets t INDEXED BY tickets_open_unattached JOIN ticket_terms tt ON tt.ticket_id = t.id \
             WHERE {WHERE} AND t.created_at >= ? ORDER BY t.created_at DESC LIMIT ?"
        ))
        .bind::<Timestamp, _>(since)
        .bind::<BigInt, _>(limit)
        .load(c)?,
        super::AnyConnection::Postgres(c) => diesel::sql_query(format!(
            "SELECT {COLUMNS} \
             FROM tickets t JOIN ticket_terms tt ON tt.ticket_id = t.id \
             WHERE {WHERE} AND t.created_at >= $1 ORDER BY t.created_at DESC LIMIT $2"
        ))
        .bind::<Timestamp, _>(since)
        .bind::<BigInt, _>(limit)
        .load(c)?,
    };
    Ok(rows.into_iter().map(|r| ((r.id, r.subject_terms, r.terms), r.created_at)).collect())
}

/// The children of open major incidents compared at most.
pub const CHILDREN: usize = 200;

/// The open major incidents (raised from the flood, or marked `#major`),
/// newest first, and their newest [`CHILDREN`] children, each as
/// (incident, terms): a new ticket joins the incident one of them is most
/// alike to.
pub fn open_majors(conn: &mut Conn) -> QResult<(Vec<Compared>, Vec<Compared>)> {
    let majors: Vec<Compared> = tickets::table
        .inner_join(ticket_terms::table)
        .filter(tickets::major.eq(true))
        .filter(is_open())
        .order(tickets::id.desc())
        .limit(100)
        .select((tickets::id, ticket_terms::subject_terms, ticket_terms::terms))
        .load(conn)?;
    let ids: Vec<i64> = majors.iter().map(|r| r.0).collect();
    // Read once for a group of mails (`ingest::pipeline`): the newest, as
    // the later mails of a flood are worded; each incident's from the
    // index (`tickets_parent_newest`), however many it holds.
    let mut children: Vec<(i64, Option<i64>, String, String)> = Vec::new();
    for id in ids {
        let newest: Vec<(i64, Option<i64>, String, String)> = tickets::table
            .inner_join(ticket_terms::table)
            .filter(tickets::parent_id.eq(id))
            .order(tickets::id.desc())
            .limit(CHILDREN as i64)
            .select((tickets::id, tickets::parent_id, ticket_terms::subject_terms, ticket_terms::terms))
            .load(conn)?;
        children.extend(newest);
    }
    children.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
    children.truncate(CHILDREN);
    let children = children.into_iter().map(|(_, p, s, a)| (p, s, a));
    Ok((majors, children.filter_map(|(p, s, a)| Some((p?, s, a))).collect()))
}

/// How many tickets `parent` holds.
pub fn count_children(conn: &mut Conn, parent: i64) -> QResult<i64> {
    tickets::table.filter(tickets::parent_id.eq(parent)).count().get_result(conn)
}
