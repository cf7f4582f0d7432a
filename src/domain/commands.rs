//! Commands a technician writes on lines of their own at the top of a mail
//! (`#resolve`, `#status pending`, `#internal`, …). Parsing splits them from
//! the text; the pipeline applies them. A command that cannot be applied is
//! a [`Refusal`], told to the technician in their language.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::is_address;
use super::ticket::{IllegalTransition, Lang, Status, TicketType};

mod words;

/// The commands, as `unknown command` lists them.
const KNOWN: &str =
    "#status, #assign, #impact, #urgency, #type, #parent, #major, #internal, #resolve, #unresolved, #plan, #requester, #me, #watch, #unwatch, #kb, #merge, #split";

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
    /// A forwarded mail opens the ticket for the technician who forwarded
    /// it, not for its sender.
    Me,
    /// This ticket is the same as that one: merged into it.
    Merge(i64),
    /// The article of the notice answered becomes a ticket of its own.
    Split,
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
            Command::Me => "#me".into(),
            Command::Merge(n) => format!("#merge {n}"),
            Command::Split => "#split".into(),
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
    pub reason: Refusal,
}

/// Why a command was not applied. Parsing finds the first ones; the
/// ticket's lifecycle and the desk (who is a technician, which tickets
/// exist) the rest. `command` fields are the command's name without `#`;
/// `got` what was written instead of a valid argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownCommand(String),
    MissingArgument {
        command: String,
    },
    TooManyArguments {
        command: String,
    },
    UnwantedArgument {
        command: String,
        got: String,
    },
    NotALevel {
        command: String,
        got: String,
    },
    UnknownStatus(String),
    UnknownType(String),
    NotOnOrOff(String),
    NotAnAddress {
        command: String,
        got: String,
    },
    NotATicketNumber {
        command: String,
        got: String,
    },
    NotAnAssignee(String),
    NotADate(String),
    Transition(IllegalTransition),
    NotATechnician(String),
    EmptyGroup(String),
    OwnParent,
    NoSuchTicket(i64),
    NotFollowing(String),
    /// `#me` on a ticket that is open already.
    OnlyOpening(String),
    OwnMerge,
    MergeIntoClosed(i64),
    /// `#split` not in an answer to a notice that carried an article.
    NothingToSplit,
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

fn parse_one(rest: &str) -> Result<Command, Refusal> {
    let mut words = rest.split_whitespace();
    let name = words.next().unwrap_or_default().to_ascii_lowercase();
    if name == "plan" {
        let when: Vec<&str> = words.collect();
        return plan(&when.join(" ")).map(Command::Plan);
    }
    let arg = words.next();
    let extra = words.next();
    if extra.is_some() {
        return Err(Refusal::TooManyArguments { command: name });
    }
    let missing = || Refusal::MissingArgument { command: name.clone() };
    let none = |cmd: Command| match arg {
        Some(a) => Err(Refusal::UnwantedArgument { command: name.clone(), got: a.to_string() }),
        None => Ok(cmd),
    };
    let level = |arg: Option<&str>| -> Result<i32, Refusal> {
        let a = arg.ok_or_else(missing)?;
        match a.parse::<i32>() {
            Ok(n @ 1..=5) => Ok(n),
            _ => Err(Refusal::NotALevel { command: name.clone(), got: a.to_string() }),
        }
    };
    match name.as_str() {
        "status" => {
            let a = arg.ok_or_else(missing)?;
            a.parse().map(Command::Status).map_err(|_| Refusal::UnknownStatus(a.to_string()))
        }
        "resolve" | "resolved" => none(Command::Resolve),
        "unresolved" => none(Command::Unresolved),
        "internal" => none(Command::Internal),
        "kb" => none(Command::Kb),
        "me" => none(Command::Me),
        "split" => none(Command::Split),
        "merge" => {
            let a = arg.ok_or_else(missing)?;
            let not = || Refusal::NotATicketNumber { command: name.clone(), got: a.to_string() };
            a.trim_start_matches('#').parse().map(Command::Merge).map_err(|_| not())
        }
        "major" => match arg.map(str::to_ascii_lowercase).as_deref() {
            None | Some("on") | Some("yes") => Ok(Command::Major(true)),
            Some("off") | Some("no") => Ok(Command::Major(false)),
            Some(_) => Err(Refusal::NotOnOrOff(arg.unwrap_or_default().to_string())),
        },
        "requester" | "watch" | "unwatch" => {
            let a = arg.ok_or_else(missing)?.trim_matches(['<', '>']).to_ascii_lowercase();
            if !is_address(&a) {
                return Err(Refusal::NotAnAddress { command: name, got: a });
            }
            Ok(match name.as_str() {
                "requester" => Command::Requester(a),
                "watch" => Command::Watch(a),
                _ => Command::Unwatch(a),
            })
        }
        "impact" => level(arg).map(Command::Impact),
        "urgency" => level(arg).map(Command::Urgency),
        "type" => {
            let a = arg.ok_or_else(missing)?;
            a.parse().map(Command::Type).map_err(|_| Refusal::UnknownType(a.to_string()))
        }
        "parent" => {
            let a = arg.ok_or_else(missing)?;
            let not = || Refusal::NotATicketNumber { command: name.clone(), got: a.to_string() };
            a.trim_start_matches('#').parse().map(Command::Parent).map_err(|_| not())
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
                return Err(Refusal::NotAnAssignee(a.to_string()));
            }))
        }
        _ => Err(Refusal::UnknownCommand(name)),
    }
}

/// `2026-12-01`, `2026-12-01 14:30`, `01/12/2026 14h30`: a day alone
/// means 09:00.
fn plan(when: &str) -> Result<NaiveDateTime, Refusal> {
    let bad = || Refusal::NotADate(when.to_string());
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
mod tests;
