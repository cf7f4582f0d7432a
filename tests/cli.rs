//! The admin surface through the binary: `check`, config selection,
//! `run --once` over a maildir, `migrate`, template preview and live
//! template reload.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::process::Stdio;

use common::*;

#[test]
fn check_prints_every_problem_with_its_key_and_exits_non_zero() {
    let desk = Desk::with_config(
        "[database]\nurl = \"mysql://x\"\n[[mailbox]]\nname = \"s\"\npath = \"m\"\naddress = \"not-an-address\"\nafter = \"archive\"\n[tickets]\nreopen_days = \"soon\"\nlanguage = \"pt\"\n[outgoing]\ntransport = \"smtp\"\nport = 99999\n[[technician]]\nemail = \"x@example.test\"\nskils = [\"a\"]\n",
    );
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = String::from_utf8_lossy(&out.stdout);
    for key in [
        "`database.url`",
        "`mailbox[0].address`",
        "`mailbox[0].after`",
        "`tickets.reopen_days`",
        "`tickets.language`",
        "`outgoing.host`",
        "`outgoing.port`",
        "`technician[0].skils`: unknown key",
    ] {
        assert!(text.contains(key), "{key} missing from:\n{text}");
    }
}

#[test]
fn check_accepts_the_shipped_config_and_templates() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["--config", "config/guichet.toml", "check"])
        .current_dir(manifest_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn copy_templates(desk: &Desk) -> std::path::PathBuf {
    let dest = desk.path("templates");
    for lang in ["fr", "en", "de", "es", "it", "nl"] {
        std::fs::create_dir_all(dest.join(lang)).unwrap();
        for f in files_in(&manifest_dir().join("templates").join(lang)) {
            std::fs::copy(&f, dest.join(lang).join(f.file_name().unwrap())).unwrap();
        }
    }
    dest
}

fn desk_with_own_templates(extra: &str) -> (Desk, std::path::PathBuf) {
    let probe = Desk::new();
    let templates = copy_templates(&probe);
    let text = Desk::config_text(&format!("{extra}{}", Desk::templates_table(&templates)), "");
    std::fs::write(&probe.config, text).unwrap();
    (probe, templates)
}

#[test]
fn check_names_the_template_file_and_the_missing_variable() {
    let (desk, templates) = desk_with_own_templates("");
    let file = templates.join("en/reply.text.hbs");
    std::fs::write(&file, "Hello {{recipient.nickname}}\n").unwrap();
    let unbalanced = templates.join("fr/acknowledgement.html.hbs");
    std::fs::write(&unbalanced, "{{#if ticket.subject}}oops\n").unwrap();
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fr/acknowledgement.html.hbs"), "{text}");
    // Rendering problems show once the syntax is fixed.
    std::fs::write(&unbalanced, "{{#if ticket.subject}}ok{{/if}}\n").unwrap();
    let text = String::from_utf8_lossy(&desk.run(&["check"]).stdout).into_owned();
    assert!(text.contains("en/reply.text.hbs") && text.contains("recipient.nickname"), "{text}");
}

#[test]
fn check_names_the_templates_key_when_the_directory_is_missing() {
    let desk = Desk::with_config(&Desk::config_text("\n[templates]\ndir = \"no/such/dir\"\n", ""));
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`templates.dir`") && text.contains("no/such/dir"), "{text}");
    assert_eq!(text.lines().count(), 1, "one problem, not one per template file: {text}");
}

#[test]
fn guichet_config_selects_the_config_file() {
    let desk = Desk::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("check")
        .env("GUICHET_CONFIG", &desk.config)
        .current_dir(desk.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&desk.config.display().to_string()));
}

#[test]
fn run_once_reads_the_maildir_once_and_writes_the_outgoing_mail_as_files() {
    let desk = Desk::new();
    desk.deliver("1000.a.host", &mail("alice@example.test", "Imprimante", "m1@example.test", "", "Bonjour, en panne."));
    desk.deliver("1001.b.host:2,S", &mail("bob@example.test", "VPN", "m2@example.test", "", "Hello, the VPN is down."));
    let out = desk.ok(&["run", "--once"]);
    assert!(out.contains("2 new tickets"), "{out}");
    assert!(out.contains("sent"), "{out}");
    let files = files_in(&desk.path("outbox"));
    let eml: Vec<_> = files.iter().filter(|f| f.extension().is_some_and(|e| e == "eml")).collect();
    assert_eq!(eml.len(), desk.outbox().len(), "one file per outgoing mail");
    assert!(desk.outbox().iter().all(|m| m["state"] == "sent"));
    let written = std::fs::read_to_string(eml[0]).unwrap();
    assert!(written.contains("Message-ID: <guichet."), "{written}");
    // Kept in place, and not read twice.
    let again = desk.ok(&["run", "--once"]);
    assert!(!again.contains("new tickets"), "{again}");
    assert_eq!(desk.tickets().len(), 2);
    assert_eq!(files_in(&desk.path("maildir/new")).len() + files_in(&desk.path("maildir/cur")).len(), 2);
}

#[test]
fn run_once_moves_stored_mail_when_asked_and_never_before() {
    let desk = Desk::with_config(&Desk::config_text("", "").replace("after = \"keep\"", "after = \"move:Done\""));
    desk.deliver("2000.a.host", &mail("alice@example.test", "Imprimante", "m1@example.test", "", "Bonjour"));
    desk.deliver("2001.b.host", b"not a mail at all");
    let out = desk.ok(&["run", "--once"]);
    assert!(out.contains("1 new tickets") && out.contains("1 quarantined"), "{out}");
    assert!(files_in(&desk.path("maildir/new")).is_empty());
    assert_eq!(files_in(&desk.path("maildir/.Done/cur")).len(), 2);
}

#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let desk = Desk::new();
    let first = desk.ok(&["migrate"]);
    assert!(first.contains("applied"), "{first}");
    let second = desk.ok(&["migrate"]);
    assert!(second.contains("0 migration(s) applied now"), "{second}");
}

#[test]
fn template_preview_renders_against_a_real_ticket() {
    let desk = Desk::new();
    desk.ingest(&mail(
        "alice@example.test",
        "Printer",
        "p@example.test",
        "Content-Language: en\r\n",
        "Hello, the printer is broken.",
    ));
    let out = desk.ok(&["template", "preview", "acknowledgement", "--ticket", "1"]);
    assert!(out.contains("Printer"), "{out}");
    let fr = desk.ok(&["template", "preview", "acknowledgement", "--ticket", "1", "--lang", "fr"]);
    assert_ne!(out, fr);
    let sample = desk.ok(&["template", "preview", "status_changed"]);
    assert!(sample.contains("Subject:"));
    let bad = desk.run(&["template", "preview", "nope"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("acknowledgement"));
}

/// The first line of each acknowledgement: its title, from the
/// `.subject.hbs` part (the subject itself is the ticket's).
/// The first lines of the acknowledgements as they went out (the sender
/// renders each mail with the templates it holds when it sends it).
fn ack_titles(desk: &Desk) -> Vec<String> {
    files_in(&desk.path("outbox"))
        .iter()
        .map(|f| guichet::mail::inbound::InboundMail::parse(&std::fs::read(f).unwrap()).unwrap())
        .filter(|m| m.to.iter().any(|t| t.email == "alice@example.test" || t.email == "carol@example.test"))
        .map(|m| m.text.lines().next().unwrap_or_default().to_string())
        .collect()
}

/// Until `n` acknowledgements went out (30 s at most).
fn wait_for_acks(desk: &Desk, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while ack_titles(desk).len() < n {
        assert!(std::time::Instant::now() < deadline, "{n} acknowledgement(s) never went out");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn run_picks_up_edited_templates_and_keeps_the_last_good_ones_on_a_broken_edit() {
    let (desk, templates) = desk_with_own_templates("");
    let (mut child, rx) = start_run(&desk);
    let subject = templates.join("fr/acknowledgement.subject.hbs");
    write_atomic(&subject, "Bien reçu, version deux : {{ticket.subject}}");
    wait_for(&rx, "templates reloaded");
    desk.deliver("3000.a.host", &mail("alice@example.test", "Imprimante", "m1@example.test", "", "Bonjour, en panne."));
    wait_for(&rx, "mail stored");
    wait_for_acks(&desk, 1);
    write_atomic(&subject, "{{ticket.no_such_field}}");
    wait_for(&rx, "template edit rejected");
    desk.deliver("3001.b.host", &mail("carol@example.test", "Écran", "m2@example.test", "", "Bonjour, écran noir."));
    wait_for(&rx, "mail stored");
    wait_for_acks(&desk, 2);
    let _ = std::process::Command::new("kill").arg(child.id().to_string()).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM stops it cleanly: {status:?}");
    let titles = ack_titles(&desk);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles.iter().all(|s| s.contains("Bien reçu, version deux")), "{titles:?}");
}

#[test]
fn an_unreachable_smtp_relay_keeps_mail_waiting_uncharged_and_says_so() {
    // A port nobody listens on: connection refused, the relay's fault.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let text = Desk::config_text("", "").replace(
        "transport = \"file\"\ndir = \"outbox\"",
        &format!("transport = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nmax_attempts = 2"),
    );
    let mut desk = Desk::with_config(&text);
    desk.now = Some("2026-11-16T09:00:00Z".into());
    desk.ingest(&mail("alice@example.test", "Imprimante", "m1@example.test", "", "Bonjour"));
    // Three passes, a day apart: more than max_attempts, and nothing fails.
    for day in ["16", "17", "18"] {
        desk.now = Some(format!("2026-11-{day}T09:00:00Z"));
        let out = desk.run(&["run", "--once"]);
        assert_eq!(out.status.code(), Some(75), "try again later");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("outgoing relay: 127.0.0.1:{port}")), "{stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("0 sent, 0 to retry, 0 failed"));
    }
    let ack = desk.queued("acknowledgement").remove(0);
    assert_eq!(ack["state"], "pending");
    assert_eq!(ack["attempts"], 0, "the mail is not charged for the relay");
    let v: serde_json::Value = serde_json::from_str(&desk.ok(&["status", "--json"])).unwrap();
    assert_eq!(v["outgoing"]["state"], "failing");
    assert_eq!(v["outgoing"]["failures"], 3);
    assert!(v["outgoing"]["error"].as_str().unwrap().to_lowercase().contains("connect"), "{v:#}");
    assert!(desk.ok(&["status"]).contains("relay:      failing 3×"));
}

#[test]
fn status_counts_tickets_mail_outbox_and_quarantine() {
    let desk = Desk::new();
    desk.ingest(&mail("alice@example.test", "Imprimante", "m1@example.test", "", "Bonjour"));
    desk.ingest(b"Subject: no sender\r\n\r\nx\r\n");
    desk.ingest(&mail(
        "bob@example.test",
        "Out of office",
        "m2@example.test",
        "Auto-Submitted: auto-replied\r\n",
        "Away",
    ));
    let v: serde_json::Value = serde_json::from_str(&desk.ok(&["status", "--json"])).unwrap();
    assert_eq!(v["tickets"]["new"], 1);
    assert_eq!(v["mail"]["ticket"], 1);
    assert_eq!(v["mail"]["quarantine"], 1);
    assert_eq!(v["mail"]["automatic"], 1);
    assert_eq!(v["outbox"]["pending"], 3, "an acknowledgement and two notices");
    assert_eq!(v["quarantine_held"], 1);
    assert_eq!(v["mailboxes"][0]["state"], "ok");
    std::fs::remove_dir_all(desk.path("maildir")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&desk.ok(&["status", "--json"])).unwrap();
    assert_eq!(v["mailboxes"][0]["state"], "failing");
}

#[test]
fn run_takes_a_new_technician_without_a_restart_and_keeps_going_on_a_broken_config_edit() {
    let desk = Desk::new();
    let (mut child, rx) = start_run(&desk);
    let original = std::fs::read_to_string(&desk.config).unwrap();
    let added = format!("{original}\n[[technician]]\nemail = \"nora.petit@example.test\"\nname = \"Nora Petit\"\n");
    write_atomic(&desk.config, &added);
    wait_for(&rx, "config reloaded");
    desk.deliver("4000.a.host", &mail("alice@example.test", "Imprimante", "m1@example.test", "", "Bonjour, en panne."));
    wait_for(&rx, "mail stored");
    write_atomic(&desk.config, &format!("{added}\ncolour = 1\n"));
    wait_for(&rx, "config edit rejected");
    desk.deliver("4001.b.host", &mail("bob@example.test", "Écran", "m2@example.test", "", "Bonjour, écran noir."));
    wait_for(&rx, "mail stored");
    let _ = std::process::Command::new("kill").arg(child.id().to_string()).status();
    assert!(child.wait().unwrap().success());
    std::fs::write(&desk.config, &added).unwrap();
    let to_nora =
        desk.queued("new_article").iter().filter(|m| m["recipients"].to_string().contains("nora.petit")).count();
    assert_eq!(to_nora, 2, "the new technician hears of both tickets, the broken edit changed nothing");
}

#[test]
fn two_senders_at_once_send_each_mail_once() {
    let desk = Desk::new();
    for i in 0..30 {
        desk.ingest(&mail(
            &format!("user{i}@example.test"),
            &format!("Demande {i}"),
            &format!("m{i}@example.test"),
            "",
            "Bonjour",
        ));
    }
    let queued = desk.outbox().len();
    assert_eq!(queued, 90);
    let children: Vec<_> = (0..2)
        .map(|_| desk.command(&["run", "--once"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap())
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(files_in(&desk.path("outbox")).len(), queued, "one file per mail, none twice");
    assert!(desk.outbox().iter().all(|m| m["state"] == "sent" && m["attempts"] == 1));
}

#[test]
fn check_accepts_the_real_servers_example_once_its_secrets_exist() {
    let desk = Desk::new();
    let secret = desk.path("db-password");
    std::fs::write(&secret, "s3cret:/@\n").unwrap();
    let text = std::fs::read_to_string(manifest_dir().join("config/examples/imap-smtp-postgres.toml"))
        .unwrap()
        .replace("/etc/guichet/db-password", secret.to_str().unwrap())
        .replace("/usr/share/guichet/templates", manifest_dir().join("templates").to_str().unwrap());
    std::fs::write(&desk.config, text).unwrap();
    let out =
        desk.command(&["check"]).env("GUICHET_IMAP_PASSWORD", "x").env("GUICHET_SMTP_PASSWORD", "y").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Without the secrets, each missing one is named by its key.
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(err.contains("mailbox[0].password_env") && err.contains("outgoing.password_env"), "{err}");
}

#[test]
fn secrets_in_urls_and_clear_text_passwords_off_this_machine_are_refused() {
    let desk = Desk::with_config(&Desk::config_text(
        r#"
[[mailbox]]
name = "remote"
kind = "imap"
address = "help@example.test"
host = "imap.example.test"
tls = "none"
username = "help"
password_env = "HOME"
"#,
        "",
    ));
    let text = std::fs::read_to_string(&desk.config).unwrap();
    let text = text.replace(&database_keys(), "url = \"postgres://guichet:hunter2@db.example.test/guichet\"");
    std::fs::write(&desk.config, text).unwrap();
    let out = desk.run(&["check"]);
    assert_eq!(out.status.code(), Some(78));
    let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(err.contains("database.url") && err.contains("password_env"), "{err}");
    assert!(!err.contains("hunter2"), "the password is not echoed: {err}");
    assert!(err.contains("mailbox[1].tls") && err.contains("allow_plaintext"), "{err}");
}

/// `ingest`, started once per mail by an MTA, compiles only the templates
/// it renders: a broken survey template does not stop a new mail from
/// being stored and acknowledged, while `check` still names it.
#[test]
fn ingest_renders_with_the_templates_it_needs_while_another_is_broken() {
    let templates = tempfile::tempdir().unwrap();
    for lang in ["fr", "en", "de", "es", "it", "nl"] {
        let dst = templates.path().join(lang);
        std::fs::create_dir_all(&dst).unwrap();
        for f in files_in(&manifest_dir().join("templates").join(lang)) {
            std::fs::copy(&f, dst.join(f.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(templates.path().join("fr/survey.text.hbs"), "{{#if}} unclosed").unwrap();
    let desk = Desk::with_config(&Desk::config_text(&Desk::templates_table(templates.path()), ""));
    let out = desk.ingest(&mail("alice@example.test", "Imprimante", "lazy-1@example.test", "", "Elle ne marche plus."));
    assert_eq!(out["outcome"], "ticket", "{out}");
    assert_eq!(desk.queued("acknowledgement").len(), 1);
    let check = desk.run(&["check"]);
    assert_ne!(check.status.code(), Some(0));
    let said = format!("{}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));
    assert!(said.contains("survey.text.hbs"), "{said}");
}
