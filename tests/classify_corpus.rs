//! Automatic-mail classification over real corpora (copied under
//! tests/fixtures/third_party, see the SOURCE.md files there):
//!
//! * sisimai/set-of-emails: ~600 real bounces, auto-replies and ARF reports
//!   with the reasons sisimai's own tests expect, plus `maildir/not` (mail
//!   that is not a bounce);
//! * stalwartlabs/mail-parser test mails (RFC samples and malformed input):
//!   building facts and classifying must never panic.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use guichet::domain::classify::{classify, Classification, MailKind, OwnMarkers};
use guichet::mail::facts::MailFacts;
use mail_parser::MessageParser;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/third_party")
}

/// Markers that match nothing in the corpora: none of it is ours.
fn own() -> OwnMarkers {
    OwnMarkers {
        loop_values: vec!["guichet support@guichet.invalid".to_owned()],
        message_id_domains: vec!["guichet.invalid".to_owned()],
        addresses: vec!["support@guichet.invalid".to_owned()],
    }
}

fn classify_bytes(raw: &[u8]) -> Classification {
    match MessageParser::default().parse(raw) {
        Some(msg) => classify(&MailFacts::from_message(&msg), &own()),
        None => Classification { kind: MailKind::Human, reason: "unparsable".to_owned() },
    }
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

/// What sisimai's expected reasons say guichet should see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Bounce,
    /// Successful delivery report: Bounce is the right answer too.
    Delivered,
    Vacation,
    Feedback,
}

impl Expect {
    fn from_reasons(reasons: &[String]) -> Expect {
        if reasons.iter().all(|r| r == "vacation") {
            Expect::Vacation
        } else if reasons.iter().all(|r| r == "feedback") {
            Expect::Feedback
        } else if reasons.iter().all(|r| r == "delivered") {
            Expect::Delivered
        } else {
            Expect::Bounce
        }
    }

    fn is_met_by(self, kind: MailKind) -> bool {
        match self {
            Expect::Bounce | Expect::Delivered => kind == MailKind::Bounce,
            Expect::Vacation => kind == MailKind::AutoReply,
            Expect::Feedback => kind == MailKind::Feedback,
        }
    }
}

/// `maildir/bsd/<name>.eml` -> expectation, from EXPECTED_from_sisimai_tests.json.
fn expectations() -> BTreeMap<String, Expect> {
    let path = fixtures().join("sisimai/EXPECTED_from_sisimai_tests.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let entries = json["expected"].as_object().expect("expected: object");
    entries
        .iter()
        .map(|(key, entry)| {
            let reasons: Vec<String> = entry["recipients"]
                .as_array()
                .expect("recipients: array")
                .iter()
                .map(|r| r["reason"].as_str().expect("reason: string").to_owned())
                .collect();
            (key.clone(), Expect::from_reasons(&reasons))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    total: usize,
    met: usize,
    automatic: usize,
    misses: Vec<String>,
}

impl Tally {
    fn share(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.met as f64 / self.total as f64
        }
    }

    fn report(&self, label: &str) {
        eprintln!(
            "{label}: {}/{} recognised ({:.1} %), {} automatic",
            self.met,
            self.total,
            100.0 * self.share(),
            self.automatic
        );
        for m in &self.misses {
            eprintln!("    miss {m}");
        }
    }
}

/// Runs the expectations of `maildir/bsd` over one of the newline variants
/// (`bsd` LF, `dos` CRLF, `mac` CR), by file name.
fn run_variant(
    variant: &str,
    label: &str,
    expected: &BTreeMap<String, Expect>,
    fix: impl Fn(Vec<u8>) -> Vec<u8>,
) -> BTreeMap<&'static str, Tally> {
    let root = fixtures().join("sisimai");
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for (key, expect) in expected {
        let Some(name) = key.strip_prefix("maildir/bsd/") else {
            continue;
        };
        let path = root.join("maildir").join(variant).join(name);
        let Ok(raw) = fs::read(&path) else {
            continue; // dos/ and mac/ hold a subset of bsd/
        };
        let c = classify_bytes(&fix(raw));
        let kind_label = match expect {
            Expect::Bounce | Expect::Delivered => "bounce",
            Expect::Vacation => "vacation",
            Expect::Feedback => "feedback",
        };
        let t = tallies.entry(kind_label).or_default();
        t.total += 1;
        if c.kind.is_automatic() {
            t.automatic += 1;
        }
        if expect.is_met_by(c.kind) {
            t.met += 1;
        } else {
            t.misses.push(format!("{variant}/{name}: expected {expect:?}, got {:?} ({})", c.kind, c.reason));
        }
    }
    for (kind_label, t) in &tallies {
        t.report(&format!("sisimai {label} {kind_label}"));
    }
    tallies
}

#[test]
fn sisimai_bounces_auto_replies_and_reports_are_recognised() {
    let expected = expectations();
    assert!(expected.len() > 500, "expectations loaded: {}", expected.len());

    let bsd = run_variant("bsd", "bsd", &expected, |raw| raw);
    let bounce = &bsd["bounce"];
    assert!(bounce.total > 500);
    assert!(bounce.share() >= 0.95, "bounces recognised: {:.3}", bounce.share());
    // Vacation notices and feedback reports: few samples (5 and 18), so
    // looser bars; see the report for the misses.
    let vacation = &bsd["vacation"];
    assert_eq!(vacation.met, vacation.total, "vacation notices recognised");
    let feedback = &bsd["feedback"];
    assert!(feedback.share() >= 0.85, "feedback: {:.3}", feedback.share());
    assert!(feedback.automatic as f64 / feedback.total as f64 >= 0.9);

    // The CRLF copies are what SMTP actually delivers: same bar.
    let dos = run_variant("dos", "dos", &expected, |raw| raw);
    assert!(dos["bounce"].share() >= 0.95);
    // CR-only line ends never arrive over SMTP, and mail-parser splits
    // lines on LF only (as is, 0 of these mails parse to any header), so we
    // normalise them as a local delivery agent would.
    let mac = run_variant("mac", "mac (CR -> LF)", &expected, |raw| {
        raw.into_iter().map(|b| if b == b'\r' { b'\n' } else { b }).collect()
    });
    assert!(mac["bounce"].share() >= 0.95);
}

#[test]
fn sisimai_unlabelled_bounces_are_automatic() {
    // err/ (mbox-0 divided), tmp/, the bsd files sisimai has no expectation
    // for, and the mbox files: all bounces, no expectation per message.
    let root = fixtures().join("sisimai");
    let expected = expectations();
    let mut raws: Vec<(String, Vec<u8>)> = Vec::new();
    for dir in ["err", "tmp", "bsd"] {
        for path in eml_files(&root.join("maildir").join(dir)) {
            let key = format!("maildir/{dir}/{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
            if dir == "bsd" && expected.contains_key(&key) {
                continue;
            }
            raws.push((key, fs::read(&path).expect("readable")));
        }
    }
    for name in ["mbox-0", "mbox-1", "size-0", "size-1", "size-2"] {
        let file = fs::File::open(root.join("mailbox").join(name)).expect("mbox");
        let iter = mail_parser::mailbox::mbox::MessageIterator::new(std::io::BufReader::new(file));
        for (i, m) in iter.enumerate() {
            let m = m.expect("mbox readable");
            raws.push((format!("mailbox/{name}#{i}"), m.unwrap_contents()));
        }
    }
    let mut t = Tally::default();
    for (key, raw) in &raws {
        let c = classify_bytes(raw);
        t.total += 1;
        if c.kind == MailKind::Bounce {
            t.met += 1;
        } else {
            t.misses.push(format!("{key}: {:?} ({})", c.kind, c.reason));
        }
        if c.kind.is_automatic() {
            t.automatic += 1;
        }
    }
    t.report("sisimai unlabelled (err/, tmp/, bsd without expectation, mailbox/) taken for Bounce");
    assert!(t.total > 50);
    assert!(t.automatic as f64 / t.total as f64 >= 0.9);
}

#[test]
fn sisimai_mail_that_is_not_a_bounce_is_not_taken_for_one() {
    let files = eml_files(&fixtures().join("sisimai/maildir/not"));
    assert!(!files.is_empty());
    let mut bounces = 0;
    let mut humans = 0;
    for path in &files {
        let c = classify_bytes(&fs::read(path).expect("readable"));
        eprintln!(
            "sisimai not/{}: {:?} ({})",
            path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            c.kind,
            c.reason
        );
        match c.kind {
            MailKind::Bounce => bounces += 1,
            MailKind::Human => humans += 1,
            _ => {}
        }
    }
    eprintln!("sisimai not/: {bounces}/{} taken for bounces, {humans} human", files.len());
    // THRESHOLD, chosen from the real result: at most one mail of not/ may
    // be taken for a bounce, and every other one must be Human. not/ holds
    // two mails written by people (a plain text and one with a message
    // attached) and one notice from a postmaster, sent with
    // `Return-Path: <>` and `Auto-Submitted: auto-replied`, saying that "an
    // email you sent was rejected" (mailbox full). sisimai keeps it in not/
    // as a parser regression sample (rb-sisimai issue 368); for guichet it
    // is a bounce, which must never be answered. Two people's mails must
    // never be lost to the classifier: 0 false positives among them.
    assert!(bounces <= 1, "bounces in not/: {bounces}");
    assert!(humans + 1 >= files.len(), "humans: {humans}/{}", files.len());
}

#[test]
fn stalwart_corpus_never_panics_facts_or_classification() {
    let root = fixtures().join("stalwart/resources/eml");
    let mut stack = vec![root];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "eml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 40, "stalwart mails: {}", files.len());

    let mut kinds: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut panics = Vec::new();
    for path in &files {
        let raw = fs::read(path).expect("readable");
        let outcome = std::panic::catch_unwind(|| {
            // The raw bytes, and every prefix cut at a line end: truncated
            // headers and MIME trees.
            let mut last = classify_bytes(&raw);
            for (i, _) in raw.iter().enumerate().filter(|(_, b)| **b == b'\n').take(200) {
                last = classify_bytes(&raw[..i]);
            }
            let _ = last;
            classify_bytes(&raw)
        });
        let name = path.strip_prefix(fixtures()).unwrap_or(path).display().to_string();
        match outcome {
            Ok(c) => kinds.entry(format!("{:?}", c.kind)).or_default().push(format!("{name} ({})", c.reason)),
            Err(_) => panics.push(name),
        }
    }
    for (kind, names) in &kinds {
        eprintln!("stalwart {kind}: {}", names.len());
        if kind != "Human" {
            for n in names {
                eprintln!("    {n}");
            }
        }
    }
    assert!(panics.is_empty(), "panicked on: {panics:?}");
}

/// Per message: whether sisimai calls every bounced recipient a hard
/// bounce, or none of them (mixed messages are left out).
fn hardness() -> BTreeMap<String, bool> {
    let path = fixtures().join("sisimai/EXPECTED_from_sisimai_tests.json");
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).expect("read")).expect("JSON");
    let mut out = BTreeMap::new();
    for (key, entry) in json["expected"].as_object().expect("object") {
        let recipients = entry["recipients"].as_array().expect("recipients");
        let bounces: Vec<&serde_json::Value> = recipients
            .iter()
            .filter(|r| !["vacation", "feedback", "delivered"].contains(&r["reason"].as_str().unwrap_or_default()))
            .collect();
        if bounces.is_empty() || bounces.len() != recipients.len() {
            continue;
        }
        let hard: Vec<bool> = bounces.iter().map(|r| r["hardbounce"].as_bool().unwrap_or(false)).collect();
        if hard.iter().all(|h| *h) {
            out.insert(key.clone(), true);
        } else if hard.iter().all(|h| !*h) {
            out.insert(key.clone(), false);
        }
    }
    out
}

#[test]
fn sisimai_failed_recipients_are_read_from_the_reports() {
    let root = fixtures().join("sisimai");
    let (mut hard, mut hard_found, mut soft, mut soft_marked, mut unreadable) = (0, 0, 0, 0, 0);
    for (key, is_hard) in hardness() {
        let Ok(raw) = fs::read(root.join(&key)) else { continue };
        let Ok(mail) = guichet::mail::inbound::InboundMail::parse(&raw) else {
            unreadable += 1;
            continue;
        };
        let permanent = mail.report.failures.iter().any(|f| f.bad_address);
        if is_hard {
            hard += 1;
            hard_found += usize::from(permanent);
        } else {
            soft += 1;
            soft_marked += usize::from(permanent);
        }
    }
    let share = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    eprintln!(
        "hard bounces whose address is read as bad: {hard_found}/{hard} ({:.1} %); \
         soft bounces wrongly read so: {soft_marked}/{soft} ({:.1} %); unparsable {unreadable}",
        share(hard_found, hard),
        share(soft_marked, soft)
    );
    assert!(hard >= 100 && soft >= 50, "the corpus is there: {hard} hard, {soft} soft");
    // A standard report (RFC 3464, or Exim's header) names the recipient;
    // the many vendor formats that only say it in prose are not read, so
    // their address is not marked: the safe side.
    assert!(share(hard_found, hard) >= 45.0, "{hard_found}/{hard}");
    assert!(share(soft_marked, soft) <= 10.0, "{soft_marked}/{soft}");
}
