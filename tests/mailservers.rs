//! guichet against a real Dovecot (IMAP) and Postfix (SMTP) on loopback,
//! started by `scripts/mailservers.sh`: people write from their mailboxes,
//! guichet reads the support mailbox over IMAP and answers through Postfix.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::time::Duration;

use common::running::{desk, message, status, wait_until, Running};
use common::servers::{header, subject, text_body, Servers};
use common::*;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

fn once(desk: &Desk) -> String {
    desk.ok(&["run", "--once"])
}

#[test]
fn a_requester_and_a_technician_talk_through_real_mailboxes() {
    let srv = Servers::get();
    let (support, alice, tech) = (srv.user("support"), srv.user("alice"), srv.user("tech"));
    let desk = desk(&srv, &support, &tech, "move:Processed", "");

    // Alice writes to the desk from her mail client.
    let first = message(&alice, &support, "Imprimante en panne", "p1@alice.example.test", "", "Elle ne marche plus.");
    srv.send(&alice, &[&support], &first);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    let out = once(&desk);
    assert!(out.contains("1 new tickets"), "{out}");
    assert!(out.contains("outbox: 2 sent"), "acknowledgement and technician notice: {out}");

    // Her acknowledgement arrives in her INBOX, tagged and threaded.
    let inbox = srv.wait_for(&alice, "INBOX", 1, WAIT);
    let ack = &inbox[0];
    assert!(subject(ack).starts_with("[Guichet #1] "), "{}", subject(ack));
    assert_eq!(header(ack, "In-Reply-To").as_deref(), Some("<p1@alice.example.test>"));
    assert_eq!(header(ack, "Auto-Submitted").as_deref(), Some("auto-replied"));
    // The processed mail left the support INBOX for its folder.
    assert!(srv.messages(&support, "INBOX").is_empty());
    assert_eq!(srv.messages(&support, "Processed").len(), 1);

    // She answers the acknowledgement, having rewritten the subject: the
    // threading headers alone bring it to her ticket.
    let ack_id = header(ack, "Message-ID").unwrap();
    let reply = message(
        &alice,
        &support,
        "toujours rien",
        "p2@alice.example.test",
        &format!("In-Reply-To: {ack_id}\r\nReferences: <p1@alice.example.test> {ack_id}\r\n"),
        "Le voyant clignote en orange.",
    );
    srv.send(&alice, &[&support], &reply);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    assert!(once(&desk).contains("1 articles"));

    // The technician answers the notice from their own client.
    let notices = srv.wait_for(&tech, "INBOX", 2, WAIT);
    let notice = notices.last().unwrap();
    let notice_id = header(notice, "Message-ID").unwrap();
    let answer = message(
        &tech,
        &support,
        &format!("Re: {}", subject(notice)),
        "t1@tech.example.test",
        &format!("In-Reply-To: {notice_id}\r\n"),
        "Bonjour, j'ai remplacé le toner.\r\n\r\nTess",
    );
    srv.send(&tech, &[&support], &answer);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    assert!(once(&desk).contains("1 articles"));

    // Alice receives the technician's answer, on her ticket's thread.
    let inbox = srv.wait_for(&alice, "INBOX", 2, WAIT);
    let answer = inbox.last().unwrap();
    assert!(subject(answer).contains("[Guichet #1]"), "{}", subject(answer));
    assert!(text_body(answer).contains("remplacé le toner"), "{}", text_body(answer));
    assert!(header(answer, "References").unwrap().contains("<p1@alice.example.test>"));
    let t = desk.ticket(1);
    assert_eq!(t["articles"].as_array().unwrap().len(), 3, "{t}");
    assert_eq!(desk.tickets().len(), 1);
    assert_eq!(srv.messages(&support, "Processed").len(), 3);
}

#[test]
fn mail_another_client_marked_read_is_not_missed() {
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let desk = desk(&srv, &support, &tech, "keep", "");
    let requesters: Vec<String> = (0..3).map(|_| srv.user("seen")).collect();
    for (i, r) in requesters.iter().enumerate() {
        srv.append(
            &support,
            "INBOX",
            &message(r, &support, &format!("Demande {i}"), &format!("seen{i}@x.test"), "", "x"),
        );
    }
    srv.mark_all_seen(&support);
    assert!(once(&desk).contains("3 new tickets"));
    // `keep` leaves the mail where it is, and a second pass reads nothing
    // twice: the checkpoint is by UID, not by flag.
    assert_eq!(srv.messages(&support, "INBOX").len(), 3);
    let again = once(&desk);
    assert!(!again.contains("new tickets") && !again.contains("duplicates"), "{again}");
    // One more arrives, already \Seen: it alone is read.
    srv.append(&support, "INBOX", &message(&requesters[0], &support, "Encore", "seen9@x.test", "", "y"));
    srv.mark_all_seen(&support);
    let third = once(&desk);
    assert!(third.contains("1 new tickets"), "{third}");
    assert_eq!(desk.tickets().len(), 4);
}

#[test]
fn a_renumbered_folder_is_read_again_without_duplicating_anything() {
    use diesel::RunQueryDsl;
    let srv = Servers::get();
    let (support, tech, bob) = (srv.user("support"), srv.user("tech"), srv.user("bob"));
    let desk = desk(&srv, &support, &tech, "keep", "");
    srv.append(&support, "INBOX", &message(&bob, &support, "Écran noir", "uv1@x.test", "", "x"));
    srv.append(&support, "INBOX", &message(&bob, &support, "Clavier", "uv2@x.test", "", "y"));
    assert!(once(&desk).contains("2 new tickets"));
    // As if the server had rebuilt its index: a new UIDVALIDITY.
    diesel::sql_query("UPDATE mailbox_checkpoints SET uid_validity = uid_validity + 1")
        .execute(&mut *desk.database())
        .unwrap();
    let out = once(&desk);
    assert!(out.contains("2 duplicates"), "{out}");
    assert_eq!(desk.tickets().len(), 2);
    let acks = srv.wait_for(&bob, "INBOX", 2, WAIT);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(srv.messages(&bob, "INBOX").len(), acks.len(), "no acknowledgement sent twice");
}

#[test]
fn implicit_tls_both_ways_and_delete_after_reading() {
    let srv = Servers::get();
    let (support, tech, carol) = (srv.user("support"), srv.user("tech"), srv.user("carol"));
    let base = desk(&srv, &support, &tech, "delete", "");
    // IMAPS and SMTPS instead of STARTTLS.
    let text = std::fs::read_to_string(&base.config)
        .unwrap()
        .replace("tls = \"starttls\"\nca_file", "tls = \"tls\"\nca_file")
        .replace(&format!("port = {}\n", srv.imap_port), &format!("port = {}\n", srv.imaps_port))
        .replace(&format!("port = {}\n", srv.smtp_port), &format!("port = {}\n", srv.smtps_port));
    assert_eq!(text.matches("tls = \"tls\"").count(), 2, "{text}");
    std::fs::write(&base.config, text).unwrap();
    srv.append(&support, "INBOX", &message(&carol, &support, "Wifi", "tls1@x.test", "", "Le wifi coupe."));
    assert!(once(&base).contains("1 new tickets"));
    assert!(srv.messages(&support, "INBOX").is_empty(), "deleted once stored");
    assert_eq!(base.tickets().len(), 1);
    let ack = srv.wait_for(&carol, "INBOX", 1, WAIT);
    assert!(subject(&ack[0]).starts_with("[Guichet #1] "));
}

#[test]
fn a_server_without_move_or_uidplus_gets_copy_and_expunge() {
    let srv = Servers::get();
    let (support, tech, erin) = (srv.user("support"), srv.user("tech"), srv.user("erin"));
    let base = desk(&srv, &support, &tech, "move:Processed", "");
    let text = std::fs::read_to_string(&base.config).unwrap().replace(
        &srv.mailbox_toml("support", &support, "move:Processed"),
        &srv.basic_mailbox_toml("support", &support, "move:Processed"),
    );
    assert!(text.contains("127.0.0.2"), "{text}");
    std::fs::write(&base.config, text).unwrap();
    for i in 0..3 {
        let m = message(&erin, &support, &format!("Écran {i}"), &format!("basic{i}@x.test"), "", "x");
        srv.append(&support, "INBOX", &m);
    }
    let out = base.command(&["run", "--once"]).env("GUICHET_LOG", "info").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 new tickets"));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("older IMAP server: moving by COPY then expunging"), "{log}");
    // Copied to the folder, then removed from the INBOX: nothing lost, nothing left.
    assert!(srv.messages(&support, "INBOX").is_empty());
    assert_eq!(srv.messages(&support, "Processed").len(), 3);
    // A second pass finds nothing to do.
    let again = once(&base);
    assert!(!again.contains("new tickets"), "{again}");
    assert_eq!(base.tickets().len(), 3);
    assert_eq!(srv.messages(&support, "Processed").len(), 3);
}

#[test]
fn without_idle_the_mailbox_is_polled() {
    let srv = Servers::get();
    let (support, tech, dave) = (srv.user("support"), srv.user("tech"), srv.user("dave"));
    let desk = desk(&srv, &support, &tech, "move:Done", "");
    let text =
        std::fs::read_to_string(&desk.config).unwrap().replace("poll_seconds = 2", "poll_seconds = 1\nidle = false");
    std::fs::write(&desk.config, text).unwrap();
    let run = Running::start(&desk, "run", &[]);
    wait_until("the mailbox is polled", WAIT, || run.log().contains("polling"));
    for i in 0..2 {
        srv.send(
            &dave,
            &[&support],
            &message(&dave, &support, &format!("Souris {i}"), &format!("poll{i}@x.test"), "", "x"),
        );
        srv.wait_for(&dave, "INBOX", i + 1, WAIT);
    }
    assert_eq!(srv.messages(&support, "Done").len(), 2);
    assert!(run.log().contains("checking for mail periodically (no IDLE)"), "{}", run.log());
}

#[test]
fn an_unknown_certificate_authority_is_refused() {
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let desk = desk(&srv, &support, &tech, "keep", "");
    // Without the test CA, the server's certificate is not trusted.
    let text = std::fs::read_to_string(&desk.config).unwrap();
    let ca_line = format!("ca_file = \"{}\"\nusername", srv.ca_file.display());
    std::fs::write(&desk.config, text.replacen(&ca_line, "username", 1)).unwrap();
    let out = desk.run(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(75));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS") && err.contains("support"), "{err}");
    let status: Value = serde_json::from_str(&desk.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["mailboxes"][0]["state"], "failing");
    assert!(status["mailboxes"][0]["error"].as_str().unwrap().contains("TLS"));
}

#[test]
fn permanent_and_transient_smtp_refusals_are_told_apart() {
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let desk = desk(&srv, &support, &tech, "keep", "");
    srv.append(&support, "INBOX", &message("rejected@example.test", &support, "Refusé", "r1@x.test", "", "x"));
    srv.append(&support, "INBOX", &message("deferred@example.test", &support, "Différé", "d1@x.test", "", "y"));
    once(&desk);
    let rows: Vec<Value> = serde_json::from_str(&desk.ok(&["outbox", "list", "--json"])).unwrap();
    let ack_to = |who: &str| {
        rows.iter()
            .find(|r| r["template"] == "acknowledgement" && r["recipients"][0] == who)
            .unwrap_or_else(|| panic!("an acknowledgement to {who}: {rows:?}"))
            .clone()
    };
    let rejected = ack_to("rejected@example.test");
    assert_eq!(rejected["state"], "failed", "{rejected}");
    assert!(rejected["last_error"].as_str().unwrap().contains("550"), "{rejected}");
    let deferred = ack_to("deferred@example.test");
    assert_eq!(deferred["state"], "pending", "{deferred}");
    assert!(deferred["last_error"].as_str().unwrap().contains("450"), "{deferred}");
    assert_eq!(deferred["attempts"], 1);
    // The technicians' notices went through the same connection pool.
    assert_eq!(rows.iter().filter(|r| r["state"] == "sent").count(), 2);
}

#[test]
fn a_refused_watcher_does_not_keep_the_reply_from_the_requester() {
    let srv = Servers::get();
    let (support, tech, alice) = (srv.user("support"), srv.user("tech"), srv.user("alice"));
    let desk = desk(&srv, &support, &tech, "keep", "");
    // Alice copies two addresses the relay will not take: one for good, one for now.
    let first = String::from_utf8(message(&alice, &support, "Écran", "w1@x.test", "", "Il clignote."))
        .unwrap()
        .replacen("\r\n", "\r\nCc: rejected@example.test, deferred@example.test\r\n", 1);
    srv.append(&support, "INBOX", first.as_bytes());
    once(&desk);
    assert_eq!(desk.ticket(1)["watchers"].as_array().unwrap().len(), 2);
    srv.append(
        &support,
        "INBOX",
        &message(&tech, &support, "RE: [Guichet #1] Écran", "w2@x.test", "", "Je change le câble."),
    );
    once(&desk);
    // Alice has the acknowledgement and the reply.
    let inbox = srv.wait_for(&alice, "INBOX", 2, WAIT);
    assert!(inbox.iter().any(|m| text_body(m).contains("Je change le câble.")));
    let rows: Vec<Value> = serde_json::from_str(&desk.ok(&["outbox", "list", "--json"])).unwrap();
    // Each watcher has a mail of their own: Alice's went, the refused
    // address's failed for good, the deferred one's waits for its retry.
    let reply_to = |address: &str| {
        rows.iter()
            .find(|r| r["template"] == "reply" && r["recipients"] == serde_json::json!([address]))
            .unwrap_or_else(|| panic!("a reply to {address}"))
    };
    assert_eq!(reply_to(&alice)["state"], "sent");
    let rejected = reply_to("rejected@example.test");
    assert_eq!(rejected["state"], "failed", "{rejected}");
    assert!(rejected["last_error"].as_str().unwrap().contains("550"), "{rejected}");
    let deferred = reply_to("deferred@example.test");
    assert_eq!(deferred["state"], "pending", "{deferred}");
    assert!(deferred["last_error"].as_str().unwrap().contains("450"), "{deferred}");
}

#[test]
fn idle_answers_at_once_and_a_failing_mailbox_does_not_stop_the_others() {
    let srv = Servers::get();
    let (support, tech, alice, other) = (srv.user("support"), srv.user("tech"), srv.user("alice"), srv.user("other"));
    let broken = srv
        .mailbox_toml("broken", &other, "keep")
        .replace("password_env = \"GUICHET_TEST_MAIL_PASSWORD\"", "password_file = \"wrong-password\"");
    // Each mailbox has its own task: the broken one holds up nothing.
    let desk = desk(&srv, &support, &tech, "move:Processed", &broken);
    std::fs::write(desk.path("wrong-password"), "not-the-password\n").unwrap();
    let run = Running::start(&desk, "run", &[]);
    wait_until("the support mailbox is watched", WAIT, || run.log().contains("waiting for mail with IDLE"));

    srv.send(&alice, &[&support], &message(&alice, &support, "Écran noir", "idle1@x.test", "", "Plus d'image."));
    let inbox = srv.wait_for(&alice, "INBOX", 1, WAIT);
    assert!(subject(&inbox[0]).starts_with("[Guichet #1] "));
    assert!(srv.messages(&support, "INBOX").is_empty());

    let v = status(&desk);
    let by_name = |n: &str| v["mailboxes"].as_array().unwrap().iter().find(|m| m["name"] == n).unwrap().clone();
    assert_eq!(by_name("support")["state"], "ok", "{v}");
    let broken = by_name("broken");
    assert_eq!(broken["state"], "failing", "{v}");
    assert!(broken["error"].as_str().unwrap().contains("login refused"), "{broken}");
    assert!(run.log().contains("mailbox failing"));
}

#[test]
fn two_instances_on_one_postgresql_share_a_mailbox_of_200_mails_without_doing_anything_twice() {
    let srv = Servers::get();
    let (support, tech) = (srv.user("support"), srv.user("tech"));
    let requesters: Vec<String> = (0..4).map(|_| srv.user("many")).collect();
    let desk = desk(&srv, &support, &tech, "move:Processed", "");
    // Always PostgreSQL here, whatever the suite's backend.
    let text = std::fs::read_to_string(&desk.config).unwrap();
    let url = new_pg_database();
    std::fs::write(&desk.config, text.replace(&database_keys(), &format!("url = \"{url}\""))).unwrap();
    let mails = |range: std::ops::Range<usize>| -> Vec<Vec<u8>> {
        range
            .map(|i| {
                let from = &requesters[i % requesters.len()];
                message(from, &support, &format!("Demande {i}"), &format!("many{i}@x.test"), "", "Bonjour")
            })
            .collect()
    };
    srv.append_all(&support, "INBOX", &mails(0..200));
    let mut a = Running::start(&desk, "a", &[]);
    let mut b = Running::start(&desk, "b", &[]);
    let sent = || status(&desk)["outbox"]["sent"].as_i64().unwrap_or(0);
    let check = |per_requester: usize, total: i64| {
        for r in &requesters {
            srv.wait_for(r, "INBOX", per_requester, Duration::from_secs(120));
        }
        wait_until("every notice sent", Duration::from_secs(60), || sent() >= 2 * total);
        std::thread::sleep(Duration::from_secs(2));
        let v = status(&desk);
        assert_eq!(v["tickets"]["new"], total, "{v}");
        assert_eq!(v["mail"]["ticket"], total, "each mail is one ticket, none twice: {v}");
        assert!(v["mail"].get("duplicate").is_none(), "{v}");
        assert_eq!(v["outbox"]["sent"], 2 * total, "an acknowledgement and a technician notice per mail: {v}");
        for r in &requesters {
            assert_eq!(srv.messages(r, "INBOX").len(), per_requester, "{r}: one acknowledgement per mail");
        }
        assert!(srv.messages(&support, "INBOX").is_empty());
        assert_eq!(srv.messages(&support, "Processed").len() as i64, total);
        v
    };
    let v = check(50, 200);
    let holder = v["mailboxes"][0]["polled_by"].as_str().unwrap().to_string();
    assert!(a.log().contains("mail stored") || b.log().contains("mail stored"));

    // The instance that holds the mailbox dies; the other takes it over.
    let a_holds = holder.ends_with(&format!(":{}", a.child.id()));
    if a_holds {
        a.kill();
    } else {
        b.kill();
    }
    srv.append_all(&support, "INBOX", &mails(200..220));
    check(55, 220);
    let v = status(&desk);
    assert_ne!(v["mailboxes"][0]["polled_by"].as_str().unwrap(), holder, "taken over: {v}");
}

#[test]
fn a_dropped_imap_connection_is_reopened_and_nothing_is_missed() {
    let srv = Servers::get();
    let (support, tech, erin) = (srv.user("support"), srv.user("tech"), srv.user("erin"));
    let desk = desk(&srv, &support, &tech, "move:Processed", "");
    let run = Running::start(&desk, "run", &[]);
    wait_until("the mailbox is watched", WAIT, || run.log().contains("waiting for mail with IDLE"));
    // The server drops guichet's session (as on a restart or a network cut).
    let dovecot_conf =
        std::path::Path::new(&std::env::var("GUICHET_TEST_SERVERS_DIR").unwrap()).join("dovecot/dovecot.conf");
    let kicked =
        std::process::Command::new("doveadm").arg("-c").arg(&dovecot_conf).args(["kick", &support]).output().unwrap();
    assert!(kicked.status.success(), "{}", String::from_utf8_lossy(&kicked.stderr));
    // Mail that arrives meanwhile is read once the session is back.
    srv.send(&erin, &[&support], &message(&erin, &support, "Imprimante", "kick1@x.test", "", "x"));
    let inbox = srv.wait_for(&erin, "INBOX", 1, WAIT);
    assert!(subject(&inbox[0]).starts_with("[Guichet #1] "));
    let log = run.log();
    assert!(log.contains("mailbox failing"), "{log}");
    assert_eq!(log.matches("waiting for mail with IDLE").count(), 2, "reconnected once: {log}");
    assert_eq!(desk.tickets().len(), 1);
}

#[test]
fn a_relay_that_wants_a_login_gets_one() {
    let srv = Servers::get();
    let (support, tech, frank) = (srv.user("support"), srv.user("tech"), srv.user("frank"));
    let desk = desk(&srv, &support, &tech, "keep", "");
    let with_port = |port: u16, login: &str| {
        let text = std::fs::read_to_string(&desk.config).unwrap();
        let start = text.find("[outgoing]").unwrap();
        let end = start + text[start..].find("[tickets]").unwrap();
        let outgoing =
            srv.outgoing_toml().replace(&format!("port = {}\n", srv.smtp_port), &format!("port = {port}\n{login}"));
        std::fs::write(&desk.config, format!("{}{outgoing}\n{}", &text[..start], &text[end..])).unwrap();
    };
    // Without a login the submission port refuses the mail: it waits.
    with_port(srv.submission_port, "");
    srv.append(&support, "INBOX", &message(&frank, &support, "Badge", "auth1@x.test", "", "x"));
    once(&desk);
    let rows: Vec<Value> = serde_json::from_str(&desk.ok(&["outbox", "list", "--json"])).unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        // It waits (not failed for good), and says what to set.
        assert_eq!(r["state"], "pending", "{rows:?}");
        assert!(r["last_error"].as_str().unwrap().contains("set [outgoing] username"), "{rows:?}");
    }
    // With the support account's login it goes.
    let login = format!("username = \"{support}\"\npassword_env = \"GUICHET_TEST_MAIL_PASSWORD\"\n");
    with_port(srv.submission_port, &login);
    desk.ok(&["check"]);
    let mut retry = desk.command(&["run", "--once"]);
    // The refused attempts wait for their backoff: run later than that.
    retry.env("GUICHET_NOW", "2099-01-01T00:00:00Z");
    let out = retry.output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("outbox: 2 sent"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inbox = srv.wait_for(&frank, "INBOX", 1, WAIT);
    assert!(subject(&inbox[0]).starts_with("[Guichet #1] "));
}

/// Waits for a mail in `user`'s INBOX whose subject contains `needle`.
/// A mail's first line, which says what kind of mail it is (its subject
/// is the ticket's).
fn title(raw: &[u8]) -> String {
    text_body(raw).lines().find(|l| !l.trim().is_empty()).unwrap_or_default().to_string()
}

/// The first mail to `user` with `needle` in its subject or its title.
fn wait_for_subject(srv: &Servers, user: &str, needle: &str) -> Vec<u8> {
    let mut found = None;
    wait_until(&format!("a mail to {user} with `{needle}` in its subject or title"), WAIT, || {
        found =
            srv.messages(user, "INBOX").into_iter().find(|m| subject(m).contains(needle) || title(m).contains(needle));
        found.is_some()
    });
    found.unwrap()
}

fn timer<'a>(t: &'a Value, kind: &str) -> &'a Value {
    t["sla"].as_array().unwrap().iter().find(|s| s["kind"] == kind).unwrap_or_else(|| panic!("no {kind} timer: {t}"))
}

#[test]
fn sla_warning_breach_and_a_survey_answered_by_mail_go_through_real_mailboxes() {
    let srv = Servers::get();
    let (support, tech, lead, alice) = (srv.user("support"), srv.user("tech"), srv.user("lead"), srv.user("alice"));
    // Office hours in Paris; the rule gives printers to `tech`; `lead` leads
    // the group; surveys go out as soon as a ticket is resolved.
    let service = format!(
        r#"
[[technician]]
email = "{lead}"
name = "Léa Lead"
groups = ["poste"]
language = "fr"

[[group]]
name = "poste"
lead = "{lead}"

[[calendar]]
name = "bureau"
time_zone = "Europe/Paris"
working_hours = "mon-fri 09:00-18:00"

[[sla]]
name = "standard"
priority = [3, 4, 5]
calendar = "bureau"
first_response = "2h"
resolution = "8h"
warn_percent = 75

[[rule]]
name = "imprimantes"
[rule.when]
subject = "(?i)imprimante"
[rule.then]
group = "poste"
assignee = "{tech}"

[survey]
delay_hours = 0
"#
    );
    let mut desk = desk(&srv, &support, &tech, "move:Processed", &service);
    desk.ok(&["check"]);

    // Monday 30 November 2026, 10:00 in Paris: Alice writes from her client.
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let first = message(&alice, &support, "Imprimante en panne", "sla1@alice.example.test", "", "Erreur 52.");
    srv.send(&alice, &[&support], &first);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    let out = once(&desk);
    assert!(out.contains("1 new tickets"), "{out}");
    let t = desk.ticket(1);
    assert_eq!(t["assignee"], tech.as_str(), "{t}");
    let first_response = timer(&t, "first_response");
    assert_eq!(first_response["policy"], "standard", "{t}");
    assert_eq!(first_response["due_at"], "2026-11-30T11:00:00+00:00", "{t}");
    assert_eq!(timer(&t, "resolution")["due_at"], "2026-11-30T17:00:00+00:00", "{t}");

    // 11:40 in Paris: 100 of 120 minutes used, past 75%. Tess is warned.
    desk.now = Some("2026-11-30T10:40:00Z".into());
    let out = once(&desk);
    assert!(out.contains("timers: 1 warned, 0 breached"), "{out}");
    let warning = wait_for_subject(&srv, &tech, "Plus que");
    assert!(subject(&warning).contains("[Guichet #1]"), "{}", subject(&warning));
    assert!(text_body(&warning).contains("standard"), "{}", text_body(&warning));

    // 12:05 in Paris: the first response is late. Léa, the lead, is told.
    desk.now = Some("2026-11-30T11:05:00Z".into());
    let out = once(&desk);
    assert!(out.contains("timers: 0 warned, 1 breached"), "{out}");
    let breach = wait_for_subject(&srv, &lead, "dépassé");
    assert!(subject(&breach).contains("[Guichet #1]"), "{}", subject(&breach));
    assert!(!srv.messages(&lead, "INBOX").iter().any(|m| title(m).contains("Plus que")), "the warning is Tess's");
    assert_eq!(timer(&desk.ticket(1), "first_response")["state"], "breached");

    // 12:30: Tess resolves the ticket from her own client.
    desk.now = Some("2026-11-30T11:30:00Z".into());
    let resolve = message(
        &tech,
        &support,
        "RE: [Guichet #1] Imprimante en panne",
        "sla2@tech.example.test",
        "",
        "#resolve\r\nLe toner était mal engagé, c'est réparé.",
    );
    srv.send(&tech, &[&support], &resolve);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    // With no delay the survey is due at once: the timer sweep that follows
    // the ingestion in the same pass queues it, and the outbox sends it.
    let out = once(&desk);
    assert!(out.contains("1 articles"), "{out}");
    assert!(out.contains("1 surveys sent"), "{out}");
    let t = desk.ticket(1);
    assert_eq!(t["status"], "resolved", "{t}");
    assert_eq!(timer(&t, "resolution")["state"], "met", "{t}");

    // A later pass sends no second survey; the one sent reaches Alice.
    desk.now = Some("2026-11-30T11:35:00Z".into());
    let out = once(&desk);
    assert!(out.contains("0 surveys sent"), "{out}");
    let survey = wait_for_subject(&srv, &alice, "Votre avis");
    assert!(subject(&survey).contains("[Guichet #1]"), "{}", subject(&survey));
    let survey_id = header(&survey, "Message-ID").unwrap();
    let queued = desk.queued("survey");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(format!("<{}>", queued[0]["message_id"].as_str().unwrap()), survey_id);

    // 13:00: Alice answers the survey from her client, above the quote.
    desk.now = Some("2026-11-30T12:00:00Z".into());
    let answer = message(
        &alice,
        &support,
        &format!("Re: {}", subject(&survey)),
        "sla3@alice.example.test",
        &format!("In-Reply-To: {survey_id}\r\nReferences: <sla1@alice.example.test> {survey_id}\r\n"),
        "5 merci\r\n\r\n> Êtes-vous satisfait de la façon dont votre demande n° 1 a été traitée ?",
    );
    srv.send(&alice, &[&support], &answer);
    srv.wait_for(&support, "INBOX", 1, WAIT);
    let out = once(&desk);
    assert!(out.contains("1 articles"), "{out}");
    let t = desk.ticket(1);
    assert_eq!(t["rating"], 5, "{t}");
    assert_eq!(t["survey"]["answered_via"], "mail", "{t}");
    assert_eq!(t["survey"]["state"], "answered", "{t}");
    assert_eq!(t["status"], "resolved", "a rating does not reopen: {t}");
    assert_eq!(srv.messages(&support, "Processed").len(), 3);
}

#[test]
fn knowledge_base_self_service_and_a_major_incident_go_through_real_mailboxes() {
    let srv = Servers::get();
    let (support, tech, alice, bob) = (srv.user("support"), srv.user("tech"), srv.user("alice"), srv.user("bob"));
    let (carol, dave, erin) = (srv.user("carol"), srv.user("dave"), srv.user("erin"));
    let desk = desk(&srv, &support, &tech, "move:Processed", "\n[major_incident]\nenabled = true\ncount = 3\n");
    let send = |from: &str, subject: &str, id: &str, headers: &str, body: &str| {
        srv.send(from, &[&support], &message(from, &support, subject, id, headers, body));
        srv.wait_for(&support, "INBOX", 1, WAIT);
        once(&desk)
    };

    // Tess resolves Alice's printer and asks for an article; it is published.
    send(&alice, "Imprimante : erreur 52", "kb1@alice.example.test", "", "L'imprimante affiche erreur 52.");
    send(
        &tech,
        "RE: [Guichet #1] Imprimante : erreur 52",
        "kb2@tech.example.test",
        "",
        "#resolve\r\n#kb\r\nC'est un bourrage papier : ouvrez le capot arrière de l'imprimante et retirez la feuille coincée.",
    );
    let drafts: Vec<Value> = serde_json::from_str(&desk.ok(&["kb", "list", "--status", "draft", "--json"])).unwrap();
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    desk.ok(&["kb", "publish", &as_i64(&drafts[0]["id"]).to_string()]);

    // Bob's acknowledgement carries the answer; "résolu" closes his ticket.
    send(
        &bob,
        "L'imprimante affiche erreur 52",
        "kb3@bob.example.test",
        "",
        "Erreur 52 sur l'imprimante, plus rien ne sort.",
    );
    let ack = wait_for_subject(&srv, &bob, "[Guichet #2]");
    assert!(text_body(&ack).contains("capot arrière"), "{}", text_body(&ack));
    let ack_id = header(&ack, "Message-ID").unwrap();
    send(
        &bob,
        &format!("Re: {}", subject(&ack)),
        "kb4@bob.example.test",
        &format!("In-Reply-To: {ack_id}\r\nReferences: <kb3@bob.example.test> {ack_id}\r\n"),
        "Résolu, merci !\r\n\r\n> C'est un bourrage papier",
    );
    let t = desk.ticket(2);
    assert_eq!(t["status"], "resolved", "{t}");
    assert!(t["history"].as_array().unwrap().iter().any(|e| e["kind"] == "self_service"), "{t}");
    wait_for_subject(&srv, &bob, "Nouveau statut");

    // Three people write about the VPN: one major incident, Tess told once.
    for (who, subj, id) in [
        (&carol, "VPN en panne", "vpn1@carol.example.test"),
        (&dave, "Plus de VPN", "vpn2@dave.example.test"),
        (&erin, "Problème de VPN", "vpn3@erin.example.test"),
    ] {
        srv.send(
            who,
            &[&support],
            &message(who, &support, subj, id, "", "Le VPN ne se connecte plus, impossible de travailler."),
        );
    }
    srv.wait_for(&support, "INBOX", 3, WAIT);
    once(&desk);
    let majors: Vec<Value> = desk.tickets().into_iter().filter(|t| t["major"] == true).collect();
    assert_eq!(majors.len(), 1, "{majors:?}");
    let parent = as_i64(&majors[0]["number"]);
    let alert = wait_for_subject(&srv, &tech, "Incident majeur");
    assert!(text_body(&alert).contains("3 demandes semblables"), "{}", text_body(&alert));
    wait_for_subject(&srv, &erin, "Incident connu");
    send(&carol, "VPN toujours en panne", "vpn4@carol.example.test", "", "Toujours pas de VPN.");
    assert_eq!(desk.tickets().iter().filter(|t| t["parent"] == parent).count(), 4);
    assert_eq!(srv.messages(&tech, "INBOX").iter().filter(|m| title(m).contains("Incident majeur")).count(), 1);

    // Tess resolves the incident: every child closes, each person told once.
    send(
        &tech,
        &format!("RE: [Guichet #{parent}] VPN en panne"),
        "vpn5@tech.example.test",
        "",
        "#resolve\r\nLe VPN remarche.",
    );
    for who in [&carol, &dave, &erin] {
        wait_for_subject(&srv, who, "Nouveau statut");
    }
    let out = once(&desk);
    assert!(out.contains("outbox: 0 sent"), "nothing left to send: {out}");
    for who in [&carol, &dave, &erin] {
        let closing = srv.messages(who, "INBOX").iter().filter(|m| title(m).contains("Nouveau statut")).count();
        assert_eq!(closing, 1, "{who} told {closing} times");
    }
    assert!(desk.tickets().iter().filter(|t| t["parent"] == parent).all(|t| t["status"] == "resolved"));
}
