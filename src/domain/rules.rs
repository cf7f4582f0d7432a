//! Routing rules: `[[rule]]` entries of the config, evaluated in order on
//! each new mail. Every condition of a rule must hold; a matching rule's
//! actions override what earlier ones set (tags add up); `stop` ends the
//! chain. Named captures of the regexes (`(?P<host>…)`) can be used as
//! `${host}` in the actions' text.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Serialize;

use super::ticket::{Lang, TicketType};

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub when: Vec<Condition>,
    pub then: Actions,
    pub stop: bool,
}

#[derive(Debug, Clone)]
pub enum Condition {
    /// The mailbox the mail came in through (any of these names).
    Mailbox(Vec<String>),
    From(Vec<AddressPattern>),
    /// Any To address matches.
    To(Vec<AddressPattern>),
    Cc(Vec<AddressPattern>),
    Subject(Regex),
    Body(Regex),
    /// A header (any of that name) whose value matches.
    Header(String, Regex),
    /// The sender belongs to this requester group.
    SenderGroup(String),
    SenderVip(bool),
    Language(Lang),
}

impl Condition {
    /// The key this condition was written under, for explanations.
    pub fn key(&self) -> String {
        match self {
            Condition::Mailbox(_) => "mailbox".into(),
            Condition::From(_) => "from".into(),
            Condition::To(_) => "to".into(),
            Condition::Cc(_) => "cc".into(),
            Condition::Subject(_) => "subject".into(),
            Condition::Body(_) => "body".into(),
            Condition::Header(name, _) => format!("header.{name}"),
            Condition::SenderGroup(_) => "sender_group".into(),
            Condition::SenderVip(_) => "sender_vip".into(),
            Condition::Language(_) => "language".into(),
        }
    }
}

/// `alice@example.test` (that address), `@example.test` or `example.test`
/// (that domain and its subdomains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressPattern {
    Address(String),
    Domain(String),
}

impl AddressPattern {
    pub fn parse(s: &str) -> Result<AddressPattern, String> {
        let s = s.trim().to_ascii_lowercase();
        let domain_ok = |d: &str| !d.is_empty() && !d.contains('@') && !d.contains(char::is_whitespace);
        match s.split_once('@') {
            Some(("", d)) if domain_ok(d) => Ok(AddressPattern::Domain(d.to_string())),
            Some((l, d)) if !l.is_empty() && !l.contains(char::is_whitespace) && domain_ok(d) => {
                Ok(AddressPattern::Address(s))
            }
            None if domain_ok(&s) && s.contains('.') => Ok(AddressPattern::Domain(s)),
            _ => Err(format!("`{s}` is neither an address (a@b.c) nor a domain (@b.c)")),
        }
    }

    pub fn matches(&self, address: &str) -> bool {
        let address = address.to_ascii_lowercase();
        match self {
            AddressPattern::Address(a) => *a == address,
            AddressPattern::Domain(d) => {
                address.rsplit_once('@').is_some_and(|(_, host)| host == d || host.ends_with(&format!(".{d}")))
            }
        }
    }
}

/// What a rule sets. Text may hold `${name}` captures.
#[derive(Debug, Clone, Default)]
pub struct Actions {
    pub ticket_type: Option<TicketType>,
    pub impact: Option<i32>,
    pub urgency: Option<i32>,
    pub group: Option<String>,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    /// Template of the acknowledgement, instead of `acknowledgement`.
    pub template: Option<String>,
    /// `false`: the requester gets no acknowledgement.
    pub acknowledge: Option<bool>,
    /// The mail becomes an internal note: nothing goes to the requester.
    pub internal: Option<bool>,
    pub major: Option<bool>,
    /// Keep the mail in quarantine with this reason.
    pub quarantine: Option<String>,
    /// Monitoring: one open ticket per key, repeated alerts counted on it.
    pub event_key: Option<String>,
    /// Monitoring: this mail says the event's cause is gone.
    pub event_recovery: Option<bool>,
}

/// What the mail looks like to the rules.
#[derive(Debug, Clone, Default)]
pub struct RuleInput<'a> {
    pub mailbox: &'a str,
    pub from: &'a str,
    pub to: Vec<&'a str>,
    pub cc: Vec<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub headers: &'a [(String, String)],
    pub sender_groups: Vec<&'a str>,
    pub sender_vip: bool,
    /// The language the mail is written in: see [`mail_language`].
    pub language: Option<Lang>,
}

/// Where the language a rule sees came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LanguageFrom {
    /// `Content-Language`, else `Accept-Language`.
    Header,
    /// The words of the subject and body (see [`super::language::guess`]).
    Words,
}

/// The language `language = "…"` conditions test: what the mail's headers
/// declare, else what its subject and body are written in, the order a new
/// ticket's language is chosen in. A requester's language stored from
/// earlier mail is left out: a rule describes the mail in hand, and
/// `guichet rules test` must give the same answer without the desk's
/// history. `None` when neither says: no language condition holds then.
pub fn mail_language(declared: Option<Lang>, subject: &str, body: &str) -> Option<(Lang, LanguageFrom)> {
    declared
        .map(|l| (l, LanguageFrom::Header))
        .or_else(|| super::language::guess(&format!("{subject}\n{body}")).map(|l| (l, LanguageFrom::Words)))
}

/// The fields the rules decided, after every matching rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fields {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<TicketType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urgency: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_recovery: Option<bool>,
}

/// How one rule fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub rule: String,
    pub matched: bool,
    /// The first condition that did not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// This rule ended the chain.
    pub stopped: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub fields: Fields,
    /// Every rule looked at, in order (those after a stop are not).
    pub trace: Vec<Trace>,
}

impl Decision {
    pub fn matched(&self) -> impl Iterator<Item = &str> {
        self.trace.iter().filter(|t| t.matched).map(|t| t.rule.as_str())
    }
}

pub fn evaluate(rules: &[Rule], input: &RuleInput<'_>) -> Decision {
    let mut decision = Decision::default();
    for rule in rules {
        let mut captures = BTreeMap::new();
        let failed = rule.when.iter().find(|c| !holds(c, input, &mut captures));
        let matched = failed.is_none();
        if matched {
            apply(&rule.then, &captures, &mut decision.fields);
        }
        let stopped = matched && rule.stop;
        decision.trace.push(Trace { rule: rule.name.clone(), matched, failed: failed.map(Condition::key), stopped });
        if stopped {
            break;
        }
    }
    decision
}

fn holds(c: &Condition, input: &RuleInput<'_>, captures: &mut BTreeMap<String, String>) -> bool {
    let any = |patterns: &[AddressPattern], addresses: &[&str]| {
        patterns.iter().any(|p| addresses.iter().any(|a| p.matches(a)))
    };
    let mut find = |re: &Regex, text: &str| match re.captures(text) {
        Some(caps) => {
            for name in re.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    captures.insert(name.to_string(), m.as_str().trim().to_string());
                }
            }
            true
        }
        None => false,
    };
    match c {
        Condition::Mailbox(names) => names.iter().any(|n| n == input.mailbox),
        Condition::From(p) => any(p, &[input.from]),
        Condition::To(p) => any(p, &input.to),
        Condition::Cc(p) => any(p, &input.cc),
        Condition::Subject(re) => find(re, input.subject),
        Condition::Body(re) => find(re, input.body),
        Condition::Header(name, re) => {
            input.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).any(|(_, v)| find(re, v))
        }
        Condition::SenderGroup(g) => input.sender_groups.iter().any(|s| s == g),
        Condition::SenderVip(v) => input.sender_vip == *v,
        Condition::Language(l) => input.language == Some(*l),
    }
}

/// `${name}` replaced by its capture; an unknown name by nothing.
pub fn expand(text: &str, captures: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find('}') {
            Some(end) => {
                let name = &rest[start + 2..start + 2 + end];
                out.push_str(captures.get(name).map(String::as_str).unwrap_or_default());
                rest = &rest[start + 3 + end..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn apply(a: &Actions, captures: &BTreeMap<String, String>, f: &mut Fields) {
    let text = |v: &Option<String>| v.as_ref().map(|s| expand(s, captures)).filter(|s| !s.is_empty());
    f.ticket_type = a.ticket_type.or(f.ticket_type);
    f.impact = a.impact.or(f.impact);
    f.urgency = a.urgency.or(f.urgency);
    f.group = text(&a.group).or(f.group.take());
    f.assignee = text(&a.assignee).map(|s| s.to_ascii_lowercase()).or(f.assignee.take());
    for tag in &a.tags {
        let tag = expand(tag, captures).to_lowercase();
        if !tag.is_empty() && !f.tags.contains(&tag) {
            f.tags.push(tag);
        }
    }
    f.category = text(&a.category).or(f.category.take());
    f.template = a.template.clone().or(f.template.take());
    f.acknowledge = a.acknowledge.or(f.acknowledge);
    f.internal = a.internal.or(f.internal);
    f.major = a.major.or(f.major);
    f.quarantine = a.quarantine.as_ref().map(|s| expand(s, captures)).or(f.quarantine.take());
    f.event_key = text(&a.event_key).or(f.event_key.take());
    f.event_recovery = a.event_recovery.or(f.event_recovery);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, when: Vec<Condition>, then: Actions, stop: bool) -> Rule {
        Rule { name: name.into(), when, then, stop }
    }

    fn re(s: &str) -> Regex {
        Regex::new(s).unwrap()
    }

    fn input<'a>(from: &'a str, subject: &'a str, body: &'a str) -> RuleInput<'a> {
        RuleInput { mailbox: "support", from, subject, body, ..Default::default() }
    }

    #[test]
    fn address_patterns_match_an_address_or_a_domain_and_its_subdomains() {
        let cases = [
            ("alice@example.test", "Alice@Example.test", true),
            ("alice@example.test", "bob@example.test", false),
            ("@example.test", "bob@example.test", true),
            ("example.test", "bob@sales.example.test", true),
            ("@example.test", "bob@badexample.test", false),
        ];
        for (pattern, address, want) in cases {
            assert_eq!(AddressPattern::parse(pattern).unwrap().matches(address), want, "{pattern} vs {address}");
        }
        for bad in ["alice", "@", "a@b@c", "a b@c.d"] {
            assert!(AddressPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rules_apply_in_order_later_ones_override_and_stop_ends_the_chain() {
        let rules = vec![
            rule(
                "printers",
                vec![Condition::Subject(re("(?i)imprimante|printer"))],
                Actions { group: Some("support-n1".into()), tags: vec!["printer".into()], ..Default::default() },
                false,
            ),
            rule(
                "sales",
                vec![Condition::From(vec![AddressPattern::parse("@sales.example.test").unwrap()])],
                Actions {
                    group: Some("sales-it".into()),
                    urgency: Some(2),
                    tags: vec!["sales".into()],
                    ..Default::default()
                },
                true,
            ),
            rule("never", vec![], Actions { impact: Some(1), ..Default::default() }, false),
        ];
        type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<i32>, &'a [&'a str], &'a [&'a str], Option<i32>);
        let cases: &[Case] = &[
            (
                "bob@example.test",
                "Imprimante HS",
                Some("support-n1"),
                None,
                &["printer"],
                &["printers", "never"],
                Some(1),
            ),
            (
                "eve@sales.example.test",
                "Printer jam",
                Some("sales-it"),
                Some(2),
                &["printer", "sales"],
                &["printers", "sales"],
                None,
            ),
            ("eve@sales.example.test", "VPN", Some("sales-it"), Some(2), &["sales"], &["sales"], None),
        ];
        for (from, subject, group, urgency, tags, matched, impact) in cases {
            let d = evaluate(&rules, &input(from, subject, ""));
            assert_eq!(d.fields.group.as_deref(), *group, "{subject}");
            assert_eq!(d.fields.urgency, *urgency, "{subject}");
            assert_eq!(d.fields.impact, *impact, "{subject}");
            assert_eq!(d.fields.tags, tags.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{subject}");
            assert_eq!(d.matched().collect::<Vec<_>>(), *matched, "{subject}");
        }
        // After a stop, later rules are not even looked at.
        let d = evaluate(&rules, &input("eve@sales.example.test", "VPN", ""));
        assert_eq!(d.trace.len(), 2);
        assert_eq!(d.trace[0].failed.as_deref(), Some("subject"));
        assert!(d.trace[1].stopped);
    }

    #[test]
    fn every_condition_must_hold() {
        let rules = vec![rule(
            "vip printers",
            vec![Condition::Subject(re("(?i)printer")), Condition::SenderVip(true), Condition::Language(Lang::Fr)],
            Actions { urgency: Some(1), ..Default::default() },
            false,
        )];
        let mut i = input("ceo@example.test", "Printer", "");
        assert_eq!(evaluate(&rules, &i).fields.urgency, None);
        assert_eq!(evaluate(&rules, &i).trace[0].failed.as_deref(), Some("sender_vip"));
        i.sender_vip = true;
        i.language = Some(Lang::Fr);
        assert_eq!(evaluate(&rules, &i).fields.urgency, Some(1));
    }

    #[test]
    fn the_language_is_the_declared_one_else_the_words_one() {
        let english = "Hello, the printer is not working since this morning. Can you help? Thanks";
        let french = "Bonjour, l'imprimante ne marche plus depuis ce matin. Merci";
        let cases = [
            (None, "Printer", english, Some((Lang::En, LanguageFrom::Words))),
            (None, "Imprimante", french, Some((Lang::Fr, LanguageFrom::Words))),
            (Some(Lang::Fr), "Printer", english, Some((Lang::Fr, LanguageFrom::Header))),
            (Some(Lang::En), "", "", Some((Lang::En, LanguageFrom::Header))),
            (None, "VPN", "KO", None),
            (None, "Bonjour, merci pour", "", Some((Lang::Fr, LanguageFrom::Words))),
        ];
        for (declared, subject, body, want) in cases {
            assert_eq!(mail_language(declared, subject, body), want, "{subject} / {body}");
        }
    }

    #[test]
    fn a_language_rule_holds_only_for_that_language() {
        let rules = vec![rule(
            "english",
            vec![Condition::Language(Lang::En)],
            Actions { group: Some("reseau".into()), ..Default::default() },
            false,
        )];
        for (language, want) in [(Some(Lang::En), Some("reseau")), (Some(Lang::Fr), None), (None, None)] {
            let mut i = input("erin@example.test", "Printer", "");
            i.language = language;
            assert_eq!(evaluate(&rules, &i).fields.group.as_deref(), want, "{language:?}");
        }
    }

    #[test]
    fn named_captures_fill_the_actions() {
        let rules = vec![rule(
            "nagios",
            vec![
                Condition::Subject(re(r"PROBLEM Service Alert: (?P<host>[^/]+)/(?P<service>\S+)")),
                Condition::Header("X-Monitor".into(), re("(?P<site>paris|lyon)")),
            ],
            Actions {
                ticket_type: Some(TicketType::Event),
                event_key: Some("${host}/${service}".into()),
                tags: vec!["${site}".into()],
                group: Some("ops-${site}".into()),
                ..Default::default()
            },
            false,
        )];
        let headers = vec![("x-monitor".to_string(), "lyon-2".to_string())];
        let mut i = input("nagios@example.test", "** PROBLEM Service Alert: web01/HTTP is CRITICAL **", "");
        i.headers = &headers;
        let f = evaluate(&rules, &i).fields;
        assert_eq!(f.event_key.as_deref(), Some("web01/HTTP"));
        assert_eq!(f.group.as_deref(), Some("ops-lyon"));
        assert_eq!(f.tags, vec!["lyon"]);
        assert_eq!(f.ticket_type, Some(TicketType::Event));
    }

    #[test]
    fn expand_leaves_text_without_captures_alone() {
        let caps = BTreeMap::from([("a".to_string(), "1".to_string())]);
        assert_eq!(expand("x${a}y${b}z${", &caps), "x1yz${");
        assert_eq!(expand("plain", &caps), "plain");
    }
}
