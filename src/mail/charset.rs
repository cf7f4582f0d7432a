//! Text the MIME parser cannot read right: a charset no table here knows
//! (read as UTF-8 where valid, else as windows-1252, so no byte is lost)
//! and UTF-7, whose decoder in the parser swallows the character that ends
//! a shifted run (`+AOA la` gives "àla").

use std::sync::LazyLock;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, MimeHeaders};

use super::inbound::one_line;

/// How text in `charset` is read here.
enum Reading {
    /// By the parser: nothing to redo.
    Parser,
    Utf7,
    /// No table knows it.
    Unknown,
}

fn reading(charset: &str) -> Reading {
    let charset = charset.trim();
    let is = |names: &[&str]| names.iter().any(|n| charset.eq_ignore_ascii_case(n));
    if is(&["utf-7", "utf7", "csutf7", "unicode-1-1-utf-7"]) {
        Reading::Utf7
    } else if is(&["utf-8", "utf8"]) || charset_decoder(charset.as_bytes()).is_some() {
        Reading::Parser
    } else {
        Reading::Unknown
    }
}

/// Bytes in a charset nobody knows, read without losing one: as UTF-8 when
/// they are, else as windows-1252, where every byte is a character.
fn as_utf8_or_1252(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| match charset_decoder(b"windows-1252") {
        Some(decode) => decode(e.as_bytes()),
        None => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn decode(bytes: Vec<u8>, how: &Reading) -> String {
    match how {
        Reading::Utf7 => utf7(&bytes),
        _ => as_utf8_or_1252(bytes),
    }
}

/// A text part read again when the parser cannot read its charset: the
/// text, and the charset's name when no table knows it.
pub fn reread(part: &mail_parser::MessagePart<'_>, raw: &[u8]) -> Option<(String, Option<String>)> {
    let charset = part.content_type()?.attribute("charset")?;
    let how = reading(charset);
    if matches!(how, Reading::Parser) {
        return None;
    }
    let (start, end) = (part.raw_body_offset() as usize, part.raw_end_offset() as usize);
    let body = raw.get(start..end.min(raw.len())).unwrap_or_default();
    let bytes = match part.encoding {
        Encoding::Base64 => base64_decode(body),
        Encoding::QuotedPrintable => quoted_printable_decode(body),
        Encoding::None => None,
    };
    let text = decode(bytes.unwrap_or_else(|| body.to_vec()), &how);
    Some((text, matches!(how, Reading::Unknown).then(|| one_line(charset))))
}

/// A header's encoded words (`=?x-unknown?Q?caf=E9?=`) decoded again when
/// one of them is in a charset the parser cannot read: the text, and the
/// first charset no table knows. `None` when the parser read them all.
pub fn reread_words(raw: &str) -> Option<(String, Option<String>)> {
    static WORD: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=").expect("a valid pattern"));
    if !raw.contains("=?") {
        return None;
    }
    let mut redo = false;
    let mut unknown = None;
    let mut out = String::new();
    let mut last = 0;
    for m in WORD.captures_iter(raw) {
        let whole = m.get(0)?;
        let between = &raw[last..whole.start()];
        // Space between two encoded words is not text (RFC 2047, 6.2).
        if last == 0 || !between.trim().is_empty() {
            out.push_str(between);
        }
        last = whole.end();
        // RFC 2231 lets a language follow: `utf-8*fr`.
        let charset = m[1].split('*').next().unwrap_or_default();
        let data = m[3].as_bytes();
        let bytes = if m[2].eq_ignore_ascii_case("b") {
            base64_decode(data)
        } else {
            let spaced: Vec<u8> = data.iter().map(|&b| if b == b'_' { b' ' } else { b }).collect();
            quoted_printable_decode(&spaced)
        }
        .unwrap_or_else(|| data.to_vec());
        let how = reading(charset);
        match (&how, charset_decoder(charset.as_bytes())) {
            (Reading::Parser, Some(decode)) => out.push_str(&decode(&bytes)),
            (Reading::Parser, None) => out.push_str(&as_utf8_or_1252(bytes)),
            (Reading::Utf7, _) => {
                redo = true;
                out.push_str(&utf7(&bytes));
            }
            (Reading::Unknown, _) => {
                redo = true;
                unknown.get_or_insert_with(|| one_line(charset));
                out.push_str(&as_utf8_or_1252(bytes));
            }
        }
    }
    out.push_str(&raw[last..]);
    redo.then_some((out, unknown))
}

/// UTF-7 (RFC 2152): `+` starts base64 of UTF-16; a `-` ending it is
/// dropped, any other character ending it is text; `+-` is `+`.
pub fn utf7(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'+' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'+' || bytes[end] == b'/') {
            end += 1;
        }
        if end == start {
            // `+-` is a plus sign; a lone `+` is kept as it is.
            out.push('+');
            i = if bytes.get(end) == Some(&b'-') { end + 1 } else { end };
            continue;
        }
        let mut bits: u32 = 0;
        let mut count = 0;
        let mut units = Vec::new();
        for &c in &bytes[start..end] {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                _ => 63,
            };
            bits = (bits << 6) | u32::from(v);
            count += 6;
            if count >= 16 {
                count -= 16;
                units.push((bits >> count) as u16);
                bits &= (1 << count) - 1;
            }
        }
        out.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
        i = if bytes.get(end) == Some(&b'-') { end + 1 } else { end };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf7_keeps_the_character_that_ends_a_run() {
        assert_eq!(utf7(b"+AOA la Zo+AOs Faure"), "à la Zoë Faure");
        assert_eq!(utf7(b"Hi Mom -+Jjo--!"), "Hi Mom -\u{263a}-!");
        assert_eq!(utf7(b"1 +- 1 = 2"), "1 + 1 = 2");
        assert_eq!(utf7(b"+ZeVnLIqe-"), "日本語");
    }

    #[test]
    fn words_in_a_charset_nobody_knows_are_read_without_loss() {
        let (text, unknown) = reread_words("=?x-mystery?Q?caf=E9?= =?utf-8?Q?_cr=C3=A8me?=").unwrap();
        assert_eq!(text, "café crème");
        assert_eq!(unknown.as_deref(), Some("x-mystery"));
        assert_eq!(reread_words("=?utf-8?Q?caf=C3=A9?="), None, "the parser reads those");
    }
}
