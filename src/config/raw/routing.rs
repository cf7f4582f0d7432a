//! The routing part of the config: `[[rule]]`, `[[requester_group]]` and
//! the technicians' calendars (working hours, time zone, days away).

use chrono::NaiveDate;
use regex::Regex;
use toml::{Table, Value};

use super::{join, Reader};
use crate::config::RequesterGroup;
use crate::domain::assign::{Presence, WorkingHours};
use crate::domain::rules::{Actions, AddressPattern, Condition, Rule};
use crate::domain::ticket::TicketType;

const RULE: &[&str] = &["name", "stop", "when", "then"];
const WHEN: &[&str] =
    &["mailbox", "from", "to", "cc", "subject", "body", "header", "sender_group", "sender_vip", "language"];
const THEN: &[&str] = &[
    "type",
    "impact",
    "urgency",
    "group",
    "assignee",
    "tags",
    "category",
    "template",
    "acknowledge",
    "internal",
    "major",
    "quarantine",
    "event_key",
    "event_recovery",
];
const REQUESTER_GROUP: &[&str] = &["name", "members", "vip"];

impl Reader<'_> {
    pub(super) fn boolean(&mut self, t: &Table, path: &str, key: &str) -> Option<bool> {
        match t.get(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.problem(join(path, key), format!("expected true or false, found {}", other.type_str()));
                None
            }
        }
    }

    /// A string or an array of strings.
    pub(super) fn one_or_many(&mut self, t: &Table, path: &str, key: &str) -> Vec<String> {
        match t.get(key) {
            Some(Value::String(s)) => vec![s.clone()],
            _ => self.strings(t, path, key),
        }
    }

    fn regex(&mut self, key: String, pattern: &str) -> Option<Regex> {
        match Regex::new(pattern) {
            Ok(re) => Some(re),
            Err(e) => {
                // The regex crate's message spans lines: keep its gist.
                let why = e.to_string().lines().last().unwrap_or_default().trim().to_string();
                self.problem(key, format!("not a valid regular expression: {why}"));
                None
            }
        }
    }

    fn patterns(&mut self, t: &Table, path: &str, key: &str) -> Vec<AddressPattern> {
        let mut out = Vec::new();
        for (i, s) in self.one_or_many(t, path, key).into_iter().enumerate() {
            match AddressPattern::parse(&s) {
                Ok(p) => out.push(p),
                Err(e) => self.problem(format!("{}[{i}]", join(path, key)), e),
            }
        }
        out
    }
}

pub(super) fn read_requester_groups(r: &mut Reader, doc: &Table) -> Vec<RequesterGroup> {
    let mut out: Vec<RequesterGroup> = Vec::new();
    for (i, t) in r.tables(doc, "requester_group").into_iter().enumerate() {
        let path = format!("requester_group[{i}]");
        r.known_keys(t, &path, REQUESTER_GROUP);
        let name = r.required(t, &path, "name");
        let members = r.patterns(t, &path, "members");
        let vip = r.boolean(t, &path, "vip").unwrap_or(false);
        if let Some(name) = name {
            if out.iter().any(|g| g.name == name) {
                r.problem(format!("{path}.name"), format!("another requester group is already named `{name}`"));
            }
            out.push(RequesterGroup { name, members, vip });
        }
    }
    out
}

/// Reads `[[rule]]`; `groups` and `technicians` are what the desk knows,
/// to catch a rule that routes to nobody.
pub(super) fn read_rules(
    r: &mut Reader,
    doc: &Table,
    groups: &[String],
    technicians: &[String],
    requester_groups: &[RequesterGroup],
) -> Vec<crate::domain::rules::Rule> {
    let mut out = Vec::new();
    for (i, t) in r.tables(doc, "rule").into_iter().enumerate() {
        let path = format!("rule[{i}]");
        r.known_keys(t, &path, RULE);
        let name = r.string(t, &path, "name").unwrap_or_else(|| format!("rule {}", i + 1));
        let stop = r.boolean(t, &path, "stop").unwrap_or(false);
        let empty = Table::new();
        let when_path = join(&path, "when");
        let when_t = r.table(t, &path, "when").unwrap_or(&empty);
        r.known_keys(when_t, &when_path, WHEN);
        let when = read_when(r, when_t, &when_path, requester_groups);
        let then_path = join(&path, "then");
        let then_t = r.table(t, &path, "then");
        if then_t.is_none() && t.get("then").is_none() {
            r.problem(then_path.clone(), "missing: a rule needs a [rule.then] table saying what it does");
        }
        let then_t = then_t.unwrap_or(&empty);
        r.known_keys(then_t, &then_path, THEN);
        let then = read_then(r, then_t, &then_path, groups, technicians);
        out.push(Rule { name, when, then, stop });
    }
    out
}

fn read_when(r: &mut Reader, t: &Table, path: &str, requester_groups: &[RequesterGroup]) -> Vec<Condition> {
    let mut when = Vec::new();
    if t.contains_key("mailbox") {
        when.push(Condition::Mailbox(r.one_or_many(t, path, "mailbox")));
    }
    for (key, make) in [
        ("from", Condition::From as fn(Vec<AddressPattern>) -> Condition),
        ("to", Condition::To),
        ("cc", Condition::Cc),
    ] {
        if t.contains_key(key) {
            when.push(make(r.patterns(t, path, key)));
        }
    }
    for (key, make) in [("subject", Condition::Subject as fn(Regex) -> Condition), ("body", Condition::Body)] {
        if let Some(p) = r.string(t, path, key) {
            if let Some(re) = r.regex(join(path, key), &p) {
                when.push(make(re));
            }
        }
    }
    if let Some(headers) = r.table(t, path, "header") {
        for (name, v) in headers {
            let key = format!("{}.{name}", join(path, "header"));
            match v {
                Value::String(p) => {
                    if let Some(re) = r.regex(key, p) {
                        when.push(Condition::Header(name.to_ascii_lowercase(), re));
                    }
                }
                other => r.problem(key, format!("expected a regular expression, found {}", other.type_str())),
            }
        }
    }
    if let Some(g) = r.string(t, path, "sender_group") {
        if !requester_groups.iter().any(|x| x.name == g) {
            r.problem(join(path, "sender_group"), format!("no [[requester_group]] is named `{g}`"));
        }
        when.push(Condition::SenderGroup(g));
    }
    if let Some(v) = r.boolean(t, path, "sender_vip") {
        when.push(Condition::SenderVip(v));
    }
    let lang = r.string(t, path, "language");
    if let Some(l) = r.lang(join(path, "language"), lang) {
        when.push(Condition::Language(l));
    }
    when
}

fn read_then(r: &mut Reader, t: &Table, path: &str, groups: &[String], technicians: &[String]) -> Actions {
    let mut a = Actions::default();
    if let Some(v) = r.string(t, path, "type") {
        match v.parse::<TicketType>() {
            Ok(tt) => a.ticket_type = Some(tt),
            Err(e) => r.problem(join(path, "type"), e.to_string()),
        }
    }
    a.impact = r.integer(t, path, "impact", 1..=5).map(|n| n as i32);
    a.urgency = r.integer(t, path, "urgency", 1..=5).map(|n| n as i32);
    a.group = r.string(t, path, "group");
    if let Some(g) = a.group.as_deref().filter(|g| !g.contains("${")) {
        if !groups.iter().any(|x| x == g) {
            r.problem(join(path, "group"), format!("no technician is in group `{g}`"));
        }
    }
    a.assignee = r.string(t, path, "assignee").map(|s| s.trim().to_ascii_lowercase());
    if let Some(who) = a.assignee.as_deref().filter(|g| !g.contains("${")) {
        if !technicians.iter().any(|x| x == who) {
            r.problem(join(path, "assignee"), format!("`{who}` is not a [[technician]]"));
        }
    }
    a.tags = r.strings(t, path, "tags");
    a.category = r.string(t, path, "category");
    a.template = r.string(t, path, "template");
    a.acknowledge = r.boolean(t, path, "acknowledge");
    a.internal = r.boolean(t, path, "internal");
    a.major = r.boolean(t, path, "major");
    a.quarantine = r.string(t, path, "quarantine");
    if a.quarantine.as_deref().is_some_and(|q| q.trim().is_empty()) {
        r.problem(join(path, "quarantine"), "give the reason the mail is held");
    }
    a.event_key = r.string(t, path, "event_key");
    a.event_recovery = r.boolean(t, path, "event_recovery");
    if a.event_recovery == Some(true) && a.event_key.is_none() {
        r.problem(join(path, "event_recovery"), "needs `event_key`: which event the recovery ends");
    }
    a
}

/// `working_hours`, `time_zone` and `away` of a `[[technician]]`.
pub(super) fn read_presence(r: &mut Reader, t: &Table, path: &str) -> Presence {
    let mut p = Presence::default();
    for (i, span) in r.one_or_many(t, path, "working_hours").into_iter().enumerate() {
        match WorkingHours::parse_span(&span) {
            Ok(mut s) => p.hours.spans.append(&mut s),
            Err(e) => r.problem(format!("{}[{i}]", join(path, "working_hours")), e),
        }
    }
    if let Some(tz) = r.string(t, path, "time_zone") {
        match tz.parse::<chrono_tz::Tz>() {
            Ok(z) => p.tz = z,
            Err(_) => r.problem(join(path, "time_zone"), format!("`{tz}` is not a time zone (like Europe/Paris)")),
        }
    }
    for (i, s) in r.one_or_many(t, path, "away").into_iter().enumerate() {
        let key = format!("{}[{i}]", join(path, "away"));
        let date = |d: &str| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d");
        let (a, b) = s.split_once("..").unwrap_or((&s, &s));
        match (date(a), date(b)) {
            (Ok(a), Ok(b)) if a <= b => p.away.push((a, b)),
            (Ok(_), Ok(_)) => r.problem(key, format!("`{s}`: the last day comes before the first")),
            _ => r.problem(key, format!("`{s}` is not a day (2026-12-24) or days (2026-12-24..2027-01-02)")),
        }
    }
    p
}
