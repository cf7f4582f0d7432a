//! The functional core: data in, decisions out. Nothing in here performs
//! I/O or imports tokio, diesel or lettre.

pub mod ask;
pub mod assign;
pub mod auth;
pub mod bounce;
pub mod calendar;
pub mod changes;
pub mod classify;
pub mod clock;
pub mod commands;
pub mod digest;
pub mod facts;
pub mod file_link;
pub mod forward;
pub mod history;
pub mod incident;
pub mod knowledge;
pub mod language;
pub mod login;
pub mod oauth2;
pub mod privacy;
pub mod reply_token;
pub mod rules;
pub mod sla;
pub mod survey;
pub mod thanks;
pub mod threading;
pub mod ticket;
pub mod token;
pub mod trim;
pub mod urgency;
pub mod wording;

/// `local@domain.tld`, with no white space: the shape every address a
/// person types (config, commands, the command line) must have.
pub fn is_address(a: &str) -> bool {
    matches!(a.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !a.contains(char::is_whitespace))
}

/// A lowercase letter's accent folded away (`é` → `e`, `œ` → `oe`), or
/// `None` when it has none.
pub fn unaccented(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => "a",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'œ' => "oe",
        'æ' => "ae",
        _ => return None,
    })
}
