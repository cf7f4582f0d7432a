//! A relay that refuses a mail for its size (Postfix's 552 5.3.4 on its
//! small listener): the mail is sent again with its larger files as links,
//! and the outbox history says so.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::time::Duration;

use common::running::desk;
use common::servers::Servers;
use common::web::free_port;

fn with_file(from: &str, to: &str, name: &str, bytes: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let mut raw = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Journal du serveur\r\nMessage-ID: <relay-size-{}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe journal est joint.\r\n--b\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        std::process::id()
    )
    .into_bytes();
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    for line in b64.as_bytes().chunks(76) {
        raw.extend_from_slice(line);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"--b--\r\n");
    raw
}

#[test]
fn a_mail_the_relay_refuses_for_its_size_is_sent_again_with_links() {
    let srv = Servers::get();
    let small_port: u16 = std::env::var("GUICHET_TEST_SMTP_SMALL_PORT")
        .expect("GUICHET_TEST_SMTP_SMALL_PORT: start the servers with scripts/servers.sh")
        .parse()
        .unwrap();
    let (support, tech, alice) = (srv.user("support"), srv.user("tech"), srv.user("alice"));
    let http = free_port();
    let desk = desk(&srv, &support, &tech, "keep", &format!("\n[http]\nlisten = \"127.0.0.1:{http}\"\n"));
    // Through the listener that takes 300 kB at most.
    let config = std::fs::read_to_string(&desk.config).unwrap();
    let config = config.replace(&format!("port = {}\n", srv.smtp_port), &format!("port = {small_port}\n"));
    std::fs::write(&desk.config, config).unwrap();

    // 400 kB: under the desk's relay limit (10 MB), over the relay's.
    let log: Vec<u8> = (0..400_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    desk.ingest(&with_file(&alice, &support, "serveur.log", &log));
    desk.ok(&["run", "--once"]);
    desk.ok(&["run", "--once"]);

    let notice = desk.queued("new_article").remove(0);
    assert_eq!(notice["state"], "sent", "{notice:#}");
    let history = notice["history"].as_array().unwrap();
    assert_eq!(history[0]["result"], "too_large", "{history:?}");
    let detail = history[0]["detail"].as_str().unwrap();
    assert!(detail.contains("5.3.4") && detail.contains("sent again with the larger files as links"), "{detail}");
    assert_eq!(history.last().unwrap()["result"], "sent");

    let got = srv.wait_for(&tech, "INBOX", 1, Duration::from_secs(30));
    let mail = guichet::mail::inbound::InboundMail::parse(&got[0]).unwrap();
    assert!(mail.attachments.is_empty(), "the file went as a link");
    let prefix = format!("http://127.0.0.1:{http}/files/");
    assert!(
        mail.text.lines().any(|l| l.starts_with("- serveur.log (0.4 MB) : ") && l.contains(&prefix)),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Le journal est joint."), "{}", mail.text);
    // The acknowledgement, without files, went at once.
    let ack = desk.queued("acknowledgement").remove(0);
    assert_eq!(ack["state"], "sent");
    assert_eq!(ack["history"].as_array().unwrap().len(), 1);
}
