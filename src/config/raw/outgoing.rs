//! `[outgoing]`: the desk's name and signature per language and the
//! SMTP relay (or files) mail is sent through.

use super::*;

pub(super) fn read_outgoing(r: &mut Reader, doc: &Table) -> Option<Outgoing> {
    let empty = Table::new();
    let t = r.table(doc, "", "outgoing").unwrap_or(&empty);
    let p = "outgoing";
    r.known_keys(t, p, OUTGOING);
    let transport = match r.string(t, p, "transport").as_deref().unwrap_or("file") {
        "file" => {
            let dir = r.string(t, p, "dir").unwrap_or_else(|| "../var/outbox".into());
            Some(Transport::File { dir: r.path(&dir) })
        }
        "smtp" => read_smtp(r, t),
        other => {
            r.problem("outgoing.transport", format!("unknown transport `{other}` (expected: file, smtp)"));
            None
        }
    };
    let from_names = read_per_lang(r, t, "outgoing", "from_name", false);
    let from_name = from_names.first().map_or_else(|| "Support".to_string(), |(_, n)| n.clone());
    let domain = r.string(t, p, "message_id_domain");
    let message_id_domain = domain.unwrap_or_default();
    if !message_id_domain.is_empty()
        && !message_id_domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        r.problem("outgoing.message_id_domain", format!("`{message_id_domain}` is not a domain name"));
    }
    let max_attempts = r.integer(t, p, "max_attempts", 1..=100).unwrap_or(8) as u32;
    let dkim = dkim::read_dkim(r, t);
    Some(Outgoing { transport: transport?, from_name, from_names, message_id_domain, max_attempts, dkim })
}

/// `from_name` or `signature` at `path`: one text, or one per language
/// (`{ fr = "…", en = "…" }`). A single text is kept as every language's.
/// A name is one line; a signature may have several.
pub(super) fn read_per_lang(r: &mut Reader, t: &Table, path: &str, key: &str, lines: bool) -> Vec<(Lang, String)> {
    let mut names = Vec::new();
    let mut one = |r: &mut Reader, key: String, lang: Option<Lang>, v: &Value| match v {
        Value::String(s) if !lines && s.contains(['\r', '\n']) => r.problem(key, "must be a single line"),
        Value::String(s) if s.trim().is_empty() => r.problem(key, "must not be empty"),
        Value::String(s) => {
            let s = if lines { s.trim_end().to_string() } else { s.clone() };
            match lang {
                Some(l) => names.push((l, s)),
                None => names.extend(Lang::ALL.iter().map(|l| (*l, s.clone()))),
            }
        }
        other => r.problem(key, format!("expected a string, found {}", other.type_str())),
    };
    let full = join(path, key);
    match t.get(key) {
        None => {}
        Some(Value::Table(per_lang)) => {
            for (lang, v) in per_lang {
                let key = format!("{full}.{lang}");
                match lang.parse::<Lang>() {
                    Ok(l) => one(r, key, Some(l), v),
                    Err(e) => r.problem(key, e.to_string()),
                }
            }
        }
        Some(v @ Value::String(_)) => one(r, full, None, v),
        Some(other) => r.problem(
            full,
            format!(
                "expected {}, or one per language ({{ fr = \"…\", en = \"…\" }}), found {}",
                if lines { "a text" } else { "a name" },
                other.type_str()
            ),
        ),
    }
    names
}

pub(super) fn read_smtp(r: &mut Reader, t: &Table) -> Option<Transport> {
    let p = "outgoing";
    let host = r.required(t, p, "host");
    let tls = match r.string(t, p, "tls").as_deref().unwrap_or("starttls") {
        "none" => Some(Tls::None),
        "starttls" => Some(Tls::Starttls),
        "tls" => Some(Tls::Tls),
        other => {
            r.problem("outgoing.tls", format!("unknown TLS mode `{other}` (expected: none, starttls, tls)"));
            None
        }
    };
    let default_port = match tls {
        Some(Tls::Tls) => 465,
        Some(Tls::Starttls) => 587,
        _ => 25,
    };
    let port = r.integer(t, p, "port", 1..=65_535).unwrap_or(default_port) as u16;
    let username = r.string(t, p, "username");
    let oauth2 = match oauth2::wants_oauth2(r, t, p) {
        Some(true) => oauth2::read_oauth2(r, t, p, username.as_deref(), "outgoing", true).map(Box::new),
        _ => None,
    };
    let password = r.secret(t, p);
    if password.is_some() && username.is_none() {
        r.problem("outgoing.username", "missing: a password is set but no username");
    }
    let ca_file = r.string(t, p, "ca_file").map(|f| r.path(&f));
    if let Some(f) = &ca_file {
        if !f.is_file() {
            r.problem("outgoing.ca_file", format!("no such file: {}", f.display()));
        }
    }
    if let (Some(h), Some(tls), true) = (&host, tls, username.is_some() || oauth2.is_some()) {
        check_plaintext(r, t, p, h, tls);
    }
    Some(Transport::Smtp(Smtp { host: host?, port, tls: tls?, username, password, oauth2, ca_file }))
}
