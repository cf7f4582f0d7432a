//! `guichet auth login NAME` and `guichet auth status`: OAuth2 grants.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::config::oauth2::{Flow, OAuth2};
use crate::config::{Auth, MailboxKind, Settings, Transport};
use crate::domain::oauth2::IssuerVerdict;
use crate::oauth::{self, vault, IssuerError};

use super::{exit, Env, Failure};

/// OAuth2 logins of the mailboxes and of `[outgoing]`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Obtains a refresh token for a mailbox (or `outgoing`) with the
    /// device authorisation grant: prints an address and a code to enter
    /// there, waits for the sign-in, then keeps the token, encrypted, in
    /// the database. Exit 75 when the issuer cannot be reached.
    Login {
        /// The mailbox's `name`, or `outgoing`.
        name: String,
    },
    /// Lists the OAuth2 logins configured and the grants stored (never
    /// the tokens).
    Status,
}

/// Every OAuth2 login of the config.
fn logins(settings: &Settings) -> Vec<&OAuth2> {
    let mut out: Vec<&OAuth2> = settings
        .mailboxes
        .iter()
        .filter_map(|m| match &m.kind {
            MailboxKind::Imap(i) => match &i.auth {
                Auth::OAuth2(o) => Some(&**o),
                Auth::Password(_) => None,
            },
            MailboxKind::Maildir { .. } => None,
        })
        .collect();
    if let Transport::Smtp(s) = &settings.outgoing.transport {
        out.extend(s.oauth2.as_deref());
    }
    out
}

pub fn run(env: Env, cmd: Command) -> Result<ExitCode, Failure> {
    match cmd {
        Command::Login { name } => login(env, &name),
        Command::Status => status(env),
    }
}

fn fail(code: u8, message: String) -> Failure {
    Failure::new(code, anyhow::anyhow!(message))
}

fn issuer_failure(e: IssuerError) -> Failure {
    match e {
        IssuerError::Unreachable(r) => fail(exit::TEMPFAIL, format!("the issuer cannot be reached: {r}")),
        IssuerError::Said { verdict: IssuerVerdict::Transient, text } => {
            fail(exit::TEMPFAIL, format!("the issuer cannot answer now: {text}"))
        }
        IssuerError::Said { text, .. } => fail(exit::FAILURE, format!("the issuer refused: {text}")),
    }
}

fn login(env: Env, name: &str) -> Result<ExitCode, Failure> {
    let all = logins(&env.settings);
    let Some(cfg) = all.iter().find(|o| o.grant == name).copied() else {
        let names: Vec<&str> = all.iter().map(|o| o.grant.as_str()).collect();
        return Err(fail(
            exit::USAGE,
            format!(
                "no OAuth2 login named `{name}` (configured: {})",
                if names.is_empty() { "none".into() } else { names.join(", ") }
            ),
        ));
    };
    if cfg.flow != Flow::Device {
        return Err(fail(
            exit::USAGE,
            format!(
                "`{name}` uses flow = \"{}\": it needs no sign-in (only flow = \"device\" does)",
                cfg.flow.as_str()
            ),
        ));
    }
    let http_secret = env.settings.http.as_ref().and_then(|h| h.secret.clone());
    let Some(secret) = oauth::sealing_key(cfg, http_secret.as_deref()) else {
        return Err(fail(
            exit::CONFIG,
            format!(
                "`{}.token_key_env`: missing: the refresh token is kept encrypted with this key (or [http] secret_env)",
                cfg.key
            ),
        ));
    };
    let store = env.store()?;
    let runtime = super::runtime()?;
    let grant = runtime.block_on(device_flow(cfg))?;
    let now = env.clock.now().naive_utc();
    let mut conn = store.conn()?;
    vault::save(&mut conn, &secret, name, &grant, now).map_err(|e| fail(exit::TEMPFAIL, e.to_string()))?;
    println!(
        "signed in: the grant of `{name}` (login {}) is stored; a running guichet uses it at its next try",
        cfg.login
    );
    Ok(ExitCode::SUCCESS)
}

/// RFC 8628: asks for a code, shows it, polls until the person signs in.
async fn device_flow(cfg: &OAuth2) -> Result<vault::Grant, Failure> {
    let ca = cfg.ca_file.as_deref();
    let mut fields = vec![("client_id", cfg.client_id.clone()), ("scope", cfg.scope.clone())];
    if let Some(s) = &cfg.client_secret {
        fields.push(("client_secret", s.clone()));
    }
    let device_url = cfg.device_url.clone().unwrap_or_default();
    let start = oauth::post(&device_url, &fields, ca).await.map_err(issuer_failure)?;
    let text = |k: &str| start[k].as_str().map(str::to_string);
    let (Some(device_code), Some(user_code)) = (text("device_code"), text("user_code")) else {
        return Err(fail(exit::FAILURE, "the issuer's answer has no device_code or user_code".into()));
    };
    // Google says verification_url, the RFC verification_uri.
    let address = text("verification_uri").or_else(|| text("verification_url")).unwrap_or_default();
    let mut interval = Duration::from_secs(start["interval"].as_u64().unwrap_or(5).max(1));
    let deadline = Instant::now() + Duration::from_secs(start["expires_in"].as_u64().unwrap_or(900));
    println!("To let guichet sign in as {} for `{}`:", cfg.login, cfg.grant);
    println!("  open:       {address}");
    println!("  enter code: {user_code}");
    if let Some(complete) = text("verification_uri_complete") {
        println!("  (or open {complete})");
    }
    println!("Waiting for the sign-in…");
    let _ = std::io::stdout().flush();
    let mut poll = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code".to_string()),
        ("device_code", device_code),
        ("client_id", cfg.client_id.clone()),
    ];
    if let Some(s) = &cfg.client_secret {
        poll.push(("client_secret", s.clone()));
    }
    let mut unreachable = 0;
    loop {
        tokio::time::sleep(interval).await;
        if Instant::now() > deadline {
            return Err(fail(exit::FAILURE, "the code expired before the sign-in: run the command again".into()));
        }
        match oauth::post(&cfg.token_url, &poll, ca).await {
            Ok(answer) => {
                let Some(refresh) = answer["refresh_token"].as_str() else {
                    return Err(fail(
                        exit::FAILURE,
                        "the issuer gave no refresh token: add offline_access to the scope".into(),
                    ));
                };
                return Ok(vault::Grant {
                    refresh_token: refresh.to_string(),
                    login: cfg.login.clone(),
                    client_id: cfg.client_id.clone(),
                    scope: cfg.scope.clone(),
                });
            }
            Err(IssuerError::Said { verdict: IssuerVerdict::Pending, .. }) => {}
            Err(IssuerError::Said { verdict: IssuerVerdict::SlowDown, .. }) => interval += Duration::from_secs(5),
            // A short outage while waiting: keep polling a while.
            Err(IssuerError::Unreachable(_)) if unreachable < 5 => unreachable += 1,
            Err(e) => return Err(issuer_failure(e)),
        }
    }
}

fn status(env: Env) -> Result<ExitCode, Failure> {
    let store = env.store()?;
    let mut conn = store.conn()?;
    let stored = vault::list(&mut conn).map_err(|e| fail(exit::TEMPFAIL, e.to_string()))?;
    for o in logins(&env.settings) {
        let saved = stored.iter().find(|s| s.grant == o.grant);
        let state = match (o.flow, saved) {
            (Flow::Device, Some(s)) => format!("grant stored {}", super::time(s.saved_at)),
            (Flow::Device, None) => format!("no grant stored: run `guichet auth login {}`", o.grant),
            (Flow::ClientCredentials, _) => "application grant (client credentials)".into(),
            (Flow::Command, _) => "token_command".into(),
        };
        println!("{}: {} — {state}", o.grant, o.describe());
    }
    for s in stored.iter().filter(|s| !logins(&env.settings).iter().any(|o| o.grant == s.grant)) {
        println!("{}: grant stored {} but no longer configured", s.grant, super::time(s.saved_at));
    }
    Ok(ExitCode::SUCCESS)
}
