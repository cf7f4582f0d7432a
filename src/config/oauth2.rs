//! How a mailbox or the outgoing relay logs in with OAuth2: one type for
//! IMAP and SMTP, read from an `oauth2 = { … }` table beside `auth =
//! "oauth2"`. Provider presets fill in the token, device-authorisation and
//! scope values; each can be overridden.

use std::path::PathBuf;
use std::time::Duration;

/// Who issues the tokens; picks the defaults of the other keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Microsoft,
    Google,
    Generic,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Microsoft => "microsoft",
            Provider::Google => "google",
            Provider::Generic => "generic",
        }
    }
}

/// Where access tokens come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The application's own grant (Microsoft 365 app-only access).
    ClientCredentials,
    /// A refresh token obtained once by `guichet auth login NAME` (device
    /// authorisation grant) and kept, encrypted, in the database.
    Device,
    /// An external helper prints an access token.
    Command,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::ClientCredentials => "client_credentials",
            Flow::Device => "device",
            Flow::Command => "command",
        }
    }
}

/// The OAuth2 settings of one login (a `[[mailbox]]` or `[outgoing]`).
/// Holds secrets: print [`OAuth2::describe`], never `{:?}` in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuth2 {
    /// The name its tokens are stored under and `guichet auth login`
    /// takes: the mailbox's name, or `outgoing`.
    pub grant: String,
    /// The config path of the table, for messages (`mailbox[0].oauth2`).
    pub key: String,
    pub provider: Provider,
    pub flow: Flow,
    /// The mailbox logged in to (SASL `user=`): the `username`.
    pub user: String,
    /// Whose token it is: `login`, else `username`. A delegate signs in
    /// (`guichet auth login`) and their token opens a shared mailbox.
    pub login: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub tenant: Option<String>,
    pub token_url: String,
    pub device_url: Option<String>,
    /// Space-separated scopes asked for.
    pub scope: String,
    pub token_command: Option<String>,
    pub command_timeout: Duration,
    /// The key that seals stored refresh tokens (else `[http]` secret).
    pub token_key: Option<String>,
    /// Extra trusted certificates (PEM) for the token endpoints.
    pub ca_file: Option<PathBuf>,
}

impl OAuth2 {
    /// One line without secrets, for `guichet status` and logs.
    pub fn describe(&self) -> String {
        format!("oauth2 {} ({}, login {})", self.provider.as_str(), self.flow.as_str(), self.login)
    }

    /// What an admin runs to give this login a grant again.
    pub fn login_command(&self) -> String {
        match self.flow {
            Flow::Device => format!("guichet auth login {}", self.grant),
            Flow::ClientCredentials => {
                format!("check the application's permissions and admin consent at the provider ({})", self.key)
            }
            Flow::Command => format!("check the token_command of {}", self.key),
        }
    }
}

impl std::fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2")
            .field("grant", &self.grant)
            .field("provider", &self.provider)
            .field("flow", &self.flow)
            .field("login", &self.login)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("token_url", &self.token_url)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// How a mailbox logs in.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    Password(String),
    OAuth2(Box<OAuth2>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Password(_) => f.write_str("Password(***)"),
            Auth::OAuth2(o) => o.fmt(f),
        }
    }
}

/// The preset values of a provider: (token URL, device URL, scope for a
/// user's grant, scope for the application's own grant). `{tenant}` is
/// replaced by the tenant.
pub fn preset(provider: Provider, smtp: bool) -> (&'static str, &'static str, &'static str, &'static str) {
    match (provider, smtp) {
        (Provider::Microsoft, false) => (
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
            "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access",
            "https://outlook.office365.com/.default",
        ),
        (Provider::Microsoft, true) => (
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
            "https://outlook.office365.com/SMTP.Send offline_access",
            "https://outlook.office365.com/.default",
        ),
        (Provider::Google, _) => (
            "https://oauth2.googleapis.com/token",
            "https://oauth2.googleapis.com/device/code",
            "https://mail.google.com/",
            "https://mail.google.com/",
        ),
        (Provider::Generic, _) => ("", "", "", ""),
    }
}
