//! How our mail words things for its reader: times in the reader's zone and
//! language, French elision, and plain text wrapped for mail readers.

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use super::ticket::Lang;

/// Plain text lines of our mail are at most this wide (RFC 5322 asks for
/// 78; 72 leaves room for one level of `> ` quoting).
pub const WRAP_WIDTH: usize = 72;

const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const IT_MONTHS: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
const NL_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

fn weekday(d: Weekday, lang: Lang) -> &'static str {
    let i = d.num_days_from_monday() as usize;
    match lang {
        Lang::Fr => ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][i],
        Lang::En => ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][i],
        Lang::De => ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"][i],
        Lang::Es => ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"][i],
        Lang::It => ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"][i],
        Lang::Nl => ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"][i],
    }
}

/// A day as people write it: "lundi 7 décembre 2026" (the first of the
/// month is "1er"), "Monday 7 December 2026", "Montag, 7. Dezember 2026",
/// "lunes 7 de diciembre de 2026", "lunedì 7 dicembre 2026" (the first is
/// "1º"), "maandag 7 december 2026".
pub fn day(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let wd = weekday(at.with_timezone(&tz).weekday(), lang);
    match lang {
        Lang::De => format!("{wd}, {}", date(at, tz, lang)),
        _ => format!("{wd} {}", date(at, tz, lang)),
    }
}

/// The same without the day of the week: "7 décembre 2026", "1er
/// décembre 2026", "7 December 2026", "7. Dezember 2026", "7 de diciembre
/// de 2026", "1º dicembre 2026", "7 december 2026".
pub fn date(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = at.with_timezone(&tz);
    let month = local.month0() as usize;
    let (d, y) = (local.day(), local.year());
    match lang {
        Lang::Fr => {
            let d = if d == 1 { "1er".to_string() } else { d.to_string() };
            format!("{d} {} {y}", FR_MONTHS[month])
        }
        Lang::En => format!("{d} {} {y}", EN_MONTHS[month]),
        Lang::De => format!("{d}. {} {y}", DE_MONTHS[month]),
        Lang::Es => format!("{d} de {} de {y}", ES_MONTHS[month]),
        Lang::It => {
            let d = if d == 1 { "1º".to_string() } else { d.to_string() };
            format!("{d} {} {y}", IT_MONTHS[month])
        }
        Lang::Nl => format!("{d} {} {y}", NL_MONTHS[month]),
    }
}

/// A moment as its reader reads it, in `tz`: "lundi 7 décembre 2026 à
/// 14:30", "Monday 7 December 2026, 14:30", "Montag, 7. Dezember 2026,
/// 14:30", "lunes 7 de diciembre de 2026, 14:30", "lunedì 7 dicembre
/// 2026, 14:30", "maandag 7 december 2026 om 14:30". `name_zone` adds the
/// zone's name, for a reader who could take it for another.
pub fn moment(at: DateTime<Utc>, tz: Tz, lang: Lang, name_zone: bool) -> String {
    let local = at.with_timezone(&tz);
    let clock = format!("{:02}:{:02}", local.hour(), local.minute());
    let zone = if name_zone { format!(" ({})", tz.name()) } else { String::new() };
    match lang {
        Lang::Fr => format!("{} à {clock}{zone}", day(at, tz, lang)),
        Lang::Nl => format!("{} om {clock}{zone}", day(at, tz, lang)),
        Lang::En | Lang::De | Lang::Es | Lang::It => format!("{}, {clock}{zone}", day(at, tz, lang)),
    }
}

/// Whether French elides a short word (de, le, que) before `word`: before
/// a vowel, accented or not, and y. Not before h: whether it is mute cannot
/// be told from the spelling ("d'Hélène" but "de Hugo"), and "de Hélène"
/// reads better than "d'Hugo".
pub fn elides_before(word: &str) -> bool {
    let Some(first) = word.trim_start().chars().next() else { return false };
    let lower: String = first.to_lowercase().collect();
    let plain = lower.chars().next().and_then(super::unaccented).unwrap_or(&lower);
    matches!(plain.chars().next(), Some('a' | 'e' | 'i' | 'o' | 'u' | 'y')) || matches!(first, 'Œ' | 'œ' | 'Æ' | 'æ')
}

/// `short` (de, le, que…) before `word`, elided when French wants it:
/// `("de", "Alice")` → "d'Alice", `("de", "Marc")` → "de Marc".
pub fn elide(short: &str, word: &str) -> String {
    let word = word.trim_start();
    match short.strip_suffix(['e', 'a']) {
        Some(stem) if !stem.is_empty() && elides_before(word) => format!("{stem}'{word}"),
        _ if word.is_empty() => short.to_string(),
        _ => format!("{short} {word}"),
    }
}

/// Wraps plain text at [`WRAP_WIDTH`] on word boundaries. Kept as they are:
/// lines that fit, quoted lines (`>`), and whatever stands between two
/// rule lines (a line of dashes), where our mail quotes a person's words as
/// they wrote them. A word longer than the width (a link) is never cut: it
/// gets a line of its own. A line that opens a list item (`- `) or is
/// indented keeps that indent on the lines it wraps onto.
pub fn wrap(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / WRAP_WIDTH);
    let mut quoted_block = false;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let bare = line.trim_end_matches('\r');
        if is_rule(bare) {
            quoted_block = !quoted_block;
            out.push_str(line);
            continue;
        }
        if quoted_block || bare.starts_with('>') || bare.chars().count() <= WRAP_WIDTH {
            out.push_str(line);
            continue;
        }
        wrap_line(bare, &mut out);
    }
    out
}

fn is_rule(line: &str) -> bool {
    line.len() >= 20 && line.chars().all(|c| c == '-')
}

fn wrap_line(line: &str, out: &mut String) {
    let indent_len = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent_len..];
    let hang = if rest.starts_with("- ") || rest.starts_with("* ") { indent_len + 2 } else { indent_len };
    out.push_str(&line[..indent_len]);
    let mut width = indent_len;
    let mut first = true;
    // Split on ordinary spaces only: a no-break space binds "n° 42" and
    // "demande :" together, which is why the templates use it.
    for word in rest.split(' ').filter(|w| !w.is_empty()) {
        let len = word.chars().count();
        if !first && width + 1 + len > WRAP_WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(hang));
            width = hang;
        } else if !first {
            out.push(' ');
            width += 1;
        }
        out.push_str(word);
        width += len;
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn moments_read_in_the_readers_zone_and_language() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let cases = [
            (at(2026, 12, 7, 13, 30), paris, Lang::Fr, false, "lundi 7 décembre 2026 à 14:30"),
            (at(2026, 12, 7, 13, 30), paris, Lang::En, false, "Monday 7 December 2026, 14:30"),
            (at(2026, 12, 7, 13, 30), Tz::UTC, Lang::Fr, true, "lundi 7 décembre 2026 à 13:30 (UTC)"),
            (at(2026, 6, 30, 22, 5), paris, Lang::Fr, false, "mercredi 1er juillet 2026 à 00:05"),
            (at(2026, 6, 30, 22, 5), paris, Lang::En, true, "Wednesday 1 July 2026, 00:05 (Europe/Paris)"),
        ];
        for (t, tz, lang, named, want) in cases {
            assert_eq!(moment(t, tz, lang, named), want);
        }
        assert_eq!(day(at(2026, 11, 30, 23, 30), paris, Lang::Fr), "mardi 1er décembre 2026");
    }

    #[test]
    fn each_language_writes_a_moment_its_own_way() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let monday = at(2026, 11, 30, 13, 30);
        let cases = [
            (Lang::De, "Montag, 30. November 2026, 14:30"),
            (Lang::Es, "lunes 30 de noviembre de 2026, 14:30"),
            (Lang::It, "lunedì 30 novembre 2026, 14:30"),
            (Lang::Nl, "maandag 30 november 2026 om 14:30"),
        ];
        for (lang, want) in cases {
            assert_eq!(moment(monday, paris, lang, false), want, "{lang}");
        }
        let first = at(2026, 6, 30, 22, 5);
        let cases = [
            (Lang::De, "Mittwoch, 1. Juli 2026", "1. Juli 2026", "Mittwoch, 1. Juli 2026, 00:05 (Europe/Paris)"),
            (
                Lang::Es,
                "miércoles 1 de julio de 2026",
                "1 de julio de 2026",
                "miércoles 1 de julio de 2026, 00:05 (Europe/Paris)",
            ),
            (Lang::It, "mercoledì 1º luglio 2026", "1º luglio 2026", "mercoledì 1º luglio 2026, 00:05 (Europe/Paris)"),
            (Lang::Nl, "woensdag 1 juli 2026", "1 juli 2026", "woensdag 1 juli 2026 om 00:05 (Europe/Paris)"),
        ];
        for (lang, d, bare, named) in cases {
            assert_eq!(day(first, paris, lang), d, "{lang}");
            assert_eq!(date(first, paris, lang), bare, "{lang}");
            assert_eq!(moment(first, paris, lang, true), named, "{lang}");
        }
        let months: Vec<String> = (1..=12).map(|m| date(at(2026, m, 15, 12, 0), Tz::UTC, Lang::De)).collect();
        assert_eq!(months[2], "15. März 2026");
        assert_eq!(date(at(2026, 9, 15, 12, 0), Tz::UTC, Lang::Es), "15 de septiembre de 2026");
        assert_eq!(day(at(2026, 12, 6, 12, 0), Tz::UTC, Lang::Nl), "zondag 6 december 2026");
        assert_eq!(day(at(2026, 12, 5, 12, 0), Tz::UTC, Lang::It), "sabato 5 dicembre 2026");
    }

    #[test]
    fn french_elides_before_a_vowel_but_not_before_h_or_a_consonant() {
        let cases = [
            ("de", "Alice", "d'Alice"),
            ("de", "Marc", "de Marc"),
            ("de", "Émile", "d'Émile"),
            ("de", "éric", "d'éric"),
            ("de", "Yves", "d'Yves"),
            ("de", "Hélène", "de Hélène"),
            ("de", "Œdipe", "d'Œdipe"),
            ("que", "Ursula", "qu'Ursula"),
            ("le", "ordinateur", "l'ordinateur"),
            ("de", "support@example.test", "de support@example.test"),
            ("de", "ines@example.test", "d'ines@example.test"),
            ("de", "", "de"),
        ];
        for (short, word, want) in cases {
            assert_eq!(elide(short, word), want, "{short} {word}");
        }
    }

    #[test]
    fn long_lines_wrap_on_words_and_quotes_links_and_rules_stay_whole() {
        let long =
            "Bonjour, votre demande au sujet de l'imprimante du deuxième étage a bien été enregistrée et sera traitée.";
        let url = format!("- Lien : https://desk.example.test/{}", "x".repeat(80));
        let quote = format!("> {}", "mot ".repeat(30));
        let rule = "-".repeat(72);
        let kept = format!("{rule}\n{}\n{rule}", "texte ".repeat(20));
        let text = format!("{long}\n\n{url}\n{quote}\n{kept}\nCourt.");
        let wrapped = wrap(&text);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert_eq!(lines[0], "Bonjour, votre demande au sujet de l'imprimante du deuxième étage a bien");
        assert_eq!(lines[1], "été enregistrée et sera traitée.");
        assert_eq!(lines[3], "- Lien :");
        assert_eq!(lines[4], format!("  https://desk.example.test/{}", "x".repeat(80)));
        assert_eq!(lines[5], quote);
        assert_eq!(lines[7], "texte ".repeat(20));
        assert_eq!(*lines.last().unwrap(), "Court.");
        for l in &lines {
            let inside = *l == quote || l.starts_with("texte") || l.contains("https://");
            assert!(inside || l.chars().count() <= WRAP_WIDTH, "{l}");
        }
        assert_eq!(wrap(&wrapped), wrapped, "wrapping twice changes nothing");
    }

    #[test]
    fn a_no_break_space_holds_words_together() {
        let line = format!("{} demande n°\u{a0}42", "a".repeat(60));
        let wrapped = wrap(&line);
        assert!(wrapped.ends_with(" demande\nn°\u{a0}42"), "{wrapped}");
    }
}
