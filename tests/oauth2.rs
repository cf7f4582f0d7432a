//! OAuth2 logins against the real Dovecot (its `oauth2` passdb checks
//! tokens by introspection) and Postfix (through Dovecot's SASL), with the
//! test token issuer `scripts/token-issuer.py` that `scripts/servers.sh`
//! starts. Each test registers an issuer client of its own, so runs that
//! share the issuer do not disturb each other.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::running::{message, status, wait_until, Running};
use common::servers::Servers;
use common::{database_keys, manifest_dir, Desk};
use serde_json::{json, Value};

fn var(key: &str) -> String {
    std::env::var(key)
        .unwrap_or_else(|_| panic!("{key} is not set: run the tests with scripts/test.sh (it starts the servers)"))
}

fn issuer_url() -> String {
    var("GUICHET_TEST_TOKEN_ISSUER_URL")
}

/// POSTs to the issuer (JSON, or a form); returns the status and the answer.
fn issuer(path: &str, body: &Value, form: bool) -> (u16, Value) {
    let url = issuer_url();
    let authority = url.trim_start_matches("http://").to_string();
    let text = if form {
        body.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap().replace(' ', "+")))
            .collect::<Vec<_>>()
            .join("&")
    } else {
        body.to_string()
    };
    let kind = if form { "application/x-www-form-urlencoded" } else { "application/json" };
    let mut s = std::net::TcpStream::connect(&authority).expect("the token issuer answers");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn stats(client: &str) -> Value {
    let authority = issuer_url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&authority).unwrap();
    write!(s, "GET /admin/stats?client_id={client} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap()
}

const CLIENT_SECRET: &str = "cs-not-to-be-seen-0123456789";
const TOKEN_KEY: &str = "a token key of the test desk";

/// Registers a client of this test: its id.
fn client(name: &str, user: &str, lifetime: u64) -> String {
    let id = format!("{name}-{}-{}", std::process::id(), Instant::now().elapsed().as_nanos());
    let stamp = std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_nanos();
    let id = format!("{id}-{stamp}");
    let (code, _) = issuer(
        "/admin/clients",
        &json!({"client_id": id, "client_secret": CLIENT_SECRET, "scope": "mail other offline_access", "user": user, "lifetime": lifetime}),
        false,
    );
    assert_eq!(code, 200);
    id
}

/// The `oauth2 = { … }` value for `client`.
fn oauth2(flow: &str, client: &str, scope: &str) -> String {
    let url = issuer_url();
    format!(
        r#"{{ provider = "generic", flow = "{flow}", client_id = "{client}", client_secret_file = "client-secret", scope = "{scope}", token_url = "{url}/token", device_url = "{url}/device", token_key_file = "token-key" }}"#
    )
}

/// A desk whose `support` mailbox logs in with `auth` (TOML keys), with
/// `extra` appended; `outgoing` sends through the submission port when
/// given (its auth keys), else through the plain SMTP port.
fn desk(srv: &Servers, support: &str, auth: &str, outgoing_auth: Option<&str>, extra: &str) -> Desk {
    let (port, out_auth) = match outgoing_auth {
        Some(a) => (srv.submission_port, format!("username = \"{support}\"\n{a}")),
        None => (srv.smtp_port, String::new()),
    };
    let desk = Desk::with_config(&format!(
        r#"
[database]
{database}

[[mailbox]]
name = "support"
kind = "imap"
address = "{support}"
host = "127.0.0.1"
port = {imap}
tls = "starttls"
ca_file = "{ca}"
username = "{support}"
{auth}
after = "move:Processed"
poll_seconds = 2
idle_renew_seconds = 10

[outgoing]
transport = "smtp"
host = "127.0.0.1"
port = {port}
tls = "starttls"
ca_file = "{ca}"
from_name = "Support"
message_id_domain = "example.test"
{out_auth}

[tickets]
subject_tag = "Guichet"
# The tests write technicians' mail by hand: their address proves them.
technician_proof = "address"
language = "en"

[templates]
dir = "{templates}"

[[technician]]
email = "tech@example.test"
name = "Tess Tech"
groups = ["desk"]

[limits]
automatic_per_hour = 1000
{extra}
"#,
        database = database_keys(),
        imap = srv.imap_port,
        ca = srv.ca_file.display(),
        templates = manifest_dir().join("templates").display(),
    ));
    std::fs::write(desk.path("client-secret"), CLIENT_SECRET).unwrap();
    std::fs::write(desk.path("token-key"), TOKEN_KEY).unwrap();
    desk
}

fn tickets(desk: &Desk) -> Vec<Value> {
    serde_json::from_str(&desk.ok(&["ticket", "list", "--json"])).unwrap()
}

fn support_state(desk: &Desk) -> (String, String) {
    let s = status(desk);
    let m = s["mailboxes"].as_array().unwrap().iter().find(|m| m["name"] == "support").unwrap().clone();
    (m["state"].as_str().unwrap_or_default().to_string(), m["error"].as_str().unwrap_or_default().to_string())
}

/// No secret of ours in `text`: the client secret, an access or a
/// refresh token of the issuer (`at-…`, `rt-…`), the device code.
fn assert_no_secret(text: &str) {
    assert!(!text.contains(CLIENT_SECRET), "the client secret is in:\n{text}");
    assert!(!text.contains(TOKEN_KEY), "the token key is in:\n{text}");
    let token = regex::Regex::new(r"\b(at|rt|dc)-[0-9a-f]{32}\b").unwrap();
    assert!(!token.is_match(text), "a token is in:\n{text}");
}

/// Ends the IMAP sessions of `user`: the next login needs a token.
fn kick(user: &str) {
    let _ = Command::new("doveadm").args(["-c", &var("GUICHET_TEST_DOVECOT_CONF"), "kick", user]).output();
}

/// `guichet auth login support`, approved at the issuer as `user`.
fn device_login(desk: &Desk, user: &str) -> String {
    device_login_of(desk, "support", user)
}

/// `guichet auth login NAME`, approved at the issuer as `user`.
fn device_login_of(desk: &Desk, name: &str, user: &str) -> String {
    let mut child =
        desk.command(&["auth", "login", name]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let mut approved = false;
    for line in stdout.lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(code) = line.trim().strip_prefix("enter code: ") {
            let (status, _) = issuer("/admin/approve", &json!({"user_code": code.trim(), "user": user}), false);
            assert_eq!(status, 200, "approve {code}");
            approved = true;
        }
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(approved, "no code printed:\n{printed}{stderr}");
    assert!(out.status.success(), "auth login failed:\n{printed}{stderr}");
    printed + &stderr
}

#[test]
fn intake_with_idle_and_sending_keep_working_while_tokens_expire_every_20_seconds() {
    let srv = Servers::get();
    let support = srv.user("oauth-support");
    let requester = srv.user("oauth-requester");
    let id = client("intake", &support, 20);
    let desk = desk(
        &srv,
        &support,
        &format!("auth = \"oauth2\"\noauth2 = {}", oauth2("client_credentials", &id, "mail")),
        Some(&format!("auth = \"oauth2\"\noauth2 = {}", oauth2("client_credentials", &id, "mail"))),
        "",
    );
    let mut run = Running::start(&desk, "run", &[("GUICHET_LOG", "debug")]);
    run.wait_for_log("waiting for mail with IDLE", Duration::from_secs(30));
    // Mail every 10 s for 80 s; the sessions are cut every 25 s, so each
    // new login needs a token, and the tokens live 20 s.
    let start = Instant::now();
    let mails = 8;
    for i in 0..mails {
        let raw = message(
            &requester,
            &support,
            &format!("Printer {i} is jammed"),
            &format!("oauth-{i}-{support}"),
            "",
            "It blinks.",
        );
        srv.send(&requester, &[&support], &raw);
        std::thread::sleep(Duration::from_secs(10));
        if i % 3 == 2 {
            kick(&support);
        }
    }
    assert!(start.elapsed() >= Duration::from_secs(75));
    wait_until("every mail is a ticket", Duration::from_secs(60), || tickets(&desk).len() == mails);
    let acks = srv.wait_for(&requester, "INBOX", mails, Duration::from_secs(60));
    assert_eq!(acks.len(), mails);
    assert_eq!(srv.messages_count(&support, "INBOX"), 0, "every mail was moved once stored");
    let issued = stats(&id)["access_issued"].as_u64().unwrap_or(0);
    assert!(issued >= 3, "tokens were renewed: {issued} issued");
    assert_eq!(support_state(&desk).0, "ok");
    // The servers saw OAuth2 logins: IMAP after each cut, SMTP on submission.
    let dovecot = std::fs::read_to_string(var("GUICHET_TEST_DOVECOT_LOG")).unwrap_or_default();
    let imap_logins = dovecot
        .lines()
        .filter(|l| l.contains("Login: user=<") && l.contains(&support) && l.contains("method=XOAUTH2"))
        .count();
    assert!(imap_logins >= 3, "{imap_logins} IMAP XOAUTH2 logins");
    let postfix = std::fs::read_to_string(var("GUICHET_TEST_POSTFIX_LOG")).unwrap_or_default();
    assert!(
        postfix.lines().any(|l| l.contains("sasl_method=XOAUTH2") && l.contains(&format!("sasl_username={support}"))),
        "no SMTP XOAUTH2 login of {support} in the Postfix log"
    );
    run.stop();
    assert_no_secret(&run.log());
}

#[test]
fn a_device_login_is_stored_sealed_then_refreshed_and_the_rotated_token_replaces_the_old_one() {
    let srv = Servers::get();
    let support = srv.user("oauth-device");
    let id = client("device", &support, 60);
    let desk = desk(
        &srv,
        &support,
        &format!("auth = \"oauth2\"\noauth2 = {}", oauth2("device", &id, "mail offline_access")),
        None,
        "",
    );
    let before = desk.ok(&["auth", "status"]);
    assert!(before.contains("no grant stored: run `guichet auth login support`"), "{before}");
    let printed = device_login(&desk, &support);
    assert_no_secret(&printed);
    let after = desk.ok(&["auth", "status"]);
    assert!(after.contains("support: oauth2 generic (device, login"), "{after}");
    assert!(after.contains("grant stored"), "{after}");
    let mut conn = desk.database();
    let first = guichet::oauth::vault::load(&mut conn, TOKEN_KEY, "support").unwrap().unwrap().refresh_token;
    // The database holds it sealed.
    let sealed: Vec<String> = {
        use diesel::{QueryDsl, RunQueryDsl};
        guichet::store::schema::desk_secrets::table
            .select(guichet::store::schema::desk_secrets::value)
            .load(&mut conn)
            .unwrap()
    };
    assert!(sealed.iter().all(|v| !v.contains(&first)));
    let requester = srv.user("oauth-device-requester");
    let raw = message(&requester, &support, "Screen flickers", &format!("dev-1-{support}"), "", "Since this morning.");
    srv.send(&requester, &[&support], &raw);
    srv.wait_for(&support, "INBOX", 1, Duration::from_secs(20));
    let out = desk.run(&["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tickets(&desk).len(), 1);
    let second = guichet::oauth::vault::load(&mut conn, TOKEN_KEY, "support").unwrap().unwrap().refresh_token;
    assert_ne!(first, second, "the rotated refresh token is saved");
    let (code, answer) = issuer(
        "/token",
        &json!({"grant_type": "refresh_token", "client_id": id, "client_secret": CLIENT_SECRET, "refresh_token": first}),
        true,
    );
    assert_eq!((code, answer["error"].as_str()), (400, Some("invalid_grant")), "the old one is refused");
    assert_no_secret(&String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_revoked_grant_marks_the_mailbox_failing_other_mailboxes_go_on_and_a_new_login_mends_it() {
    let srv = Servers::get();
    let support = srv.user("oauth-revoked");
    let other = srv.user("oauth-other");
    let requester = srv.user("oauth-revoked-requester");
    let id = client("revoked", &support, 60);
    let second = format!(
        "\n[[mailbox]]\nname = \"sales\"\nkind = \"imap\"\naddress = \"{other}\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\nusername = \"{other}\"\npassword_env = \"GUICHET_TEST_MAIL_PASSWORD\"\nafter = \"move:Processed\"\npoll_seconds = 2\n",
        srv.imap_port,
        srv.ca_file.display()
    );
    let desk = desk(
        &srv,
        &support,
        &format!("auth = \"oauth2\"\noauth2 = {}", oauth2("device", &id, "mail offline_access")),
        None,
        "",
    );
    // The second mailbox is added to the config as a whole table; the
    // technician has a mailbox of this test's own.
    let tech = srv.user("oauth-revoked-tech");
    let text = std::fs::read_to_string(&desk.config)
        .unwrap()
        .replacen("\n[outgoing]", &format!("{second}\n[outgoing]"), 1)
        .replace("tech@example.test", &tech);
    std::fs::write(&desk.config, text).unwrap();
    device_login(&desk, &support);
    let mut run = Running::start(&desk, "run", &[]);
    run.wait_for_log("waiting for mail with IDLE", Duration::from_secs(30));
    issuer("/admin/revoke", &json!({"client_id": id}), false);
    kick(&support);
    wait_until("support is failing for its grant", Duration::from_secs(60), || {
        let (state, error) = support_state(&desk);
        state == "failing" && error.contains("refused")
    });
    let (_, error) = support_state(&desk);
    assert!(error.contains("guichet auth login support"), "status says what to run: {error}");
    assert!(error.contains("invalid_grant") || error.contains("refused"), "{error}");
    // The other mailbox still reads its mail; support's waits on the server.
    let raw = message(&requester, &other, "Quote please", &format!("rev-o-{other}"), "", "For 3 laptops.");
    srv.send(&requester, &[&other], &raw);
    let raw = message(&requester, &support, "VPN down", &format!("rev-s-{support}"), "", "Cannot connect.");
    srv.send(&requester, &[&support], &raw);
    wait_until("the other mailbox's mail is a ticket", Duration::from_secs(30), || tickets(&desk).len() == 1);
    srv.wait_for(&support, "INBOX", 1, Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(tickets(&desk).len(), 1, "nothing read with a revoked grant");
    assert_eq!(srv.messages_count(&support, "INBOX"), 1, "the mail stays on the server");
    // The technician is told once, with the command to run, however many
    // times the mailbox was tried meanwhile.
    let notices = || -> Vec<Vec<u8>> {
        let all = srv.messages(&tech, "INBOX");
        all.into_iter().filter(|m| common::servers::subject(m).contains("can no longer be read")).collect()
    };
    wait_until("the technician is told", Duration::from_secs(30), || !notices().is_empty());
    std::thread::sleep(Duration::from_secs(6));
    let told = notices();
    assert_eq!(told.len(), 1, "one notice, not one per try");
    let body = common::servers::text_body(&told[0]);
    assert!(body.contains("guichet auth login support"), "{body}");
    assert_no_secret(&String::from_utf8_lossy(&told[0]));
    // A new login: the running desk picks it up and reads the mail.
    device_login(&desk, &support);
    wait_until("support's mail is a ticket", Duration::from_secs(60), || tickets(&desk).len() == 2);
    wait_until("support is ok again", Duration::from_secs(90), || support_state(&desk).0 == "ok");
    run.stop();
    assert_no_secret(&run.log());
}

#[test]
fn a_token_without_the_mail_scope_is_refused_by_the_server_and_reported_as_a_refused_grant() {
    let srv = Servers::get();
    let support = srv.user("oauth-scope");
    let id = client("scope", &support, 60);
    let desk = desk(
        &srv,
        &support,
        &format!("auth = \"oauth2\"\noauth2 = {}", oauth2("client_credentials", &id, "other")),
        None,
        "",
    );
    let out = desk.run(&["run", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a refusal is not a temporary failure: {stderr}");
    assert!(stderr.contains("refused the token"), "{stderr}");
    let (state, error) = support_state(&desk);
    assert_eq!(state, "failing");
    assert!(error.contains("permissions"), "{error}");
    assert_no_secret(&stderr);
}

#[test]
fn the_issuer_away_for_a_while_is_a_temporary_failure_and_no_mail_is_lost() {
    let srv = Servers::get();
    let support = srv.user("oauth-down");
    let requester = srv.user("oauth-down-requester");
    let id = client("down", &support, 60);
    let desk = desk(
        &srv,
        &support,
        &format!("auth = \"oauth2\"\noauth2 = {}", oauth2("client_credentials", &id, "mail")),
        None,
        "",
    );
    let raw = message(&requester, &support, "Laptop slow", &format!("down-1-{support}"), "", "Very slow.");
    srv.send(&requester, &[&support], &raw);
    srv.wait_for(&support, "INBOX", 1, Duration::from_secs(20));
    issuer("/admin/down", &json!({"client_id": id, "seconds": 8}), false);
    let out = desk.run(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(75), "try again later: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tickets(&desk).len(), 0);
    assert_eq!(srv.messages_count(&support, "INBOX"), 1);
    // Back: the same command reads the mail, the mailbox is ok.
    std::thread::sleep(Duration::from_secs(9));
    let out = desk.run(&["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tickets(&desk).len(), 1);
    assert_eq!(support_state(&desk).0, "ok");
}

#[test]
fn a_token_command_gives_the_access_token() {
    let srv = Servers::get();
    let support = srv.user("oauth-command");
    let requester = srv.user("oauth-command-requester");
    let id = client("command", &support, 600);
    let (_, answer) = issuer(
        "/token",
        &json!({"grant_type": "client_credentials", "client_id": id, "client_secret": CLIENT_SECRET, "scope": "mail"}),
        true,
    );
    let token = answer["access_token"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let auth = format!(
        "auth = \"oauth2\"\noauth2 = {{ flow = \"command\", token_command = \"cat '{}'\", token_command_timeout_seconds = 5 }}",
        file.display()
    );
    let desk = desk(&srv, &support, &auth, None, "");
    let raw = message(&requester, &support, "Keyboard", &format!("cmd-1-{support}"), "", "Keys stick.");
    srv.send(&requester, &[&support], &raw);
    srv.wait_for(&support, "INBOX", 1, Duration::from_secs(20));
    let out = desk.run(&["run", "--once"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(tickets(&desk).len(), 1);
    assert!(!stderr.contains(&token));
    // A helper that hangs is cut off: a temporary failure.
    let hang = auth.replace(&format!("cat '{}'", file.display()), "sleep 30");
    let text = std::fs::read_to_string(&desk.config).unwrap().replace(&auth, &hang);
    std::fs::write(&desk.config, text).unwrap();
    let started = Instant::now();
    let out = desk.run(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn the_outgoing_relay_signs_in_with_a_device_login_of_its_own() {
    let srv = Servers::get();
    let support = srv.user("oauth-outgoing");
    let requester = srv.user("oauth-outgoing-requester");
    let id = client("outgoing", &support, 60);
    let desk = desk(
        &srv,
        &support,
        "password_env = \"GUICHET_TEST_MAIL_PASSWORD\"",
        Some(&format!("auth = \"oauth2\"\noauth2 = {}", oauth2("device", &id, "mail offline_access"))),
        "",
    );
    let raw = message(&requester, &support, "Mouse", &format!("out-1-{support}"), "", "It does not click.");
    srv.send(&requester, &[&support], &raw);
    srv.wait_for(&support, "INBOX", 1, Duration::from_secs(20));
    // Before the sign-in the mail is taken in and its acknowledgement waits.
    let out = desk.command(&["run", "--once"]).env("GUICHET_TEST_MAIL_PASSWORD", &srv.password).output().unwrap();
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tickets(&desk).len(), 1);
    device_login_of(&desk, "outgoing", &support);
    let out = desk.command(&["run", "--once"]).env("GUICHET_TEST_MAIL_PASSWORD", &srv.password).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let acks = srv.wait_for(&requester, "INBOX", 1, Duration::from_secs(30));
    assert_eq!(acks.len(), 1);
}
