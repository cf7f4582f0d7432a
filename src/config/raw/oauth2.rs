//! `auth = "password" | "oauth2"` and the `oauth2 = { … }` table of a
//! `[[mailbox]]` or of `[outgoing]`.

use std::time::Duration;

use toml::{Table, Value};

use super::{join, Reader};
use crate::config::oauth2::{preset, Flow, OAuth2, Provider};

const OAUTH2: &[&str] = &[
    "provider",
    "flow",
    "tenant",
    "client_id",
    "client_secret_env",
    "client_secret_file",
    "scope",
    "token_url",
    "device_url",
    "login",
    "token_command",
    "token_command_timeout_seconds",
    "token_key_env",
    "token_key_file",
];

/// Whether `auth` asks for OAuth2 (`None` when the value is wrong; the
/// problem is recorded).
pub(super) fn wants_oauth2(r: &mut Reader, t: &Table, path: &str) -> Option<bool> {
    match r.string(t, path, "auth").as_deref().unwrap_or("password") {
        "password" => {
            if t.contains_key("oauth2") {
                r.problem(join(path, "oauth2"), "set only with auth = \"oauth2\"");
            }
            Some(false)
        }
        "oauth2" => Some(true),
        other => {
            r.problem(join(path, "auth"), format!("unknown `{other}` (expected: password, oauth2)"));
            None
        }
    }
}

/// Reads `path.oauth2`. `username` is the mailbox's login name, the
/// identity when `login` is not given; `grant` the name tokens are kept
/// under; `smtp` picks the sending scopes of the presets.
pub(super) fn read_oauth2(
    r: &mut Reader,
    parent: &Table,
    path: &str,
    username: Option<&str>,
    grant: &str,
    smtp: bool,
) -> Option<OAuth2> {
    let key = join(path, "oauth2");
    let Some(t) = r.table(parent, path, "oauth2") else {
        if !parent.contains_key("oauth2") {
            r.problem(key, "missing: auth = \"oauth2\" needs an oauth2 = { provider = …, client_id = … } table");
        }
        return None;
    };
    r.known_keys(t, &key, OAUTH2);
    let provider = match r.string(t, &key, "provider").as_deref().unwrap_or("generic") {
        "microsoft" => Some(Provider::Microsoft),
        "google" => Some(Provider::Google),
        "generic" => Some(Provider::Generic),
        other => {
            r.problem(join(&key, "provider"), format!("unknown `{other}` (expected: microsoft, google, generic)"));
            None
        }
    };
    let client_secret = r.named_secret(t, &key, "client_secret_env", "client_secret_file");
    let token_command = r.string(t, &key, "token_command");
    let flow = match r.string(t, &key, "flow").as_deref() {
        None if token_command.is_some() => Some(Flow::Command),
        None if client_secret.is_some() => Some(Flow::ClientCredentials),
        None | Some("device") => Some(Flow::Device),
        Some("client_credentials") => Some(Flow::ClientCredentials),
        Some("command") => Some(Flow::Command),
        Some(other) => {
            r.problem(join(&key, "flow"), format!("unknown `{other}` (expected: client_credentials, device, command)"));
            None
        }
    };
    let timeout = r.integer(t, &key, "token_command_timeout_seconds", 1..=600).unwrap_or(30);
    let token_key = r.named_secret(t, &key, "token_key_env", "token_key_file");
    if token_key.as_deref().is_some_and(|k| k.len() < 16) {
        r.problem(join(&key, "token_key_env"), "the token key must be at least 16 characters");
    }
    let login = r.string(t, &key, "login").or_else(|| username.map(str::to_string));
    if username.is_none() {
        r.problem(join(path, "username"), "missing: the mailbox OAuth2 logs in to");
    }
    let tenant = r.string(t, &key, "tenant");
    let (provider, flow) = (provider?, flow?);
    let (token_preset, device_preset, user_scope, app_scope) = preset(provider, smtp);
    let fill = |s: &str| s.replace("{tenant}", tenant.as_deref().unwrap_or("organizations"));
    let token_url = r.string(t, &key, "token_url").unwrap_or_else(|| fill(token_preset));
    let device_url = r.string(t, &key, "device_url").or_else(|| Some(fill(device_preset)).filter(|u| !u.is_empty()));
    let scope = r
        .string(t, &key, "scope")
        .unwrap_or_else(|| if flow == Flow::ClientCredentials { app_scope } else { user_scope }.to_string());
    let client_id = r.string(t, &key, "client_id").unwrap_or_default();
    match flow {
        Flow::Command => {
            if token_command.as_deref().is_none_or(|c| c.trim().is_empty()) {
                r.problem(join(&key, "token_command"), "missing: flow = \"command\" runs this to get a token");
            }
        }
        Flow::ClientCredentials | Flow::Device => {
            if client_id.trim().is_empty() {
                r.problem(join(&key, "client_id"), "missing (required)");
            }
            if token_url.is_empty() {
                r.problem(join(&key, "token_url"), "missing: the generic provider has no default token URL");
            }
            if scope.is_empty() {
                r.problem(join(&key, "scope"), "missing: the generic provider has no default scope");
            }
            if token_command.is_some() {
                r.problem(join(&key, "token_command"), format!("not used with flow = \"{}\"", flow.as_str()));
            }
        }
    }
    if flow == Flow::ClientCredentials {
        if client_secret.is_none() && !t.contains_key("client_secret_env") && !t.contains_key("client_secret_file") {
            r.problem(join(&key, "client_secret_env"), "missing: client credentials need client_secret_env or _file");
        }
        if provider == Provider::Google {
            r.problem(
                join(&key, "flow"),
                "Google has no client-credentials grant for mail: use flow = \"device\" or token_command",
            );
        }
        if provider == Provider::Microsoft && tenant.is_none() && !t.contains_key("token_url") {
            r.problem(join(&key, "tenant"), "missing: app-only access needs the tenant (its ID or domain)");
        }
    }
    if flow == Flow::Device && device_url.is_none() {
        r.problem(join(&key, "device_url"), "missing: the generic provider has no default device URL");
    }
    for (k, url) in [("token_url", Some(&token_url)), ("device_url", device_url.as_ref())] {
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                r.problem(join(&key, k), format!("`{u}` is not an http(s) URL"));
            } else if u.starts_with("http://") && !is_loopback_url(u) {
                r.problem(join(&key, k), "tokens travel in clear over http://: use https://");
            }
        }
    }
    let ca_file = match parent.get("ca_file") {
        Some(Value::String(f)) => Some(r.path(f)),
        _ => None,
    };
    Some(OAuth2 {
        grant: grant.to_string(),
        key,
        provider,
        flow,
        user: username?.to_string(),
        login: login?,
        client_id,
        client_secret,
        tenant,
        token_url,
        device_url,
        scope,
        token_command,
        command_timeout: Duration::from_secs(timeout as u64),
        token_key,
        ca_file,
    })
}

fn is_loopback_url(url: &str) -> bool {
    let rest = url.trim_start_matches("http://");
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host == "localhost" || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::oauth2::{Auth, Flow};
    use crate::config::{MailboxKind, Settings, Transport};

    fn settings(text: &str) -> Result<Settings, Vec<String>> {
        super::super::validate(text, Path::new("/etc/guichet")).map_err(|p| p.iter().map(|p| p.to_string()).collect())
    }

    const MICROSOFT: &str = r#"
[database]
url = "sqlite://../var/guichet.db"
[[mailbox]]
name = "support"
kind = "imap"
host = "outlook.office365.com"
username = "support@example.test"
address = "support@example.test"
auth = "oauth2"
oauth2 = { provider = "microsoft", tenant = "example.test", client_id = "app-1", login = "alice@example.test" }
[outgoing]
transport = "smtp"
host = "smtp.office365.com"
username = "support@example.test"
auth = "oauth2"
oauth2 = { provider = "microsoft", tenant = "example.test", client_id = "app-1", token_command = "printf tok" }
"#;

    #[test]
    fn microsoft_presets_fill_the_urls_and_scopes_and_login_may_differ_from_the_mailbox() {
        let s = settings(MICROSOFT).unwrap();
        let MailboxKind::Imap(imap) = &s.mailboxes[0].kind else { panic!() };
        let Auth::OAuth2(o) = &imap.auth else { panic!() };
        assert_eq!(o.flow, Flow::Device);
        assert_eq!(o.token_url, "https://login.microsoftonline.com/example.test/oauth2/v2.0/token");
        assert!(o.scope.contains("IMAP.AccessAsUser.All"), "{}", o.scope);
        assert_eq!((o.user.as_str(), o.login.as_str()), ("support@example.test", "alice@example.test"));
        assert_eq!(o.grant, "support");
        let Transport::Smtp(smtp) = &s.outgoing.transport else { panic!() };
        let o = smtp.oauth2.as_ref().unwrap();
        assert_eq!((o.flow, o.grant.as_str(), o.login.as_str()), (Flow::Command, "outgoing", "support@example.test"));
    }

    #[test]
    fn every_oauth2_mistake_names_its_key() {
        let text = MICROSOFT
            .replace(r#"provider = "microsoft", tenant = "example.test", client_id = "app-1", login"#, r#"provider = "yahoo", clientid = "x", login"#)
            .replace(r#"auth = "oauth2"
oauth2 = { provider = "microsoft", tenant = "example.test", client_id = "app-1", token_command"#, r#"auth = "oauth2"
oauth2 = { provider = "google", flow = "client_credentials", client_secret_env = "GUICHET_NO_SUCH_VARIABLE", token_command"#);
        let p = settings(&text).unwrap_err();
        for want in [
            "`mailbox[0].oauth2.provider`: unknown `yahoo`",
            "`mailbox[0].oauth2.clientid`: unknown key",
            "`outgoing.oauth2.client_secret_env`: environment variable",
            "`outgoing.oauth2.flow`: Google has no client-credentials grant",
            "`outgoing.oauth2.token_command`: not used",
        ] {
            assert!(p.iter().any(|x| x.starts_with(want)), "missing {want} in {p:#?}");
        }
    }

    #[test]
    fn oauth2_without_its_table_and_a_table_without_oauth2_are_refused() {
        let text = MICROSOFT.replacen(
            r#"oauth2 = { provider = "microsoft", tenant = "example.test", client_id = "app-1", login = "alice@example.test" }"#,
            "",
            1,
        );
        let p = settings(&text).unwrap_err();
        assert!(p.iter().any(|x| x.starts_with("`mailbox[0].oauth2`: missing")), "{p:#?}");
        let text = MICROSOFT.replacen(r#"auth = "oauth2""#, r#"auth = "password""#, 1);
        let p = settings(&text).unwrap_err();
        assert!(p.iter().any(|x| x.starts_with("`mailbox[0].oauth2`: set only with")), "{p:#?}");
    }
}

#[cfg(test)]
mod example {
    #[test]
    fn the_microsoft_365_example_config_is_valid_given_its_secret_files() {
        let dir = tempfile::tempdir().unwrap();
        let text = include_str!("../../../config/examples/microsoft365.toml")
            .replace("/etc/guichet/", &format!("{}/", dir.path().display()));
        std::fs::write(dir.path().join("entra-client-secret"), "an application secret").unwrap();
        std::fs::write(dir.path().join("token-key"), "a key of more than sixteen characters").unwrap();
        let s = crate::config::Settings::parse(&text, &dir.path().join("guichet.toml"));
        assert!(s.is_ok(), "{:?}", s.err().map(|e| e.to_string()));
    }
}
