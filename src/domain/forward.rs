//! Inline forwards: a technician forwards a user's mail to the desk, and the
//! user's message sits in the body below a marker line ("---------- Forwarded
//! message ---------", "Début du message réexpédié :", Outlook's rule) and a
//! header block (`From:`/`De :`, `Date:`/`Envoyé :`, `To:`/`À :`,
//! `Subject:`/`Objet :`). This module finds that block and reads the original
//! sender, subject, date, recipients and text from it; it also reads forward
//! prefixes on subjects. Text in, values out: no I/O.
//!
//! Only the text is read, so a reply under which Outlook pasted the header
//! block of the mail answered looks like a forward here: callers ask about
//! mail that is one, by its subject ([`is_forward_subject`]) or its marker.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::is_address;
use super::threading::FORWARD_PREFIXES;

/// Blank lines clients leave between the marker and the header block: Apple
/// Mail leaves one, HTML made text may leave another.
const MAX_BLANKS_AFTER_MARKER: usize = 2;
/// Lines a header block may take, continuation lines included; a long list of
/// recipients wraps, but past this the lines are text that looks like fields.
const MAX_HEADER_LINES: usize = 16;
/// Blank lines a header block may hold between two of its fields.
const MAX_BLANKS_IN_BLOCK: usize = 2;
/// After a marker, fields besides "From:" (date, to, subject) that confirm
/// the block: every client writes at least two, one is enough with a marker.
const MIN_FIELDS_AFTER_MARKER: usize = 1;
/// Without a marker (Outlook), what stands for one is the shape of the block:
/// "From:" then two more of date, to and subject. One alone is too weak:
/// "From: the accounts team\nTo: everyone" is something people write.
const MIN_FIELDS_WITHOUT_MARKER: usize = 2;

/// An inline forward found in a mail's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// What the forwarder wrote above the forwarded message, trimmed (may be empty).
    pub preface: String,
    /// The original sender, as written in the forwarded header block; `None`
    /// when its "From:" line holds no address (Exchange may write a name alone).
    pub from: Option<Sender>,
    /// As written: prefixes like "Fwd:" or "TR:" are left in place.
    pub subject: Option<String>,
    /// As written: clients write dates in their user's language.
    pub date: Option<String>,
    /// The addresses of the forwarded message's recipients, as written (names
    /// without an address are left out).
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// The original message's text, below its header block, without the blank
    /// lines around it. Older history quoted in it stays.
    pub body: String,
}

/// The sender named on a forwarded header block's "From:" line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The display name, without quotes or emphasis marks; `None` when only
    /// the address is written.
    pub name: Option<String>,
    pub address: String,
}

/// Lines that announce a forwarded message: Gmail and Thunderbird's dashed
/// titles, Outlook's "Original Message" (which it also draws above forwards),
/// Apple Mail's "Begin forwarded message:" (Sparrow's without "Begin"), the rule Outlook's web and
/// HTML versions draw; in English, French, German, Spanish, Italian and Dutch.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:
            -{2,}\s*(?:
                forwarded\ message | message\ transféré | message\ transmis
              | weitergeleitete\ nachricht | mensaje\ reenviado | messaggio\ inoltrato | doorgestuurd\ bericht
              | original\ message | message\ d['’]origine | ursprüngliche\ nachricht | mensaje\ original
              | messaggio\ originale | oorspronkelijk\ bericht
            )\s*-*
          | (?:
                (?:begin\ )?forwarded\ message | début\ du\ message\ (?:réexpédié|transféré)
              | anfang\ der\ weitergeleiteten\ nachricht | inicio\ del\ mensaje\ reenviado
              | inizio\ messaggio\ inoltrato | begin\ doorgestuurd\ bericht
            )\s*:
          | _{16,}
        )\s*$",
    )
    .expect("valid regex")
});

/// A rule some clients draw above a header block without saying what follows.
static RULE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*[-_=]{4,}\s*$").expect("valid regex"));

/// A header field: `\s` before the colon covers the French no-break spaces
/// (U+00A0, U+202F); the stars are what HTML made text leaves of bold names
/// (`*From:*`); Thunderbird puts a tab after the colon.
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*\*?\s*(
            from | de | von | van | da
          | sent | envoyé | gesendet | enviado(?:\s+el)? | verzonden | inviato | date | datum | fecha | data
          | to | à | a | pour | an | para | aan
          | cc | cci | bcc | copie\s+à | kopie
          | subject | objet | sujet | betreff | asunto | oggetto | onderwerp
          | reply-to | répondre\s+à | antwort\s+an | responder\s+a | rispondi\s+a | antwoord\s+aan
          | importance | priorité | wichtigkeit | attachments | pièces\s+jointes | anlagen
        )\s*\*?\s*:\*?\s*(.*)$",
    )
    .expect("valid regex")
});

/// An address as clients write it in a header block: inside `<…>`, after
/// `mailto:`, or bare; the class stops at what surrounds it.
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"[^\s<>\[\]()"',;:*]+@[^\s<>\[\]()"',;:*]+"#).expect("valid regex"));

/// One forward prefix; `[2]` is the count some clients add ("Fwd[2]:").
static FORWARD_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^\s*(?:{FORWARD_PREFIXES})\s*(?:\[\d+\])?\s*:\s*")).expect("valid regex")
});

/// Old clients wrap the forwarded subject: "[Fwd: Printer]".
static BRACKETED_FORWARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^\s*\[\s*(?:{FORWARD_PREFIXES})\s*:\s*(.*?)\s*\]\s*$")).expect("valid regex")
});

/// Italian Outlook's "I:", written in capitals only.
static ITALIAN_FORWARD_PREFIX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*I\s*:\s*").expect("valid regex"));

/// What follows a drive letter ("I: drive is full", "I:\partage"): then "I:"
/// is the user's words, not a prefix.
static DRIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[\\/]|(?:drive|lecteur|disque|laufwerk|unidad|unità|schijf|station)\b)").expect("valid regex")
});

/// The first (outermost) forward in `text`, or `None` when there is none.
///
/// A forward is a marker line followed, within a few blank lines, by a header
/// block with a "From:" line; or, without a marker, a block that starts with
/// "From:" and has two more of date, to and subject. Fields quoted with `>`
/// are history, not a forward, unless a marker right above them says they are
/// forwarded (old Apple Mail): then the body is that quote, unquoted once.
/// Line endings come out as `\n`.
#[must_use]
pub fn inline(text: &str) -> Option<Forwarded> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    (0..lines.len()).find_map(|i| forward_at(&lines, i))
}

/// The subject without the forward prefixes in front of it ("TR: Fwd: x" →
/// "x"); reply prefixes stop it, since "TR: RE: x" forwards a mail whose
/// subject was "RE: x".
#[must_use]
pub fn strip_forward_prefix(subject: &str) -> &str {
    let mut s = subject;
    while let Some(rest) = without_one_prefix(s) {
        s = rest;
    }
    s.trim()
}

/// Whether the subject says the mail is a forward: it begins with a forward
/// prefix. "RE: TR: x" is a reply to a forward, not one.
#[must_use]
pub fn is_forward_subject(subject: &str) -> bool {
    without_one_prefix(subject).is_some()
}

fn without_one_prefix(s: &str) -> Option<&str> {
    if let Some(m) = FORWARD_PREFIX.find(s) {
        return Some(&s[m.end()..]);
    }
    if let Some(inner) = BRACKETED_FORWARD.captures(s).and_then(|c| c.get(1)) {
        return Some(inner.as_str());
    }
    let m = ITALIAN_FORWARD_PREFIX.find(s)?;
    let rest = &s[m.end()..];
    (!DRIVE.is_match(rest)).then_some(rest)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    From,
    Date,
    To,
    Cc,
    Subject,
    /// Fields some clients add to the block (Reply-To, Importance…), read past.
    Other,
}

fn field(line: &str) -> Option<(Field, &str)> {
    let caps = FIELD.captures(line)?;
    let key = caps.get(1)?.as_str().split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let kind = match key.as_str() {
        "from" | "de" | "von" | "van" | "da" => Field::From,
        "sent" | "envoyé" | "gesendet" | "enviado" | "enviado el" | "verzonden" | "inviato" | "date" | "datum"
        | "fecha" | "data" => Field::Date,
        "to" | "à" | "a" | "pour" | "an" | "para" | "aan" => Field::To,
        "cc" | "cci" | "bcc" | "copie à" | "kopie" => Field::Cc,
        "subject" | "objet" | "sujet" | "betreff" | "asunto" | "oggetto" | "onderwerp" => Field::Subject,
        _ => Field::Other,
    };
    Some((kind, caps.get(2)?.as_str().trim()))
}

/// The fields of a header block and the index of the line after it.
struct Block {
    fields: Vec<(Field, String)>,
    end: usize,
}

impl Block {
    fn has(&self, kind: Field) -> bool {
        self.fields.iter().any(|(k, _)| *k == kind)
    }

    /// How many of date, to and subject the block has.
    fn confirming_fields(&self) -> usize {
        [Field::Date, Field::To, Field::Subject].into_iter().filter(|&k| self.has(k)).count()
    }

    fn first(&self, kind: Field) -> Option<&str> {
        self.fields.iter().find(|(k, _)| *k == kind).map(|(_, v)| v.as_str())
    }

    fn addresses(&self, kind: Field) -> Vec<String> {
        let values: Vec<&str> = self.fields.iter().filter(|(k, _)| *k == kind).map(|(_, v)| v.as_str()).collect();
        addresses(&values.join(", "))
    }
}

fn forward_at(lines: &[&str], i: usize) -> Option<Forwarded> {
    let (block, below) = if MARKER.is_match(lines[i]) {
        let first = (i + 1..lines.len()).take(MAX_BLANKS_AFTER_MARKER + 1).find(|&j| !is_blank(lines[j]))?;
        // Apple Mail up to 10.9 quotes the forwarded message under its
        // marker; the marker says it is a forward, not a reply's quote.
        let message: Cow<'_, [&str]> = if is_quoted(lines[first]) {
            Cow::Owned(lines[first..].iter().map_while(|line| unquoted(line)).collect())
        } else {
            Cow::Borrowed(&lines[first..])
        };
        let block = header_block(&message, 0)?;
        if !block.has(Field::From) || block.confirming_fields() < MIN_FIELDS_AFTER_MARKER {
            return None;
        }
        let below = message[block.end..].to_vec();
        (block, below)
    } else {
        if field(lines[i]).is_none_or(|(kind, _)| kind != Field::From) {
            return None;
        }
        let block = header_block(lines, i)?;
        if block.confirming_fields() < MIN_FIELDS_WITHOUT_MARKER {
            return None;
        }
        let below = lines[block.end..].to_vec();
        (block, below)
    };
    let body = below.iter().skip_while(|line| is_blank(line)).copied().collect::<Vec<_>>();
    Some(Forwarded {
        preface: preface(&lines[..i]),
        from: block.first(Field::From).and_then(sender),
        subject: block.first(Field::Subject).map(unemphasized).filter(|s| !s.is_empty()).map(str::to_owned),
        date: block.first(Field::Date).map(unemphasized).filter(|s| !s.is_empty()).map(str::to_owned),
        to: block.addresses(Field::To),
        cc: block.addresses(Field::Cc),
        body: body.join("\n").trim_end().to_owned(),
    })
}

/// The header block whose first line is `start`, or `None` when that line is
/// no field.
fn header_block(lines: &[&str], start: usize) -> Option<Block> {
    let mut fields: Vec<(Field, String)> = Vec::new();
    let mut i = start;
    while i < lines.len() && i - start < MAX_HEADER_LINES {
        let line = lines[i];
        if let Some((kind, value)) = field(line) {
            fields.push((kind, value.to_owned()));
        } else if is_blank(line) {
            // HTML made text may put each field in a paragraph of its own,
            // and some phones leave blank lines between fields; a field seen
            // already, below blank lines, is the body's.
            let next = (i + 1..lines.len()).take(MAX_BLANKS_IN_BLOCK).find(|&j| !is_blank(lines[j]));
            match next.and_then(|j| Some((j, field(lines[j])?))) {
                Some((j, (kind, _))) if kind != Field::Other && !fields.iter().any(|(k, _)| *k == kind) => {
                    i = j;
                    continue;
                }
                _ => break,
            }
        } else if let Some((_, value)) = fields.last_mut().filter(|(kind, _)| continues(line, *kind)) {
            value.push(' ');
            value.push_str(line.trim());
        } else if let Some((_, value)) =
            fields.last_mut().filter(|_| lines.get(i + 1).is_some_and(|l| field(l).is_some()))
        {
            // A long subject wrapped without indentation: the block goes on below it.
            value.push(' ');
            value.push_str(line.trim());
        } else {
            break;
        }
        i += 1;
    }
    (!fields.is_empty()).then_some(Block { fields, end: i })
}

/// A line that carries on the field above it: indented (folded), or an
/// address that a wrapped sender or recipient list pushed onto a line of its own.
fn continues(line: &str, kind: Field) -> bool {
    line.starts_with([' ', '\t']) || (matches!(kind, Field::From | Field::To | Field::Cc) && line.contains('@'))
}

fn sender(value: &str) -> Option<Sender> {
    let address = addresses(value).into_iter().next()?;
    let name = value
        .find(['<', '['])
        .map(|at| value[..at].trim_matches(|c: char| c == '"' || c == '\'' || c == '*' || c.is_whitespace()))
        .filter(|name| !name.is_empty() && !name.eq_ignore_ascii_case(&address))
        .map(str::to_owned);
    Some(Sender { name, address })
}

/// The addresses in a field's value, each once, in the order written.
fn addresses(value: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for m in ADDRESS.find_iter(value) {
        let address = m.as_str().trim_end_matches('.');
        if is_address(address) && !found.iter().any(|a| a.eq_ignore_ascii_case(address)) {
            found.push(address.to_owned());
        }
    }
    found
}

/// A value without the stars HTML made text puts around a bold one.
fn unemphasized(value: &str) -> &str {
    value.strip_prefix('*').and_then(|v| v.strip_suffix('*')).map_or(value, str::trim)
}

/// What the forwarder wrote: the rule a client drew above the header block
/// without a marker of its own ("-----", "=====") is not theirs.
fn preface(lines: &[&str]) -> String {
    let end = lines.iter().rposition(|line| !is_blank(line) && !RULE.is_match(line)).map_or(0, |last| last + 1);
    lines[..end].join("\n").trim().to_owned()
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// A quoted line without its first `>` and the space after it.
fn unquoted(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix('>')?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

#[cfg(test)]
mod tests;
