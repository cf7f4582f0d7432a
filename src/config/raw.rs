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
mod routing;
mod service;

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
    "stranger",
    "priority_matrix",
    "urgency_words",
    "impact_words",
    "away_after_auto_reply_hours",
    "trusted_authserv_ids",
    "time_zone",
];
const TEMPLATES: &[&str] = &["dir"];
const TECHNICIAN: &[&str] = &["email", "name", "groups", "skills", "language", "working_hours", "time_zone", "away"];
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
        let dir = t.and_then(|t| r.string(t, "templates", "dir")).unwrap_or_else(|| "../templates".into());
        r.path(&dir)
    };
    let technicians = read_technicians(&mut r, &doc);
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

fn read_database(r: &mut Reader, doc: &Table) -> Option<Database> {
    let Some(t) = r.table(doc, "", "database") else {
        r.problem("database", "missing (required): a [database] table with `url`");
        return None;
    };
    r.known_keys(t, "database", DATABASE);
    let busy = r.integer(t, "database", "busy_timeout_ms", 0..=600_000).unwrap_or(10_000);
    let url = r.required(t, "database", "url")?;
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        return Some(Database::Sqlite { path: r.path(rest), busy_timeout: Duration::from_millis(busy as u64) });
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool_size = r.integer(t, "database", "pool_size", 1..=64).unwrap_or(8) as u32;
        let password = r.secret(t, "database");
        return postgres_url(r, &url, password).map(|url| Database::Postgres { url, pool_size });
    }
    r.problem(
        "database.url",
        format!("`{url}` is not a database URL (expected `sqlite://PATH` or `postgres://USER@HOST/DATABASE`)"),
    );
    None
}

/// The URL with the password from `password_env`/`password_file` put in,
/// percent-encoded. A password written in the URL itself is refused: the
/// config file is not the place for secrets.
fn postgres_url(r: &mut Reader, url: &str, password: Option<String>) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let userinfo = authority.rsplit_once('@').map(|(u, _)| u);
    if userinfo.is_some_and(|u| u.contains(':')) {
        r.problem("database.url", "holds a password: put it in `password_env` or `password_file` instead");
        return None;
    }
    let Some(password) = password else { return Some(url.to_string()) };
    let Some(user) = userinfo else {
        r.problem("database.url", "a password is set: give the user too, as `postgres://USER@HOST/DATABASE`");
        return None;
    };
    let encoded: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Some(format!("{scheme}://{user}:{encoded}@{}", &rest[user.len() + 1..]))
}

fn read_mailboxes(r: &mut Reader, doc: &Table) -> Vec<Mailbox> {
    let mut out: Vec<Mailbox> = Vec::new();
    for (i, t) in r.tables(doc, "mailbox").into_iter().enumerate() {
        let path = format!("mailbox[{i}]");
        r.known_keys(t, &path, MAILBOX);
        let name = r.required(t, &path, "name");
        let address = r.required(t, &path, "address").and_then(|a| r.address(format!("{path}.address"), a));
        let kind = match r.string(t, &path, "kind").as_deref().unwrap_or("maildir") {
            "maildir" => r.required(t, &path, "path").map(|p| MailboxKind::Maildir { path: r.path(&p) }),
            "imap" => read_imap(r, t, &path).map(MailboxKind::Imap),
            other => {
                r.problem(format!("{path}.kind"), format!("unknown kind `{other}` (expected: maildir, imap)"));
                None
            }
        };
        let after = match r.string(t, &path, "after").as_deref().unwrap_or("keep") {
            "keep" => Some(AfterAction::Keep),
            "delete" => Some(AfterAction::Delete),
            other => match other.strip_prefix("move:") {
                Some(folder) if !folder.trim().is_empty() => Some(AfterAction::Move(folder.trim().to_string())),
                _ => {
                    r.problem(
                        format!("{path}.after"),
                        format!("`{other}` is not an action (expected keep, delete or move:FOLDER)"),
                    );
                    None
                }
            },
        };
        let poll = r.integer(t, &path, "poll_seconds", 1..=86_400).unwrap_or(30);
        if let Some(n) = &name {
            if out.iter().any(|m| &m.name == n) {
                r.problem(format!("{path}.name"), format!("another mailbox is already named `{n}`"));
            }
        }
        if let (Some(name), Some(address), Some(kind), Some(after)) = (name, address, kind, after) {
            let group = r.string(t, &path, "group");
            let from_names = read_per_lang(r, t, &path, "from_name", false);
            let signature = read_per_lang(r, t, &path, "signature", true);
            out.push(Mailbox {
                name,
                kind,
                address,
                after,
                poll: Duration::from_secs(poll as u64),
                group,
                from_names,
                signature,
                message_id_domain: String::new(),
            });
        }
    }
    if out.is_empty() && r.problems.is_empty() {
        r.problem("mailbox", "at least one [[mailbox]] is required: it gives the support address");
    }
    out
}

fn read_tls(r: &mut Reader, t: &Table, path: &str) -> Option<Tls> {
    match r.string(t, path, "tls").as_deref().unwrap_or("tls") {
        "none" => Some(Tls::None),
        "starttls" => Some(Tls::Starttls),
        "tls" => Some(Tls::Tls),
        other => {
            r.problem(join(path, "tls"), format!("unknown TLS mode `{other}` (expected: tls, starttls, none)"));
            None
        }
    }
}

/// Passwords in clear text only to this machine, unless the admin says so.
fn check_plaintext(r: &mut Reader, t: &Table, path: &str, host: &str, tls: Tls) {
    let forced = match t.get("allow_plaintext") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => {
            r.problem(join(path, "allow_plaintext"), "must be true or false");
            false
        }
    };
    let loopback = host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if tls == Tls::None && !loopback && !forced {
        r.problem(
            join(path, "tls"),
            format!("`none` sends the password in clear to {host}: use tls or starttls, or set allow_plaintext = true"),
        );
    }
}

fn read_imap(r: &mut Reader, t: &Table, path: &str) -> Option<Imap> {
    let host = r.required(t, path, "host");
    let tls = read_tls(r, t, path);
    let port = r.integer(t, path, "port", 1..=65_535).map(|p| p as u16);
    let port = port.unwrap_or(if tls == Some(Tls::Tls) { 993 } else { 143 });
    let username = r.required(t, path, "username");
    let auth = match oauth2::wants_oauth2(r, t, path) {
        Some(true) => {
            let grant = r.string(t, path, "name").unwrap_or_default();
            if grant == "outgoing" {
                r.problem(join(path, "name"), "`outgoing` names [outgoing]'s OAuth2 login: choose another name");
            }
            oauth2::read_oauth2(r, t, path, username.as_deref(), &grant, false).map(|o| Auth::OAuth2(Box::new(o)))
        }
        Some(false) => {
            let password = r.secret(t, path);
            if password.is_none() && !t.contains_key("password_env") && !t.contains_key("password_file") {
                r.problem(join(path, "password_env"), "missing: give password_env or password_file");
            }
            password.map(Auth::Password)
        }
        None => None,
    };
    let folder = r.string(t, path, "folder").unwrap_or_else(|| "INBOX".into());
    let ca_file = r.string(t, path, "ca_file").map(|f| r.path(&f));
    if let Some(f) = &ca_file {
        if !f.is_file() {
            r.problem(join(path, "ca_file"), format!("no such file: {}", f.display()));
        }
    }
    let idle = match t.get("idle") {
        None => true,
        Some(toml::Value::Boolean(b)) => *b,
        Some(_) => {
            r.problem(join(path, "idle"), "must be true or false");
            true
        }
    };
    let renew = r.integer(t, path, "idle_renew_seconds", 10..=1740).unwrap_or(600);
    if let (Some(h), Some(tls)) = (&host, tls) {
        check_plaintext(r, t, path, h, tls);
    }
    Some(Imap {
        host: host?,
        port,
        tls: tls?,
        username: username?,
        auth: auth?,
        folder,
        ca_file,
        idle,
        idle_renew: Duration::from_secs(renew as u64),
    })
}

fn read_outgoing(r: &mut Reader, doc: &Table) -> Option<Outgoing> {
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
fn read_per_lang(r: &mut Reader, t: &Table, path: &str, key: &str, lines: bool) -> Vec<(Lang, String)> {
    let mut names = Vec::new();
    let mut one = |r: &mut Reader, key: String, lang: Option<Lang>, v: &Value| match v {
        Value::String(s) if !lines && s.contains(['\r', '\n']) => r.problem(key, "must be a single line"),
        Value::String(s) if s.trim().is_empty() => r.problem(key, "must not be empty"),
        Value::String(s) => {
            let s = if lines { s.trim_end().to_string() } else { s.clone() };
            match lang {
                Some(l) => names.push((l, s)),
                None => names.extend([Lang::Fr, Lang::En].map(|l| (l, s.clone()))),
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

fn read_smtp(r: &mut Reader, t: &Table) -> Option<Transport> {
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
    let language = r.string(t, p, "language");
    let language = r.lang("tickets.language".into(), language).unwrap_or(Lang::Fr);
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
    Some(Tickets {
        subject_tag: SubjectTag::new(&subject_tag),
        time_zone,
        reopen_days,
        language,
        stranger,
        priority_matrix,
        keywords,
        away_after_auto_reply: Duration::from_secs(away_hours as u64 * 3600),
        trusted_authserv_ids,
    })
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

fn read_technicians(r: &mut Reader, doc: &Table) -> Vec<Technician> {
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
        let presence = routing::read_presence(r, t, &path);
        let time_zone = t.contains_key("time_zone").then_some(presence.tz);
        if let Some(email) = email {
            if out.iter().any(|x| x.email == email) {
                r.problem(format!("{path}.email"), format!("`{email}` is listed twice"));
            }
            let name = if name.is_empty() { email.clone() } else { name };
            out.push(Technician { email, name, groups, skills, language, presence, time_zone });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match validate(text, Path::new("/etc/guichet")) {
            Ok(_) => Vec::new(),
            Err(p) => p.iter().map(|p| p.to_string()).collect(),
        }
    }

    const GOOD: &str = r#"
[database]
url = "sqlite://../var/guichet.db"
[[mailbox]]
name = "support"
path = "../mail"
address = "Support@Example.test"
"#;

    #[test]
    fn a_minimal_config_is_valid_and_paths_are_relative_to_it() {
        let s = validate(GOOD, Path::new("/etc/guichet")).unwrap();
        let want = PathBuf::from("/etc/guichet/../var/guichet.db");
        assert_eq!(s.database, Database::Sqlite { path: want, busy_timeout: Duration::from_secs(10) });
        assert_eq!(s.mailboxes[0].address, "support@example.test");
        assert_eq!(s.tickets.subject_tag.as_str(), "Guichet");
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let text = format!(
            "{GOOD}\ncolour = 1\n[tickets]\nreopen_days = -1\nlanguage = \"de\"\nsubjet_tag = \"x\"\n[outgoing]\ntransport = \"pigeon\"\n[[technician]]\nemail = \"bob\"\n"
        );
        let p = problems(&text);
        let want = [
            "`mailbox[0].colour`: unknown key",
            "`tickets.reopen_days`: -1 is out of range",
            "`tickets.language`: unknown language `de`",
            "`tickets.subjet_tag`: unknown key",
            "`outgoing.transport`: unknown transport `pigeon`",
            "`technician[0].email`: `bob` is not an e-mail address",
        ];
        for w in want {
            assert!(p.iter().any(|x| x.starts_with(w)), "missing {w} in {p:#?}");
        }
        assert_eq!(p.len(), want.len(), "{p:#?}");
    }

    #[test]
    fn wrong_types_name_the_key_and_the_type_found() {
        let p = problems(&format!("{GOOD}\n[tickets]\nreopen_days = \"ten\"\n"));
        assert_eq!(p, vec!["`tickets.reopen_days`: expected an integer, found string"]);
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let p = problems("[database]\nurl = \n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("`line 2`"), "{p:?}");
    }

    #[test]
    fn smtp_needs_a_host() {
        let p = problems(&format!("{GOOD}\n[outgoing]\ntransport = \"smtp\"\n"));
        assert_eq!(p, vec!["`outgoing.host`: missing (required)"]);
    }

    #[test]
    fn the_desk_time_zone_is_its_own_else_the_first_calendars_else_utc() {
        let zone = |extra: &str| validate(&format!("{GOOD}\n{extra}"), Path::new("/etc")).unwrap().tickets.time_zone;
        let calendars = "[[calendar]]\nname = \"bureaux\"\ntime_zone = \"America/Montreal\"\n";
        assert_eq!(zone(""), chrono_tz::Tz::UTC);
        assert_eq!(zone(calendars), chrono_tz::Tz::America__Montreal);
        assert_eq!(
            zone(&format!("[tickets]\ntime_zone = \"Europe/Paris\"\n{calendars}")),
            chrono_tz::Tz::Europe__Paris
        );
        let p = problems(&format!("{GOOD}\n[tickets]\ntime_zone = \"Mars/Olympus\"\n"));
        assert_eq!(p, vec!["`tickets.time_zone`: `Mars/Olympus` is not a time zone (like Europe/Paris)"]);
    }

    #[test]
    fn from_name_is_one_name_or_one_per_language() {
        let out = |extra: &str| validate(&format!("{GOOD}\n{extra}"), Path::new("/etc")).unwrap().outgoing;
        let one = out("[outgoing]\nfrom_name = \"Support\"\n");
        assert_eq!((one.from_name_in(Lang::Fr), one.from_name_in(Lang::En)), ("Support", "Support"));
        let two = out("[tickets]\nlanguage = \"en\"\n[outgoing]\nfrom_name = { fr = \"Support informatique\", en = \"IT Support\" }\n");
        assert_eq!((two.from_name_in(Lang::Fr), two.from_name_in(Lang::En)), ("Support informatique", "IT Support"));
        assert_eq!(two.from_name, "IT Support", "the default is the desk language's");
        let only_fr = out("[outgoing]\nfrom_name = { fr = \"Support informatique\" }\n");
        assert_eq!(only_fr.from_name_in(Lang::En), "Support informatique");
        let p = problems(&format!("{GOOD}\n[outgoing]\nfrom_name = {{ de = \"Kundendienst\", en = \"\" }}\n"));
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("`outgoing.from_name.de`"), "{p:?}");
        assert_eq!(p[1], "`outgoing.from_name.en`: must not be empty");
        let p = problems(&format!("{GOOD}\n[outgoing]\nfrom_name = 3\n"));
        assert!(p[0].starts_with("`outgoing.from_name`: expected a name"), "{p:?}");
    }
}
