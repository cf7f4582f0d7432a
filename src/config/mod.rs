//! Configuration: the TOML file as written (raw, checked key by key so that
//! every mistake is reported with its path), then validated into
//! [`Settings`], the types the rest of guichet runs on.

pub mod oauth2;
mod raw;
pub mod warnings;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::domain::assign::Presence;
use crate::domain::calendar::Calendar;
use crate::domain::classify::OwnMarkers;
use crate::domain::rules::{AddressPattern, Rule};
use crate::domain::threading::SubjectTag;
use crate::domain::ticket::{Lang, PriorityMatrix, TicketType};
use crate::domain::urgency::Keywords;

pub use oauth2::{Auth, OAuth2};
pub use raw::Problem;
pub use warnings::{warnings, Warning};

/// The default location, relative to the working directory.
pub const DEFAULT_PATH: &str = "config/guichet.toml";

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file this was read from.
    pub path: PathBuf,
    pub database: Database,
    pub mailboxes: Vec<Mailbox>,
    pub outgoing: Outgoing,
    pub tickets: Tickets,
    /// `[templates] dir`: overrides of the built-in templates, if any.
    pub templates_dir: Option<PathBuf>,
    pub technicians: Vec<Technician>,
    /// Requesters known by address or domain: a group name for rules, and
    /// the VIP flag.
    pub requester_groups: Vec<RequesterGroup>,
    /// `[[rule]]`, in order.
    pub rules: Vec<Rule>,
    pub limits: Limits,
    /// `[[group]]`: who leads each group (told of breaches and low ratings).
    pub groups: Vec<Group>,
    /// `[[sla]]`, in order: the first that fits a ticket applies.
    pub sla: Vec<SlaPolicy>,
    pub pending: Pending,
    /// `[retention]`: how long raw mail, quarantine and closed tickets are kept.
    pub retention: Retention,
    pub survey: Survey,
    pub knowledge: Knowledge,
    pub major_incident: MajorIncident,
    /// `[http]`: survey links and `/healthz`; `None` when not served.
    pub http: Option<Http>,
    pub report: Report,
    /// Who may read the dashboard (besides a trusted proxy's user).
    pub admins: Vec<Admin>,
    /// Our addresses, X-Loop value and Message-ID domain, worked out once:
    /// every mail is checked against them.
    pub own: OwnMarkers,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite {
        path: PathBuf,
        busy_timeout: Duration,
    },
    /// `url` carries the password, if any, from `password_env` or
    /// `password_file`: never print it, print [`Database::display`].
    Postgres {
        url: String,
        pool_size: u32,
    },
}

impl Database {
    /// Where the data is, without secrets.
    pub fn display(&self) -> String {
        match self {
            Database::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Database::Postgres { url, .. } => hide_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: String,
    pub kind: MailboxKind,
    /// The support address this mailbox receives, lower-case.
    pub address: String,
    pub after: AfterAction,
    pub poll: Duration,
    /// Technician group that gets this mailbox's new tickets.
    pub group: Option<String>,
    /// `from_name` over `[outgoing]`'s, per language; empty: `[outgoing]`'s.
    pub from_names: Vec<(Lang, String)>,
    /// The closing lines of mail from this address, per language; empty:
    /// the desk's name and address.
    pub signature: Vec<(Lang, String)>,
    /// Our Message-IDs on mail from this address end with `@` this:
    /// `[outgoing] message_id_domain` when set, else the address's domain.
    pub message_id_domain: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxKind {
    Maildir { path: PathBuf },
    Imap(Imap),
}

/// An IMAP mailbox: where it is, how to log in, which folder to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imap {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: String,
    /// A password, or OAuth2 (`auth = "oauth2"`).
    pub auth: Auth,
    pub folder: String,
    /// Extra trusted certificates (PEM), beside the usual public roots.
    pub ca_file: Option<PathBuf>,
    /// Wait with IDLE when the server offers it (else poll every
    /// `poll_seconds`).
    pub idle: bool,
    /// An IDLE is ended and started again after this long.
    pub idle_renew: Duration,
}

/// What becomes of a source message once it is safely stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterAction {
    /// Leave it; the store remembers it was read.
    Keep,
    /// Move it to this folder.
    Move(String),
    Delete,
}

#[derive(Debug, Clone)]
pub struct Outgoing {
    pub transport: Transport,
    /// Display name on our mail, e.g. "Support informatique", in
    /// `tickets.language`.
    pub from_name: String,
    /// The display name in each language given (`from_name = { fr = "…",
    /// en = "…" }`): the From of a mail follows the mail's language.
    pub from_names: Vec<(Lang, String)>,
    /// Our Message-IDs end with `@` this (default: the first mailbox's
    /// domain).
    pub message_id_domain: String,
    /// Sending is given up after this many attempts.
    pub max_attempts: u32,
    /// `[outgoing.dkim]` (or `[[outgoing.dkim]]`, one per domain): the
    /// keys our mail is signed with, chosen by the From domain.
    pub dkim: Vec<crate::mail::dkim::DkimKey>,
}

impl Tickets {
    /// The language to answer in: the first of `choices`, in order of
    /// preference, that the desk answers in, else `language`.
    pub fn answer_in(&self, choices: impl IntoIterator<Item = Option<Lang>>) -> Lang {
        choices.into_iter().flatten().find(|l| self.languages.contains(l)).unwrap_or(self.language)
    }
}

impl Outgoing {
    /// The DKIM key mail from `address` is signed with, if any.
    pub fn dkim_for(&self, address: &str) -> Option<&crate::mail::dkim::DkimKey> {
        crate::mail::dkim::key_for(&self.dkim, address)
    }
}

#[derive(Debug, Clone)]
pub enum Transport {
    /// Each mail is written as an `.eml` file in this directory.
    File {
        dir: PathBuf,
    },
    Smtp(Smtp),
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `auth = "oauth2"`: tokens instead of the password.
    pub oauth2: Option<Box<OAuth2>>,
    /// Extra trusted certificates (PEM), beside the usual public roots.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    None,
    Starttls,
    Tls,
}

/// Why mail from a technician's address is not taken as theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unproven {
    /// `trusted_authserv_ids` is set and our MTA did not vouch for it:
    /// the mail is a stranger's.
    Authentication(String),
    /// No reply token and nothing else proves it: the mail is held until
    /// the technician confirms it.
    NoToken,
}

impl std::fmt::Display for Unproven {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unproven::Authentication(why) => f.write_str(why),
            Unproven::NoToken => f.write_str("it answers no mail of ours to them (no reply token)"),
        }
    }
}

/// What to do with a mail that carries a ticket's reference but comes from
/// someone who is not part of the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrangerPolicy {
    /// Keep it as an internal note and alert the technicians.
    Internal,
    /// Open a new ticket for the sender.
    NewTicket,
}

/// What proves that mail from a technician's address is theirs, when
/// `trusted_authserv_ids` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TechnicianProof {
    /// A reply token: the mail answers a notice sent to that technician
    /// (its `Reply-To`). Without one, the mail is held and the technician
    /// asked to confirm it. The default.
    Token,
    /// The `From:` address alone: anyone who writes it runs commands.
    Address,
}

#[derive(Debug, Clone)]
pub struct Tickets {
    pub subject_tag: SubjectTag,
    /// The zone times are shown in to requesters and watchers (and to
    /// technicians without a `time_zone` of their own): `time_zone`, else
    /// the first `[[calendar]]`'s, else UTC.
    pub time_zone: chrono_tz::Tz,
    pub reopen_days: u32,
    /// The language of mail to people whose language is not known, or not
    /// one of `languages`. Always one of `languages`.
    pub language: Lang,
    /// The languages the desk answers in (`[tickets] languages`, default:
    /// all); their templates are loaded and checked.
    pub languages: Vec<Lang>,
    pub stranger: StrangerPolicy,
    pub priority_matrix: PriorityMatrix,
    /// Words that raise urgency or impact of a new ticket.
    pub keywords: Keywords,
    /// A technician whose auto-reply reaches the desk gets no new ticket
    /// for this long (or until they write again).
    pub away_after_auto_reply: Duration,
    /// When not empty, mail from a technician's address is theirs only
    /// when one of these servers' `Authentication-Results` shows a DKIM,
    /// SPF or DMARC pass for its domain; otherwise it is a stranger's.
    pub trusted_authserv_ids: Vec<String>,
    /// `technician_proof`: what else proves a technician's mail.
    pub technician_proof: TechnicianProof,
}

#[derive(Debug, Clone)]
pub struct Technician {
    /// Lower-case address.
    pub email: String,
    pub name: String,
    pub groups: Vec<String>,
    pub skills: Vec<String>,
    pub language: Option<Lang>,
    /// Working hours, time zone and days away.
    pub presence: Presence,
    /// The `time_zone` they gave (`presence.tz` is UTC without one): the
    /// times in the mail they get are shown in it.
    pub time_zone: Option<chrono_tz::Tz>,
    /// How often they get their digest.
    pub digest: crate::domain::digest::Cadence,
}

impl Outgoing {
    /// The desk's display name for mail in `lang`.
    pub fn from_name_in(&self, lang: Lang) -> &str {
        self.from_names.iter().find(|(l, _)| *l == lang).map_or(self.from_name.as_str(), |(_, n)| n.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct RequesterGroup {
    pub name: String,
    pub members: Vec<AddressPattern>,
    pub vip: bool,
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Mail larger than this is quarantined instead of processed.
    pub max_message_bytes: usize,
    /// An HTML body larger than this is not sanitised and kept: the
    /// article keeps the text (the raw mail keeps everything).
    pub max_html_bytes: usize,
    /// Automatic mail (acknowledgements, status notices) one outside
    /// address may receive in an hour; more is suppressed, which ends a
    /// loop with an autoresponder that hides what it is.
    pub automatic_per_hour: u32,
    /// Overrides of that number for an address or a domain, in config
    /// order (the first that matches).
    pub automatic_per_hour_for: Vec<(AddressPattern, u32)>,
    /// An address a delivery report says is permanently failing gets no
    /// automatic mail for this long (0: never marked).
    pub undeliverable_for: chrono::Duration,
    /// People copied on a ticket, at most: a mail to hundreds of addresses
    /// does not copy them all on every answer.
    pub max_watchers: usize,
    /// A file larger than this is kept on the ticket but not sent on by
    /// mail: the mail carries a download link (or says where it is).
    pub max_relay_attachment_bytes: usize,
    /// How long such a download link works.
    pub attachment_link_valid: chrono::Duration,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    /// Told when a ticket of the group breaches its SLA or gets a low
    /// rating; without one, the group's technicians are.
    pub lead: Option<String>,
    /// The closing lines of mail about the group's tickets, per language,
    /// over the mailbox's.
    pub signature: Vec<(Lang, String)>,
}

/// A service level: which tickets it covers, its targets in business
/// minutes, counted on its calendar, and what a breach sets off.
#[derive(Debug, Clone)]
pub struct SlaPolicy {
    pub name: String,
    /// Empty: any.
    pub priorities: Vec<i32>,
    pub types: Vec<TicketType>,
    pub groups: Vec<String>,
    pub calendar: Calendar,
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
    /// Share of a target at which the assignee is warned.
    pub warn_percent: u8,
    pub escalation: Escalation,
}

impl SlaPolicy {
    pub fn covers(&self, priority: i32, ticket_type: TicketType, group: Option<&str>) -> bool {
        (self.priorities.is_empty() || self.priorities.contains(&priority))
            && (self.types.is_empty() || self.types.contains(&ticket_type))
            && (self.groups.is_empty() || group.is_some_and(|g| self.groups.iter().any(|x| x == g)))
    }
}

/// What happens when a target is missed, besides telling the group lead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Escalation {
    /// One step up (priority 3 becomes 2), never above 1.
    pub raise_priority: bool,
    pub group: Option<String>,
    pub assignee: Option<String>,
}

/// Tickets waiting for their requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Remind the requester after this long without an answer.
    pub remind_after: Option<chrono::Duration>,
    /// Then close the ticket `unresolved` after this long.
    pub close_after: Option<chrono::Duration>,
}

/// `[retention]`; every part off (`None`) unless set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Raw mail bytes older than this many days are deleted.
    pub raw_mail_days: Option<u32>,
    /// Tickets closed more than this many months ago, and what becomes of them.
    pub closed_tickets: Option<(u32, ClosedTickets)>,
    /// Quarantine entries older than this many days are removed.
    pub quarantine_days: Option<u32>,
    /// Rows of each kind handled in one sweep (a tenth of that in tickets).
    pub batch: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { raw_mail_days: None, closed_tickets: None, quarantine_days: None, batch: 200 }
    }
}

/// What retention does to an old closed ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClosedTickets {
    /// Its people replaced by pseudonyms; the ITIL record and history kept.
    Anonymise,
    /// The ticket and all that is only its removed.
    Delete,
}

/// `[major_incident]`: many similar tickets in a short time raise one.
#[derive(Debug, Clone)]
pub struct MajorIncident {
    pub enabled: bool,
    /// Tickets opened this long before a new one are compared with it.
    pub window: chrono::Duration,
    /// This many similar open tickets (the new one with them) raise one.
    pub count: usize,
    /// How alike (0 to 1) two tickets must be to count as the same.
    pub similarity: f64,
}

impl Default for MajorIncident {
    fn default() -> MajorIncident {
        MajorIncident { enabled: false, window: chrono::Duration::minutes(15), count: 5, similarity: 0.4 }
    }
}

/// `[knowledge]`: the articles an acknowledgement suggests.
#[derive(Debug, Clone)]
pub struct Knowledge {
    /// Acknowledgements list the articles that answer the mail.
    pub suggest: bool,
    /// Relevance (0 to 1) under which an article is not suggested.
    pub min_score: f64,
    /// At most this many articles in one acknowledgement.
    pub suggestions: usize,
    /// What a requester replies to say a suggested article solved their
    /// problem (a short reply holding one, without a negation).
    pub solved_words: Vec<String>,
}

impl Default for Knowledge {
    fn default() -> Knowledge {
        Knowledge {
            suggest: true,
            min_score: 0.35,
            suggestions: 3,
            solved_words: crate::domain::knowledge::SOLVED.iter().map(|s| s.to_string()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub enabled: bool,
    /// Sent this long after the ticket is resolved (and still is).
    pub delay: chrono::Duration,
    /// Share of resolved tickets asked, 0..=100.
    pub share_percent: u8,
    /// A rating at or below this alerts the group lead.
    pub low_rating: u8,
    /// How long a link in the survey mail works.
    pub link_valid: chrono::Duration,
}

#[derive(Debug, Clone)]
pub struct Http {
    pub listen: std::net::SocketAddr,
    /// How links in mail begin, e.g. `https://desk.example.test`.
    pub base_url: String,
    /// Key that signs survey links; when absent the desk makes one and
    /// keeps it in the database.
    pub secret: Option<String>,
    /// A header a reverse proxy sets to the user it authenticated; read
    /// only from the `user_header_from` addresses.
    pub user_header: Option<String>,
    pub user_header_from: Vec<std::net::IpAddr>,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
}

/// `[report]`: how KPIs are counted.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Business time for durations, and the time zone of days and hours.
    pub calendar: Calendar,
    /// Its `[[calendar]]` name; empty when every minute counts (UTC).
    pub calendar_name: String,
}

/// `[[admin]]`: an account of the dashboard.
#[derive(Debug, Clone)]
pub struct Admin {
    pub login: String,
    /// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (hex), as `guichet hash-password` writes.
    pub password_hash: String,
}

/// A config that could not be read or has problems.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config {path} has {} problem(s):\n{}", problems.len(), render(problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

fn render(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
}

impl Settings {
    /// Reads and validates a config file. Relative paths inside it are taken
    /// from the directory that holds the file.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Settings::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Settings, ConfigError> {
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        raw::validate(text, &base)
            .map(|mut s| {
                s.path = path.to_path_buf();
                let mut addresses: Vec<String> = s.mailboxes.iter().map(|m| m.address.clone()).collect();
                addresses.sort();
                addresses.dedup();
                let mut loop_values: Vec<String> = addresses.iter().map(|a| format!("guichet {a}")).collect();
                // The first mailbox's first: the value mail about no ticket carries.
                loop_values.insert(0, format!("guichet {}", s.desk_address()));
                loop_values.dedup();
                let mut domains: Vec<String> = std::iter::once(s.outgoing.message_id_domain.clone())
                    .chain(s.mailboxes.iter().map(|m| m.message_id_domain.clone()))
                    .collect();
                domains.sort();
                domains.dedup();
                s.own = OwnMarkers { loop_values, message_id_domains: domains, addresses };
                s
            })
            .map_err(|problems| ConfigError::Invalid { path: path.to_path_buf(), problems })
    }

    /// Every address that reaches the desk, lower-case.
    pub fn our_addresses(&self) -> &[String] {
        &self.own.addresses
    }

    /// The address our mail comes from: the first mailbox's.
    pub fn desk_address(&self) -> &str {
        self.mailboxes.first().map(|m| m.address.as_str()).unwrap_or("support@localhost")
    }

    pub fn mailbox(&self, name: &str) -> Option<&Mailbox> {
        self.mailboxes.iter().find(|m| m.name == name)
    }

    pub fn technician(&self, email: &str) -> Option<&Technician> {
        self.technicians.iter().find(|t| t.email.eq_ignore_ascii_case(email))
    }

    /// The zone the times in mail to `email` are shown in: a technician's
    /// own, else the desk's.
    pub fn reader_zone(&self, email: &str) -> chrono_tz::Tz {
        self.technician(email).and_then(|t| t.time_zone).unwrap_or(self.tickets.time_zone)
    }

    /// Technicians of a group, in config order.
    /// The technician a mail comes from, when its sender is one and proven:
    /// by a reply token of theirs (`token`), by our MTA's
    /// `Authentication-Results` when `trusted_authserv_ids` is set, or by
    /// the address alone when `technician_proof = "address"`. `Err` says
    /// why a technician's address is not taken as theirs.
    pub fn technician_sender<'a>(
        &self,
        from: &str,
        auth_results: impl IntoIterator<Item = &'a str>,
        token: bool,
    ) -> Result<Option<&Technician>, Unproven> {
        let Some(tech) = self.technician(from) else { return Ok(None) };
        if token {
            return Ok(Some(tech));
        }
        let trusted = &self.tickets.trusted_authserv_ids;
        if !trusted.is_empty() {
            return crate::domain::auth::sender_proven(auth_results, from, trusted)
                .map(|_| Some(tech))
                .map_err(Unproven::Authentication);
        }
        match self.tickets.technician_proof {
            TechnicianProof::Address => Ok(Some(tech)),
            TechnicianProof::Token => Err(Unproven::NoToken),
        }
    }

    /// How much automatic mail `email` may get in an hour.
    pub fn automatic_limit(&self, email: &str) -> u32 {
        let l = &self.limits;
        l.automatic_per_hour_for.iter().find(|(p, _)| p.matches(email)).map_or(l.automatic_per_hour, |(_, n)| *n)
    }

    /// The SLA policy a ticket falls under, if any.
    pub fn sla_policy(&self, priority: i32, ticket_type: TicketType, group: Option<&str>) -> Option<&SlaPolicy> {
        self.sla.iter().find(|p| p.covers(priority, ticket_type, group))
    }

    /// Whom to tell about a group's tickets going wrong: its lead, else
    /// its technicians, else every technician.
    pub fn group_lead(&self, group: Option<&str>) -> Vec<&Technician> {
        let lead = group.and_then(|g| self.groups.iter().find(|x| x.name == g)).and_then(|g| g.lead.as_deref());
        if let Some(t) = lead.and_then(|l| self.technician(l)) {
            return vec![t];
        }
        match group {
            Some(g) if self.group_members(g).next().is_some() => self.group_members(g).collect(),
            _ => self.technicians.iter().collect(),
        }
    }

    pub fn group_members(&self, group: &str) -> impl Iterator<Item = &Technician> {
        let group = group.to_string();
        self.technicians.iter().filter(move |t| t.groups.contains(&group))
    }

    /// The requester groups an address belongs to, and whether any makes
    /// it a VIP.
    pub fn requester_groups_of(&self, email: &str) -> (Vec<&str>, bool) {
        let groups: Vec<&RequesterGroup> =
            self.requester_groups.iter().filter(|g| g.members.iter().any(|m| m.matches(email))).collect();
        (groups.iter().map(|g| g.name.as_str()).collect(), groups.iter().any(|g| g.vip))
    }

    /// The `X-Loop` header value our mail carries.
    pub fn loop_value(&self) -> &str {
        self.own.loop_values.first().map_or("guichet", String::as_str)
    }

    /// The identity mail from `address` is sent under: the mailbox that
    /// receives it (`name` first when several share the address), else the
    /// first mailbox's.
    pub fn identity(&self, name: &str, address: &str) -> Identity<'_> {
        let by_address = |m: &&Mailbox| m.address.eq_ignore_ascii_case(address);
        let mailbox = self
            .mailboxes
            .iter()
            .filter(by_address)
            .find(|m| m.name == name)
            .or_else(|| self.mailboxes.iter().find(by_address))
            .or_else(|| self.mailbox(name))
            .or(self.mailboxes.first());
        Identity { settings: self, mailbox }
    }
}

/// One address of the desk as its mail shows it: From, display name,
/// Message-ID domain, `X-Loop` value and signature.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    settings: &'a Settings,
    mailbox: Option<&'a Mailbox>,
}

impl<'a> Identity<'a> {
    pub fn address(&self) -> &'a str {
        self.mailbox.map_or(self.settings.desk_address(), |m| m.address.as_str())
    }

    /// The mailbox's name in `lang`, else `[outgoing]`'s.
    pub fn from_name_in(&self, lang: Lang) -> &'a str {
        let own = self.mailbox.map(|m| m.from_names.as_slice()).unwrap_or_default();
        in_lang(own, lang).unwrap_or_else(|| self.settings.outgoing.from_name_in(lang))
    }

    /// Whether `name` is one of the desk's names for this address (rather
    /// than a technician's own).
    pub fn is_desk_name(&self, name: &str) -> bool {
        let out = &self.settings.outgoing;
        name == out.from_name || out.from_names.iter().any(|(_, n)| n == name)
    }

    pub fn message_id_domain(&self) -> &'a str {
        self.mailbox.map_or(self.settings.outgoing.message_id_domain.as_str(), |m| m.message_id_domain.as_str())
    }

    pub fn loop_value(&self) -> String {
        format!("guichet {}", self.address())
    }

    /// The closing lines for mail about a ticket of `group`: the group's,
    /// else the mailbox's, else `None` (the templates' own).
    pub fn signature(&self, group: Option<&str>, lang: Lang) -> Option<&'a str> {
        let group = group.and_then(|g| self.settings.groups.iter().find(|x| x.name == g));
        group
            .and_then(|g| in_lang(&g.signature, lang))
            .or_else(|| self.mailbox.and_then(|m| in_lang(&m.signature, lang)))
    }
}

/// The text for `lang` in a per-language list, else its first.
fn in_lang(list: &[(Lang, String)], lang: Lang) -> Option<&str> {
    list.iter().find(|(l, _)| *l == lang).or(list.first()).map(|(_, s)| s.as_str())
}
