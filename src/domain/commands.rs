//! Commands a technician writes on lines of their own at the top of a mail
//! (`#resolve`, `#status pending`, `#internal`, …). Parsing splits them from
//! the text; the pipeline applies them.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::is_address;
use super::ticket::{Status, TicketType};

/// One command, parsed and checked for shape (not yet for legality).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Status(Status),
    Resolve,
    Unresolved,
    Internal,
    Assign(Assignee),
    Impact(i32),
    Urgency(i32),
    Type(TicketType),
    Parent(i64),
    Kb,
    /// Major incident flag on (`#major`) or off (`#major off`).
    Major(bool),
    /// Intervention planned then, in the technician's time zone.
    Plan(NaiveDateTime),
    /// The ticket is for someone else (a call, a forwarded mail).
    Requester(String),
    Watch(String),
    Unwatch(String),
}

impl Command {
    /// The command as a technician would write it.
    pub fn line(&self) -> String {
        match self {
            Command::Status(s) => format!("#status {s}"),
            Command::Resolve => "#resolve".into(),
            Command::Unresolved => "#unresolved".into(),
            Command::Internal => "#internal".into(),
            Command::Kb => "#kb".into(),
            Command::Assign(Assignee::Me) => "#assign me".into(),
            Command::Assign(Assignee::Technician(e)) => format!("#assign {e}"),
            Command::Assign(Assignee::Group(g)) => format!("#assign group:{g}"),
            Command::Impact(n) => format!("#impact {n}"),
            Command::Urgency(n) => format!("#urgency {n}"),
            Command::Type(t) => format!("#type {t}"),
            Command::Parent(p) => format!("#parent {p}"),
            Command::Major(true) => "#major".into(),
            Command::Major(false) => "#major off".into(),
            Command::Plan(at) => format!("#plan {}", at.format("%Y-%m-%d %H:%M")),
            Command::Requester(a) => format!("#requester {a}"),
            Command::Watch(a) => format!("#watch {a}"),
            Command::Unwatch(a) => format!("#unwatch {a}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Me,
    Technician(String),
    Group(String),
}

/// A command line that could not be understood, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    pub line: String,
    pub reason: String,
}

/// The commands found at the top of a mail, and the text without them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub commands: Vec<Command>,
    pub errors: Vec<CommandError>,
    pub text: String,
}

impl Parsed {
    pub fn is_internal(&self) -> bool {
        self.commands.contains(&Command::Internal)
    }
}

/// Reads `#word args` lines before the first line of prose. A `#` followed
/// by a digit (`#12 is broken`) is prose, not a command.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.peek() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            lines.next();
            continue;
        }
        let Some(rest) = trimmed.strip_prefix('#') else {
            break;
        };
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            break;
        }
        match parse_one(rest) {
            Ok(cmd) => parsed.commands.push(cmd),
            Err(reason) => parsed.errors.push(CommandError { line: trimmed.to_string(), reason }),
        }
        lines.next();
    }
    parsed.text = lines.collect::<Vec<_>>().join("\n").trim().to_string();
    parsed
}

fn parse_one(rest: &str) -> Result<Command, String> {
    let mut words = rest.split_whitespace();
    let name = words.next().unwrap_or_default().to_ascii_lowercase();
    if name == "plan" {
        let when: Vec<&str> = words.collect();
        return plan(&when.join(" ")).map(Command::Plan);
    }
    let arg = words.next();
    let extra = words.next();
    if extra.is_some() {
        return Err(format!("`#{name}` takes at most one argument"));
    }
    let missing = || format!("`#{name}` needs an argument");
    let none = |cmd: Command| match arg {
        Some(a) => Err(format!("`#{name}` takes no argument (got `{a}`)")),
        None => Ok(cmd),
    };
    let level = |arg: Option<&str>| -> Result<i32, String> {
        let a = arg.ok_or_else(missing)?;
        match a.parse::<i32>() {
            Ok(n @ 1..=5) => Ok(n),
            _ => Err(format!("`#{name}` takes a level from 1 (highest) to 5, not `{a}`")),
        }
    };
    match name.as_str() {
        "status" => arg.ok_or_else(missing)?.parse().map(Command::Status).map_err(|e| e.to_string()),
        "resolve" | "resolved" => none(Command::Resolve),
        "unresolved" => none(Command::Unresolved),
        "internal" => none(Command::Internal),
        "kb" => none(Command::Kb),
        "major" => match arg.map(str::to_ascii_lowercase).as_deref() {
            None | Some("on") | Some("yes") => Ok(Command::Major(true)),
            Some("off") | Some("no") => Ok(Command::Major(false)),
            Some(a) => Err(format!("`#major` takes nothing, `on` or `off`, not `{a}`")),
        },
        "requester" | "watch" | "unwatch" => {
            let a = arg.ok_or_else(missing)?.trim_matches(['<', '>']).to_ascii_lowercase();
            if !is_address(&a) {
                return Err(format!("`#{name}` takes an e-mail address, not `{a}`"));
            }
            Ok(match name.as_str() {
                "requester" => Command::Requester(a),
                "watch" => Command::Watch(a),
                _ => Command::Unwatch(a),
            })
        }
        "impact" => level(arg).map(Command::Impact),
        "urgency" => level(arg).map(Command::Urgency),
        "type" => arg.ok_or_else(missing)?.parse().map(Command::Type).map_err(|e| e.to_string()),
        "parent" => {
            let a = arg.ok_or_else(missing)?;
            a.trim_start_matches('#')
                .parse()
                .map(Command::Parent)
                .map_err(|_| format!("`#parent` takes a ticket number, not `{a}`"))
        }
        "assign" => {
            let a = arg.ok_or_else(missing)?;
            Ok(Command::Assign(if a.eq_ignore_ascii_case("me") {
                Assignee::Me
            } else if let Some(group) = a.strip_prefix("group:") {
                Assignee::Group(group.to_string())
            } else if a.contains('@') {
                Assignee::Technician(a.to_ascii_lowercase())
            } else {
                return Err(format!("`#assign` takes `me`, an address or `group:NAME`, not `{a}`"));
            }))
        }
        _ => Err(format!(
            "unknown command `#{name}` (known: #status, #assign, #impact, #urgency, #type, #parent, #major, #internal, #resolve, #unresolved, #plan, #requester, #watch, #unwatch, #kb)"
        )),
    }
}

/// `2026-12-01`, `2026-12-01 14:30`, `01/12/2026 14h30`: a day alone
/// means 09:00.
fn plan(when: &str) -> Result<NaiveDateTime, String> {
    let bad = || format!("`#plan` takes a date like 2026-12-01 or 2026-12-01 14:30, not `{when}`");
    let mut parts = when.split_whitespace();
    let day = parts.next().ok_or_else(bad)?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(day, "%d/%m/%Y"))
        .map_err(|_| bad())?;
    let time = match parts.next() {
        None => NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
        Some(t) => NaiveTime::parse_from_str(&t.replace('h', ":"), "%H:%M").map_err(|_| bad())?,
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(day.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_on_top_lines_are_taken_and_removed_from_the_text() {
        let p = parse("#resolve\n#impact 2\n\nBonjour,\nC'est réparé.\n#internal");
        assert_eq!(p.commands, vec![Command::Resolve, Command::Impact(2)]);
        assert_eq!(p.text, "Bonjour,\nC'est réparé.\n#internal");
        assert!(p.errors.is_empty());
    }

    #[test]
    fn a_hash_before_a_number_is_prose() {
        let p = parse("#12 is still broken");
        assert!(p.commands.is_empty());
        assert_eq!(p.text, "#12 is still broken");
    }

    #[test]
    fn bad_commands_are_reported_with_the_reason() {
        let cases = [
            ("#status closed", "unknown status `closed`"),
            ("#impact 9", "from 1 (highest) to 5"),
            ("#frobnicate", "unknown command `#frobnicate`"),
            ("#resolve now", "takes no argument"),
            ("#assign bob", "`#assign` takes `me`"),
        ];
        for (line, want) in cases {
            let p = parse(line);
            assert_eq!(p.errors.len(), 1, "{line}");
            assert!(p.errors[0].reason.contains(want), "{line}: {}", p.errors[0].reason);
        }
    }

    #[test]
    fn every_documented_command_parses() {
        let p = parse(
            "#status pending\n#assign me\n#assign group:net\n#assign a@example.test\n#urgency 1\n#type problem\n#parent #123\n#internal\n#unresolved\n#kb",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.commands.len(), 10);
        assert!(p.is_internal());
        assert_eq!(p.commands[6], Command::Parent(123));
    }

    #[test]
    fn itil_commands_take_their_arguments() {
        let p = parse(
            "#major
#major off
#plan 2026-12-01 14:30
#plan 02/12/2026
#requester <Alice@Example.test>
#watch bob@example.test
#unwatch carol@example.test
Merci",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let day = |d: u32, h: u32, m: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap().and_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            p.commands,
            vec![
                Command::Major(true),
                Command::Major(false),
                Command::Plan(day(1, 14, 30)),
                Command::Plan(day(2, 9, 0)),
                Command::Requester("alice@example.test".into()),
                Command::Watch("bob@example.test".into()),
                Command::Unwatch("carol@example.test".into()),
            ]
        );
        assert_eq!(p.text, "Merci");
        for c in &p.commands {
            assert_eq!(parse(&c.line()).commands, vec![c.clone()], "{}", c.line());
        }
        for (line, want) in [
            ("#plan tomorrow", "`#plan` takes a date"),
            ("#requester bob", "an e-mail address"),
            ("#major maybe", "`on` or `off`"),
        ] {
            assert!(parse(line).errors[0].reason.contains(want), "{line}");
        }
    }
}
