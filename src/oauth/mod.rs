//! OAuth2 access tokens for IMAP and SMTP logins. Three sources: the
//! application's client credentials; a refresh token obtained once by
//! `guichet auth login NAME` (device authorisation grant, RFC 8628) and
//! kept sealed in the database (see [`vault`]); an external command.
//! Access tokens are cached in memory and renewed before they expire; a
//! rotated refresh token is saved before its access token is used.
//!
//! Secrets (client secret, tokens) never appear in errors or logs: an
//! issuer's answer is reduced to its `error` code and description.

pub mod http;
pub mod notice;
pub mod vault;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::oauth2::{Flow, OAuth2};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::oauth2::{form, renew_after, verdict, IssuerVerdict};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The grant is refused or gone; an admin must act.
    #[error("OAuth2 grant of `{grant}` refused: {reason}; {action}")]
    Refused { grant: String, reason: String, action: String },
    /// The issuer (or the database) could not be reached; try again.
    #[error("OAuth2 token for `{grant}`: {reason}")]
    Unreachable { grant: String, reason: String },
}

impl OAuthError {
    pub fn is_transient(&self) -> bool {
        matches!(self, OAuthError::Unreachable { .. })
    }
}

/// A token in memory: when to get another.
struct Cached {
    token: String,
    renew_at: Instant,
}

/// The token source of one login.
pub struct Tokens {
    cfg: OAuth2,
    store: Option<Store>,
    /// Seals stored refresh tokens: `token_key`, else `[http]` secret.
    secret: Option<String>,
    cache: tokio::sync::Mutex<Option<Cached>>,
    /// The refresh token the issuer last refused: not offered again.
    refused: Mutex<Option<String>>,
    clock: Arc<dyn Clock>,
}

impl Tokens {
    fn refused(&self, reason: impl Into<String>) -> OAuthError {
        OAuthError::Refused { grant: self.cfg.grant.clone(), reason: reason.into(), action: self.action() }
    }

    /// What to do about a refusal, as `guichet status` shows it.
    pub fn action(&self) -> String {
        format!("to mend it: {}", self.cfg.login_command())
    }

    fn unreachable(&self, reason: impl Into<String>) -> OAuthError {
        OAuthError::Unreachable { grant: self.cfg.grant.clone(), reason: reason.into() }
    }

    pub fn login(&self) -> &str {
        &self.cfg.login
    }

    /// A valid access token: the cached one, or a new one.
    pub async fn access_token(&self) -> Result<String, OAuthError> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref().filter(|c| Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        let (token, lifetime) = match self.cfg.flow {
            Flow::Command => return self.run_command().await,
            Flow::ClientCredentials => self.client_credentials().await?,
            Flow::Device => self.refresh().await?,
        };
        let renew_at = Instant::now() + renew_after(lifetime);
        *cache = Some(Cached { token: token.clone(), renew_at });
        Ok(token)
    }

    /// The server refused the token: the next login asks for a new one.
    pub async fn forget(&self) {
        *self.cache.lock().await = None;
    }

    fn base_form(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![("client_id", self.cfg.client_id.clone())];
        if let Some(s) = &self.cfg.client_secret {
            f.push(("client_secret", s.clone()));
        }
        f
    }

    async fn client_credentials(&self) -> Result<(String, Duration), OAuthError> {
        let mut f = self.base_form();
        f.push(("grant_type", "client_credentials".into()));
        f.push(("scope", self.cfg.scope.clone()));
        let answer = self.post(&self.cfg.token_url, &f).await?;
        self.access_of(&answer)
    }

    async fn refresh(&self) -> Result<(String, Duration), OAuthError> {
        let store = self.store.as_ref().ok_or_else(|| self.unreachable("no database to read the grant from"))?;
        let secret = self.secret.as_deref().ok_or_else(|| {
            self.refused(format!(
                "no key to open stored tokens: set {}.token_key_env or [http] secret_env",
                self.cfg.key
            ))
        })?;
        let name = self.cfg.grant.clone();
        let grant = blocking(store, |conn| vault::load(conn, secret, &name)).map_err(|e| match e {
            Loaded::Store(e) => self.unreachable(e.to_string()),
            Loaded::Vault(e) => self.refused(e.to_string()),
        })?;
        let Some(mut grant) = grant else {
            return Err(self.refused("no token stored yet"));
        };
        if self.refused.lock().unwrap_or_else(|e| e.into_inner()).as_deref() == Some(grant.refresh_token.as_str()) {
            return Err(self.refused("the stored refresh token was refused"));
        }
        let mut f = self.base_form();
        f.push(("grant_type", "refresh_token".into()));
        f.push(("refresh_token", grant.refresh_token.clone()));
        f.push(("scope", self.cfg.scope.clone()));
        let answer = match self.post(&self.cfg.token_url, &f).await {
            Err(e @ OAuthError::Refused { .. }) => {
                *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(grant.refresh_token.clone());
                return Err(e);
            }
            other => other?,
        };
        let access = self.access_of(&answer)?;
        // A rotated refresh token replaces the old one before the access
        // token is used: the old one may already be dead at the issuer.
        if let Some(rotated) = answer["refresh_token"].as_str().filter(|r| *r != grant.refresh_token) {
            grant.refresh_token = rotated.to_string();
            let now = self.clock.now().naive_utc();
            blocking(store, |conn| vault::save(conn, secret, &name, &grant, now)).map_err(|e| match e {
                Loaded::Store(e) => self.unreachable(format!("cannot save the rotated refresh token: {e}")),
                Loaded::Vault(e) => self.unreachable(format!("cannot save the rotated refresh token: {e}")),
            })?;
            tracing::info!(oauth2.grant = %name, "refresh token rotated and saved");
        }
        Ok(access)
    }

    async fn run_command(&self) -> Result<String, OAuthError> {
        let command = self.cfg.token_command.clone().unwrap_or_default();
        let mut child = tokio::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&command)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| self.unreachable(format!("token_command cannot start: {e}")))?;
        let mut out = Vec::new();
        let mut stdout = child.stdout.take();
        let read = async {
            if let Some(s) = stdout.as_mut() {
                tokio::io::AsyncReadExt::read_to_end(s, &mut out).await?;
            }
            child.wait().await
        };
        let status = tokio::time::timeout(self.cfg.command_timeout, read)
            .await
            .map_err(|_| {
                self.unreachable(format!("token_command gave no token within {:?}", self.cfg.command_timeout))
            })?
            .map_err(|e| self.unreachable(format!("token_command: {e}")))?;
        if !status.success() {
            return Err(self.unreachable(format!("token_command failed ({status})")));
        }
        let text = String::from_utf8_lossy(&out);
        match text.lines().map(str::trim).find(|l| !l.is_empty()) {
            Some(token) => Ok(token.to_string()),
            None => Err(self.unreachable("token_command printed no token")),
        }
    }

    /// POSTs a form to the issuer; an error answer becomes a refusal or a
    /// transient failure, by its code.
    async fn post(&self, url: &str, fields: &[(&str, String)]) -> Result<Value, OAuthError> {
        post(url, fields, self.cfg.ca_file.as_deref()).await.map_err(|e| match e {
            IssuerError::Unreachable(r) => self.unreachable(r),
            IssuerError::Said { verdict: IssuerVerdict::Refused, text } => self.refused(text),
            IssuerError::Said { text, .. } => self.unreachable(text),
        })
    }

    fn access_of(&self, answer: &Value) -> Result<(String, Duration), OAuthError> {
        let token = answer["access_token"]
            .as_str()
            .ok_or_else(|| self.unreachable("the issuer's answer has no access_token"))?;
        let lifetime = answer["expires_in"].as_u64().unwrap_or(3600).max(1);
        Ok((token.to_string(), Duration::from_secs(lifetime)))
    }
}

/// What an issuer answered, without secrets.
#[derive(Debug)]
pub enum IssuerError {
    Unreachable(String),
    Said { verdict: IssuerVerdict, text: String },
}

/// POSTs a form to an issuer's endpoint: the JSON of a 2xx answer, else
/// the error code it gave.
pub async fn post(
    url: &str,
    fields: &[(&str, String)],
    ca_file: Option<&std::path::Path>,
) -> Result<Value, IssuerError> {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, answer) =
        http::post_form(url, form(&pairs), ca_file).await.map_err(|e| IssuerError::Unreachable(e.to_string()))?;
    if (200..300).contains(&status) && answer.is_object() {
        return Ok(answer);
    }
    let code = answer["error"].as_str().unwrap_or_default();
    if code.is_empty() {
        // No OAuth2 error: a proxy's page, an overloaded server.
        let reason = format!("{} answered HTTP {status}", http::origin(url));
        return Err(if status >= 500 || status == 429 || status == 408 {
            IssuerError::Unreachable(reason)
        } else {
            IssuerError::Said { verdict: IssuerVerdict::Refused, text: reason }
        });
    }
    // The description is the issuer's text, cut short; it names no secret
    // of ours (issuers do not echo tokens back).
    let description: String = answer["error_description"].as_str().unwrap_or_default().chars().take(200).collect();
    let text = if description.is_empty() { code.to_string() } else { format!("{code} ({description})") };
    Err(IssuerError::Said { verdict: verdict(code), text })
}

enum Loaded {
    Store(StoreError),
    Vault(vault::VaultError),
}

/// Runs a vault call on a pooled connection, off the async workers.
fn blocking<T>(
    store: &Store,
    f: impl FnOnce(&mut crate::store::Conn) -> Result<T, vault::VaultError>,
) -> Result<T, Loaded> {
    let run = || {
        let mut conn = store.conn().map_err(Loaded::Store)?;
        f(&mut conn).map_err(|e| match e {
            vault::VaultError::Store(e) => Loaded::Store(StoreError::from(e)),
            other => Loaded::Vault(other),
        })
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
        _ => run(),
    }
}

/// The store and key the token sources of this process use.
struct Context {
    store: Option<Store>,
    http_secret: Option<String>,
    clock: Arc<dyn Clock>,
}

fn context() -> &'static Mutex<Context> {
    static CONTEXT: OnceLock<Mutex<Context>> = OnceLock::new();
    CONTEXT.get_or_init(|| Mutex::new(Context { store: None, http_secret: None, clock: Arc::new(SystemClock) }))
}

fn registry() -> &'static Mutex<HashMap<String, Arc<Tokens>>> {
    static TOKENS: OnceLock<Mutex<HashMap<String, Arc<Tokens>>>> = OnceLock::new();
    TOKENS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Gives the token sources the database (where refresh tokens are kept)
/// and the desk's `[http]` secret (the key when no `token_key` is set).
pub fn init(store: &Store, http_secret: Option<String>, clock: Arc<dyn Clock>) {
    let mut c = context().lock().unwrap_or_else(|e| e.into_inner());
    c.store = Some(store.clone());
    c.http_secret = http_secret;
    c.clock = clock;
}

/// The token source of `cfg`, shared by every connection of this process
/// (its cache with them); a changed config gets a fresh one.
pub fn tokens(cfg: &OAuth2) -> Arc<Tokens> {
    let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = map.get(&cfg.grant).filter(|t| t.cfg == *cfg) {
        return t.clone();
    }
    let c = context().lock().unwrap_or_else(|e| e.into_inner());
    let t = Arc::new(Tokens {
        cfg: cfg.clone(),
        store: c.store.clone(),
        secret: cfg.token_key.clone().or_else(|| c.http_secret.clone()),
        cache: tokio::sync::Mutex::new(None),
        refused: Mutex::new(None),
        clock: c.clock.clone(),
    });
    map.insert(cfg.grant.clone(), t.clone());
    t
}

/// The key that seals `cfg`'s stored tokens, as [`tokens`] picks it.
pub fn sealing_key(cfg: &OAuth2, http_secret: Option<&str>) -> Option<String> {
    cfg.token_key.clone().or_else(|| http_secret.map(str::to_string))
}
