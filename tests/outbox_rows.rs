//! An outbox row holds what its mail is made of; the sender renders it
//! just before sending. The same row is the same bytes, DKIM signature
//! included, however often and whenever it is rendered; a template that
//! fails at send time fails its row, visibly, and never the incoming mail.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use chrono::{TimeZone, Utc};
use common::dkim::*;
use common::*;
use guichet::domain::clock::FixedClock;
use guichet::notify::render::render_row;
use guichet::notify::sender::{send_due, Renderer, Sender};
use guichet::notify::templates::Templates;
use guichet::store::queries;

fn signing_desk(dkim: &str) -> Desk {
    let text = Desk::config_text("", "")
        .replace("message_id_domain = \"example.test\"\n", &format!("message_id_domain = \"example.test\"\n{dkim}"));
    Desk::with_config(&text)
}

/// Alice's mail with a file: a mail to technicians carries it.
fn with_file(id: &str) -> Vec<u8> {
    format!(
        "From: Alice Martin <alice@example.test>\r\nTo: {SUPPORT}\r\nSubject: Imprimante HS\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nL'imprimante affiche une erreur, voir le rapport.\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\nContent-Disposition: attachment; filename=\"rapport.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\r\n--b1--\r\n"
    )
    .into_bytes()
}

fn show_raw(desk: &mut Desk, id: i64, now: &str) -> Vec<u8> {
    desk.now = Some(now.to_string());
    let out = desk.ok(&["outbox", "show", &id.to_string(), "--raw"]);
    desk.now = None;
    out.replace('\n', "\r\n").into_bytes()
}

#[test]
fn a_row_rendered_twice_an_hour_apart_is_the_same_bytes_signature_included() {
    let keys = tempfile::tempdir().unwrap();
    let key = rsa_key(keys.path(), "rsa", false);
    let mut desk = signing_desk(&dkim_toml("example.test", "desk2026", &key));
    desk.ingest(&with_file("a1@example.test"));
    let rows = desk.outbox();
    assert!(rows.len() >= 2, "an acknowledgement and a notice to technicians: {rows:?}");
    assert!(rows.iter().any(|r| r["content"].as_str().unwrap().contains("rapport.pdf")), "a mail carries the file");
    for row in rows {
        let id = as_i64(&row["id"]);
        let first = show_raw(&mut desk, id, "2026-12-07T09:00:00Z");
        let again = show_raw(&mut desk, id, "2026-12-07T10:00:00Z");
        assert_eq!(String::from_utf8_lossy(&first), String::from_utf8_lossy(&again), "row {id}");
        let said = verify(&first, &[("desk2026", "example.test", &key.txt)]).unwrap();
        assert!(said.contains("pass"), "{said}");
    }
}

#[test]
fn an_outbox_row_refers_to_its_files_and_quoted_article_rather_than_copying_them() {
    let desk = Desk::new();
    desk.ingest(&with_file("a1@example.test"));
    let mut conn = desk.database();
    let rows = queries::list_outbox(&mut conn).unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(row.content.is_none(), "no bytes are stored");
        let stored = [&row.context, &row.headers, &row.files].iter().filter_map(|c| c.as_deref()).collect::<String>();
        assert!(!stored.contains("JVBERi0x"), "a file's bytes are not copied");
        assert!(!stored.contains("voir le rapport"), "the quoted article's words are not copied: {stored}");
    }
    let with_files: Vec<_> = rows.iter().filter(|r| r.files.is_some()).collect();
    assert!(!with_files.is_empty());
    assert!(with_files[0].files.as_deref().unwrap().contains("rapport.pdf"));
    assert!(rows.iter().any(|r| r.article_id.is_some()), "a notice quoting the article refers to it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_mail_is_the_bytes_its_first_attempt_would_have_sent() {
    let keys = tempfile::tempdir().unwrap();
    let key = ed25519_key(keys.path(), "ed");
    let desk = signing_desk(&dkim_toml("example.test", "ed2026", &key));
    desk.ingest(&with_file("a1@example.test"));
    let settings = guichet::config::Settings::load(&desk.config).unwrap();
    let store = guichet::store::Store::connect(&settings.database).unwrap();
    let templates = Templates::load(settings.templates_dir.as_deref(), &settings.tickets.languages).unwrap();
    let rows = queries::list_outbox(&mut store.conn().unwrap()).unwrap();
    let before: Vec<Vec<u8>> =
        rows.iter().map(|r| render_row(&mut store.conn().unwrap(), &settings, &templates, r).unwrap().bytes).collect();

    // The transport's directory goes away: every attempt fails and waits.
    let dir = desk.path("sent");
    let outgoing = guichet::config::Outgoing {
        transport: guichet::config::Transport::File { dir: dir.clone() },
        ..settings.outgoing.clone()
    };
    let sender = Sender::new(&outgoing).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let renderer = Renderer { settings: &settings, templates: &templates };
    let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    let first = send_due(&store, &sender, renderer, &FixedClock(t0)).await.unwrap();
    assert_eq!((first.sent, first.retrying), (0, rows.len()), "{first:?}");

    // An hour later it is back, and the retries go out.
    std::fs::create_dir_all(&dir).unwrap();
    let later = send_due(&store, &sender, renderer, &FixedClock(t0 + chrono::Duration::hours(1))).await.unwrap();
    assert_eq!(later.sent, rows.len(), "{later:?}");
    let mut sent: Vec<Vec<u8>> = files_in(&dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let mut want = before.clone();
    sent.sort();
    want.sort();
    assert_eq!(sent.len(), want.len());
    for (s, w) in sent.iter().zip(&want) {
        assert_eq!(String::from_utf8_lossy(s), String::from_utf8_lossy(w));
    }
    let said = verify(&sent[0], &[("ed2026", "example.test", &key.txt)]).unwrap();
    assert!(said.contains("pass"), "{said}");
}

#[test]
fn a_template_gone_at_send_time_holds_its_row_with_the_reason_until_it_is_back() {
    let templates = tempfile::tempdir().unwrap();
    for lang in ["fr", "en", "de", "es", "it", "nl"] {
        let src = manifest_dir().join("templates").join(lang);
        std::fs::create_dir_all(templates.path().join(lang)).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), templates.path().join(lang).join(e.file_name())).unwrap();
        }
        for part in ["subject", "text", "html"] {
            let ours = std::fs::read_to_string(src.join(format!("acknowledgement.{part}.hbs"))).unwrap();
            std::fs::write(templates.path().join(lang).join(format!("acknowledgement_vip.{part}.hbs")), ours).unwrap();
        }
    }
    let rule = "\n[[rule]]\nname = \"vip\"\n[rule.when]\nfrom = \"ceo@example.test\"\n[rule.then]\ntemplate = \"acknowledgement_vip\"\n";
    let text = Desk::config_text(&format!("{rule}{}", Desk::templates_table(templates.path())), "");
    let mut desk = Desk::with_config(&text);
    desk.now = Some("2026-12-01T09:00:00Z".to_string());
    let out = desk.ingest(&mail("ceo@example.test", "Imprimante", "a1@example.test", "", "Bonjour"));
    let number = as_i64(&out["ticket"]);
    assert!(desk.queued("acknowledgement_vip")[0]["content"].as_str().is_some_and(|c| c.contains("Imprimante")));

    // The admin removes the template while its mail waits to be sent.
    for lang in ["fr", "en", "de", "es", "it", "nl"] {
        for part in ["subject", "text", "html"] {
            std::fs::remove_file(templates.path().join(lang).join(format!("acknowledgement_vip.{part}.hbs"))).unwrap();
        }
    }
    let vip = desk.queued("acknowledgement_vip").pop().unwrap();
    assert!(vip["content"].is_null());
    let why = vip["render_error"].as_str().unwrap();
    assert!(why.contains("template `acknowledgement_vip` (fr)") && why.contains("no template"), "{why}");

    let run = desk.run(&["run", "--once"]);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains("1 to retry"), "{said}");
    let vip = desk.queued("acknowledgement_vip").pop().unwrap();
    assert_eq!(vip["state"], "pending", "it waits for the template: {vip}");
    let error = vip["last_error"].as_str().unwrap();
    assert!(error.contains("cannot render: template `acknowledgement_vip` (fr): no template"), "{error}");
    assert_eq!(vip["history"][0]["result"], "transient", "{vip}");
    let show = desk.run(&["outbox", "show", &vip["id"].to_string()]);
    assert!(!show.status.success());
    assert!(String::from_utf8_lossy(&show.stderr).contains("no template `acknowledgement_vip`"));
    let status = desk.ok(&["status"]);
    assert!(
        status.contains(&format!("to retry {}: cannot render: template `acknowledgement_vip` (fr)", vip["id"])),
        "{status}"
    );

    // The admin puts it back: at its next turn the mail goes, as it was.
    for lang in ["fr", "en", "de", "es", "it", "nl"] {
        for part in ["subject", "text", "html"] {
            let ours = manifest_dir().join("templates").join(lang).join(format!("acknowledgement.{part}.hbs"));
            std::fs::copy(ours, templates.path().join(lang).join(format!("acknowledgement_vip.{part}.hbs"))).unwrap();
        }
    }
    desk.now = Some("2026-12-01T10:00:00Z".to_string());
    let run = desk.run(&["run", "--once"]);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains("1 sent"), "{said}");
    let vip = desk.queued("acknowledgement_vip").pop().unwrap();
    assert_eq!(vip["state"], "sent", "{vip}");
    assert!(!desk.ok(&["status"]).contains("cannot render"), "nothing left to show");
    // What the mail made stays: the ticket and its article.
    assert_eq!(desk.ticket(number)["articles"].as_array().unwrap().len(), 1);
}

#[test]
fn a_row_queued_with_its_bytes_before_the_migration_is_sent_as_it_is() {
    use diesel::RunQueryDsl;
    let desk = Desk::new();
    desk.ok(&["migrate"]);
    let bytes = "From: Support <support@example.test>\r\nTo: alice@example.test\r\nSubject: [Guichet #9] Ancien\r\n\
                 Message-ID: <old.1@example.test>\r\nDate: Sat, 05 Dec 2026 07:00:00 +0000\r\n\r\nRendu avant.\r\n";
    let insert = format!(
        "INSERT INTO outbox (template, message_id, envelope_from, recipients, subject, content, automatic, \
         next_attempt_at, created_at) VALUES ('acknowledgement', 'old.1@example.test', 'support@example.test', \
         'alice@example.test', '[Guichet #9] Ancien', {}, false, '2026-12-05 07:00:00', '2026-12-05 07:00:00')",
        if std::env::var("GUICHET_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
            format!("'\\x{}'::bytea", hex_of(bytes.as_bytes()))
        } else {
            format!("X'{}'", hex_of(bytes.as_bytes()))
        }
    );
    diesel::sql_query(insert).execute(&mut desk.database()).unwrap();
    let row = desk.outbox().pop().unwrap();
    assert_eq!(row["content"].as_str().unwrap(), bytes);
    desk.ok(&["run", "--once"]);
    let sent: Vec<Vec<u8>> = files_in(&desk.path("outbox")).iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(sent.iter().any(|s| s == bytes.as_bytes()), "the kept bytes go out unchanged");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
