//! Who does what in the demo: requests, technicians taking, answering
//! and closing tickets, requesters answering, reopening and rating.

use super::*;

impl Sim<'_> {
    pub(super) fn act(&mut self, now: DateTime<Utc>, act: Act) -> Result<(), DemoError> {
        match act {
            Act::Request { person, topic, urgent } => self.request(now, person, Some(topic), urgent),
            Act::Outage { person } => self.request(now, person, None, false),
            Act::TechFirst { ticket } => self.tech_first(now, ticket),
            Act::TechClose { ticket } => self.tech_close(now, ticket),
            Act::Major { ticket, resolve } => self.major(now, ticket, resolve),
            Act::Answer { ticket } => self.answer(now, ticket),
            Act::SelfService { ticket } => self.self_service(now, ticket),
            Act::Nudge { ticket } => self.nudge(now, ticket),
            Act::Back { ticket } => self.back(now, ticket),
            Act::Survey { ticket } => self.survey(now, ticket),
        }
    }

    /// A new mail to the desk: about `topic`, or about the outage.
    pub(super) fn request(
        &mut self,
        now: DateTime<Utc>,
        person: usize,
        topic: Option<usize>,
        urgent: bool,
    ) -> Result<(), DemoError> {
        let p = self.people[person].clone();
        let blanks = self.rng.next_u64();
        let mut filler = Rng::new(blanks);
        let (subjects, bodies) = match topic {
            Some(t) => {
                let lines = TOPICS[t].lines(p.lang);
                (lines.subjects, lines.bodies)
            }
            None => cast::outage(p.lang),
        };
        let mut subject = cast::fill(&mut filler, self.rng.pick::<&str>(subjects));
        if urgent {
            subject = format!("{}{subject}", cast::common(p.lang).urgent);
        }
        let body = cast::fill(&mut Rng::new(blanks), self.rng.pick::<&str>(bodies));
        let text = self.signed(&body, &p);
        // Now and then a colleague is copied.
        let mut cc = Vec::new();
        if topic.is_some() && self.rng.chance(0.08) {
            let other = &self.people[self.rng.below(self.people.len())];
            if other.email != p.email {
                cc.push(Mailbox { email: other.email.clone(), name: other.name.clone() });
            }
        }
        let from = Mailbox { email: p.email.clone(), name: p.name.clone() };
        let (outcome, first) = self.mail(now, from, subject.clone(), text, Vec::new(), cc, Some(p.lang))?;
        let Outcome::Ticket { ticket: id } = outcome else { return Ok(()) };
        let clean = self.settings.tickets.subject_tag.clean(&subject);
        let case = Case {
            person: Some(person),
            topic,
            lang: p.lang,
            subject: clean,
            first,
            blanks,
            handed_over: false,
            came_back: false,
        };
        self.cases.insert(id, case);
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if let Some(parent) = t.parent_id {
            return self.major_raised(now, parent);
        }
        let suggested = !crate::store::kb::suggestions(&mut *self.store.conn()?, id)?.is_empty();
        if suggested && self.rng.chance(0.2) {
            let at = self.later(now, 5, 90);
            self.at(at, Act::SelfService { ticket: id });
        }
        let critical = t.priority <= 2;
        // Most first answers come well in time; some do not.
        let wait = match (critical, self.rng.chance(0.88)) {
            (true, true) => self.rng.spread(3, 35),
            (true, false) => self.rng.spread(25, 180),
            (false, true) => self.rng.spread(5, 240),
            (false, false) => self.rng.spread(180, 1200),
        };
        let at = self.office.add(now, wait);
        self.at(at, Act::TechFirst { ticket: id });
        if wait > 480 && self.rng.chance(0.4) {
            let at = self.later(now, 240, wait - 30);
            self.at(at, Act::Nudge { ticket: id });
        }
        Ok(())
    }

    /// A major incident the desk raised (or one a new ticket joined).
    pub(super) fn major_raised(&mut self, now: DateTime<Utc>, parent: i64) -> Result<(), DemoError> {
        if self.cases.contains_key(&parent) {
            return Ok(());
        }
        let Some(t) = self.ticket(parent)? else { return Ok(()) };
        let lang: Lang = t.language.parse().unwrap_or(self.settings.tickets.language);
        let case = Case {
            person: None,
            topic: None,
            lang,
            subject: t.subject.clone(),
            first: String::new(),
            blanks: 0,
            handed_over: false,
            came_back: false,
        };
        self.cases.insert(parent, case);
        self.summary.major_incidents += 1;
        let at = self.later(now, 8, 25);
        self.at(at, Act::Major { ticket: parent, resolve: false });
        Ok(())
    }

    /// The technician who handles `t`: its assignee, else one whose skills
    /// or groups fit the topic (in the ticket's group when it has one).
    pub(super) fn tech_for(&mut self, t: &Ticket, topic: Option<&Topic>) -> Option<Technician> {
        let techs = &self.settings.technicians;
        if let Some(a) = &t.assignee {
            if let Some(tech) = self.settings.technician(a) {
                return Some(tech.clone());
            }
        }
        let in_group = |x: &&Technician| t.group_name.as_ref().is_none_or(|g| x.groups.contains(g));
        let fitting: Vec<&Technician> = techs.iter().filter(in_group).filter(|x| fits(x, topic)).collect();
        let grouped: Vec<&Technician> = techs.iter().filter(in_group).collect();
        let all: Vec<&Technician> = techs.iter().collect();
        // Most often one it suits looks at it first; not always.
        let pools = if self.rng.chance(0.75) { [fitting, grouped, all] } else { [grouped, all, fitting] };
        let pool = pools.into_iter().find(|p| !p.is_empty())?;
        Some((*self.rng.pick(&pool)).clone())
    }

    pub(super) fn at_work(&self, tech: &Technician, t: DateTime<Utc>) -> bool {
        self.office.is_open(t) && tech.presence.unavailable(t).is_none()
    }

    /// When `tech` cannot act at `now`: puts `act` off to when they can
    /// (or drops it when they are away for a month), and says so.
    pub(super) fn put_off(&mut self, now: DateTime<Utc>, tech: &Technician, act: Act) -> bool {
        if self.at_work(tech, now) {
            return false;
        }
        let mut t = now;
        for _ in 0..(30 * 24 * 4) {
            t += Duration::minutes(15);
            if self.at_work(tech, t) {
                let at = t + Duration::minutes(self.rng.between(0, 30));
                self.at(at, act);
                break;
            }
        }
        true
    }

    /// A ticket a technician can work on now, its case and who works on
    /// it; none when it waits for its requester or its parent, is closed,
    /// or nobody is at work (`act` then comes again later).
    pub(super) fn workable(
        &mut self,
        now: DateTime<Utc>,
        id: i64,
        act: Act,
    ) -> Result<Option<(Ticket, Case, Technician)>, DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(None) };
        let status = status(&t);
        // Waiting for an answer that did not come: the sweeper closes it.
        if t.parent_id.is_some() || status.is_closed() || status == Status::Pending {
            return Ok(None);
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(None) };
        let topic = case.topic.map(|i| &TOPICS[i]);
        let Some(tech) = self.tech_for(&t, topic) else { return Ok(None) };
        if self.put_off(now, &tech, act) {
            return Ok(None);
        }
        Ok(Some((t, case, tech)))
    }

    pub(super) fn tech_first(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some((t, case, tech)) = self.workable(now, id, Act::TechFirst { ticket: id })? else { return Ok(()) };
        let topic = case.topic.map(|i| &TOPICS[i]);
        // Taken by someone it does not suit: handed over to one it does.
        if !case.handed_over && !fits(&tech, topic) && self.rng.chance(0.7) {
            let other = self.settings.technicians.iter().find(|x| fits(x, topic) && x.email != tech.email).cloned();
            if let Some(other) = other {
                if let Some(c) = self.cases.get_mut(&id) {
                    c.handed_over = true;
                }
                let note = cast::common(case.lang).handover;
                let commands = [format!("#assign {}", other.email), "#internal".to_string()];
                self.technician_writes(now, id, &tech, &commands, note)?;
                let at = self.later(now, 5, 60);
                self.at(at, Act::TechFirst { ticket: id });
                return Ok(());
            }
        }
        let critical = t.priority <= 2;
        let roll = self.rng.unit();
        let topic_lines = topic.map(|tp| tp.lines(case.lang));
        let greeting = self.greeting(&case);
        let Some(lines) = topic_lines.filter(|_| roll >= 0.28) else {
            return self.close(now, id, &tech, &case, false);
        };
        if roll < 0.43 {
            // A question first: the ticket waits for the requester.
            let text = format!("{greeting}\n\n{}", self.fill(&case, lines.question));
            self.technician_writes(now, id, &tech, &["#status pending".into()], &text)?;
            if self.rng.chance(0.7) {
                let at = self.later(now, 15, 900);
                self.at(at, Act::Answer { ticket: id });
            }
            return Ok(());
        }
        if topic.is_some_and(|tp| tp.visit) && roll < 0.6 {
            // A visit, planned in a day or two, in the technician's time zone.
            let day = self.later(now, 500, 1400).with_timezone(&tech.presence.tz).date_naive();
            let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(NaiveTime::MIN);
            let visit = tech.presence.tz.from_local_datetime(&day.and_time(ten)).earliest();
            if let Some(visit) = visit.map(|v| v.with_timezone(&Utc)) {
                let date = day.format("%d/%m").to_string();
                let said = cast::common(case.lang).planned.replace("{date}", &date);
                let command = format!("#plan {} 10:00", day.format("%Y-%m-%d"));
                self.technician_writes(now, id, &tech, &[command], &format!("{greeting}\n\n{said}"))?;
                let at = visit + Duration::minutes(self.rng.between(30, 90));
                self.at(at, Act::TechClose { ticket: id });
                return Ok(());
            }
        }
        // Taken, answered; closed later.
        let mut commands = Vec::new();
        if topic.is_some_and(|tp| tp.request) && t.ticket_type != "request" {
            commands.push("#type request".to_string());
        }
        // "URGENT" in a subject is not always so.
        let marked = case.subject.starts_with(cast::common(case.lang).urgent.trim_end());
        if marked && t.urgency < 3 && self.rng.chance(0.4) {
            commands.push("#urgency 3".to_string());
        }
        let taken = *self.rng.pick(cast::common(case.lang).taken);
        self.technician_writes(now, id, &tech, &commands, &format!("{greeting}\n\n{taken}"))?;
        let at = if critical { self.later(now, 20, 240) } else { self.later(now, 30, 1200) };
        self.at(at, Act::TechClose { ticket: id });
        Ok(())
    }

    pub(super) fn tech_close(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some((_, case, tech)) = self.workable(now, id, Act::TechClose { ticket: id })? else { return Ok(()) };
        self.close(now, id, &tech, &case, case.came_back)
    }

    /// Resolves the ticket (now and then: closes it unresolved).
    pub(super) fn close(
        &mut self,
        now: DateTime<Utc>,
        id: i64,
        tech: &Technician,
        case: &Case,
        again: bool,
    ) -> Result<(), DemoError> {
        let greeting = self.greeting(case);
        let lang = case.lang;
        let (mut commands, words) = if !again && self.rng.chance(0.04) {
            (vec!["#unresolved".to_string()], *self.rng.pick(cast::common(lang).unresolved))
        } else {
            let topic = &TOPICS[case.topic.unwrap_or(0)];
            (vec!["#resolve".to_string()], *self.rng.pick(topic.lines(lang).solution))
        };
        if commands[0] == "#resolve" && self.rng.chance(0.03) {
            commands.push("#kb".into());
        }
        let text = format!("{greeting}\n\n{}", self.fill(case, words));
        self.technician_writes(now, id, tech, &commands, &text)?;
        self.resolved(now, id)
    }

    /// After a ticket was resolved: its survey may come; the problem may too.
    pub(super) fn resolved(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if t.status != Status::Resolved.as_str() {
            return Ok(());
        }
        self.surveys_due.insert(id);
        let back = self.cases.get(&id).is_some_and(|c| !c.came_back && c.person.is_some());
        if back && self.rng.chance(0.07) {
            let at = self.later(now, 60, 2400);
            self.at(at, Act::Back { ticket: id });
        }
        Ok(())
    }

    pub(super) fn major(&mut self, now: DateTime<Utc>, id: i64, resolve: bool) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if status(&t).is_closed() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let network = TOPICS.iter().find(|tp| tp.skills.contains(&"reseau"));
        let Some(tech) = self.tech_for(&t, network) else { return Ok(()) };
        if self.put_off(now, &tech, Act::Major { ticket: id, resolve }) {
            return Ok(());
        }
        let c = cast::common(case.lang);
        if !resolve {
            self.technician_writes(now, id, &tech, &["#assign me".into()], c.outage_seen)?;
            let at = self.later(now, 40, 110);
            self.at(at, Act::Major { ticket: id, resolve: true });
            return Ok(());
        }
        self.technician_writes(now, id, &tech, &["#resolve".into()], c.outage_fixed)?;
        for child in queries::children(&mut *self.store.conn()?, id)? {
            self.surveys_due.insert(child);
        }
        Ok(())
    }

    pub(super) fn answer(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if t.status != Status::Pending.as_str() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let Some(topic) = case.topic.map(|i| &TOPICS[i]) else { return Ok(()) };
        let text = self.fill(&case, topic.lines(case.lang).answer);
        self.requester_writes(now, id, &text, true)?;
        let at = self.later(now, 20, 600);
        self.at(at, Act::TechClose { ticket: id });
        Ok(())
    }

    pub(super) fn self_service(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if status(&t).is_closed() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let words = *self.rng.pick(cast::common(case.lang).solved);
        self.requester_writes(now, id, words, false)?;
        if self.ticket(id)?.is_some_and(|t| t.status == Status::Resolved.as_str()) {
            self.summary.self_service += 1;
            self.surveys_due.insert(id);
        }
        Ok(())
    }

    pub(super) fn nudge(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        let status = status(&t);
        if status.is_closed() || status == Status::Pending {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let words = *self.rng.pick(cast::common(case.lang).nudge);
        self.requester_writes(now, id, words, true)
    }

    pub(super) fn back(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if t.status != Status::Resolved.as_str() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let words = *self.rng.pick(cast::common(case.lang).back);
        self.requester_writes(now, id, words, true)?;
        self.reopened(now, id)
    }

    /// When the requester's mail reopened the ticket: the technician comes back to it.
    pub(super) fn reopened(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        if self.ticket(id)?.is_none_or(|t| status(&t).is_closed()) {
            return Ok(());
        }
        if let Some(c) = self.cases.get_mut(&id) {
            c.came_back = true;
        }
        self.summary.reopened += 1;
        let at = self.later(now, 30, 600);
        self.at(at, Act::TechClose { ticket: id });
        Ok(())
    }

    pub(super) fn survey(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let survey = queries::survey_of(&mut *self.store.conn()?, id)?;
        let Some(message_id) = survey.filter(|s| s.state == "sent").and_then(|s| s.message_id) else { return Ok(()) };
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let Some(person) = case.person.map(|p| self.people[p].clone()) else { return Ok(()) };
        let late = queries::sla_timers(&mut *self.store.conn()?, id)?.iter().any(|r| r.breached_at.is_some());
        let weights: [u32; 5] = if late || case.came_back { [12, 15, 20, 28, 25] } else { [4, 6, 12, 30, 48] };
        let rating = self.rng.weighted(&weights);
        let c = cast::common(case.lang);
        let back = rating <= 1 && !case.came_back && self.rng.chance(0.3);
        let words = if back { c.survey_back } else { *self.rng.pick(c.ratings[rating]) };
        let subject = self.subject_of(id, &case);
        let from = Mailbox { email: person.email.clone(), name: person.name.clone() };
        let refs = vec![case.first.clone(), message_id];
        self.mail(now, from, subject, words.to_string(), refs, Vec::new(), Some(case.lang))?;
        if back {
            self.reopened(now, id)?;
        }
        Ok(())
    }
}
