//! The shape of the log lines on stderr: readable text by default, one
//! JSON object per line with `--log-format json` or
//! `GUICHET_LOG_FORMAT=json`, for log shippers.

mod common;

use std::process::Output;

use common::*;
use serde_json::Value;

/// A desk with one mail waiting in its maildir.
fn desk_with_a_mail() -> Desk {
    let desk = Desk::new();
    desk.deliver(
        "1.eml",
        &mail("alice@example.test", "Imprimante en panne", "a1@example.test", "", "Elle ne répond plus."),
    );
    desk
}

fn run_once(desk: &Desk, flags: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args: Vec<&str> = flags.to_vec();
    args.extend(["run", "--once"]);
    let mut cmd = desk.command(&args);
    cmd.env("GUICHET_LOG", "info").env_remove("GUICHET_LOG_FORMAT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run guichet");
    assert!(out.status.success(), "run --once failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Every stderr line as a JSON object; fails on a line that is not one.
fn json_lines(stderr: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(stderr);
    assert!(!text.trim().is_empty(), "no log line at all");
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert!(v.is_object(), "not an object: {line}");
            v
        })
        .collect()
}

fn assert_mail_stored_record(lines: &[Value]) {
    let stored = lines
        .iter()
        .find(|l| l["fields"]["message"] == "mail stored")
        .unwrap_or_else(|| panic!("no `mail stored` record in {lines:?}"));
    assert_eq!(stored["level"], "INFO");
    assert_eq!(stored["fields"]["imap.mailbox"], "support");
    assert_eq!(stored["fields"]["outcome"], "new tickets");
    assert!(stored["target"].as_str().is_some_and(|t| t.starts_with("guichet")), "{stored}");
    let at = stored["timestamp"].as_str().expect("a timestamp");
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "timestamp `{at}` is not RFC 3339");
}

#[test]
fn log_format_json_writes_one_object_per_line_with_level_message_and_fields() {
    let desk = desk_with_a_mail();
    let out = run_once(&desk, &["--log-format", "json"], &[]);
    assert_mail_stored_record(&json_lines(&out.stderr));
    // Data stays on stdout, apart from the logs.
    assert!(String::from_utf8_lossy(&out.stdout).contains("new tickets"));
}

#[test]
fn guichet_log_format_variable_turns_on_json_logs() {
    let desk = desk_with_a_mail();
    let out = run_once(&desk, &[], &[("GUICHET_LOG_FORMAT", "json")]);
    assert_mail_stored_record(&json_lines(&out.stderr));
}

#[test]
fn logs_stay_readable_text_by_default() {
    let desk = desk_with_a_mail();
    let out = run_once(&desk, &[], &[]);
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().find(|l| l.contains("mail stored")).unwrap_or_else(|| panic!("no log line in {text}"));
    assert!(line.contains("INFO"), "{line}");
    assert!(serde_json::from_str::<Value>(line).is_err(), "a JSON line by default: {line}");
    // Not a terminal (a pipe, the journal): no colour escapes in the text.
    assert!(!text.contains('\u{1b}'), "escape codes in logs written to a pipe: {text:?}");
    assert!(line.contains("outcome=\"new tickets\""), "{line}");
}

#[test]
fn a_failure_in_json_mode_is_a_json_error_record_with_its_exit_code() {
    let desk = Desk::with_config("[database]\nurl = \"mysql://x\"\n");
    let out = desk.command(&["--log-format", "json", "status"]).output().expect("run guichet");
    assert_eq!(out.status.code(), Some(78));
    let lines = json_lines(&out.stderr);
    let last = lines.last().expect("a record");
    assert_eq!(last["level"], "ERROR");
    assert_eq!(last["fields"]["exit_code"], 78);
    assert!(last["fields"]["message"].as_str().is_some_and(|m| m.contains("database.url")), "{last}");
}

#[test]
fn an_unknown_log_format_is_a_usage_error_naming_the_flag() {
    let desk = Desk::new();
    let out = desk.command(&["--log-format", "xml", "status"]).output().expect("run guichet");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("--log-format") && text.contains("text, json"), "{text}");

    let out = desk.command(&["status"]).env("GUICHET_LOG_FORMAT", "yaml").output().expect("run guichet");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
