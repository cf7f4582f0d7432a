//! The KPI dashboard through `guichet serve`: refused without a login, a
//! session for an [[admin]], a trusted proxy's user header; and the page
//! in headless Chromium, driven through chromedriver (WebDriver): signing
//! in, the charts, the group filter, on a phone and a desktop screen, with
//! screenshots kept in target/screenshots.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::browser::Browser;
use common::web::{free_port, send, serve, Reply};
use common::*;
use serde_json::json;

const ALICE: &str = "alice.martin@example.test";
const BOB: &str = "bob.durand@example.test";
const PASSWORD: &str = "une phrase de passe assez longue";

/// A password hash from `guichet hash-password` (few iterations: a test).
fn hash(password: &str) -> String {
    web::password_hash(password, 1000)
}

fn desk(port: u16, http_extra: &str) -> Desk {
    let mut desk = Desk::with(&format!(
        r#"
[[calendar]]
name = "ouvre"
time_zone = "Europe/Paris"
working_hours = "mon-fri 09:00-17:00"

[[sla]]
name = "standard"
priority = [1, 2, 3, 4, 5]
calendar = "ouvre"
first_response = "1h"
resolution = "4h"

[survey]
delay_hours = 0

[[admin]]
login = "claire"
password_hash = "{}"

[http]
listen = "127.0.0.1:{port}"
{http_extra}

[[rule]]
name = "reseau"
[rule.when]
subject = "(?i)vpn"
[rule.then]
group = "reseau"
assignee = "sarah.lee@example.test"

[[rule]]
name = "poste"
[rule.when]
subject = "(?i)imprimante"
[rule.then]
group = "poste"
assignee = "marc.dupont@example.test"
"#,
        hash(PASSWORD)
    ));
    activity(&mut desk);
    desk
}

/// Two weeks: printers and VPNs, answered, resolved, rated; some still open.
fn activity(desk: &mut Desk) {
    let mut n = 0;
    for day in 16..=27u32 {
        for (hour, from, subject) in [(8, ALICE, "Imprimante en panne"), (13, BOB, "VPN coupé")] {
            n += 1;
            desk.now = Some(format!("2026-11-{day:02}T{hour:02}:00:00Z"));
            let out = desk.ingest(&mail(from, subject, &format!("m{n}@example.test"), "", "Bonjour,\nà l'aide."));
            let t = as_i64(&out["ticket"]);
            if day % 3 == 0 {
                continue; // left open
            }
            let tech = if subject.starts_with('V') { SARAH } else { MARC };
            desk.now = Some(format!("2026-11-{day:02}T{:02}:30:00Z", hour + 1));
            let re = format!("RE: [Guichet #{t}] {subject}");
            desk.ingest(&mail(tech, &re, &format!("t{n}@example.test"), "", "#resolve\nC'est réglé."));
            desk.now = Some(format!("2026-11-{day:02}T{:02}:45:00Z", hour + 1));
            desk.ok(&["run", "--once"]);
            let survey = desk.queued("survey").into_iter().find(|m| m["ticket"] == t).unwrap();
            let mid = survey["message_id"].as_str().unwrap().to_string();
            let headers = format!("In-Reply-To: <{mid}>\r\n");
            let rating = 1 + (n % 5);
            desk.ingest(&mail(from, "RE: Votre avis", &format!("r{n}@example.test"), &headers, &rating.to_string()));
        }
    }
    desk.now = Some("2026-11-28T10:00:00Z".into());
}

fn cookie_of(r: &Reply) -> String {
    let set = r.header("set-cookie").unwrap_or_else(|| panic!("no cookie set: {} {}", r.status, r.body));
    set.split(';').next().unwrap().to_string()
}

#[test]
fn the_dashboard_is_refused_without_a_login_and_shown_with_one() {
    let port = free_port();
    let desk = desk(port, "");
    let _server = serve(&desk, port);

    let anonymous = send(port, "GET", "/dashboard", &[], None);
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.header("location").unwrap().starts_with("/login"));
    assert!(!anonymous.body.contains("<svg"), "nothing shown");
    let forged =
        send(port, "GET", "/dashboard", &["Cookie: guichet_session=636c61697265.9999999999.00ff".into()], None);
    assert_eq!(forged.status, 303, "a made-up session is refused");
    let proxy_header = send(port, "GET", "/dashboard", &["X-Remote-User: claire".into()], None);
    assert_eq!(proxy_header.status, 303, "no header is believed unless configured");

    let wrong = send(port, "POST", "/login", &[], Some("login=claire&password=devin%C3%A9"));
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("id=\"refused\"") && wrong.header("set-cookie").is_none());
    let nobody = send(port, "POST", "/login", &[], Some("login=mallory&password=x"));
    assert_eq!(nobody.status, 401);

    let form = format!("login=claire&password={}&lang=en", PASSWORD.replace(' ', "+"));
    let ok = send(port, "POST", "/login", &[], Some(&form));
    assert_eq!(ok.status, 303, "{}", ok.body);
    let set = ok.header("set-cookie").unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = format!("Cookie: {}", cookie_of(&ok));
    let page = send(port, "GET", "/dashboard?lang=en", std::slice::from_ref(&cookie), None);
    assert_eq!(page.status, 200);
    for id in ["trend", "backlog", "sla", "satisfaction", "hours"] {
        assert!(page.body.contains(&format!("<svg id=\"{id}\"")), "chart {id}");
    }
    assert!(page.body.contains("Dashboard") && page.body.contains("Tickets at risk of breach"));
    // Over the 30 days to Nov 28: 24 tickets opened, 16 resolved, 8 open.
    assert!(page.body.contains("<div class=\"tile\" id=\"kpi-opened\"><b>24</b>"), "{}", page.body);
    assert!(page.body.contains("<div class=\"tile\" id=\"kpi-resolved\"><b>16</b>"));
    assert!(page.body.contains("<div class=\"tile\" id=\"kpi-backlog\"><b>8</b>"));
    assert!(!page.body.contains("<script") && !page.body.contains("src=\"http"), "no script, no external asset");
    let fr = send(port, "GET", "/dashboard?lang=fr", std::slice::from_ref(&cookie), None);
    assert!(fr.body.contains("Tableau de bord") && fr.body.contains("Tickets en risque de dépassement"));
    let bad = send(port, "GET", "/dashboard?since=hier&lang=en", std::slice::from_ref(&cookie), None);
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("`hier` is not a date"), "{}", bad.body);

    let out = send(port, "POST", "/logout", std::slice::from_ref(&cookie), None);
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
}

#[test]
fn a_trusted_proxy_s_user_header_is_believed_only_from_its_address() {
    let port = free_port();
    let trusted = desk(port, "user_header = \"X-Remote-User\"\nuser_header_from = [\"127.0.0.1\"]");
    let server = serve(&trusted, port);
    let r = send(port, "GET", "/dashboard?lang=fr", &["X-Remote-User: jeanne".into()], None);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<b id=\"user\">jeanne</b>"));
    drop(server);

    let port = free_port();
    let elsewhere = desk(port, "user_header = \"X-Remote-User\"\nuser_header_from = [\"192.0.2.10\"]");
    let _server = serve(&elsewhere, port);
    let r = send(port, "GET", "/dashboard", &["X-Remote-User: jeanne".into()], None);
    assert_eq!(r.status, 303, "a header from another address is not believed");
}

#[test]
fn a_flood_of_sign_in_attempts_is_turned_away_instead_of_taking_every_core() {
    let port = free_port();
    // A costly hash (about a second a check in a debug build).
    let desk = Desk::with(&format!(
        "[[admin]]\nlogin = \"claire\"\npassword_hash = \"{}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
        web::password_hash(PASSWORD, 200_000)
    ));
    let _server = serve(&desk, port);
    let attempts: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                send(port, "POST", "/login", &[], Some(&format!("login=claire&password=guess{i}"))).status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = attempts.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort_unstable();
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(statuses.contains(&429), "the rest told to come back: {statuses:?}");
    let form = format!("login=claire&password={}", PASSWORD.replace(' ', "+"));
    assert_eq!(send(port, "POST", "/login", &[], Some(&form)).status, 303, "then the right password works");
}

#[test]
fn in_chromium_a_manager_signs_in_reads_the_charts_and_filters_by_group_on_a_phone() {
    let port = free_port();
    let desk = desk(port, "");
    let _server = serve(&desk, port);
    let base = format!("http://127.0.0.1:{port}");
    let phone = Browser::start(390, 844);

    phone.go(&format!("{base}/dashboard?lang=fr"));
    assert!(phone.url().contains("/login"), "sent to the login page: {}", phone.url());
    assert!(!phone.source().contains("<svg"), "no figure before signing in");
    phone.shot("dashboard-login.png");
    phone.type_into("#login", "claire");
    phone.type_into("#password", "pas le bon");
    phone.click("#signin");
    phone.wait_for("id=\"refused\""); // a wrong password is refused
    phone.type_into("#login", "claire");
    phone.type_into("#password", PASSWORD);
    phone.click("#signin");
    let page = phone.wait_for("id=\"user\"");
    assert!(phone.url().contains("/dashboard"), "{}", phone.url());
    for id in ["trend", "backlog", "sla", "satisfaction", "hours"] {
        assert!(page.contains(&format!("<svg id=\"{id}\"")), "chart {id} drawn");
    }
    assert_eq!(phone.text("#kpi-opened b"), "24");
    assert_eq!(phone.text("#user"), "claire");
    let fits = phone.script("return document.documentElement.scrollWidth <= window.innerWidth;");
    assert_eq!(fits, json!(true), "nothing wider than the phone's screen");
    let chart_width = phone.script("return document.getElementById('trend').getBoundingClientRect().width;");
    assert!(chart_width.as_f64().unwrap() > 300.0, "the trend fills the screen's width: {chart_width}");
    assert!(phone.shot("dashboard-phone.png") > 20_000, "the page is drawn");

    // The group filter: only the VPN tickets of `reseau`.
    phone.click("#group option[value=reseau]");
    phone.click("#apply");
    phone.wait_for("· reseau");
    assert!(phone.url().contains("group=reseau"), "{}", phone.url());
    assert_eq!(phone.text("#kpi-opened b"), "12");
    let selected = phone.script("return document.getElementById('group').value;");
    assert_eq!(selected, json!("reseau"));
    phone.shot("dashboard-phone-reseau.png");

    // The same page on a desktop screen, in English.
    let desktop = Browser::start(1280, 900);
    desktop.go(&format!("{base}/login?lang=en"));
    desktop.type_into("#login", "claire");
    desktop.type_into("#password", PASSWORD);
    desktop.click("#signin");
    desktop.wait_for("Tickets at risk of breach");
    // The whole page in one picture: the window as tall as the page.
    let height = desktop.script("return document.documentElement.scrollHeight;").as_u64().unwrap();
    desktop.call("POST", "/window/rect", Some(json!({ "width": 1280, "height": height + 140 })));
    assert!(desktop.shot("dashboard-desktop.png") > 20_000);
}
