//! `[database]` and each `[[mailbox]]`: where the store is and where
//! mail is read from (IMAP with its TLS, or a maildir).

use super::*;

pub(super) fn read_database(r: &mut Reader, doc: &Table) -> Option<Database> {
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
pub(super) fn postgres_url(r: &mut Reader, url: &str, password: Option<String>) -> Option<String> {
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

pub(super) fn read_mailboxes(r: &mut Reader, doc: &Table) -> Vec<Mailbox> {
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

pub(super) fn read_tls(r: &mut Reader, t: &Table, path: &str) -> Option<Tls> {
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
pub(super) fn check_plaintext(r: &mut Reader, t: &Table, path: &str, host: &str, tls: Tls) {
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

pub(super) fn read_imap(r: &mut Reader, t: &Table, path: &str) -> Option<Imap> {
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
