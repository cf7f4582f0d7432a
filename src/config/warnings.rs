//! Settings that load but leave the desk weaker than it could be: mail or
//! passwords in clear over the network, links people follow without TLS,
//! counts open to anyone, secret files others can read. `guichet check`
//! prints each as a warning naming its key; none makes the config invalid.
//! A new warning is one more `if` in [`warnings`].

use std::fmt;
use std::path::Path;

use super::{Auth, Database, MailboxKind, Settings, TechnicianProof, Tls, Transport};

/// One weak setting: the key it is about and what it risks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

/// `localhost`, `127.0.0.1`, `::1`, `[::1]` and the rest of 127/8.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host of `scheme://[user@]host[:port]/…`.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split_once(']').map_or(v6, |(h, _)| h);
    }
    host_port.split_once(':').map_or(host_port, |(h, _)| h)
}

/// Every weak setting of `settings`, in config order.
pub fn warnings(settings: &Settings) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |key: String, message: String| out.push(Warning { key, message });

    if settings.tickets.technician_proof == TechnicianProof::Address
        && settings.tickets.trusted_authserv_ids.is_empty()
        && !settings.technicians.is_empty()
    {
        warn(
            "tickets.technician_proof".into(),
            "`address` with no `tickets.trusted_authserv_ids`: anyone who writes a technician's address in From \
             runs their commands (#resolve, #assign) and speaks to requesters in their name; the default, `token`, \
             asks for an answer to the desk's own mail"
                .into(),
        );
    }
    if let Database::Postgres { url, .. } = &settings.database {
        let host = url_host(url);
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let ssl =
            query.split('&').any(|kv| matches!(kv, "sslmode=require" | "sslmode=verify-ca" | "sslmode=verify-full"));
        if !host.is_empty() && !host.starts_with('/') && !is_loopback_host(host) && !ssl {
            warn(
                "database.url".into(),
                format!(
                    "PostgreSQL on {host} without `sslmode=require` (or verify-ca, verify-full): the connection \
                     may fall back to clear text, password and tickets readable on the network"
                ),
            );
        }
    }
    for (i, m) in settings.mailboxes.iter().enumerate() {
        let MailboxKind::Imap(imap) = &m.kind else { continue };
        if imap.tls == Tls::None && !is_loopback_host(&imap.host) {
            let what = match imap.auth {
                Auth::Password(_) => "the password and every mail",
                Auth::OAuth2(_) => "the access token and every mail",
            };
            warn(format!("mailbox[{i}].tls"), format!("`none` to {}: {what} cross the network in clear", imap.host));
        }
    }
    if let Transport::Smtp(smtp) = &settings.outgoing.transport {
        if smtp.tls == Tls::None && !is_loopback_host(&smtp.host) {
            warn(
                "outgoing.tls".into(),
                format!("`none` to {}: every mail the desk sends crosses the network in clear", smtp.host),
            );
        }
    }
    if let Some(http) = &settings.http {
        let host = url_host(&http.base_url);
        if http.base_url.starts_with("http://") && !is_loopback_host(host) {
            warn(
                "http.base_url".into(),
                format!(
                    "`{}` is plain http on {host}: survey links and dashboard logins travel in clear; serve it \
                     behind https and give its https:// address",
                    http.base_url
                ),
            );
        }
        if http.metrics_token.is_none() && !http.listen.ip().is_loopback() {
            warn(
                "http.metrics_token_file".into(),
                format!(
                    "not set while `http.listen` is {}: /metrics is open to anyone who reaches it; give \
                     metrics_token_file or metrics_token_env, or listen on 127.0.0.1",
                    http.listen
                ),
            );
        }
    }
    for (key, file) in secret_files(settings) {
        if let Some(mode) = readable_by_others(&file) {
            warn(
                key,
                format!(
                    "{} has mode {mode:04o}: others on this machine can read the secret; chmod 600 it",
                    file.display()
                ),
            );
        }
    }
    out
}

/// The secret files the config names (`*_file` keys holding a password, a
/// key or a token), read again from the config file: the settings keep the
/// secrets, not where they came from.
fn secret_files(settings: &Settings) -> Vec<(String, std::path::PathBuf)> {
    let Ok(text) = std::fs::read_to_string(&settings.path) else { return Vec::new() };
    let Ok(doc) = text.parse::<toml::Table>() else { return Vec::new() };
    let base = settings.path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    walk(&toml::Value::Table(doc), "", base, &mut out);
    out
}

const SECRET_FILE_KEYS: &[&str] =
    &["password_file", "secret_file", "metrics_token_file", "client_secret_file", "token_key_file", "key_file"];

fn walk(value: &toml::Value, path: &str, base: &Path, out: &mut Vec<(String, std::path::PathBuf)>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match v {
                    toml::Value::String(file) if SECRET_FILE_KEYS.contains(&k.as_str()) => {
                        out.push((key, base.join(file)))
                    }
                    _ => walk(v, &key, base, out),
                }
            }
        }
        toml::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}[{i}]"), base, out);
            }
        }
        _ => {}
    }
}

/// The file's permission bits when its group or others may read it.
#[cfg(unix)]
fn readable_by_others(file: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).ok()?.permissions().mode() & 0o7777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn readable_by_others(_file: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_told_from_the_others() {
        for host in ["localhost", "127.0.0.1", "127.0.0.53", "::1", "[::1]", "desk.localhost"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["mail.example.test", "10.0.0.1", "0.0.0.0", "::", "localhost.example.test"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn the_host_of_a_url_is_found_behind_user_and_port() {
        assert_eq!(url_host("http://desk.example.test:8025/survey"), "desk.example.test");
        assert_eq!(url_host("postgres://guichet@db.example.test/guichet?sslmode=prefer"), "db.example.test");
        assert_eq!(url_host("http://[::1]:8025"), "::1");
        assert_eq!(url_host("http://127.0.0.1"), "127.0.0.1");
    }
}
