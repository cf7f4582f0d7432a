//! The service-level part of the config: `[[calendar]]`, `[[sla]]`,
//! `[[group]]`, `[pending]`, `[survey]` and `[http]`.

use toml::Table;

use super::{join, Reader};
use crate::config::{Admin, Escalation, Group, Http, Knowledge, MajorIncident, Pending, Report, SlaPolicy, Survey};
use crate::domain::assign::WorkingHours;
use crate::domain::calendar::{Calendar, Holiday};
use crate::domain::ticket::TicketType;

const CALENDAR: &[&str] = &["name", "time_zone", "working_hours", "holidays"];
const SLA: &[&str] = &[
    "name",
    "priority",
    "type",
    "group",
    "calendar",
    "first_response",
    "resolution",
    "warn_percent",
    "escalate_priority",
    "escalate_group",
    "escalate_to",
];
const GROUP: &[&str] = &["name", "lead", "signature"];
const PENDING: &[&str] = &["remind_after_days", "close_after_days"];
const KNOWLEDGE: &[&str] = &["suggest", "min_relevance", "suggestions", "solved_words"];
const MAJOR_INCIDENT: &[&str] = &["enabled", "window_minutes", "count", "similarity"];
const SURVEY: &[&str] = &["enabled", "delay_hours", "share_percent", "low_rating", "link_valid_days"];
const HTTP: &[&str] = &[
    "listen",
    "base_url",
    "secret_env",
    "secret_file",
    "user_header",
    "user_header_from",
    "metrics_token_env",
    "metrics_token_file",
];
const REPORT: &[&str] = &["calendar"];
const ADMIN: &[&str] = &["login", "password_hash"];

/// Reads `90m`, `4h`, `1h30m`: business time, in minutes.
pub(super) fn business_minutes(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}` is not a business duration like `30m`, `4h` or `1h30m`");
    let mut total = 0i64;
    let mut number = String::new();
    let mut any = false;
    for c in s.trim().chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' if !number.is_empty() => {
                let n: i64 = number.parse().map_err(|_| bad())?;
                total += if c == 'h' { n * 60 } else { n };
                number.clear();
                any = true;
            }
            'd' => return Err(format!("`{s}`: give hours, not days (a business day is as long as its calendar says)")),
            _ => return Err(bad()),
        }
    }
    if !number.is_empty() || !any || total == 0 {
        return Err(bad());
    }
    Ok(total)
}

pub(super) fn read_calendars(r: &mut Reader, doc: &Table) -> Vec<(String, Calendar)> {
    let mut out: Vec<(String, Calendar)> = Vec::new();
    for (i, t) in r.tables(doc, "calendar").into_iter().enumerate() {
        let path = format!("calendar[{i}]");
        r.known_keys(t, &path, CALENDAR);
        let Some(name) = r.required(t, &path, "name") else { continue };
        if out.iter().any(|(n, _)| *n == name) {
            r.problem(format!("{path}.name"), format!("calendar `{name}` is defined twice"));
        }
        let mut cal = Calendar::always();
        for (j, span) in r.one_or_many(t, &path, "working_hours").into_iter().enumerate() {
            match WorkingHours::parse_span(&span) {
                Ok(mut s) => cal.hours.spans.append(&mut s),
                Err(e) => r.problem(format!("{path}.working_hours[{j}]"), e),
            }
        }
        if let Some(tz) = r.string(t, &path, "time_zone") {
            match tz.parse::<chrono_tz::Tz>() {
                Ok(z) => cal.tz = z,
                Err(_) => {
                    r.problem(format!("{path}.time_zone"), format!("`{tz}` is not a time zone (like Europe/Paris)"))
                }
            }
        }
        for (j, h) in r.strings(t, &path, "holidays").into_iter().enumerate() {
            match Holiday::parse(&h) {
                Ok(h) => cal.holidays.push(h),
                Err(e) => r.problem(format!("{path}.holidays[{j}]"), e),
            }
        }
        out.push((name, cal));
    }
    out
}

pub(super) fn read_groups(r: &mut Reader, doc: &Table, groups: &[String], emails: &[String]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (i, t) in r.tables(doc, "group").into_iter().enumerate() {
        let path = format!("group[{i}]");
        r.known_keys(t, &path, GROUP);
        let Some(name) = r.required(t, &path, "name") else { continue };
        if !groups.contains(&name) {
            r.problem(format!("{path}.name"), format!("no technician is in group `{name}`"));
        }
        let lead = r.string(t, &path, "lead").map(|l| l.trim().to_lowercase());
        if let Some(l) = lead.as_deref().filter(|l| !emails.iter().any(|e| e == l)) {
            r.problem(format!("{path}.lead"), format!("`{l}` is not a [[technician]]"));
        }
        let signature = super::read_per_lang(r, t, &path, "signature", true);
        out.push(Group { name, lead, signature });
    }
    out
}

pub(super) fn read_sla(
    r: &mut Reader,
    doc: &Table,
    groups: &[String],
    emails: &[String],
    calendars: &[(String, Calendar)],
) -> Vec<SlaPolicy> {
    let mut out: Vec<SlaPolicy> = Vec::new();
    for (i, t) in r.tables(doc, "sla").into_iter().enumerate() {
        let path = format!("sla[{i}]");
        r.known_keys(t, &path, SLA);
        let name = r.required(t, &path, "name").unwrap_or_default();
        if out.iter().any(|p| p.name == name) {
            r.problem(format!("{path}.name"), format!("policy `{name}` is defined twice"));
        }
        let mut priorities = Vec::new();
        match t.get("priority") {
            None => {}
            Some(toml::Value::Integer(n)) if (1..=5).contains(n) => priorities.push(*n as i32),
            Some(toml::Value::Array(items))
                if items.iter().all(|v| v.as_integer().is_some_and(|n| (1..=5).contains(&n))) =>
            {
                priorities.extend(items.iter().filter_map(|v| v.as_integer()).map(|n| n as i32));
            }
            Some(_) => r.problem(format!("{path}.priority"), "expected a priority 1..5 or a list of them"),
        }
        let mut types = Vec::new();
        for (j, ty) in r.one_or_many(t, &path, "type").into_iter().enumerate() {
            match ty.parse::<TicketType>() {
                Ok(ty) => types.push(ty),
                Err(e) => r.problem(format!("{path}.type[{j}]"), e.to_string()),
            }
        }
        let policy_groups = r.one_or_many(t, &path, "group");
        for g in policy_groups.iter().filter(|g| !groups.contains(g)) {
            r.problem(format!("{path}.group"), format!("no technician is in group `{g}`"));
        }
        let calendar = match r.string(t, &path, "calendar") {
            None => Calendar::always(),
            Some(c) => match calendars.iter().find(|(n, _)| *n == c) {
                Some((_, cal)) => cal.clone(),
                None => {
                    let known: Vec<&str> = calendars.iter().map(|(n, _)| n.as_str()).collect();
                    r.problem(
                        format!("{path}.calendar"),
                        format!("no [[calendar]] is named `{c}` (known: {})", known.join(", ")),
                    );
                    Calendar::always()
                }
            },
        };
        let target = |r: &mut Reader, key: &str| {
            let s = r.string(t, &path, key)?;
            match business_minutes(&s) {
                Ok(n) => Some(n),
                Err(e) => {
                    r.problem(join(&path, key), e);
                    None
                }
            }
        };
        let first_response = target(r, "first_response");
        let resolution = target(r, "resolution");
        if first_response.is_none()
            && resolution.is_none()
            && !t.contains_key("first_response")
            && !t.contains_key("resolution")
        {
            r.problem(format!("{path}.resolution"), "a policy needs first_response, resolution or both");
        }
        let warn_percent = r.integer(t, &path, "warn_percent", 1..=99).unwrap_or(75) as u8;
        let escalate_group = r.string(t, &path, "escalate_group");
        if let Some(g) = escalate_group.as_deref().filter(|g| !groups.iter().any(|x| x == g)) {
            r.problem(format!("{path}.escalate_group"), format!("no technician is in group `{g}`"));
        }
        let escalate_to = r.string(t, &path, "escalate_to").map(|a| a.trim().to_lowercase());
        if let Some(a) = escalate_to.as_deref().filter(|a| !emails.iter().any(|e| e == a)) {
            r.problem(format!("{path}.escalate_to"), format!("`{a}` is not a [[technician]]"));
        }
        let escalation = Escalation {
            raise_priority: r.boolean(t, &path, "escalate_priority").unwrap_or(false),
            group: escalate_group,
            assignee: escalate_to,
        };
        out.push(SlaPolicy {
            name,
            priorities,
            types,
            groups: policy_groups,
            calendar,
            first_response,
            resolution,
            warn_percent,
            escalation,
        });
    }
    out
}

pub(super) fn read_pending(r: &mut Reader, doc: &Table) -> Pending {
    let empty = Table::new();
    let t = r.table(doc, "", "pending").unwrap_or(&empty);
    r.known_keys(t, "pending", PENDING);
    // 0 turns a step off.
    let days = |n: i64| (n > 0).then(|| chrono::Duration::days(n));
    let remind = r.integer(t, "pending", "remind_after_days", 0..=365).unwrap_or(3);
    let close = r.integer(t, "pending", "close_after_days", 0..=3650).unwrap_or(7);
    if remind > 0 && close > 0 && close <= remind {
        r.problem(
            "pending.close_after_days",
            format!("{close} comes before the reminder (remind_after_days = {remind})"),
        );
    }
    Pending { remind_after: days(remind), close_after: days(close) }
}

pub(super) fn read_survey(r: &mut Reader, doc: &Table) -> Survey {
    let empty = Table::new();
    let t = r.table(doc, "", "survey").unwrap_or(&empty);
    let p = "survey";
    r.known_keys(t, p, SURVEY);
    Survey {
        enabled: r.boolean(t, p, "enabled").unwrap_or(true),
        delay: chrono::Duration::hours(r.integer(t, p, "delay_hours", 0..=24 * 30).unwrap_or(1)),
        share_percent: r.integer(t, p, "share_percent", 0..=100).unwrap_or(100) as u8,
        low_rating: r.integer(t, p, "low_rating", 0..=4).unwrap_or(2) as u8,
        link_valid: chrono::Duration::days(r.integer(t, p, "link_valid_days", 1..=365).unwrap_or(30)),
    }
}

pub(super) fn read_knowledge(r: &mut Reader, doc: &Table) -> Knowledge {
    let empty = Table::new();
    let t = r.table(doc, "", "knowledge").unwrap_or(&empty);
    let p = "knowledge";
    r.known_keys(t, p, KNOWLEDGE);
    let d = Knowledge::default();
    Knowledge {
        suggest: r.boolean(t, p, "suggest").unwrap_or(d.suggest),
        min_score: r.float(t, p, "min_relevance", 0.0..=1.0).unwrap_or(d.min_score),
        suggestions: r.integer(t, p, "suggestions", 1..=10).map_or(d.suggestions, |n| n as usize),
        solved_words: if t.contains_key("solved_words") {
            let words = r.strings(t, p, "solved_words");
            if words.iter().any(|w| w.trim().is_empty()) {
                r.problem("knowledge.solved_words", "an entry is empty");
            }
            words
        } else {
            d.solved_words
        },
    }
}

pub(super) fn read_major_incident(r: &mut Reader, doc: &Table) -> MajorIncident {
    let empty = Table::new();
    let t = r.table(doc, "", "major_incident").unwrap_or(&empty);
    let p = "major_incident";
    r.known_keys(t, p, MAJOR_INCIDENT);
    let d = MajorIncident::default();
    MajorIncident {
        enabled: r.boolean(t, p, "enabled").unwrap_or(d.enabled),
        window: r.integer(t, p, "window_minutes", 1..=24 * 60).map_or(d.window, chrono::Duration::minutes),
        count: r.integer(t, p, "count", 2..=1000).map_or(d.count, |n| n as usize),
        similarity: r.float(t, p, "similarity", 0.05..=1.0).unwrap_or(d.similarity),
    }
}

pub(super) fn read_http(r: &mut Reader, doc: &Table) -> Option<Http> {
    let t = r.table(doc, "", "http")?;
    let p = "http";
    r.known_keys(t, p, HTTP);
    let listen = r.required(t, p, "listen").and_then(|l| match l.parse::<std::net::SocketAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            r.problem("http.listen", format!("`{l}` is not an address and port like 127.0.0.1:8025"));
            None
        }
    });
    let base_url = match r.string(t, p, "base_url") {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u.trim_end_matches('/').to_string()),
        Some(u) => {
            r.problem("http.base_url", format!("`{u}` must start with http:// or https://"));
            None
        }
        None => listen.map(|a| format!("http://{a}")),
    };
    let secret = r.named_secret(t, p, "secret_env", "secret_file");
    if secret.as_deref().is_some_and(|s| s.len() < 16) {
        r.problem("http.secret_env", "the link signing key must be at least 16 characters");
    }
    let user_header = r.string(t, p, "user_header").map(|h| h.trim().to_string());
    if let Some(h) = user_header.as_deref() {
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            r.problem("http.user_header", format!("`{h}` is not a header name like X-Remote-User"));
        }
    }
    let mut user_header_from = Vec::new();
    let from = r.strings(t, p, "user_header_from");
    for (i, a) in from.iter().enumerate() {
        match a.parse::<std::net::IpAddr>() {
            Ok(ip) => user_header_from.push(ip),
            Err(_) => r.problem(format!("http.user_header_from[{i}]"), format!("`{a}` is not an IP address")),
        }
    }
    if from.is_empty() {
        user_header_from = vec![std::net::Ipv4Addr::LOCALHOST.into(), std::net::Ipv6Addr::LOCALHOST.into()];
    }
    let metrics_token = r.named_secret(t, p, "metrics_token_env", "metrics_token_file");
    // Sent as a header: visible ASCII only.
    if metrics_token.as_deref().is_some_and(|s| s.len() < 16 || !s.chars().all(|c| c.is_ascii_graphic())) {
        let key =
            if t.contains_key("metrics_token_env") { "http.metrics_token_env" } else { "http.metrics_token_file" };
        r.problem(key, "the token must be at least 16 characters, visible ASCII without spaces");
    }
    Some(Http { listen: listen?, base_url: base_url?, secret, user_header, user_header_from, metrics_token })
}

/// `[report]`: the calendar KPIs count business time on; the first
/// `[[calendar]]` when not said, every minute (UTC) when there is none.
pub(super) fn read_report(r: &mut Reader, doc: &Table, calendars: &[(String, Calendar)]) -> Report {
    let empty = Table::new();
    let t = r.table(doc, "", "report").unwrap_or(&empty);
    r.known_keys(t, "report", REPORT);
    let found = match r.string(t, "report", "calendar") {
        Some(name) => match calendars.iter().find(|(n, _)| *n == name) {
            Some(c) => Some(c.clone()),
            None => {
                let known: Vec<&str> = calendars.iter().map(|(n, _)| n.as_str()).collect();
                let known = if known.is_empty() { "none defined".to_string() } else { known.join(", ") };
                r.problem("report.calendar", format!("no [[calendar]] is named `{name}` (known: {known})"));
                None
            }
        },
        None => calendars.first().cloned(),
    };
    match found {
        Some((calendar_name, calendar)) => Report { calendar, calendar_name },
        None => Report::default(),
    }
}

/// `[[admin]]`: dashboard accounts, each with a password hash.
pub(super) fn read_admins(r: &mut Reader, doc: &Table) -> Vec<Admin> {
    let mut out: Vec<Admin> = Vec::new();
    for (i, t) in r.tables(doc, "admin").into_iter().enumerate() {
        let path = format!("admin[{i}]");
        r.known_keys(t, &path, ADMIN);
        let login = r.required(t, &path, "login").unwrap_or_default();
        if out.iter().any(|a| a.login == login) {
            r.problem(format!("{path}.login"), format!("`{login}` is defined twice"));
        }
        let Some(password_hash) = r.required(t, &path, "password_hash") else { continue };
        if let Err(e) = crate::domain::login::PasswordHash::parse(&password_hash) {
            r.problem(format!("{path}.password_hash"), format!("{e} (`guichet hash-password` writes one)"));
        }
        out.push(Admin { login, password_hash });
    }
    out
}
