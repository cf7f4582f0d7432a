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
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    subject_terms: String,
    #[diesel(sql_type = Text)]
    terms: String,
}

/// The open tickets opened since `since`, other than `except`, that are
/// neither a major incident nor attached to one; the newest `limit`. Its
/// conditions are written out as the partial index
/// `tickets_open_unattached` states them, so that both backends read
/// that index and nothing else.
pub fn recent_open(conn: &mut Conn, since: NaiveDateTime, except: i64, limit: i64) -> QResult<Vec<Compared>> {
    const WHERE: &str = "t.parent_id IS NULL AND t.major = FALSE AND t.status NOT IN ('resolved', 'unresolved')";
    let rows: Vec<Row> = match conn {
        super::AnyConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT t.id AS id, tt.subject_terms AS subject_terms, tt.terms AS terms \
             FROM tickets t INDEXED BY tickets_open_unattached JOIN ticket_terms tt ON tt.ticket_id = t.id \
             WHERE {WHERE} AND t.created_at >= ? AND t.id <> ? ORDER BY t.created_at DESC LIMIT ?"
        ))
        .bind::<Timestamp, _>(since)
        .bind::<BigInt, _>(except)
        .bind::<BigInt, _>(limit)
        .load(c)?,
        super::AnyConnection::Postgres(c) => diesel::sql_query(format!(
            "SELECT t.id AS id, tt.subject_terms AS subject_terms, tt.terms AS terms \
             FROM tickets t JOIN ticket_terms tt ON tt.ticket_id = t.id \
             WHERE {WHERE} AND t.created_at >= $1 AND t.id <> $2 ORDER BY t.created_at DESC LIMIT $3"
        ))
        .bind::<Timestamp, _>(since)
        .bind::<BigInt, _>(except)
        .bind::<BigInt, _>(limit)
        .load(c)?,
    };
    Ok(rows.into_iter().map(|r| (r.id, r.subject_terms, r.terms)).collect())
}

/// The open major incidents (raised from the flood, or marked `#major`)
/// and 200 of their children, each as (incident, terms): a new ticket
/// joins the incident one of them is most alike to.
pub fn open_majors(conn: &mut Conn) -> QResult<Vec<Compared>> {
    let mut rows: Vec<Compared> = tickets::table
        .inner_join(ticket_terms::table)
        .filter(tickets::major.eq(true))
        .filter(is_open())
        .order(tickets::id.desc())
        .limit(100)
        .select((tickets::id, ticket_terms::subject_terms, ticket_terms::terms))
        .load(conn)?;
    let majors: Vec<i64> = rows.iter().map(|r| r.0).collect();
    if majors.is_empty() {
        return Ok(rows);
    }
    let children: Vec<(Option<i64>, String, String)> = tickets::table
        .inner_join(ticket_terms::table)
        .filter(tickets::parent_id.eq_any(&majors))
        // Any 200: sorting a storm's thousands of children costs more than
        // the choice is worth.
        .limit(200)
        .select((tickets::parent_id, ticket_terms::subject_terms, ticket_terms::terms))
        .load(conn)?;
    rows.extend(children.into_iter().filter_map(|(p, s, a)| Some((p?, s, a))));
    Ok(rows)
}

/// How many tickets `parent` holds.
pub fn count_children(conn: &mut Conn, parent: i64) -> QResult<i64> {
    tickets::table.filter(tickets::parent_id.eq(parent)).count().get_result(conn)
}
