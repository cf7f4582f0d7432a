//! Reads the TOML document key by key, collecting every problem (unknown
//! key, wrong type, bad value) with its path instead of stopping at the
//! first, then builds [`Settings`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::{Table, Value};

use super::*;

mod dkim;
mod oauth2;
mod outgoing;
mod retention;
mod routing;
mod service;
mod sources;

use crate::domain::digest::Cadence;
use outgoing::{read_outgoing, read_per_lang};
use sources::{check_plaintext, read_database, read_mailboxes};

/// One thing wrong in the config, with the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

const TOP: &[&str] = &[
    "database",
    "mailbox",
    "outgoing",
    "tickets",
    "templates",
    "technician",
    "limits",
    "rule",
    "requester_group",
    "group",
    "calendar",
    "sla",
    "pending",
    "survey",
    "knowledge",
    "major_incident",
    "http",
    "report",
    "admin",
    "retention",
];
const DATABASE: &[&str] = &["url", "busy_timeout_ms", "pool_size", "password_env", "password_file"];
const MAILBOX: &[&str] = &[
    "name",
    "kind",
    "path",
    "address",
    "after",
    "poll_seconds",
    "host",
    "port",
    "tls",
    "username",
    "password_env",
    "password_file",
    "folder",
    "ca_file",
    "idle",
    "idle_renew_seconds",
    "allow_plaintext",
    "group",
    "from_name",
    "signature",
    "auth",
    "oauth2",
];
const OUTGOING: &[&str] = &[
    "transport",
    "dir",
    "host",
    "port",
    "tls",
    "username",
    "password_env",
    "password_file",
    "from_name",
    "message_id_domain",
    "max_attempts",
    "ca_file",
    "allow_plaintext",
    "dkim",
    "auth",
    "oauth2",
];
const TICKETS: &[&str] = &[
    "subject_tag",
    "reopen_days",
    "language",
    "languages",
    "stranger",
    "priority_matrix",
    "urgency_words",
    "impact_words",
    "away_after_auto_reply_hours",
    "trusted_authserv_ids",
    "technician_proof",
    "time_zone",
];
const TEMPLATES: &[&str] = &["dir"];
const TECHNICIAN: &[&str] =
    &["email", "name", "groups", "skills", "language", "working_hours", "time_zone", "away", "digest"];
const LIMITS: &[&str] = &[
    "max_message_bytes",
    "max_html_bytes",
    "automatic_per_hour",
    "automatic_per_hour_for",
    "undeliverable_days",
    "max_watchers",
    "max_relay_attachment_bytes",
    "attachment_link_days",
];

struct Reader<'a> {
    base: &'a Path,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { key: key.into(), message: message.into() });
    }

    fn known_keys(&mut self, table: &Table, path: &str, known: &[&str]) {
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                let full = join(path, key);
                self.problem(full, format!("unknown key (known here: {})", known.join(", ")));
            }
        }
    }

    fn table<'t>(&mut self, parent: &'t Table, path: &str, key: &str) -> Option<&'t Table> {
        match parent.get(key)? {
            Value::Table(t) => Some(t),
            other => {
                self.problem(join(path, key), format!("expected a table, found {}", other.type_str()));
                None
            }
        }
    }

    fn tables<'t>(&mut self, parent: &'t Table, key: &str) -> Vec<&'t Table> {
        match parent.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::Table(t) => Some(t),
                    other => {
                        self.problem(format!("{key}[{i}]"), format!("expected a table, found {}", other.type_str()));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.problem(key, format!("expected an array of tables ([[{key}]]), found {}", other.type_str()));
                Vec::new()
            }
        }
    }

    fn string(&mut self, table: &Table, path: &str, key: &str) -> Option<String> {
        match table.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.problem(join(path, key), format!("expected a string, found {}", other.type_str()));
                None
            }
        }
    }

    fn required(&mut self, table: &Table, path: &str, key: &str) -> Option<String> {
        if !table.contains_key(key) {
            self.problem(join(path, key), "missing (required)");
            return None;
        }
        match self.string(table, path, key) {
            Some(s) if s.trim().is_empty() => {
                self.problem(join(path, key), "must not be empty");
                None
            }
            other => other,
        }
    }

    fn integer(&mut self, table: &Table, path: &str, key: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        match table.get(key)? {
            Value::Integer(n) if range.contains(n) => Some(*n),
            Value::Integer(n) => {
                let (lo, hi) = (range.start(), range.end());
                self.problem(join(path, key), format!("{n} is out of range ({lo}..={hi})"));
                None
            }
            other => {
                self.problem(join(path, key), format!("expected an integer, found {}", other.type_str()));
                None
            }
        }
    }

    fn float(&mut self, table: &Table, path: &str, key: &str, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
        let n = match table.get(key)? {
            Value::Float(n) => *n,
            Value::Integer(n) => *n as f64,
            other => {
                self.problem(join(path, key), format!("expected a number, found {}", other.type_str()));
                return None;
            }
        };
        if range.contains(&n) {
            Some(n)
        } else {
            let (lo, hi) = (range.start(), range.end());
            self.problem(join(path, key), format!("{n} is out of range ({lo}..={hi})"));
            None
        }
    }

    fn strings(&mut self, table: &Table, path: &str, key: &str) -> Vec<String> {
        match table.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        other => self.problem(
                            format!("{}[{i}]", join(path, key)),
                            format!("expected a string, found {}", other.type_str()),
                        ),
                    }
                }
                out
            }
            Some(other) => {
                self.problem(join(path, key), format!("expected an array of strings, found {}", other.type_str()));
                Vec::new()
            }
        }
    }

    /// A secret from `password_env` (an environment variable) or
    /// `password_file` (a file, trailing line break removed).
    fn secret(&mut self, t: &Table, path: &str) -> Option<String> {
        self.named_secret(t, path, "password_env", "password_file")
    }

    /// A secret from the variable named by `env_key` or the file named by
    /// `file_key`.
    fn named_secret(&mut self, t: &Table, path: &str, env_key: &str, file_key: &str) -> Option<String> {
        match (self.string(t, path, env_key), self.string(t, path, file_key)) {
            (Some(_), Some(_)) => {
                self.problem(join(path, env_key), format!("give either {env_key} or {file_key}, not both"));
                None
            }
            (Some(var), None) => match std::env::var(&var) {
                Ok(v) => Some(v),
                Err(_) => {
                    self.problem(join(path, env_key), format!("environment variable `{var}` is not set"));
                    None
                }
            },
            (None, Some(file)) => match std::fs::read_to_string(self.path(&file)) {
                Ok(v) => Some(v.trim_end_matches(['\r', '\n']).to_string()),
                Err(e) => {
                    self.problem(join(path, file_key), format!("cannot read `{file}`: {e}"));
                    None
                }
            },
            (None, None) => None,
        }
    }

    fn path(&self, value: &str) -> PathBuf {
        let p = Path::new(value);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn address(&mut self, key: String, value: String) -> Option<String> {
        let v = value.trim().to_ascii_lowercase();
        if crate::domain::is_address(&v) {
            Some(v)
        } else {
            self.problem(key, format!("`{value}` is not an e-mail address"));
            None
        }
    }

    fn lang(&mut self, key: String, value: Option<String>) -> Option<Lang> {
        match value?.parse() {
            Ok(lang) => Some(lang),
            Err(e) => {
                self.problem(key, e.to_string());
                None
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn validate(text: &str, base: &Path) -> Result<Settings, Vec<Problem>> {
    let doc: Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let message = e.message().to_string();
            let where_ = e
                .span()
                .map(|s| format!("line {}", text[..s.start.min(text.len())].lines().count().max(1)))
                .unwrap_or_else(|| "(document)".to_string());
            return Err(vec![Problem { key: where_, message: format!("not valid TOML: {message}") }]);
        }
    };
    let mut r = Reader { base, problems: Vec::new() };
    r.known_keys(&doc, "", TOP);

    let database = read_database(&mut r, &doc);
    let mut mailboxes = read_mailboxes(&mut r, &doc);
    let outgoing = read_outgoing(&mut r, &doc);
    let tickets = read_tickets(&mut r, &doc);
    let templates_dir = {
        let t = r.table(&doc, "", "templates");
        if let Some(t) = t {
            r.known_keys(t, "templates", TEMPLATES);
        }
        // Every template is built in; the directory holds overrides only.
        let dir = t.and_then(|t| r.string(t, "templates", "dir")).map(|d| r.path(&d));
        if let Some(d) = dir.as_ref().filter(|d| !d.is_dir()) {
            r.problem("templates.dir", format!("{} is not a directory", d.display()));
        }
        dir
    };
    let languages = tickets.as_ref().map_or(Lang::ALL, |t| t.languages.as_slice());
    let technicians = read_technicians(&mut r, &doc, languages);
    let mut groups: Vec<String> = technicians.iter().flat_map(|t| t.groups.iter().cloned()).collect();
    groups.sort();
    groups.dedup();
    for (i, m) in mailboxes.iter().enumerate() {
        if let Some(g) = m.group.as_deref().filter(|g| !groups.iter().any(|x| x == g)) {
            r.problem(format!("mailbox[{i}].group"), format!("no technician is in group `{g}`"));
        }
    }
    let requester_groups = routing::read_requester_groups(&mut r, &doc);
    let emails: Vec<String> = technicians.iter().map(|t| t.email.clone()).collect();
    let rules = routing::read_rules(&mut r, &doc, &groups, &emails, &requester_groups);
    let group_leads = service::read_groups(&mut r, &doc, &groups, &emails);
    let calendars = service::read_calendars(&mut r, &doc);
    let sla = service::read_sla(&mut r, &doc, &groups, &emails, &calendars);
    let report = service::read_report(&mut r, &doc, &calendars);
    let admins = service::read_admins(&mut r, &doc);
    let pending = service::read_pending(&mut r, &doc);
    let retention = retention::read_retention(&mut r, &doc);
    let survey = service::read_survey(&mut r, &doc);
    let knowledge = service::read_knowledge(&mut r, &doc);
    let major_incident = service::read_major_incident(&mut r, &doc);
    let http = service::read_http(&mut r, &doc);
    let limits = {
        let t = r.table(&doc, "", "limits");
        if let Some(t) = t {
            r.known_keys(t, "limits", LIMITS);
        }
        let max = t.and_then(|t| r.integer(t, "limits", "max_message_bytes", 1024..=1 << 32));
        let max_html = t.and_then(|t| r.integer(t, "limits", "max_html_bytes", 0..=1 << 30));
        let per_hour = t.and_then(|t| r.integer(t, "limits", "automatic_per_hour", 1..=10_000));
        let undeliverable = t.and_then(|t| r.integer(t, "limits", "undeliverable_days", 0..=3650));
        let max_watchers = t.and_then(|t| r.integer(t, "limits", "max_watchers", 0..=10_000));
        let max_relay = t.and_then(|t| r.integer(t, "limits", "max_relay_attachment_bytes", 0..=1 << 32));
        let link_days = t.and_then(|t| r.integer(t, "limits", "attachment_link_days", 1..=3650));
        let mut per_address = Vec::new();
        if let Some(overrides) = t.and_then(|t| r.table(t, "limits", "automatic_per_hour_for")) {
            for (pattern, value) in overrides {
                let key = format!("limits.automatic_per_hour_for.\"{pattern}\"");
                let parsed = AddressPattern::parse(pattern);
                match (parsed, value.as_integer()) {
                    (Ok(p), Some(n @ 0..=10_000)) => per_address.push((p, n as u32)),
                    (Err(e), _) => r.problem(key, e),
                    (_, _) => r.problem(key, "expected a number of mails an hour, 0..=10000 (0: none)"),
                }
            }
        }
        Limits {
            max_message_bytes: max.map_or(100 << 20, |n| n as usize),
            max_html_bytes: max_html.map_or(2 << 20, |n| n as usize),
            automatic_per_hour: per_hour.unwrap_or(10) as u32,
            automatic_per_hour_for: per_address,
            undeliverable_for: chrono::Duration::days(undeliverable.unwrap_or(7)),
            max_watchers: max_watchers.unwrap_or(50) as usize,
            max_relay_attachment_bytes: max_relay.map_or(10_000_000, |n| n as usize),
            attachment_link_valid: chrono::Duration::days(link_days.unwrap_or(30)),
        }
    };

    match (database, outgoing, tickets) {
        (Some(database), Some(mut outgoing), Some(mut tickets)) if r.problems.is_empty() => {
            let zone_given = doc.get("tickets").and_then(|t| t.get("time_zone")).is_some();
            if let (false, Some((_, cal))) = (zone_given, calendars.first()) {
                tickets.time_zone = cal.tz;
            }
            outgoing.from_name = outgoing.from_name_in(tickets.language).to_string();
            let given = !outgoing.message_id_domain.is_empty();
            if !given {
                let first = mailboxes.first().map(|m| m.address.as_str()).unwrap_or("support@localhost");
                outgoing.message_id_domain = first.rsplit('@').next().unwrap_or("localhost").to_string();
            }
            for m in &mut mailboxes {
                m.message_id_domain = if given {
                    outgoing.message_id_domain.clone()
                } else {
                    m.address.rsplit('@').next().unwrap_or("localhost").to_string()
                };
            }
            Ok(Settings {
                path: PathBuf::new(),
                database,
                mailboxes,
                outgoing,
                tickets,
                templates_dir,
                technicians,
                requester_groups,
                rules,
                limits,
                groups: group_leads,
                sla,
                pending,
                retention,
                survey,
                knowledge,
                major_incident,
                http,
                report,
                admins,
                // Filled in by `Settings::parse`, once the rest is known.
                own: OwnMarkers::default(),
            })
        }
        _ => Err(r.problems),
    }
}

fn read_tickets(r: &mut Reader, doc: &Table) -> Option<Tickets> {
    let empty = Table::new();
    let t = r.table(doc, "", "tickets").unwrap_or(&empty);
    let p = "tickets";
    r.known_keys(t, p, TICKETS);
    let subject_tag = r.string(t, p, "subject_tag").unwrap_or_else(|| "Guichet".into());
    if subject_tag.trim().is_empty() || subject_tag.contains(['[', ']', '#', '\r', '\n']) {
        r.problem("tickets.subject_tag", format!("`{subject_tag}` cannot be a tag (no brackets, `#` or line breaks)"));
    }
    let reopen_days = r.integer(t, p, "reopen_days", 0..=3650).unwrap_or(14) as u32;
    // Without one, `validate` takes the first calendar's.
    let time_zone = match r.string(t, p, "time_zone") {
        None => chrono_tz::Tz::UTC,
        Some(tz) => tz.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
            r.problem("tickets.time_zone", format!("`{tz}` is not a time zone (like Europe/Paris)"));
            chrono_tz::Tz::UTC
        }),
    };
    let languages = if t.contains_key("languages") {
        let given = r.strings(t, p, "languages");
        let mut languages = Vec::new();
        for (i, name) in given.iter().enumerate() {
            let key = format!("tickets.languages[{i}]");
            match r.lang(key.clone(), Some(name.clone())) {
                Some(l) if languages.contains(&l) => r.problem(key, format!("`{name}` is listed twice")),
                Some(l) => languages.push(l),
                None => {}
            }
        }
        if given.is_empty() && matches!(t.get("languages"), Some(Value::Array(_))) {
            r.problem("tickets.languages", "must name at least one language");
        }
        languages
    } else {
        Lang::ALL.to_vec()
    };
    let language = r.string(t, p, "language");
    let language = r.lang("tickets.language".into(), language);
    // Without `language`, the first of `languages` when French is not one.
    let language = match language {
        Some(l) => {
            if !languages.is_empty() && !languages.contains(&l) {
                r.problem(
                    "tickets.language",
                    format!("`{l}` is not one of `tickets.languages` ({})", names(&languages)),
                );
            }
            l
        }
        None if languages.contains(&Lang::Fr) || languages.is_empty() => Lang::Fr,
        None => languages[0],
    };
    let stranger = match r.string(t, p, "stranger").as_deref().unwrap_or("internal") {
        "internal" => StrangerPolicy::Internal,
        "new_ticket" => StrangerPolicy::NewTicket,
        other => {
            r.problem("tickets.stranger", format!("unknown policy `{other}` (expected: internal, new_ticket)"));
            StrangerPolicy::Internal
        }
    };
    let priority_matrix = match t.get("priority_matrix") {
        None => PriorityMatrix::default(),
        Some(v) => match matrix(v) {
            Some(rows) => PriorityMatrix::new(rows),
            None => {
                r.problem(
                    "tickets.priority_matrix",
                    "expected 5 rows (impact 1..5) of 5 priorities 1..5 (urgency 1..5)",
                );
                PriorityMatrix::default()
            }
        },
    };
    let mut keywords = Keywords::default();
    if t.contains_key("urgency_words") {
        keywords.urgency = r.strings(t, p, "urgency_words");
    }
    if t.contains_key("impact_words") {
        keywords.impact = r.strings(t, p, "impact_words");
    }
    let away_hours = r.integer(t, p, "away_after_auto_reply_hours", 0..=24 * 60).unwrap_or(24);
    let trusted_authserv_ids: Vec<String> =
        r.strings(t, p, "trusted_authserv_ids").into_iter().map(|s| s.trim().to_ascii_lowercase()).collect();
    if let Some(i) = trusted_authserv_ids.iter().position(|s| s.is_empty() || s.contains(char::is_whitespace)) {
        r.problem(format!("tickets.trusted_authserv_ids[{i}]"), "an authserv-id is one word, like mx.example.test");
    }
    let technician_proof = match r.string(t, p, "technician_proof").as_deref().unwrap_or("token") {
        "token" => TechnicianProof::Token,
        "address" => TechnicianProof::Address,
        other => {
            r.problem("tickets.technician_proof", format!("unknown proof `{other}` (expected: token, address)"));
            TechnicianProof::Token
        }
    };
    Some(Tickets {
        subject_tag: SubjectTag::new(&subject_tag),
        time_zone,
        reopen_days,
        language,
        languages,
        stranger,
        priority_matrix,
        keywords,
        away_after_auto_reply: Duration::from_secs(away_hours as u64 * 3600),
        trusted_authserv_ids,
        technician_proof,
    })
}

fn names(languages: &[Lang]) -> String {
    languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
}

fn matrix(v: &Value) -> Option<[[u8; 5]; 5]> {
    let rows = v.as_array()?;
    if rows.len() != 5 {
        return None;
    }
    let mut out = [[0u8; 5]; 5];
    for (i, row) in rows.iter().enumerate() {
        let cells = row.as_array()?;
        if cells.len() != 5 {
            return None;
        }
        for (j, cell) in cells.iter().enumerate() {
            match cell.as_integer()? {
                n @ 1..=5 => out[i][j] = n as u8,
                _ => return None,
            }
        }
    }
    Some(out)
}

/// `languages`: those the desk answers in, one of which a technician's
/// `language` must be.
fn read_technicians(r: &mut Reader, doc: &Table, languages: &[Lang]) -> Vec<Technician> {
    let mut out: Vec<Technician> = Vec::new();
    for (i, t) in r.tables(doc, "technician").into_iter().enumerate() {
        let path = format!("technician[{i}]");
        r.known_keys(t, &path, TECHNICIAN);
        let email = r.required(t, &path, "email").and_then(|e| r.address(format!("{path}.email"), e));
        let name = r.string(t, &path, "name").unwrap_or_default();
        let groups = r.strings(t, &path, "groups");
        let skills = r.strings(t, &path, "skills");
        let language = r.string(t, &path, "language");
        let language = r.lang(format!("{path}.language"), language);
        if let Some(l) = language.filter(|l| !languages.contains(l)) {
            r.problem(
                format!("{path}.language"),
                format!("`{l}` is not one of `tickets.languages` ({})", names(languages)),
            );
        }
        let presence = routing::read_presence(r, t, &path);
        let time_zone = t.contains_key("time_zone").then_some(presence.tz);
        let digest = match r.string(t, &path, "digest") {
            None => Cadence::default(),
            Some(d) => d.parse().unwrap_or_else(|_| {
                r.problem(format!("{path}.digest"), format!("`{d}` is not daily, weekly or off"));
                Cadence::default()
            }),
        };
        if let Some(email) = email {
            if out.iter().any(|x| x.email == email) {
                r.problem(format!("{path}.email"), format!("`{email}` is listed twice"));
            }
            let name = if name.is_empty() { email.clone() } else { name };
            out.push(Technician { email, name, groups, skills, language, presence, time_zone, digest });
        }
    }
    out
}

#[cfg(test)]
mod tests;
