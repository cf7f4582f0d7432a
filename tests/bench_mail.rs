//! The benchmark's generated mail (`scripts/bench-mail.py`) is the mix it
//! claims, and guichet takes every one of them in: a benchmark over mail
//! that went to quarantine would measure nothing.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::*;
use serde_json::Value;

#[test]
fn the_generated_benchmark_mail_is_stored_whole_and_mixed_as_announced() {
    let desk = Desk::new();
    let out = std::process::Command::new("python3")
        .arg(manifest_dir().join("scripts/bench-mail.py"))
        .arg(desk.path("maildir"))
        .arg("400")
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = files_in(&desk.path("maildir/new"));
    assert_eq!(files.len(), 400);
    let run = desk.run(&["run", "--once"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));

    let v: Value = serde_json::from_str(&desk.ok(&["status", "--json"])).unwrap();
    assert_eq!(v["quarantine_held"], 0, "{v:#}");
    let (tickets, articles) = (as_i64(&v["mail"]["ticket"]), as_i64(&v["mail"]["article"]));
    assert_eq!(tickets + articles, 400, "{v:#}");
    // 20 % replies and 1 % auto-replies thread onto earlier tickets.
    assert!((60..=110).contains(&articles), "{articles} threaded of 400");

    let list = desk.tickets();
    let french = list.iter().filter(|t| t["language"] == "fr").count();
    assert!((120..=220).contains(&french), "{french} French tickets of {}", list.len());
    let raw: Vec<String> =
        files.iter().map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned()).collect();
    let html = raw.iter().filter(|m| m.contains("Content-Type: text/html")).count();
    let attached = raw.iter().filter(|m| m.contains("Content-Disposition: attachment")).count();
    assert!((100..=170).contains(&html), "{html} with HTML of 400");
    assert!((8..=35).contains(&attached), "{attached} with an attachment of 400");
    let big = raw.iter().find(|m| m.contains("Content-Disposition: attachment")).unwrap();
    assert!(big.len() > 130_000, "a 100 KB attachment, base64: {} bytes", big.len());
}
