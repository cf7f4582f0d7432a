//! Reply trimming: from the plain-text body of an inbound e-mail, keep what
//! the author wrote now and drop the quoted history (`>` lines and their
//! "On ... wrote:" attribution, Outlook "Original Message" separators,
//! forwarded-message markers below new text and `From:`/`Sent:`/`To:`/
//! `Subject:` header blocks) and the signature ("-- " delimiter, "Sent from
//! my iPhone"-style lines, mailing-list footers). The patterns, in each
//! language, live in `patterns`. Text in, text out: no I/O.
//!
//! The rules lean towards keeping text: when in doubt a line stays, and a
//! body that would come out empty is returned whole.

mod patterns;

use patterns::{
    ATTRIBUTION, ATTRIBUTION_WITHOUT_COLON, DATED_ADDRESS_ATTRIBUTION, FORWARD_MARKER, GENERIC_ATTRIBUTION_HINT,
    HEADER_FIELD, HEADER_FROM, INLINE_HEADER_FIELD, LINK, LIST_FOOTER, MOBILE_SIGNATURE, ORIGINAL_MESSAGE, SEPARATOR,
    STRONG_ATTRIBUTION_HINT, TIME_OF_DAY, VERB_ATTRIBUTION, YEAR,
};

/// Clients wrap long attributions ("On ..., Name\n<address>\nwrote:").
const MAX_ATTRIBUTION_LINES: usize = 3;
/// Past this length a line starting with "On" and ending with "wrote:" is prose.
const MAX_ATTRIBUTION_CHARS: usize = 300;
/// Lines below a "From:" line in which the other header fields must appear.
const HEADER_LOOKAHEAD: usize = 8;
/// Fields besides "From:" that make a header block; one alone is too weak.
const MIN_HEADER_FIELDS: usize = 2;
/// A bare "--" is also a separator in prose; it only counts as a signature
/// delimiter when little follows it.
const MAX_LINES_AFTER_BARE_DASHES: usize = 10;
/// "Sent from my iPhone" in the middle of a mail is something the user wrote.
const MOBILE_SIGNATURE_WINDOW: usize = 3;
/// Mobile signature lines are short; long ones are sentences.
const MAX_MOBILE_SIGNATURE_CHARS: usize = 80;
/// A mailing-list footer is a rule, the list's name and a few lines of links.
const MAX_LIST_FOOTER_LINES: usize = 4;

/// Result of splitting a reply: what the author wrote now, without quoted history and signature.
///
/// Line endings come out as `\n`. When nothing would be left (the mail is
/// only a quote, or starts with a quote header), the whole body is returned,
/// trimmed: losing a mail is worse than showing its history. A mail that
/// starts with a forwarded-message marker is returned whole, since what is
/// forwarded is the request.
#[must_use]
pub fn trim_reply(text: &str) -> String {
    match new_text(text) {
        Some(reply) => reply,
        None => normalize(text).trim().to_owned(),
    }
}

/// What the author wrote now, or `None` when nothing is left once quoted
/// history and signature are gone. This is what may be sent on to someone
/// else: the history a technician quotes is a notice meant for them alone.
#[must_use]
pub fn new_text(text: &str) -> Option<String> {
    let normalized = normalize(text);
    let lines: Vec<&str> = normalized.lines().collect();
    if starts_with_forward(&lines) {
        let whole = normalized.trim();
        return (!whole.is_empty()).then(|| whole.to_owned());
    }
    let history = history_start(&lines).unwrap_or(lines.len());
    let reply = join(&drop_signature(drop_quoted(&lines[..history])));
    (!reply.is_empty()).then_some(reply)
}

/// `text` without the lines it shares with `notices` (mail we sent to
/// technicians): history a mail client pasted without `>` or a header
/// block, that the trimmer could not tell from new words. Short lines
/// ("Bonjour,", "Merci") are words anyone writes and stay.
#[must_use]
pub fn without_lines_of(text: &str, notices: &[String]) -> String {
    const MIN_CHARS: usize = 16;
    let key = |line: &str| line.trim_start_matches(|c: char| c == '>' || c.is_whitespace()).trim().to_lowercase();
    let known: std::collections::HashSet<String> =
        notices.iter().flat_map(|n| n.lines().map(key)).filter(|l| l.chars().count() >= MIN_CHARS).collect();
    if known.is_empty() {
        return text.to_string();
    }
    let kept: Vec<&str> = text.lines().filter(|line| !known.contains(&key(line))).collect();
    let mut out: Vec<&str> = Vec::with_capacity(kept.len());
    for line in kept {
        // Two blank lines where a block was taken out read as one.
        if is_blank(line) && out.last().is_none_or(|l| is_blank(l)) {
            continue;
        }
        out.push(line);
    }
    join(&out)
}

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn starts_with_forward(lines: &[&str]) -> bool {
    lines.iter().find(|line| !is_blank(line)).is_some_and(|line| FORWARD_MARKER.is_match(line))
}

/// Index of the first line of unquoted history, where everything below is old
/// mail (Outlook and webmails do not prefix it with `>`).
fn history_start(lines: &[&str]) -> Option<usize> {
    let start = (0..lines.len()).find(|&i| starts_history(lines, i))?;
    Some(extend_upwards(lines, start))
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if is_blank(line) || is_quoted(line) {
        return false;
    }
    ORIGINAL_MESSAGE.is_match(line)
        || FORWARD_MARKER.is_match(line)
        || is_header_block(lines, i)
        || is_unquoted_attribution(lines, i)
}

/// Outlook puts "From:" first; Hotmail and Thunderbird put "Date:" and
/// "Subject:" above it, so fields are counted on both sides, and on the
/// "From:" line itself when a conversion ran them together.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    if !HEADER_FROM.is_match(lines[i]) {
        return false;
    }
    let is_field = |line: &&&str| HEADER_FIELD.is_match(line);
    let below =
        lines[i + 1..].iter().take(HEADER_LOOKAHEAD).take_while(|line| !is_blank(line)).filter(is_field).count();
    let above = lines[..i].iter().rev().take(HEADER_LOOKAHEAD).take_while(is_field).count();
    let inline = INLINE_HEADER_FIELD.find_iter(lines[i]).count();
    below + above + inline >= MIN_HEADER_FIELDS
}

/// An attribution followed by a `>` quote is left to `drop_quoted`, which
/// keeps any new text written between quotes.
fn is_unquoted_attribution(lines: &[&str], i: usize) -> bool {
    (1..=MAX_ATTRIBUTION_LINES)
        .find_map(|len| {
            let joined = joined(lines.get(i..i + len)?)?;
            let strong = (ATTRIBUTION.is_match(&joined) && STRONG_ATTRIBUTION_HINT.is_match(&joined))
                || is_attribution_without_keyword(&joined);
            strong.then_some(i + len)
        })
        .is_some_and(|end| !next_non_blank_is_quoted(lines, end))
}

/// Attributions recognised by their verb or address rather than by their
/// opening word; they must be dated, which prose rarely is.
fn is_attribution_without_keyword(joined: &str) -> bool {
    let dated = YEAR.is_match(joined) || TIME_OF_DAY.is_match(joined);
    ATTRIBUTION_WITHOUT_COLON.is_match(joined)
        || (VERB_ATTRIBUTION.is_match(joined) && dated)
        || (DATED_ADDRESS_ATTRIBUTION.is_match(joined) && YEAR.is_match(joined) && TIME_OF_DAY.is_match(joined))
}

fn next_non_blank_is_quoted(lines: &[&str], from: usize) -> bool {
    lines.get(from..).and_then(|rest| rest.iter().find(|line| !is_blank(line))).is_some_and(|line| is_quoted(line))
}

/// The separator rule and blank lines above a header block belong to the
/// history; so do header fields some clients put above "From:".
fn extend_upwards(lines: &[&str], start: usize) -> usize {
    let mut cut = start;
    while cut > 0 {
        let above = lines[cut - 1];
        let in_header = HEADER_FROM.is_match(lines[cut]) || HEADER_FIELD.is_match(lines[cut]);
        if is_blank(above) || SEPARATOR.is_match(above) || (in_header && HEADER_FIELD.is_match(above)) {
            cut -= 1;
        } else {
            break;
        }
    }
    cut
}

/// The lines of one wrapped attribution, joined; `None` when they cannot be one.
fn joined(lines: &[&str]) -> Option<String> {
    if lines.iter().any(|line| is_blank(line) || is_quoted(line)) {
        return None;
    }
    let joined = lines.iter().map(|line| line.trim()).collect::<Vec<_>>().join(" ");
    (joined.chars().count() <= MAX_ATTRIBUTION_CHARS).then_some(joined)
}

/// Removes `>` lines wherever they are, so that new text written between
/// quotes (inline replies) survives, and collapses the blank lines left
/// around each removed block into one.
fn drop_quoted<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut kept: Vec<&'a str> = Vec::with_capacity(lines.len());
    let mut after_removal = false;
    for &line in lines {
        if is_quoted(line) {
            if !after_removal {
                drop_attribution(&mut kept);
            }
            after_removal = true;
            continue;
        }
        if after_removal {
            if is_blank(line) {
                continue;
            }
            while kept.last().is_some_and(|last| is_blank(last)) {
                kept.pop();
            }
            if !kept.is_empty() {
                kept.push("");
            }
            after_removal = false;
        }
        kept.push(line);
    }
    kept
}

/// Drops the attribution right above a quote about to be removed. The
/// surest patterns are tried first, over every wrapped length, so that a
/// wrapped "On ...\n<a@b> wrote:" is taken whole rather than just its
/// address line.
fn drop_attribution(kept: &mut Vec<&str>) {
    let end = kept.iter().rposition(|line| !is_blank(line)).map_or(0, |last| last + 1);
    let candidates =
        || (1..=MAX_ATTRIBUTION_LINES.min(end)).filter_map(|len| Some((len, joined(&kept[end - len..end])?)));
    let len = candidates()
        .find(|(_, joined)| ATTRIBUTION.is_match(joined) || ATTRIBUTION_WITHOUT_COLON.is_match(joined))
        .or_else(|| candidates().find(|(_, joined)| is_attribution_without_keyword(joined)))
        .or_else(|| {
            candidates().find(|(_, joined)| {
                joined.ends_with(':') && joined.contains('@') && GENERIC_ATTRIBUTION_HINT.is_match(joined)
            })
        })
        .map(|(len, _)| len);
    if let Some(len) = len {
        kept.truncate(end - len);
    }
}

fn drop_signature(mut lines: Vec<&str>) -> Vec<&str> {
    if let Some(delimiter) = signature_delimiter(&lines) {
        lines.truncate(delimiter);
    }
    if let Some(mobile) = mobile_signature(&lines) {
        lines.truncate(mobile);
    }
    if let Some(footer) = list_footer(&lines) {
        lines.truncate(footer);
    }
    lines
}

/// The rule above "<list> mailing list" and the few lines below it.
fn list_footer(lines: &[&str]) -> Option<usize> {
    let rule = lines.iter().rposition(|line| SEPARATOR.is_match(line))?;
    let mut below = lines[rule + 1..].iter().filter(|line| !is_blank(line));
    let names_a_list = below.next().is_some_and(|line| LIST_FOOTER.is_match(line));
    (names_a_list && below.count() < MAX_LIST_FOOTER_LINES).then_some(rule)
}

fn signature_delimiter(lines: &[&str]) -> Option<usize> {
    lines.iter().enumerate().find_map(|(i, line)| {
        if line.trim_end() != "--" || line.starts_with(char::is_whitespace) {
            return None;
        }
        let standard = line.starts_with("-- ");
        let following = lines[i + 1..].iter().filter(|line| !is_blank(line)).count();
        (standard || following <= MAX_LINES_AFTER_BARE_DASHES).then_some(i)
    })
}

fn mobile_signature(lines: &[&str]) -> Option<usize> {
    lines
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, line)| !is_blank(line))
        .take(MOBILE_SIGNATURE_WINDOW)
        .filter(|(_, line)| {
            let line = LINK.replace_all(line, "");
            let line = line.trim();
            line.chars().count() <= MAX_MOBILE_SIGNATURE_CHARS && MOBILE_SIGNATURE.is_match(line)
        })
        .map(|(i, _)| i)
        .last()
}

fn join(lines: &[&str]) -> String {
    let first = lines.iter().position(|line| !is_blank(line)).unwrap_or(lines.len());
    lines[first..].join("\n").trim_end().to_owned()
}

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;
