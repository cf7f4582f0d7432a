//! The trimmer measured on a corpus of real replies: every case is a body as
//! a mail client produced it and the text its author wrote now.
//!
//! - `tests/fixtures/replies/*.txt`: our own cases, one per file, input and
//!   expected text separated by a `=== kept ===` line (see the README there):
//!   Gmail, Outlook desktop and web, Apple Mail, Thunderbird, iOS and Android
//!   clients in English, French, German, Norwegian, Danish, Swedish, Spanish,
//!   Italian, Dutch, Portuguese, Polish and Japanese.
//! - `tests/fixtures/third_party/<source>/EXPECTED_kept/<path>`: the expected
//!   text for the copied fixture at `<source>/<path>` (github/email_reply_parser,
//!   mailgun/talon, crisp-oss/email-reply-parser); `.eml` files are reduced to
//!   their text/plain part and `.html` ones go through the HTML-to-text
//!   conversion first, as inbound mail does.
//!
//! Two properties are checked. The share of bodies trimmed to exactly the
//! expected text must stay at or above [`MIN_SHARE`]; a miss there may keep
//! too much. And on every body, without exception, each line of the expected
//! text must survive: keeping history is a nuisance, losing what the author
//! wrote is a lost request.

use std::path::{Path, PathBuf};

use super::tests::eml;
use super::trim_reply;

/// The share below which the trimmer is taken to have regressed.
const MIN_SHARE: f64 = 0.90;
/// Fewer cases than this means fixtures went missing, not that all is well.
const MIN_CASES: usize = 100;
const KEPT_SEPARATOR: &str = "=== kept ===";

struct Case {
    name: String,
    input: String,
    expected: String,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn own_cases() -> Vec<Case> {
    let dir = fixtures_dir().join("replies");
    files_under(&dir)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .map(|path| {
            let text = read(&path);
            let marker = format!("\n{KEPT_SEPARATOR}\n");
            let (input, expected) =
                text.split_once(&marker).unwrap_or_else(|| panic!("{}: no {KEPT_SEPARATOR} line", path.display()));
            Case {
                name: format!("replies/{}", path.strip_prefix(&dir).expect("under dir").display()),
                input: input.to_owned(),
                expected: expected.to_owned(),
            }
        })
        .collect()
}

fn third_party_cases() -> Vec<Case> {
    let root = fixtures_dir().join("third_party");
    let mut cases = Vec::new();
    for source in files_under_one_level(&root) {
        let expected_dir = source.join("EXPECTED_kept");
        for expected in files_under(&expected_dir) {
            let relative = expected.strip_prefix(&expected_dir).expect("under dir");
            let fixture = source.join(relative);
            let raw = read(&fixture);
            let input = match fixture.extension().and_then(|ext| ext.to_str()) {
                Some("eml") => eml::plain_text_part(&raw),
                Some("html") => crate::mail::html::to_text(&raw),
                _ => raw,
            };
            cases.push(Case {
                name: format!("{}", fixture.strip_prefix(&root).expect("under root").display()),
                input,
                expected: read(&expected),
            });
        }
    }
    cases
}

fn files_under_one_level(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn all_cases() -> Vec<Case> {
    let mut cases = own_cases();
    cases.extend(third_party_cases());
    assert!(cases.len() >= MIN_CASES, "only {} cases found under {}", cases.len(), fixtures_dir().display());
    cases
}

/// Trailing spaces and surrounding blank lines are not what a case is about.
fn normalized(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_owned()
}

#[test]
fn replies_are_trimmed_to_what_their_author_wrote_in_nine_cases_out_of_ten() {
    let cases = all_cases();
    let misses: Vec<&Case> =
        cases.iter().filter(|case| normalized(&trim_reply(&case.input)) != normalized(&case.expected)).collect();
    let trimmed = cases.len() - misses.len();
    let share = trimmed as f64 / cases.len() as f64;
    println!("trimmed as expected: {trimmed}/{} ({:.1}%)", cases.len(), share * 100.0);
    for case in &misses {
        println!("  miss: {}", case.name);
    }
    assert!(share >= MIN_SHARE, "share {:.1}% is below {:.0}%", share * 100.0, MIN_SHARE * 100.0);
}

#[test]
fn no_line_the_author_wrote_is_ever_dropped() {
    let mut lost = Vec::new();
    for case in all_cases() {
        let reply = normalized(&trim_reply(&case.input));
        let kept: Vec<&str> = reply.lines().collect();
        for line in normalized(&case.expected).lines().filter(|line| !line.trim().is_empty()) {
            if !kept.contains(&line) {
                lost.push(format!("{}: {line:?}", case.name));
            }
        }
    }
    assert!(lost.is_empty(), "lines of the author's text dropped:\n{}", lost.join("\n"));
}
