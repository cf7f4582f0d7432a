//! The mail of the demo: requests, replies and technicians' answers,
//! written in each person's words and stored through the pipeline.

use super::*;

impl Sim<'_> {
    /// A mail from `from` to the desk, stored through the pipeline at `now`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn mail(
        &mut self,
        now: DateTime<Utc>,
        from: Mailbox,
        subject: String,
        text: String,
        references: Vec<String>,
        cc: Vec<Mailbox>,
        lang: Option<Lang>,
    ) -> Result<(Outcome, String), DemoError> {
        self.mails += 1;
        let message_id = format!("demo.{}.{}@{}", self.seed, self.mails, domain_of(&from.email));
        let mut headers = Vec::new();
        // A desk that asks for proof of a technician's address gets what
        // its receiving MTA would write.
        if let Some(authserv) = self.settings.tickets.trusted_authserv_ids.first() {
            if self.settings.technician(&from.email).is_some() {
                let d = domain_of(&from.email);
                headers.push(("Authentication-Results", format!("{authserv}; dkim=pass header.d={d}")));
            }
        }
        let to = Mailbox { email: self.answer_address(now, &from.email, &subject, &references)?, name: String::new() };
        let raw = PersonMail {
            from,
            to,
            cc,
            subject,
            text,
            message_id: message_id.clone(),
            references,
            language: lang.map(|l| l.as_str().to_string()),
            headers,
            date: now.into(),
        }
        .to_bytes()?;
        let outcome = crate::ingest::ingest(self.store, &self.desk(now), self.mailbox, None, &raw)?;
        self.summary.mails_in += 1;
        if let Outcome::Quarantined { .. } = outcome {
            self.summary.quarantined += 1;
        }
        Ok((outcome, message_id))
    }

    /// Where `from` writes: a technician answering a ticket's mail writes
    /// to its `Reply-To`, with the reply token that proves them, as their
    /// mail client does; anybody else to the desk's address.
    fn answer_address(
        &self,
        now: DateTime<Utc>,
        from: &str,
        subject: &str,
        references: &[String],
    ) -> Result<String, DemoError> {
        let desk = &self.mailbox.address;
        let number = self.settings.tickets.subject_tag.number(subject);
        let tokens = self.settings.tickets.technician_proof == crate::config::TechnicianProof::Token;
        let (Some(number), Some(notice), true) = (number, references.last(), tokens) else {
            return Ok(desk.clone());
        };
        if self.settings.technician(from).is_none() {
            return Ok(desk.clone());
        }
        let key = crate::notify::outbox::reply_key(&mut *self.store.conn()?, self.settings, now.naive_utc())
            .map_err(|e| DemoError::Setup(e.to_string()))?;
        let scope = number.to_string();
        let token = crate::domain::reply_token::mint(&key, &scope, from, notice);
        Ok(crate::domain::reply_token::address(desk, &scope, &token))
    }

    pub(super) fn subject_of(&mut self, id: i64, case: &Case) -> String {
        let prefix = match case.lang {
            Lang::Fr => *self.rng.pick(&["RE: ", "Re: ", "RE : "]),
            Lang::En | Lang::De | Lang::Es | Lang::It | Lang::Nl => *self.rng.pick(&["RE: ", "Re: "]),
        };
        format!("{prefix}{} {}", self.settings.tickets.subject_tag.format(id), case.subject)
    }

    /// The requester of `id` writes `text` (signed) on it.
    pub(super) fn requester_writes(
        &mut self,
        now: DateTime<Utc>,
        id: i64,
        text: &str,
        sign: bool,
    ) -> Result<(), DemoError> {
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let Some(person) = case.person.map(|p| self.people[p].clone()) else { return Ok(()) };
        let subject = self.subject_of(id, &case);
        let text = if sign { self.signed(text, &person) } else { text.to_string() };
        let from = Mailbox { email: person.email.clone(), name: person.name.clone() };
        self.mail(now, from, subject, text, vec![case.first.clone()], Vec::new(), Some(case.lang))?;
        Ok(())
    }

    pub(super) fn signed(&mut self, text: &str, person: &Person) -> String {
        let sign_off = *self.rng.pick(cast::common(person.lang).sign_off);
        format!("{text}\n\n{sign_off}\n{}\n", person.name)
    }

    /// Technician `tech` writes `commands` and `text` on ticket `id`.
    pub(super) fn technician_writes(
        &mut self,
        now: DateTime<Utc>,
        id: i64,
        tech: &Technician,
        commands: &[String],
        text: &str,
    ) -> Result<(), DemoError> {
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let subject = self.subject_of(id, &case);
        let mut body: String = commands.iter().map(|c| format!("{c}\n")).collect();
        if !commands.is_empty() {
            body.push('\n');
        }
        body.push_str(text);
        let first_name = tech.name.split(' ').next().unwrap_or(&tech.name);
        body.push_str(&format!("\n\n{first_name}\n"));
        let from = Mailbox { email: tech.email.clone(), name: tech.name.clone() };
        // A major incident the desk raised has no first mail to answer.
        let refs = [case.first.clone()].into_iter().filter(|r| !r.is_empty()).collect();
        self.mail(now, from, subject, body, refs, Vec::new(), None)?;
        Ok(())
    }

    pub(super) fn greeting(&self, case: &Case) -> String {
        let first = case.person.map(|p| self.people[p].first_name().to_string()).unwrap_or_default();
        cast::common(case.lang).greeting.replace("{first}", &first)
    }

    /// `line` with the case's blanks.
    pub(super) fn fill(&self, case: &Case, line: &str) -> String {
        cast::fill(&mut Rng::new(case.blanks), line)
    }
}
