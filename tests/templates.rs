//! Templates are built into the binary: a desk with no `[templates]` table
//! answers from them, with no file on disk. `[templates] dir` holds
//! overrides, each checked and listed by `check`; `template export` writes
//! the built-in set to start from. Also here: the warnings `check` gives
//! about weak settings, and the database file kept private.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Every file under `dir`, as (path relative to it, bytes), sorted.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for lang in files_in(dir) {
        for f in files_in(&lang) {
            out.push((f.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&f).unwrap()));
        }
    }
    out
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn said(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A desk whose override directory is `desk/overrides`, empty to begin with.
fn desk_with_overrides() -> (Desk, PathBuf) {
    let probe = Desk::new();
    let dir = probe.path("overrides");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&probe.config, Desk::config_text(&Desk::templates_table(&dir), "")).unwrap();
    (probe, dir)
}

/// The title: the first line of the text body.
fn title(row: &serde_json::Value) -> String {
    body(row).lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_desk_without_a_templates_table_acknowledges_from_the_built_in_templates() {
    let desk = Desk::new();
    let config = std::fs::read_to_string(&desk.config).unwrap();
    assert!(!config.contains("[templates]"), "the default test desk uses the built-ins");
    let out = desk.ingest(&mail("alice@example.test", "Imprimante en panne", "b1@example.test", "", "Bonjour."));
    assert_eq!(out["outcome"], "ticket", "{out}");
    let n = as_i64(&out["ticket"]);
    let ack = desk.queued("acknowledgement");
    assert_eq!(ack.len(), 1, "acknowledged, not quarantined");
    assert_eq!(ack[0]["subject"], format!("[Guichet #{n}] Imprimante en panne"));
    assert!(ack[0]["render_error"].is_null(), "{}", ack[0]);
    assert_eq!(title(&ack[0]), format!("Votre demande n°\u{a0}{n} est enregistrée"));
    assert!(body(&ack[0]).contains("Imprimante en panne"));

    let check = desk.run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", said(&check));
    let text = stdout(&check);
    assert!(text.contains("templates: 23 built in, in 6 languages (414 files)"), "{text}");
    assert!(!text.contains("override"), "no directory, no override: {text}");

    let preview = desk.ok(&["template", "preview", "acknowledgement", "--lang", "en"]);
    for part in ["subject", "text", "html"] {
        assert!(preview.contains(&format!("Source {part}: built-in\n")), "{preview}");
    }
}

#[test]
fn one_override_file_changes_only_that_part_in_that_language() {
    let (desk, dir) = desk_with_overrides();
    let file = dir.join("fr/acknowledgement.subject.hbs");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "Bien reçu, demande {{ticket.number}}").unwrap();

    let check = desk.run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", said(&check));
    let text = stdout(&check);
    assert!(text.contains(&format!("templates: 1 override(s) in {}", dir.display())), "{text}");
    assert!(
        text.contains(&format!("  {}: replaces built-in fr/acknowledgement.subject.hbs", file.display())),
        "{text}"
    );

    let fr = desk.ingest(&mail("alice@example.test", "Imprimante", "o1@example.test", "", "Bonjour, en panne."));
    let en = desk.ingest(&mail(
        "sarah@example.test",
        "Printer",
        "o2@example.test",
        "Content-Language: en\r\n",
        "Hello, the printer is broken.",
    ));
    let acks = desk.queued("acknowledgement");
    let of = |n: &serde_json::Value| {
        let subject = format!("[Guichet #{n}] ");
        acks.iter().find(|a| a["subject"].as_str().unwrap().starts_with(&subject)).unwrap().clone()
    };
    let (fr_ack, en_ack) = (of(&fr["ticket"]), of(&en["ticket"]));
    assert_eq!(title(&fr_ack), format!("Bien reçu, demande {}", fr["ticket"]));
    // The French text part is still the built-in one: it greets as before.
    assert!(body(&fr_ack).contains("Bonjour"), "{}", body(&fr_ack));
    assert_eq!(title(&en_ack), format!("Your request #{} has been received", en["ticket"]));

    let preview = desk.ok(&["template", "preview", "acknowledgement", "--lang", "fr"]);
    assert!(preview.contains(&format!("Source subject: {}\n", file.display())), "{preview}");
    assert!(preview.contains("Source text: built-in\n") && preview.contains("Source html: built-in\n"), "{preview}");
    let preview = desk.ok(&["template", "preview", "acknowledgement", "--lang", "en"]);
    assert!(preview.contains("Source subject: built-in\n"), "{preview}");
}

#[test]
fn an_override_with_an_unknown_variable_is_a_check_error_and_other_mail_is_still_answered() {
    let (desk, dir) = desk_with_overrides();
    let file = dir.join("fr/survey.text.hbs");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{{title}}\n\nMerci {{recipient.surname}}.\n").unwrap();

    let check = desk.run(&["check"]);
    assert_eq!(check.status.code(), Some(78), "{}", said(&check));
    let text = stdout(&check);
    assert!(text.contains(&format!("{}: line 3", file.display())), "{text}");
    assert!(text.contains("unknown variable `recipient.surname`"), "{text}");
    assert_eq!(text.lines().filter(|l| !l.starts_with("warning")).count(), 1, "only that file: {text}");

    let out = desk.ingest(&mail("alice@example.test", "Imprimante", "u1@example.test", "", "Bonjour, en panne."));
    assert_eq!(out["outcome"], "ticket", "not quarantined: {out}");
    let ack = desk.queued("acknowledgement");
    assert_eq!(ack.len(), 1);
    assert!(ack[0]["render_error"].is_null(), "{}", ack[0]);
    assert!(desk.ok(&["quarantine", "list"]).lines().all(|l| !l.contains("u1@example.test")));
}

#[test]
fn a_file_that_is_no_template_is_a_check_error_naming_it() {
    let (desk, dir) = desk_with_overrides();
    std::fs::create_dir_all(dir.join("en")).unwrap();
    std::fs::create_dir_all(dir.join("pt")).unwrap();
    let typo = dir.join("en/acknowledgment.text.hbs");
    std::fs::write(&typo, "{{title}}\n").unwrap();
    let part = dir.join("en/reply.body.hbs");
    std::fs::write(&part, "{{title}}\n").unwrap();
    let stray = dir.join("README.txt");
    std::fs::write(&stray, "notes").unwrap();
    std::fs::write(dir.join("pt/acknowledgement.text.hbs"), "{{title}}\n").unwrap();
    // Editor leftovers are not templates, nor mistakes.
    std::fs::write(dir.join("en/.reply.text.hbs.swp"), "x").unwrap();
    std::fs::write(dir.join("en/reply.text.hbs~"), "x").unwrap();

    let check = desk.run(&["check"]);
    assert_eq!(check.status.code(), Some(78), "{}", said(&check));
    let text = stdout(&check);
    let line = |needle: &Path| text.lines().find(|l| l.starts_with(&needle.display().to_string())).map(str::to_string);
    let typo_line = line(&typo).unwrap_or_else(|| panic!("{text}"));
    assert!(typo_line.contains("did you mean `acknowledgement`?"), "{typo_line}");
    assert!(line(&part).unwrap_or_else(|| panic!("{text}")).contains("not a template file"), "{text}");
    assert!(line(&stray).unwrap_or_else(|| panic!("{text}")).contains("not a language folder"), "{text}");
    assert!(line(&dir.join("pt")).unwrap_or_else(|| panic!("{text}")).contains("not a language folder"), "{text}");
    assert!(!text.contains(".swp") && !text.contains("hbs~"), "{text}");

    // `run` will not start on such a directory; mail given to `ingest`
    // is still taken in and answered from the built-ins.
    let run = desk.run(&["run", "--once"]);
    assert_eq!(run.status.code(), Some(78), "{}", said(&run));
    assert!(said(&run).contains("acknowledgment.text.hbs"), "{}", said(&run));
    let out = desk.ingest(&mail("alice@example.test", "Imprimante", "s1@example.test", "", "Bonjour, en panne."));
    assert_eq!(out["outcome"], "ticket", "{out}");
    assert!(desk.queued("acknowledgement")[0]["render_error"].is_null());
}

#[test]
fn template_export_writes_the_built_in_set_and_never_overwrites_without_force() {
    let desk = Desk::new();
    let dir = desk.path("exported");
    // No config is needed to export.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["--config", "/no/such/guichet.toml", "template", "export", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("wrote {}", dir.join("fr/acknowledgement.subject.hbs").display())), "{text}");
    assert!(text.contains(&format!("414 built-in template files written to {}", dir.display())), "{text}");
    let repo = tree(&manifest_dir().join("templates"));
    assert_eq!(repo.len(), 414);
    assert!(tree(&dir) == repo, "byte for byte the repository's templates/");

    // An admin's edit is never replaced by surprise.
    let edited = dir.join("en/reply.text.hbs");
    std::fs::write(&edited, "{{title}}\n\nMy own words.\n").unwrap();
    let again = desk.run(&["template", "export", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1), "{}", said(&again));
    let why = String::from_utf8_lossy(&again.stderr);
    assert!(why.contains("414 file(s) already exist, nothing written") && why.contains("--force"), "{why}");
    assert!(why.contains(&edited.display().to_string()), "{why}");
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "{{title}}\n\nMy own words.\n");

    let forced = desk.run(&["template", "export", "--force", dir.to_str().unwrap()]);
    assert_eq!(forced.status.code(), Some(0), "{}", said(&forced));
    assert!(tree(&dir) == repo);

    let fr = desk.path("fr-only");
    desk.ok(&["template", "export", "--lang", "fr", fr.to_str().unwrap()]);
    assert_eq!(files_in(&fr).len(), 1);
    assert_eq!(files_in(&fr.join("fr")).len(), 69);
    let bad = desk.run(&["template", "export", "--lang", "pt", fr.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2), "{}", said(&bad));
}

/// Configs that say `dir = "../templates"` (a full copy) keep working:
/// every file is an override that replaces its built-in twin.
#[test]
fn a_directory_holding_a_full_copy_works_unchanged() {
    let (desk, dir) = desk_with_overrides();
    desk.ok(&["template", "export", "--force", dir.to_str().unwrap()]);
    let check = desk.run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", said(&check));
    let text = stdout(&check);
    assert!(text.contains(&format!("templates: 414 override(s) in {}", dir.display())), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains(": replaces built-in ")).count(), 414, "{text}");
    let out = desk.ingest(&mail("alice@example.test", "Imprimante", "f1@example.test", "", "Bonjour, en panne."));
    let ack = desk.queued("acknowledgement");
    assert_eq!(title(&ack[0]), format!("Votre demande n°\u{a0}{} est enregistrée", out["ticket"]));
    let preview = desk.ok(&["template", "preview", "reply"]);
    assert!(preview.contains(&format!("Source text: {}\n", dir.join("fr/reply.text.hbs").display())), "{preview}");
}

const WEAK: &str = r#"
[database]
url = "postgres://guichet@db.example.test/guichet"

[[mailbox]]
name = "support"
kind = "imap"
host = "imap.example.test"
tls = "none"
allow_plaintext = true
username = "support"
password_env = "GUICHET_TEST_IMAP_PASSWORD"
address = "support@example.test"

[outgoing]
transport = "smtp"
host = "relay.example.test"
tls = "none"

[http]
listen = "0.0.0.0:8025"
base_url = "http://desk.example.test"
secret_file = "link-key"
"#;

#[test]
fn check_warns_about_every_weak_setting_and_names_its_key() {
    let desk = Desk::new();
    std::fs::write(&desk.config, WEAK).unwrap();
    let key = desk.path("link-key");
    std::fs::write(&key, "a link key of more than sixteen characters").unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = desk.command(&["check"]).env("GUICHET_TEST_IMAP_PASSWORD", "x").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings do not fail check: {}", said(&out));
    let text = stdout(&out);
    let warned = |key: &str, words: &str| {
        let line = text.lines().find(|l| l.starts_with(&format!("warning: `{key}`: "))).unwrap_or_else(|| {
            panic!("no warning about {key}: {text}");
        });
        assert!(line.contains(words), "{line}");
    };
    warned("database.url", "without `sslmode=require`");
    warned("mailbox[0].tls", "imap.example.test: the password and every mail cross the network in clear");
    warned("outgoing.tls", "relay.example.test");
    warned("http.base_url", "plain http on desk.example.test");
    warned("http.metrics_token_file", "0.0.0.0:8025");
    #[cfg(unix)]
    warned("http.secret_file", "mode 0644");
    assert!(text.contains("config and templates are valid, with "), "{text}");
}

#[test]
fn check_gives_no_warning_for_a_safe_config() {
    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "a-metrics-token-of-enough-length").unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(token.path(), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let safe = safe_desk(&format!(
        "\n[http]\nlisten = \"0.0.0.0:8025\"\nbase_url = \"https://desk.example.test\"\nmetrics_token_file = \"{}\"\n",
        token.path().display()
    ));
    let text = safe.ok(&["check"]);
    assert!(!text.contains("warning"), "{text}");
    let local = safe_desk("\n[http]\nlisten = \"127.0.0.1:8025\"\n");
    let text = local.ok(&["check"]);
    assert!(!text.contains("warning"), "loopback http needs no TLS nor token: {text}");
}

#[cfg(unix)]
#[test]
fn the_sqlite_database_is_created_private_and_an_existing_one_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    if on_postgres() {
        return;
    }
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let desk = Desk::new();
    desk.ok(&["migrate"]);
    let db = desk.path("var/guichet.db");
    assert_eq!(mode(&db), 0o600, "a new database is the desk user's only");
    desk.ingest(&mail("alice@example.test", "Imprimante", "p1@example.test", "", "Bonjour."));
    for side in ["var/guichet.db-wal", "var/guichet.db-shm"] {
        let p = desk.path(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }

    let other = Desk::new();
    let db = other.path("var/guichet.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::write(&db, "").unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
    other.ok(&["migrate"]);
    assert_eq!(mode(&db), 0o640, "an existing file keeps the mode its admin gave it");
}

/// Waits for a log line holding every one of `words`.
fn wait_for_all(lines: &std::sync::mpsc::Receiver<String>, words: &[&str]) {
    while let Ok(line) = lines.recv_timeout(std::time::Duration::from_secs(30)) {
        if words.iter().all(|w| line.contains(w)) {
            return;
        }
    }
    panic!("no log line with {words:?}");
}

/// The mail `run` sent (the file transport's .eml files) to `to`.
fn sent_to(desk: &Desk, to: &str) -> guichet::mail::inbound::InboundMail {
    files_in(&desk.path("outbox"))
        .iter()
        .map(|f| guichet::mail::inbound::InboundMail::parse(&std::fs::read(f).unwrap()).unwrap())
        .find(|m| m.to.iter().any(|t| t.email == to))
        .unwrap_or_else(|| panic!("nothing sent to {to}"))
}

/// `run` starts on the built-ins; a config reload (SIGHUP) that names an
/// override directory puts it in use, and a file added there later is
/// picked up without a restart.
#[test]
fn run_takes_an_override_directory_on_sighup_and_a_file_added_to_it_later() {
    let desk = Desk::new();
    let (mut child, rx) = start_run(&desk);
    let dir = desk.path("overrides");
    std::fs::create_dir_all(dir.join("fr")).unwrap();
    std::fs::write(dir.join("fr/acknowledgement.subject.hbs"), "Reçu par le guichet : {{ticket.subject}}").unwrap();
    let config = std::fs::read_to_string(&desk.config).unwrap();
    write_atomic(&desk.config, &format!("{config}{}", Desk::templates_table(&dir)));
    let _ = std::process::Command::new("kill").args(["-HUP", &child.id().to_string()]).status();
    wait_for(&rx, "config reloaded");
    desk.deliver("4000.a.host", &mail("alice@example.test", "Imprimante", "h1@example.test", "", "En panne."));
    wait_for_all(&rx, &["mail sent", "acknowledgement"]);

    // Written as editors and deploy tools do: a temporary file, renamed.
    write_atomic(&dir.join("fr/acknowledgement.text.hbs"), "{{title}}\n\nNous revenons vers vous.\n");
    wait_for(&rx, "templates reloaded");
    desk.deliver("4001.b.host", &mail("carol@example.test", "Écran", "h2@example.test", "", "Écran noir."));
    wait_for_all(&rx, &["mail sent", "acknowledgement"]);
    let _ = std::process::Command::new("kill").arg(child.id().to_string()).status();
    assert!(child.wait().unwrap().success());

    let first = sent_to(&desk, "alice@example.test");
    assert_eq!(first.text.lines().next().unwrap(), "Reçu par le guichet : Imprimante");
    assert!(!first.text.contains("Nous revenons vers vous."), "the text part was still built in");
    let second = sent_to(&desk, "carol@example.test");
    assert_eq!(second.text.lines().next().unwrap(), "Reçu par le guichet : Écran");
    assert!(second.text.contains("Nous revenons vers vous."), "{}", second.text);
}

/// A test desk with the default proof of technicians (the test desks
/// trust their address, which `check` rightly calls weak).
fn safe_desk(extra: &str) -> Desk {
    Desk::with_config(&Desk::config_text(extra, "").replace("technician_proof = \"address\"\n", ""))
}
