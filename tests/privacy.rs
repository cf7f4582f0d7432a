//! The rights of the people who write to the desk (`contact export`,
//! `contact erase`) and retention (`[retention]`, `guichet retention`,
//! the sweeper of `run`), through the binary, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{as_i64, mail, Desk, MARC, SUPPORT};
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use guichet::store::AnyConnection;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";
const ALICE_NAME: &str = "Alice Martin";
const BOB: &str = "bob.durand@example.test";
const INTERNAL: &str = "Entre nous: dossier sensible";

fn at(desk: &mut Desk, now: &str) {
    desk.now = Some(now.to_string());
}

/// Alice's mail with a file attached, Bob in copy.
fn alice_opens(id: &str) -> Vec<u8> {
    format!(
        "From: {ALICE_NAME} <{ALICE}>\r\nTo: {SUPPORT}\r\nCc: Bob Durand <{BOB}>\r\nSubject: Imprimante en panne\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 16 Nov 2026 09:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nmon imprimante du 3e ne marche plus.\r\n\
         {ALICE_NAME}\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"facture-alice.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"facture-alice.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\r\n\
         --b1--\r\n"
    )
    .into_bytes()
}

fn from_alice(subject: &str, id: &str, headers: &str, body: &str) -> Vec<u8> {
    mail(&format!("{ALICE_NAME} <{ALICE}>"), subject, id, headers, body)
}

/// A ticket of Alice's with Bob in copy, a public answer, an internal
/// note, her reply, the resolution and her survey answer; and a ticket of
/// Bob's alone. Returns (Alice's ticket, Bob's ticket).
fn story(desk: &mut Desk) -> (i64, i64) {
    at(desk, "2026-11-30T09:00:00Z");
    let out = desk.ingest(&alice_opens("alice-1@example.test"));
    assert_eq!(out["outcome"], "ticket", "{out}");
    let n = as_i64(&out["ticket"]);
    let tag = format!("RE: [Guichet #{n}] Imprimante en panne");
    at(desk, "2026-11-30T09:30:00Z");
    desk.ingest(&mail(MARC, &tag, "marc-1@example.test", "", "Pouvez-vous la redémarrer, Alice Martin ?"));
    desk.ingest(&mail(MARC, &tag, "marc-2@example.test", "", &format!("#internal\n{INTERNAL}")));
    at(desk, "2026-11-30T10:00:00Z");
    desk.ingest(&from_alice(&tag, "alice-2@example.test", "", "Toujours en panne après redémarrage."));
    at(desk, "2026-11-30T11:00:00Z");
    let solution = "#resolve\n#kb\nToner changé, Alice Martin a confirmé que tout marche.";
    desk.ingest(&mail(MARC, &tag, "marc-3@example.test", "", solution));
    at(desk, "2026-11-30T13:00:00Z");
    desk.ok(&["run", "--once"]);
    let survey = desk.queued("survey").into_iter().find(|m| m["ticket"] == n).expect("a survey was sent");
    let mid = survey["message_id"].as_str().unwrap();
    let headers = format!("In-Reply-To: <{mid}>\r\nReferences: <{mid}>\r\n");
    at(desk, "2026-11-30T14:00:00Z");
    desk.ingest(&from_alice(&format!("RE: [Guichet #{n}] Votre avis"), "alice-3@example.test", &headers, "4, merci !"));
    assert!(!desk.ticket(n)["rating"].is_null(), "the rating is recorded");
    at(desk, "2026-11-30T15:00:00Z");
    let bob = desk.ingest(&mail(BOB, "Écran noir", "bob-1@example.test", "", "Mon écran reste noir."));
    (n, as_i64(&bob["ticket"]))
}

/// The audit log's rows with this action.
fn audited(desk: &Desk, action: &str) -> Vec<Value> {
    let rows: Vec<Value> = serde_json::from_str(&desk.ok(&["audit", "list", "--json"])).unwrap();
    rows.into_iter().filter(|r| r["action"] == action).collect()
}

fn report(desk: &Desk) -> Value {
    serde_json::from_str(&desk.ok(&["report", "--since", "2026-11-01", "--until", "2026-12-31", "--json"])).unwrap()
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = Text)]
    c: String,
    #[diesel(sql_type = Text)]
    ty: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Every text and byte column of every table that holds `needle` (any
/// case), as `table.column`.
fn columns_holding(desk: &Desk, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase();
    let mut conn = desk.database();
    let mut hits = Vec::new();
    match &mut *conn {
        AnyConnection::Sqlite(c) => {
            let cols: Vec<Column> = diesel::sql_query(
                "SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'kb_search%'",
            )
            .load(c)
            .unwrap();
            for col in cols.iter().filter(|col| ["TEXT", "BLOB"].contains(&col.ty.to_uppercase().as_str())) {
                let q =
                    format!("SELECT count(*) AS n FROM {} WHERE instr(lower(CAST({} AS TEXT)), ?) > 0", col.t, col.c);
                let n: Count = diesel::sql_query(q).bind::<Text, _>(&needle).get_result(c).unwrap();
                if n.n > 0 {
                    hits.push(format!("{}.{}", col.t, col.c));
                }
            }
        }
        AnyConnection::Postgres(c) => {
            let cols: Vec<Column> = diesel::sql_query(
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND data_type IN ('text', 'character varying', 'bytea')",
            )
            .load(c)
            .unwrap();
            for col in &cols {
                let q = if col.ty == "bytea" {
                    format!("SELECT count(*) AS n FROM {} WHERE position(convert_to($1, 'UTF8') in lower(encode({}, 'escape'))::bytea) > 0", col.t, col.c)
                } else {
                    format!("SELECT count(*) AS n FROM {} WHERE strpos(lower({}), $1) > 0", col.t, col.c)
                };
                let n: Count = diesel::sql_query(q).bind::<Text, _>(&needle).get_result(c).unwrap();
                if n.n > 0 {
                    hits.push(format!("{}.{}", col.t, col.c));
                }
            }
        }
    }
    hits
}

/// Everything in the database, as text (to see that nothing changed).
fn dump(desk: &Desk) -> String {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        r: String,
    }
    let mut conn = desk.database();
    let mut out = String::new();
    match &mut *conn {
        AnyConnection::Sqlite(c) => {
            let cols: Vec<Column> = diesel::sql_query(
                "SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'kb_search%' \
                 ORDER BY m.name, p.cid",
            )
            .load(c)
            .unwrap();
            for col in cols {
                let q = format!("SELECT coalesce(CAST({} AS TEXT), 'NULL') AS r FROM {} ORDER BY rowid", col.c, col.t);
                let rows: Vec<Row> = diesel::sql_query(q).load(c).unwrap();
                out.push_str(&format!(
                    "{}.{}: {}\n",
                    col.t,
                    col.c,
                    rows.into_iter().map(|r| r.r).collect::<Vec<_>>().join("|")
                ));
            }
        }
        AnyConnection::Postgres(c) => {
            #[derive(QueryableByName)]
            struct Table {
                #[diesel(sql_type = Text)]
                t: String,
            }
            let tables: Vec<Table> = diesel::sql_query(
                "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
            )
            .load(c)
            .unwrap();
            for t in tables {
                let q = format!("SELECT row_to_json(x)::text AS r FROM {} x ORDER BY 1", t.t);
                let rows: Vec<Row> = diesel::sql_query(q).load(c).unwrap();
                out.push_str(&format!("{}: {}\n", t.t, rows.into_iter().map(|r| r.r).collect::<Vec<_>>().join("|")));
            }
        }
    }
    out
}

#[test]
fn an_export_holds_what_was_written_and_sent_and_no_internal_note() {
    let mut desk = Desk::new();
    let (n, bob_ticket) = story(&mut desk);
    let out = desk.path("export-alice");
    let said = desk.ok(&["contact", "export", ALICE, "--out", out.to_str().unwrap()]);
    assert!(said.contains("exported 1 ticket(s)"), "{said}");
    let doc: Value = serde_json::from_slice(&std::fs::read(out.join("export.json")).unwrap()).unwrap();
    assert_eq!(doc["contact"]["email"], ALICE);
    assert_eq!(doc["contact"]["name"], ALICE_NAME);
    let tickets = doc["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1, "Bob's own ticket #{bob_ticket} is not hers");
    assert_eq!(tickets[0]["number"], n);
    assert_eq!(tickets[0]["role"], "requester");
    let texts: Vec<&str> =
        tickets[0]["articles"].as_array().unwrap().iter().map(|a| a["text"].as_str().unwrap()).collect();
    let all = texts.join("\n");
    assert!(all.contains("mon imprimante du 3e ne marche plus"), "{all}");
    assert!(all.contains("Toujours en panne après redémarrage"), "{all}");
    assert!(all.contains("Pouvez-vous la redémarrer"), "the technician's public answer: {all}");
    assert!(!all.contains(INTERNAL), "no internal note: {all}");
    let whole = std::fs::read_to_string(out.join("export.json")).unwrap();
    assert!(!whole.contains(INTERNAL));
    let files =
        tickets[0]["articles"].as_array().unwrap().iter().flat_map(|a| a["attachments"].as_array().unwrap().clone());
    assert!(files.into_iter().any(|f| f["filename"] == "facture-alice.pdf"));
    assert_eq!(doc["surveys"][0]["rating"], 4);

    // Her mails as received, byte for byte.
    let inbound = common::files_in(&out.join("inbound"));
    assert_eq!(inbound.len(), 3, "{inbound:?}");
    let first = std::fs::read(&inbound[0]).unwrap();
    assert_eq!(first, alice_opens("alice-1@example.test"));
    // What the desk sent her: each one a mail to her.
    let sent = doc["outbox"].as_array().unwrap();
    assert!(sent.iter().any(|m| m["template"] == "acknowledgement"), "{sent:?}");
    assert!(sent.iter().any(|m| m["template"] == "survey"), "{sent:?}");
    let outbound = common::files_in(&out.join("outbound"));
    assert_eq!(outbound.len(), sent.len());
    for f in &outbound {
        let m = guichet::mail::inbound::InboundMail::parse(&std::fs::read(f).unwrap()).unwrap();
        assert!(m.to.iter().any(|t| t.email == ALICE), "{f:?}");
        assert!(!m.text.contains(INTERNAL));
    }

    // One archive instead of a folder.
    let tar = desk.path("alice.tar");
    desk.ok(&["contact", "export", ALICE, "--out", tar.to_str().unwrap()]);
    let bytes = std::fs::read(&tar).unwrap();
    assert_eq!(&bytes[..11], b"export.json");
    assert_eq!(&bytes[257..262], b"ustar");
    assert!(bytes.len().is_multiple_of(512));
    assert!(!String::from_utf8_lossy(&bytes).contains(INTERNAL));
    // Not over what is there.
    let again = desk.run(&["contact", "export", ALICE, "--out", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    let exports = audited(&desk, "contact.export");
    assert_eq!(exports.len(), 2, "two exports written: {exports:?}");
    assert!(exports[0]["actor"].as_str().unwrap().starts_with("cli:"));
    assert!(exports[0]["subject"].as_str().unwrap().starts_with("contact:"));
}

#[test]
fn an_unknown_or_malformed_address_is_refused_with_what_is_wrong() {
    let mut desk = Desk::new();
    story(&mut desk);
    let out = desk.run(&["contact", "export", "nobody@example.test"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("knows no one at `nobody@example.test`"));
    let out = desk.run(&["contact", "erase", "nobody@example.test", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let out = desk.run(&["contact", "export", "not an address"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an e-mail address"));
}

#[test]
fn erasure_leaves_no_trace_of_the_person_and_the_kpis_do_not_move() {
    let mut desk = Desk::new();
    let (n, bob_ticket) = story(&mut desk);
    at(&mut desk, "2026-12-02T08:00:00Z");
    let second = desk.ingest(&from_alice("Badge perdu", "alice-4@example.test", "", "Mon badge est perdu."));
    let unsent = desk.queued("acknowledgement");
    let unsent = unsent.iter().find(|m| m["ticket"] == second["ticket"]).expect("an acknowledgement waits");
    assert_eq!(unsent["state"], "pending");
    at(&mut desk, "2026-12-02T09:00:00Z");
    let before = report(&desk);
    assert!(!columns_holding(&desk, ALICE).is_empty(), "the test sees her before");
    // A knowledge-base draft was made from her ticket (and is searched below).
    let drafts = columns_holding(&desk, "toner changé");
    assert!(drafts.iter().any(|c| c.starts_with("kb_articles.")), "a knowledge-base draft: {drafts:?}");

    // Without --yes, off a terminal: refused, nothing changed.
    let untouched = dump(&desk);
    let out = desk.run(&["contact", "erase", ALICE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    assert_eq!(dump(&desk), untouched);

    let said = desk.ok(&["contact", "erase", ALICE, "--yes"]);
    assert!(said.contains("erased: now erased-"), "{said}");
    let erased = audited(&desk, "contact.erase");
    assert_eq!(erased.len(), 1);
    assert_eq!(erased[0]["outcome"], "ok");
    assert!(erased[0]["actor"].as_str().unwrap().starts_with("cli:"));

    let cancelled = desk.outbox().into_iter().find(|m| m["id"] == unsent["id"]).unwrap();
    assert_eq!(cancelled["state"], "cancelled", "mail not yet sent to her is not sent");
    assert!(said.contains("1 unsent mail(s) cancelled"), "{said}");
    for needle in [ALICE, ALICE_NAME, "facture-alice", "Mon badge est perdu"] {
        assert_eq!(columns_holding(&desk, needle), Vec::<String>::new(), "`{needle}` is still stored");
    }
    // Her words are gone from her articles and mail; the knowledge-base
    // draft keeps the problem as it was drafted (without who she is).
    let words = columns_holding(&desk, "mon imprimante du 3e");
    assert!(words.iter().all(|c| c.starts_with("kb_articles.")), "{words:?}");
    assert_eq!(report(&desk), before, "KPIs are the same");
    let t = desk.ticket(n);
    let requester = t["requester"].to_string();
    assert!(requester.contains("@invalid"), "{requester}");
    assert_eq!(t["status"], "resolved");
    assert!(t["articles"].as_array().unwrap().iter().any(|a| a["text"].as_str().unwrap().contains("Content erased")));
    assert!(t["watchers"].to_string().contains(BOB), "Bob is still in copy");
    let bob = desk.ticket(bob_ticket);
    assert!(bob["requester"].to_string().contains(BOB));
    assert!(desk.ticket(bob_ticket)["articles"][0]["text"].as_str().unwrap().contains("Mon écran reste noir"));
    // She is gone: nothing to export any more.
    assert_eq!(desk.run(&["contact", "export", ALICE]).status.code(), Some(1));
}

#[test]
fn a_technician_is_not_erased() {
    let mut desk = Desk::new();
    story(&mut desk);
    let out = desk.run(&["contact", "erase", MARC, "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("technician"), "{err}");
    let refused = audited(&desk, "contact.erase");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["outcome"], "refused");
    assert!(!columns_holding(&desk, MARC).is_empty());
}

const RETENTION: &str = r#"
[limits]
max_message_bytes = 2000

[retention]
raw_mail_days = 30
quarantine_days = 30
closed_tickets_months = 6
closed_tickets = "anonymise"
"#;

/// A ticket opened and resolved at `day`; returns its number.
fn closed_ticket(desk: &mut Desk, day: &str, from: &str, id: &str) -> i64 {
    at(desk, &format!("{day}T09:00:00Z"));
    let out = desk.ingest(&mail(from, "Souris cassée", id, "", "Ma souris ne clique plus."));
    let n = as_i64(&out["ticket"]);
    at(desk, &format!("{day}T10:00:00Z"));
    let tag = format!("RE: [Guichet #{n}] Souris cassée");
    desk.ingest(&mail(MARC, &tag, &format!("marc-{id}"), "", "#resolve\nSouris changée."));
    n
}

fn held(desk: &mut Desk, day: &str, id: &str) {
    at(desk, &format!("{day}T12:00:00Z"));
    let out = desk.ingest(&from_alice("Photos", id, "", &"x".repeat(5000)));
    assert_eq!(out["outcome"], "quarantined", "{out}");
}

fn purged(desk: &Desk) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let q = "SELECT count(*) AS n FROM raw_messages WHERE purged_at IS NOT NULL";
    let mut conn = desk.database();
    let n: N = match &mut *conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(q).get_result(c).unwrap(),
        AnyConnection::Postgres(c) => diesel::sql_query(q).get_result(c).unwrap(),
    };
    n.n
}

/// An old closed ticket, a recent one, an old open one, old and recent
/// quarantine.
fn old_and_new(desk: &mut Desk) -> (i64, i64, i64) {
    let old = closed_ticket(desk, "2026-03-02", ALICE, "ancient@example.test");
    at(desk, "2026-05-04T09:00:00Z");
    let open = as_i64(&desk.ingest(&mail(BOB, "Clavier", "open@example.test", "", "Touche A collée."))["ticket"]);
    held(desk, "2026-05-04", "held-old@example.test");
    let recent = closed_ticket(desk, "2026-11-20", ALICE, "recent@example.test");
    held(desk, "2026-11-25", "held-new@example.test");
    at(desk, "2026-12-05T08:00:00Z");
    (old, recent, open)
}

#[test]
fn a_dry_run_shows_what_would_go_and_changes_nothing() {
    let mut desk = Desk::with(RETENTION);
    let (old, _, _) = old_and_new(&mut desk);
    let before = dump(&desk);
    let out = desk.ok(&["retention", "--dry-run"]);
    assert!(out.contains(&format!("tickets anonymised: 1 (#{old})")), "{out}");
    assert!(out.contains("quarantine entries: 1 would go"), "{out}");
    // Old ticket: Alice's mail and Marc's; the open ticket's; not the held one.
    assert!(out.contains("raw mail:           3 would go"), "{out}");
    assert_eq!(dump(&desk), before);
    let v: Value = serde_json::from_str(&desk.ok(&["retention", "--dry-run", "--json"])).unwrap();
    assert_eq!(v["done"]["anonymised"], serde_json::json!([old]));
}

#[test]
fn retention_deletes_old_raw_mail_and_quarantine_and_anonymises_old_closed_tickets() {
    let mut desk = Desk::with(RETENTION);
    let (old, recent, open) = old_and_new(&mut desk);
    at(&mut desk, "2026-12-05T08:00:00Z");
    let before = report(&desk);
    let out = desk.ok(&["retention"]);
    assert!(out.contains(&format!("tickets anonymised: 1 (#{old})")), "{out}");
    assert_eq!(purged(&desk), 4, "three old raw mails, and the old quarantined one");
    let q: Vec<Value> = serde_json::from_str(&desk.ok(&["quarantine", "list", "--all", "--json"])).unwrap();
    assert_eq!(q.len(), 1, "the recent entry stays: {q:?}");
    let t = desk.ticket(old);
    assert!(t["requester"].to_string().contains("@invalid"), "{}", t["requester"]);
    assert_eq!(t["status"], "resolved");
    assert!(t.to_string().contains("anonymised"), "an event in its history");
    assert!(!t.to_string().contains(ALICE));
    let r = desk.ticket(recent);
    assert!(r["requester"].to_string().contains(ALICE), "a recent ticket keeps its people");
    assert!(r["articles"][0]["text"].as_str().unwrap().contains("Ma souris ne clique plus"));
    assert!(desk.ticket(open).to_string().contains("raw_mail_deleted"));
    assert!(desk.ticket(open)["articles"][0]["text"].as_str().unwrap().contains("Touche A collée"), "articles stay");
    // Her contact is still there for the recent ticket.
    desk.ok(&["contact", "export", ALICE, "--out", desk.path("x").to_str().unwrap()]);
    let status = desk.ok(&["status"]);
    let line = status.lines().find(|l| l.starts_with("retention:")).unwrap_or_default();
    for part in ["anonymised 1", "quarantine 1", "raw_mail 3", "exported 1"] {
        assert!(line.contains(part), "{status}");
    }
    // Nothing left to do: a second run changes nothing.
    let again = desk.ok(&["retention"]);
    assert!(again.contains("tickets anonymised: 0"), "{again}");
    let after = report(&desk);
    assert_eq!(after["tickets"], before["tickets"], "the ITIL record is kept");
}

#[test]
fn the_sweeper_deletes_old_closed_tickets_in_delete_mode() {
    let mut desk = Desk::with(&RETENTION.replace("\"anonymise\"", "\"delete\""));
    let (old, recent, open) = old_and_new(&mut desk);
    at(&mut desk, "2026-12-05T08:00:00Z");
    let said = desk.ok(&["run", "--once"]);
    // Three old raw mails (the old ticket's two, the open ticket's), one
    // quarantine entry, one ticket.
    assert!(said.contains("retention: 5 removed or anonymised"), "{said}");
    let gone = desk.run(&["ticket", "show", &old.to_string()]);
    assert_eq!(gone.status.code(), Some(1), "deleted");
    desk.ticket(recent);
    desk.ticket(open);
    // Only the record that a mail came in stays (its Message-ID, for
    // duplicates); its bytes, article and history are gone.
    assert_eq!(columns_holding(&desk, "ancient@example.test"), ["inbound.message_id"]);
    let status: Value = serde_json::from_str(&desk.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["retention"]["deleted"], 1, "{}", status["retention"]);
    assert_eq!(status["retention"]["quarantine"], 1);
    let deleted = audited(&desk, "retention.delete");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["subject"], format!("ticket:{old}"));
}

#[test]
fn bad_retention_values_name_their_key() {
    for (extra, key) in [
        ("[retention]\nclosed_tickets_months = 6\nclosed_tickets = \"shred\"", "retention.closed_tickets"),
        ("[retention]\nraw_mail_days = -1", "retention.raw_mail_days"),
        ("[retention]\nquarantine_days = \"soon\"", "retention.quarantine_days"),
        ("[retention]\nclosed_tickets_months = 6", "retention.closed_tickets_months"),
        ("[retention]\nkeep_forever = true", "retention.keep_forever"),
    ] {
        let desk = Desk::with(extra);
        let out = desk.run(&["check"]);
        assert_eq!(out.status.code(), Some(78), "{extra}");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(text.contains(key), "{extra}: {text}");
    }
    let desk = Desk::new();
    assert!(desk.ok(&["retention"]).contains("retention is off"));
}
