//! What a technician's commands change on a ticket, decided in memory.
//! Each [`Command`] applies to the ticket as it stands and to the changes
//! so far, or is refused; what the commands need to know of the desk
//! (technicians, groups, other tickets, who follows) is read before
//! ([`Known`]), and the [`Changes`] are written after, in
//! `ingest::pipeline::commands`.

use chrono::NaiveDateTime;

use super::commands::{Assignee, Command, Refusal};
use super::ticket::{Status, TicketType};

/// What commands change on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: Status,
    pub assignee: Option<String>,
    pub group: Option<String>,
    pub impact: i32,
    pub urgency: i32,
    pub ticket_type: TicketType,
    pub major: bool,
}

/// The ticket as the commands find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub id: i64,
    pub parent: Option<i64>,
    pub planned: Option<NaiveDateTime>,
    pub state: State,
}

/// What the commands need to know beyond the ticket.
pub trait Known {
    /// The technician who wrote the commands.
    fn me(&self) -> &str;
    /// The technician's address as the desk writes it, if `email` is one.
    fn technician(&self, email: &str) -> Option<String>;
    fn group_has_members(&self, group: &str) -> bool;
    fn ticket_exists(&self, id: i64) -> bool;
    /// Whether that ticket is open (one to merge into).
    fn ticket_open(&self, id: i64) -> bool;
    /// The article carried by the notice this mail answers (`#split`).
    fn answered_article(&self) -> Option<i64>;
    /// Whether `email` followed the ticket before these commands.
    fn follows(&self, email: &str) -> bool;
    /// The requester's address.
    fn requester(&self) -> &str;
    /// A time the technician wrote (in their zone), in UTC.
    fn in_utc(&self, local: NaiveDateTime) -> NaiveDateTime;
}

/// A change made where its command stands, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    KbRequested,
    Parent {
        old: Option<i64>,
        new: i64,
    },
    Major {
        old: bool,
        new: bool,
    },
    Planned {
        old: Option<NaiveDateTime>,
        at: NaiveDateTime,
    },
    Requester {
        old: String,
        new: String,
    },
    Watch(String),
    Unwatch(String),
    /// Closed into that ticket: its articles, watchers and mail go there.
    Merge {
        into: i64,
    },
    /// That article becomes a ticket of its own, for its author.
    Split {
        article: i64,
    },
}

/// The ticket's state once the commands applied, the changes made on the
/// way, and the commands refused with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub state: State,
    /// A technician was named (`#assign me`, `#assign bob@example.test`).
    pub named: bool,
    /// Handed to a group (`#assign group:network`): someone of it takes it
    /// unless a technician was named too.
    pub regroup: bool,
    pub effects: Vec<Effect>,
    pub refused: Vec<(String, Refusal)>,
    /// Who follows, as the commands left it (`#watch` then `#unwatch`).
    followed: Vec<(String, bool)>,
}

impl Changes {
    /// No change yet: the ticket as it stands.
    pub fn of(t: &Current) -> Changes {
        Changes {
            state: t.state.clone(),
            named: false,
            regroup: false,
            effects: Vec::new(),
            refused: Vec::new(),
            followed: Vec::new(),
        }
    }

    /// Applies `commands` in order; a refused one is recorded and the rest
    /// go on.
    pub fn apply_all(t: &Current, commands: &[Command], known: &dyn Known) -> Changes {
        let mut changes = Changes::of(t);
        for command in commands {
            if let Err(refusal) = command.apply(t, &mut changes, known) {
                changes.refused.push((command.line(), refusal));
            }
        }
        changes
    }

    fn step(&mut self, to: Status) -> Result<(), Refusal> {
        self.state.status = self.state.status.transition(to).map_err(Refusal::Transition)?;
        Ok(())
    }

    fn follows(&self, email: &str, known: &dyn Known) -> bool {
        match self.followed.iter().rev().find(|(e, _)| e.eq_ignore_ascii_case(email)) {
            Some((_, on)) => *on,
            None => known.follows(email),
        }
    }
}

impl Command {
    /// Applies the command to `ticket` as `changes` left it so far.
    pub fn apply(&self, ticket: &Current, changes: &mut Changes, known: &dyn Known) -> Result<(), Refusal> {
        match self {
            Command::Status(to) => changes.step(*to)?,
            Command::Resolve => changes.step(Status::Resolved)?,
            Command::Unresolved => changes.step(Status::Unresolved)?,
            Command::Internal => {}
            Command::Kb => changes.effects.push(Effect::KbRequested),
            Command::Assign(Assignee::Me) => {
                changes.named = true;
                changes.state.assignee = Some(known.me().to_string());
            }
            Command::Assign(Assignee::Technician(email)) => {
                let who = known.technician(email).ok_or_else(|| Refusal::NotATechnician(email.clone()))?;
                changes.named = true;
                changes.state.assignee = Some(who);
            }
            Command::Assign(Assignee::Group(g)) => {
                if !known.group_has_members(g) {
                    return Err(Refusal::EmptyGroup(g.clone()));
                }
                changes.state.group = Some(g.clone());
                changes.regroup = true;
            }
            Command::Impact(n) => changes.state.impact = *n,
            Command::Urgency(n) => changes.state.urgency = *n,
            Command::Type(t) => changes.state.ticket_type = *t,
            Command::Parent(p) => {
                if *p == ticket.id {
                    return Err(Refusal::OwnParent);
                }
                if !known.ticket_exists(*p) {
                    return Err(Refusal::NoSuchTicket(*p));
                }
                changes.effects.push(Effect::Parent { old: ticket.parent, new: *p });
            }
            Command::Major(on) => {
                if *on != changes.state.major {
                    changes.effects.push(Effect::Major { old: changes.state.major, new: *on });
                    changes.state.major = *on;
                }
            }
            Command::Plan(local) => {
                // Nothing is planned on a ticket that cannot become planned.
                if changes.state.status != Status::Planned {
                    changes.step(Status::Planned)?;
                }
                changes.effects.push(Effect::Planned { old: ticket.planned, at: known.in_utc(*local) });
            }
            // Read when the ticket opens; later, it has nothing to change.
            Command::Me => return Err(Refusal::OnlyOpening("me".into())),
            Command::Merge(into) => {
                if *into == ticket.id {
                    return Err(Refusal::OwnMerge);
                }
                if !known.ticket_exists(*into) {
                    return Err(Refusal::NoSuchTicket(*into));
                }
                if !known.ticket_open(*into) {
                    return Err(Refusal::MergeIntoClosed(*into));
                }
                changes.step(Status::Resolved)?;
                changes.effects.push(Effect::Merge { into: *into });
            }
            Command::Split => {
                let article = known.answered_article().ok_or(Refusal::NothingToSplit)?;
                changes.effects.push(Effect::Split { article });
            }
            Command::Requester(email) => {
                let old = known.requester();
                if !old.eq_ignore_ascii_case(email) {
                    changes.effects.push(Effect::Requester { old: old.to_string(), new: email.clone() });
                }
            }
            Command::Watch(email) => {
                changes.followed.push((email.clone(), true));
                changes.effects.push(Effect::Watch(email.clone()));
            }
            Command::Unwatch(email) => {
                if !changes.follows(email, known) {
                    return Err(Refusal::NotFollowing(email.clone()));
                }
                changes.followed.push((email.clone(), false));
                changes.effects.push(Effect::Unwatch(email.clone()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::commands::parse;

    struct Desk;

    impl Known for Desk {
        fn me(&self) -> &str {
            "paul@example.test"
        }
        fn technician(&self, email: &str) -> Option<String> {
            email.eq_ignore_ascii_case("lea@example.test").then(|| "lea@example.test".to_string())
        }
        fn group_has_members(&self, group: &str) -> bool {
            group == "network"
        }
        fn ticket_exists(&self, id: i64) -> bool {
            id < 100
        }
        fn ticket_open(&self, id: i64) -> bool {
            id < 50
        }
        fn answered_article(&self) -> Option<i64> {
            None
        }
        fn follows(&self, email: &str) -> bool {
            email == "boss@example.test"
        }
        fn requester(&self) -> &str {
            "alice@example.test"
        }
        fn in_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
            local - chrono::Duration::hours(1)
        }
    }

    fn ticket() -> Current {
        let state = State {
            status: Status::New,
            assignee: None,
            group: None,
            impact: 3,
            urgency: 3,
            ticket_type: TicketType::Incident,
            major: false,
        };
        Current { id: 7, parent: None, planned: None, state }
    }

    fn with_status(status: Status) -> Current {
        let t = ticket();
        Current { state: State { status, ..t.state }, ..t }
    }

    fn apply(lines: &str, t: &Current) -> Changes {
        let parsed = parse(lines);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        Changes::apply_all(t, &parsed.commands, &Desk)
    }

    #[test]
    fn commands_change_the_ticket_in_order_and_a_refused_one_leaves_the_rest() {
        let t = with_status(Status::Assigned);
        let c = apply("#assign LEA@example.test\n#urgency 1\n#parent 500\n#resolve\n#status pending\n#kb\n", &t);
        assert_eq!(c.state.assignee.as_deref(), Some("lea@example.test"));
        assert!(c.named && !c.regroup);
        assert_eq!((c.state.impact, c.state.urgency), (3, 1));
        assert_eq!(c.state.status, Status::Resolved);
        assert_eq!(c.effects, [Effect::KbRequested]);
        let refused: Vec<&str> = c.refused.iter().map(|(line, _)| line.as_str()).collect();
        assert_eq!(refused, ["#parent 500", "#status pending"]);
        assert_eq!(c.refused[0].1, Refusal::NoSuchTicket(500));
        assert!(matches!(c.refused[1].1, Refusal::Transition(_)));
    }

    #[test]
    fn nobody_is_assigned_who_is_not_a_technician_and_no_empty_group_takes_a_ticket() {
        let c = apply("#assign mallory@example.test\n#assign group:void\n#assign group:network\n", &ticket());
        assert_eq!(c.state.assignee, None);
        assert_eq!(c.state.group.as_deref(), Some("network"));
        assert!(c.regroup && !c.named);
        assert_eq!(
            c.refused.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
            [Refusal::NotATechnician("mallory@example.test".into()), Refusal::EmptyGroup("void".into())]
        );
        let me = apply("#assign me\n", &ticket());
        assert_eq!(me.state.assignee.as_deref(), Some("paul@example.test"));
    }

    #[test]
    fn a_ticket_is_not_its_own_parent_and_a_plan_needs_a_ticket_that_can_be_planned() {
        let c = apply("#parent 7\n#parent 3\n#plan 2026-12-07 09:30\n", &ticket());
        assert_eq!(c.refused[0].1, Refusal::OwnParent);
        let at = NaiveDateTime::parse_from_str("2026-12-07 08:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(c.effects, [Effect::Parent { old: None, new: 3 }, Effect::Planned { old: None, at }]);
        assert_eq!(c.state.status, Status::Planned);
        let closed = with_status(Status::Resolved);
        let c = apply("#plan 2026-12-07 09:30\n", &closed);
        assert!(c.effects.is_empty());
        assert!(matches!(c.refused[0].1, Refusal::Transition(_)));
    }

    #[test]
    fn watching_unwatching_and_the_requester_are_told_apart_from_what_was_already_so() {
        let c = apply(
            "#unwatch bob@example.test\n#watch bob@example.test\n#unwatch bob@example.test\n#unwatch boss@example.test\n#requester ALICE@example.test\n#requester carol@example.test\n#major\n#major\n",
            &ticket(),
        );
        assert_eq!(c.refused.len(), 1);
        assert_eq!(c.refused[0].1, Refusal::NotFollowing("bob@example.test".into()));
        assert_eq!(
            c.effects,
            [
                Effect::Watch("bob@example.test".into()),
                Effect::Unwatch("bob@example.test".into()),
                Effect::Unwatch("boss@example.test".into()),
                Effect::Requester { old: "alice@example.test".into(), new: "carol@example.test".into() },
                Effect::Major { old: false, new: true },
            ]
        );
        assert!(c.state.major);
    }

    #[test]
    fn merge_closes_into_an_open_ticket_and_split_needs_the_notice_answered() {
        let t = ticket();
        let c = Changes::apply_all(&t, &[Command::Merge(12)], &Desk);
        assert_eq!(c.state.status, Status::Resolved);
        assert_eq!(c.effects, [Effect::Merge { into: 12 }]);
        for (into, why) in
            [(7, Refusal::OwnMerge), (120, Refusal::NoSuchTicket(120)), (60, Refusal::MergeIntoClosed(60))]
        {
            let c = Changes::apply_all(&t, &[Command::Merge(into)], &Desk);
            assert_eq!((c.state.status, c.refused), (Status::New, vec![(format!("#merge {into}"), why)]));
        }
        let c = Changes::apply_all(&t, &[Command::Split], &Desk);
        assert_eq!(c.refused, [("#split".to_string(), Refusal::NothingToSplit)]);
    }
}
