//! The survey's rating links, through `guichet serve`. Mail security
//! scanners open every link of a mail (HEAD, GET, a headless browser)
//! before the person does: opening the links records nothing; the page they
//! open has the rating chosen and a button that records it. Forged and
//! expired links are refused with a clear page and nothing changed; in
//! headless Chromium a person opens a link, presses the button and the
//! rating is recorded.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::browser::Browser;
use common::web::{free_port, request, send, serve};
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

/// The answer form's hidden field, read from the page as a browser would.
fn check_of(page: &str) -> String {
    let at = page.find("name=\"check\" value=\"").unwrap_or_else(|| panic!("no check field in:\n{page}"));
    let rest = &page[at + "name=\"check\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// `guichet report` over the day of the test.
fn report(desk: &Desk) -> Value {
    serde_json::from_str(&desk.ok(&["report", "--since", "2026-11-30", "--until", "2026-12-01", "--json"])).unwrap()
}

/// The link's path without its `?r=`: where the page's form posts.
fn form_path(link: &str) -> String {
    link.split('?').next().unwrap().to_string()
}

#[test]
fn opening_all_five_links_within_a_second_records_nothing_and_one_press_records_the_chosen_rating() {
    let port = free_port();
    let mut desk = desk(port);
    let (n, links) = surveyed(&mut desk, port);
    let _server = serve(&desk, port);

    // A scanner: HEAD then GET on every link, all at once, no cookies.
    let start = Instant::now();
    let scans: Vec<_> = links
        .iter()
        .cloned()
        .map(|link| {
            std::thread::spawn(move || {
                let head = send(port, "HEAD", &link, &[], None);
                let get = send(port, "GET", &link, &[], None);
                (head.status, get)
            })
        })
        .collect();
    let pages: Vec<_> = scans.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(start.elapsed() < Duration::from_secs(1), "the five links opened within a second: {:?}", start.elapsed());
    for (r, (head, get)) in (1..=5).zip(&pages) {
        assert_eq!(*head, 200, "HEAD {r}");
        assert_eq!(get.status, 200, "GET {r}: {}", get.body);
        assert_eq!(get.header("cache-control"), Some("no-store"));
        let page = &get.body;
        assert!(page.contains(&format!("value=\"{r}\" checked")), "rating {r} chosen on its page: {page}");
        assert_eq!(page.matches(" checked").count(), 1, "only that one: {page}");
        assert!(page.contains("Appuyez sur « Envoyer » pour l"), "{page}");
        assert!(page.contains("<html lang=\"fr\">"), "French, like the mail");
        assert!(!page.contains("<script") && !page.contains("<link"), "self-contained, no script: {page}");
    }
    // A scanner that posts to the link, without the page's form or with a
    // made-up hidden field.
    let bare = send(port, "POST", &links[0], &[], None);
    assert_eq!(bare.status, 400, "{}", bare.body);
    assert!(bare.body.contains("id=\"refused\"") && bare.body.contains("a été enregistré"), "{}", bare.body);
    let path = form_path(&links[0]);
    for form in ["r=1", "r=1&comment=x&check=", "r=1&check=00112233445566778899aabbccddeeff"] {
        assert_eq!(request(port, "POST", &path, Some(form)).0, 400, "{form}");
    }
    let s = survey_of(&desk, n);
    assert!(s["rating"].is_null() && s["answered_via"].is_null(), "nothing recorded: {s}");
    assert!(s["comment"].as_str().unwrap_or_default().is_empty(), "{s}");
    assert!(desk.queued("low_rating").is_empty(), "no technician alerted by a scanner");
    let satisfaction = report(&desk)["satisfaction"].clone();
    assert_eq!(
        (satisfaction["surveys_sent"].clone(), satisfaction["answers"].clone()),
        (1.into(), 0.into()),
        "{satisfaction}"
    );

    // The person: opens "2", presses the button.
    let (_, page) = request(port, "GET", &links[1], None);
    let form = format!("r=2&comment=&check={}", check_of(&page));
    let (status, page) = request(port, "POST", &path, Some(&form));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Merci ! Votre note est enregistrée : 2/5 (insatisfait)."), "{page}");
    let s = survey_of(&desk, n);
    assert_eq!((s["rating"].clone(), s["answered_via"].clone()), (Value::from(2), Value::from("link")), "{s}");
    let alerts = desk.queued("low_rating").len();
    assert!(alerts > 0, "a low rating alerts the group lead");
    assert_eq!(report(&desk)["satisfaction"]["ratings"], serde_json::json!([0, 1, 0, 0, 0]));

    // Later the links are opened again (a scanner, or the person): the
    // recorded rating is said, nothing changes until the button.
    let (_, page) = request(port, "GET", &form_path(&links[1]), None);
    assert!(page.contains("Votre note est enregistrée : 2/5") && page.contains("value=\"2\" checked"), "{page}");
    assert!(page.contains("au 30 décembre 2026"), "until when it can change: {page}");
    let (_, page) = request(port, "GET", &links[4], None);
    assert!(page.contains("Votre note enregistrée est 2/5 (insatisfait)"), "{page}");
    assert!(page.contains("value=\"5\" checked"), "{page}");
    assert_eq!(survey_of(&desk, n)["rating"], 2);
    let form = format!("r=5&comment=Finalement+parfait&check={}", check_of(&page));
    let (status, page) = request(port, "POST", &path, Some(&form));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("5/5 (très satisfait), et votre commentaire est enregistré"), "{page}");
    let s = survey_of(&desk, n);
    assert_eq!((s["rating"].clone(), s["comment"].clone()), (Value::from(5), Value::from("Finalement parfait")));
    assert_eq!(desk.queued("low_rating").len(), alerts, "a good rating alerts nobody");

    // The button pressed with nothing chosen records nothing.
    let check = check_of(&page);
    let (status, page) = request(port, "POST", &path, Some(&format!("comment=+&check={check}")));
    assert_eq!(status, 200);
    assert!(page.contains("Choisissez une note"), "{page}");
    assert_eq!(survey_of(&desk, n)["rating"], 5);
}

#[test]
fn forged_and_expired_links_are_refused_with_a_clear_page_and_change_nothing() {
    let port = free_port();
    let mut desk = desk(port);
    let (n, links) = surveyed(&mut desk, port);
    let server = serve(&desk, port);
    let path = form_path(&links[4]);
    let (_, page) = request(port, "GET", &links[4], None);
    let check = check_of(&page);
    assert_eq!(request(port, "POST", &path, Some(&format!("r=5&check={check}"))).0, 200);

    // One character changed in the signature.
    let mut forged = path.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let (status, page) = request(port, "GET", &format!("{forged}?r=1"), None);
    assert_eq!(status, 400);
    assert!(page.contains("Lien non valable") && page.contains("Rien n'a été enregistré"), "{page}");
    assert_eq!(request(port, "POST", &forged, Some(&format!("r=1&check={check}"))).0, 400);
    // Another survey's number with this signature.
    let token = path.trim_start_matches("/survey/");
    let (id, rest) = token.split_once('.').unwrap();
    let other = format!("/survey/{}.{rest}", id.parse::<i64>().unwrap() + 1);
    assert_eq!(request(port, "GET", &format!("{other}?r=1"), None).0, 400);
    assert_eq!(request(port, "POST", &other, Some(&format!("r=1&check={check}"))).0, 400);
    // In English for whoever's browser asks it, when no ticket says.
    let r = send(port, "GET", &format!("{forged}?r=1"), &["Accept-Language: en-GB,en;q=0.8".into()], None);
    assert!(r.body.contains("Invalid link") && r.body.contains("Nothing was recorded"), "{}", r.body);
    assert_eq!(survey_of(&desk, n)["rating"], 5, "a forged link changes nothing");
    drop(server);

    // A month and a day later the link has expired, even with its page's form.
    desk.now = Some("2026-12-31T10:00:00Z".into());
    let _server = serve(&desk, port);
    let (status, page) = request(port, "GET", &links[0], None);
    assert_eq!(status, 410);
    assert!(page.contains("Lien expiré"), "{page}");
    let (status, page) = request(port, "POST", &path, Some(&format!("r=1&check={check}")));
    assert_eq!(status, 410, "{page}");
    assert_eq!(survey_of(&desk, n)["rating"], 5, "an expired link changes nothing");
    assert_eq!(request(port, "GET", "/nowhere", None).0, 404);
}

#[test]
fn the_page_speaks_the_language_of_the_mail() {
    let port = free_port();
    let mut desk = desk(port);
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let out = desk.ingest(&mail(
        ALICE,
        "Printer jammed",
        "alice-en@example.test",
        "",
        "Hello, the printer is jammed again. Thanks",
    ));
    let n = as_i64(&out["ticket"]);
    let reply =
        mail(MARC, &format!("RE: [Guichet #{n}] Printer jammed"), "marc-en@example.test", "", "#resolve\nFixed.");
    desk.ingest(&reply);
    desk.now = Some("2026-11-30T09:10:00Z".into());
    assert!(desk.ok(&["run", "--once"]).contains("1 surveys sent"));
    let text = body(&desk.queued("survey")[0]);
    assert!(text.contains("press \"Send\" on the page"), "{text}");
    // The browser asks for French; the mail was English, so is the page.
    let page = [
        "<html lang=\"en\">",
        "You chose 4/5 (satisfied). Press “Send” to record it.",
        "Thank you! Your rating is recorded: 4/5 (satisfied).",
    ];
    rate_four_in_the_mails_language(&desk, port, n, &text, page);
}

/// Follows the "4" link of a survey mail's `text`: the page and its
/// answer read `page` (the `lang`, the choice, the thanks), the rating is kept.
fn rate_four_in_the_mails_language(desk: &Desk, port: u16, n: i64, text: &str, page: [&str; 3]) {
    let [lang, chose, thanks] = page;
    let link = text.split_whitespace().find(|w| w.ends_with("?r=4")).unwrap();
    let link = link[link.find("/survey/").unwrap()..].to_string();
    let _server = serve(desk, port);
    let (status, shown) = request(port, "GET", &link, None);
    assert_eq!(status, 200);
    assert!(shown.contains(lang) && shown.contains(chose), "{shown}");
    let form = format!("r=4&check={}", check_of(&shown));
    let (_, answered) = request(port, "POST", &form_path(&link), Some(&form));
    assert!(answered.contains(thanks), "{answered}");
    assert_eq!(survey_of(desk, n)["rating"], 4);
}

#[test]
fn a_dutch_mail_gets_a_dutch_survey_and_a_dutch_page() {
    let port = free_port();
    let mut desk = desk(port);
    desk.now = Some("2026-11-30T09:00:00Z".into());
    let text = "Goedemorgen,\n\nDe printer op de tweede verdieping loopt steeds vast. Kunt u iemand sturen?\n\n\
                Met vriendelijke groet,\nSanne de Vries";
    let out = desk.ingest(&mail("sanne.devries@example.test", "Printer loopt vast", "sanne-nl@example.test", "", text));
    let n = as_i64(&out["ticket"]);
    let reply = mail(
        MARC,
        &format!("RE: [Guichet #{n}] Printer loopt vast"),
        "marc-nl@example.test",
        "",
        "#resolve
Opgelost.",
    );
    desk.ingest(&reply);
    desk.now = Some("2026-11-30T09:10:00Z".into());
    assert!(desk.ok(&["run", "--once"]).contains("1 surveys sent"));
    let text = body(&desk.queued("survey")[0]);
    assert!(text.contains("tevreden (4)"), "{text}");
    let page = [
        "<html lang=\"nl\">",
        "U hebt 4/5 (tevreden) gekozen. Klik op “Verzenden”",
        "Bedankt! Uw beoordeling is opgeslagen: 4/5 (tevreden).",
    ];
    rate_four_in_the_mails_language(&desk, port, n, &text, page);
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
    let (status, page) = request(port, "GET", &links[2], None);
    assert_eq!(status, 200);
    assert!(survey_of(&desk, n)["rating"].is_null());
    let form = format!("r=3&check={}", check_of(&page));
    assert_eq!(request(port, "POST", &form_path(&links[2]), Some(&form)).0, 200);
    assert_eq!(survey_of(&desk, n)["rating"], 3);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn in_chromium_on_a_phone_a_person_opens_a_rating_link_presses_the_button_and_the_rating_is_recorded() {
    let port = free_port();
    let mut desk = desk(port);
    let (n, links) = surveyed(&mut desk, port);
    let _server = serve(&desk, port);
    let browser = Browser::start(390, 844);
    let url = |link: &str| format!("http://127.0.0.1:{port}{link}");

    // A scanner's browser opens every link of the mail: nothing recorded.
    for link in &links {
        browser.go(&url(link));
        browser.wait_for("id=\"send\"");
    }
    assert!(survey_of(&desk, n)["rating"].is_null(), "{}", survey_of(&desk, n));

    // The person clicks "4 — satisfait" in the mail.
    browser.go(&url(&links[3]));
    browser.wait_for("id=\"chosen\"");
    assert_eq!(browser.script("return document.querySelector('input[name=r]:checked').value"), "4", "4 chosen");
    let fits = browser.script("return document.documentElement.scrollWidth <= window.innerWidth");
    assert_eq!(fits, true, "nothing wider than the phone's screen");
    assert!(browser.shot("survey-page.png") > 5_000, "the page is drawn, not blank");
    assert!(survey_of(&desk, n)["rating"].is_null(), "not before the button");
    browser.type_into("#comment", "Merci pour la rapidité");
    browser.click("#send");
    let page = browser.wait_for("id=\"thanks\"");
    assert!(page.contains("Votre note est enregistrée : 4/5"), "{page}");
    assert!(browser.shot("survey-recorded.png") > 5_000);
    let s = survey_of(&desk, n);
    assert_eq!((s["rating"].clone(), s["comment"].clone()), (Value::from(4), Value::from("Merci pour la rapidité")));
    assert_eq!(s["answered_via"], "link");
}
