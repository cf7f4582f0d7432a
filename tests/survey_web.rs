//! The survey's one-click links, through `guichet serve`: a rating and a
//! comment recorded, forged and expired links refused with a clear page and
//! nothing changed; the page as headless Chromium shows it on a phone.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::web::{free_port, request, serve};
use common::*;
use serde_json::Value;

const ALICE: &str = "alice.martin@example.test";

fn desk(port: u16) -> Desk {
    Desk::with(&format!(
        r#"
[survey]
delay_hours = 0
link_valid_days = 30

[http]
listen = "127.0.0.1:{port}"
"#
    ))
}

/// A resolved ticket whose survey went out; returns (ticket, link path for
/// each rating 1..=5).
fn surveyed(desk: &mut Desk, port: u16) -> (i64, Vec<String>) {
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let out = desk.ingest(&mail(ALICE, "Écran noir", "alice-web@example.test", "", "Mon écran reste noir."));
    let n = as_i64(&out["ticket"]);
    let reply =
        mail(MARC, &format!("RE: [Guichet #{n}] Écran noir"), "marc-web@example.test", "", "#resolve\nCâble changé.");
    desk.ingest(&reply);
    desk.now = Some("2026-11-30T09:10:00Z".into());
    assert!(desk.ok(&["run", "--once"]).contains("1 surveys sent"));
    let text = body(&desk.queued("survey")[0]);
    let prefix = format!("http://127.0.0.1:{port}");
    let links: Vec<String> = (1..=5)
        .map(|r| {
            let url = text
                .split_whitespace()
                .find(|w| w.starts_with(&prefix) && w.ends_with(&format!("?r={r}")))
                .unwrap_or_else(|| panic!("no link for {r} in:\n{text}"));
            url[prefix.len()..].to_string()
        })
        .collect();
    (n, links)
}

fn survey_of(desk: &Desk, n: i64) -> Value {
    desk.ticket(n)["survey"].clone()
}

#[test]
fn a_link_records_the_rating_and_a_comment_and_bad_links_change_nothing() {
    let port = free_port();
    let mut desk = desk(port);
    let (n, links) = surveyed(&mut desk, port);
    let server = serve(&desk, port);

    let (status, page) = request(port, "GET", &links[4], None);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("5/5"), "{page}");
    assert!(!page.contains("<script"), "no script on the page");
    let s = survey_of(&desk, n);
    assert_eq!(s["rating"], 5);
    assert_eq!(s["answered_via"], "link");
    assert_eq!(desk.ticket(n)["status"], "resolved");

    let token_path = links[4].split('?').next().unwrap().to_string();
    let (status, page) = request(port, "POST", &token_path, Some("r=5&comment=Tr%C3%A8s+rapide%2C+merci+%21"));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("commentaire est enregistré"), "{page}");
    assert_eq!(survey_of(&desk, n)["comment"], "Très rapide, merci !");

    // One character changed in the signature.
    let mut forged = token_path.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let (status, page) = request(port, "GET", &format!("{forged}?r=1"), None);
    assert_eq!(status, 400);
    assert!(page.contains("Lien non valable") && page.contains("Rien n'a été enregistré"), "{page}");
    // Another survey's number with this signature.
    let token = token_path.trim_start_matches("/survey/");
    let (id, rest) = token.split_once('.').unwrap();
    let other = format!("/survey/{}.{rest}", id.parse::<i64>().unwrap() + 1);
    assert_eq!(request(port, "GET", &format!("{other}?r=1"), None).0, 400);
    assert_eq!(survey_of(&desk, n)["rating"], 5, "a forged link changes nothing");
    drop(server);

    // A month and a day later the link has expired.
    desk.now = Some("2026-12-31T10:00:00Z".into());
    let _server = serve(&desk, port);
    let (status, page) = request(port, "GET", &links[0], None);
    assert_eq!(status, 410);
    assert!(page.contains("Lien expiré"), "{page}");
    assert_eq!(survey_of(&desk, n)["rating"], 5, "an expired link changes nothing");
    assert_eq!(request(port, "GET", "/nowhere", None).0, 404);
}

#[test]
fn run_serves_the_links_when_http_is_configured() {
    let port = free_port();
    let mut desk = desk(port);
    let (n, links) = surveyed(&mut desk, port);
    let (mut child, _lines) = start_run(&desk);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "guichet run does not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(request(port, "GET", "/healthz", None), (200, "ok\n".to_string()));
    assert_eq!(request(port, "GET", &links[2], None).0, 200);
    assert_eq!(survey_of(&desk, n)["rating"], 3);
    let _ = child.kill();
    let _ = child.wait();
}

fn chromium() -> PathBuf {
    let bin = std::env::var("GUICHET_TEST_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    PathBuf::from(bin)
}

fn headless(profile: &std::path::Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=390,844",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stderr(Stdio::null());
    c
}

#[test]
fn the_survey_page_works_in_a_phone_sized_headless_chromium() {
    let port = free_port();
    let mut desk = desk(port);
    let (n, links) = surveyed(&mut desk, port);
    let _server = serve(&desk, port);
    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}{}", links[3]);

    let dom = headless(profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {} ({e}): scripts/browser.sh installs it", chromium().display()));
    assert!(dom.status.success(), "chromium failed");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("id=\"thanks\""), "{dom}");
    assert!(dom.contains("4/5"), "{dom}");
    assert_eq!(dom.matches("?r=").count(), 5, "five rating links: {dom}");
    assert!(dom.contains("<textarea"), "a comment box: {dom}");
    assert_eq!(survey_of(&desk, n)["rating"], 4);

    let shots = manifest_dir().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("survey-page.png");
    let _ = std::fs::remove_file(&shot);
    let done = headless(profile.path()).arg(format!("--screenshot={}", shot.display())).arg(&url).output().unwrap();
    assert!(done.status.success(), "chromium screenshot failed");
    let png = std::fs::read(&shot).expect("the screenshot is kept");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(png.len() > 5_000, "the page is drawn, not blank: {} bytes", png.len());
}
