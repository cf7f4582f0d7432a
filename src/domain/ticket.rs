//! The ITIL ticket: types, statuses and the legal moves between them,
//! impact × urgency priority, and the words users see for each.

/// What kind of ticket this is (ITIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketType {
    Incident,
    Request,
    Problem,
    Event,
}

/// Where a ticket stands. `Resolved` and `Unresolved` are the closed states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    Assigned,
    Planned,
    Pending,
    Resolved,
    Unresolved,
}

/// A value that is not one of the names we know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}` (expected one of: {expected})")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a ticket cannot go from `{from}` to `{to}`")]
pub struct IllegalTransition {
    pub from: Status,
    pub to: Status,
}

impl IllegalTransition {
    /// The refusal in `lang`, the statuses in its words; the English one is
    /// also what the history keeps.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Fr => format!(
                "un ticket ne peut pas passer de {} à {}",
                lang.quote(self.from.label(lang)),
                lang.quote(self.to.label(lang))
            ),
            Lang::De => format!(
                "ein Ticket kann nicht vom Status {} in den Status {} wechseln",
                lang.quote(self.from.label(lang)),
                lang.quote(self.to.label(lang))
            ),
            Lang::Es => format!(
                "un ticket no puede pasar de {} a {}",
                lang.quote(self.from.label(lang)),
                lang.quote(self.to.label(lang))
            ),
            Lang::It => format!(
                "un ticket non può passare da {} a {}",
                lang.quote(self.from.label(lang)),
                lang.quote(self.to.label(lang))
            ),
            Lang::Nl => format!(
                "een ticket kan niet van {} naar {} overgaan",
                lang.quote(self.from.label(lang)),
                lang.quote(self.to.label(lang))
            ),
        }
    }
}

/// An enum stored and shown by name: `ALL`, `as_str`, `Display`,
/// `Serialize` and a `FromStr` whose error lists the names it knows.
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $first:ident => $first_name:literal $(, $variant:ident => $name:literal)* $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$ty::$first $(, $ty::$variant)*];
            pub fn as_str(self) -> &'static str {
                match self { $ty::$first => $first_name $(, $ty::$variant => $name)* }
            }
        }
        impl From<$ty> for String {
            fn from(v: $ty) -> Self {
                v.as_str().to_string()
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::domain::ticket::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $first_name => Ok($ty::$first),
                    $($name => Ok($ty::$variant),)*
                    _ => Err($crate::domain::ticket::UnknownName {
                        what: $what,
                        value: s.to_string(),
                        expected: concat!($first_name $(, ", ", $name)*),
                    }),
                }
            }
        }
    };
}
pub(crate) use named_enum;

named_enum!(TicketType, "ticket type", {
    Incident => "incident",
    Request => "request",
    Problem => "problem",
    Event => "event",
});

named_enum!(Status, "status", {
    New => "new",
    Assigned => "assigned",
    Planned => "planned",
    Pending => "pending",
    Resolved => "resolved",
    Unresolved => "unresolved",
});

impl Status {
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Resolved | Status::Unresolved)
    }

    /// The lifecycle as a table: from each status, where a ticket may go.
    /// Closed tickets only reopen (to `assigned` or `new`), which happens
    /// when the requester writes again within the reopen window.
    pub fn allowed_next(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Assigned, Planned, Pending, Resolved, Unresolved],
            Assigned => &[New, Planned, Pending, Resolved, Unresolved],
            Planned => &[New, Assigned, Pending, Resolved, Unresolved],
            Pending => &[New, Assigned, Planned, Resolved, Unresolved],
            Resolved => &[New, Assigned],
            Unresolved => &[New, Assigned],
        }
    }

    /// Checks a move against the table. Staying put is not a move.
    pub fn transition(self, to: Status) -> Result<Status, IllegalTransition> {
        if self.allowed_next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }

    /// The status a ticket takes when someone writes to it again after it
    /// was closed, or when it was waiting for them.
    pub fn reopened(has_assignee: bool) -> Status {
        if has_assignee {
            Status::Assigned
        } else {
            Status::New
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        use Status::*;
        match (lang, self) {
            (Lang::Fr, New) => "nouveau",
            (Lang::Fr, Assigned) => "en cours (attribué)",
            (Lang::Fr, Planned) => "planifié",
            (Lang::Fr, Pending) => "en attente",
            (Lang::Fr, Resolved) => "fermé résolu",
            (Lang::Fr, Unresolved) => "fermé non résolu",
            (Lang::En, New) => "new",
            (Lang::En, Assigned) => "in progress (assigned)",
            (Lang::En, Planned) => "planned",
            (Lang::En, Pending) => "pending",
            (Lang::En, Resolved) => "closed (resolved)",
            (Lang::En, Unresolved) => "closed (unresolved)",
            (Lang::De, New) => "neu",
            (Lang::De, Assigned) => "in Bearbeitung (zugewiesen)",
            (Lang::De, Planned) => "geplant",
            (Lang::De, Pending) => "in Wartestellung",
            (Lang::De, Resolved) => "geschlossen (gelöst)",
            (Lang::De, Unresolved) => "geschlossen (nicht gelöst)",
            (Lang::Es, New) => "nuevo",
            (Lang::Es, Assigned) => "en curso (asignado)",
            (Lang::Es, Planned) => "planificado",
            (Lang::Es, Pending) => "en espera",
            (Lang::Es, Resolved) => "cerrado (resuelto)",
            (Lang::Es, Unresolved) => "cerrado (no resuelto)",
            (Lang::It, New) => "nuovo",
            (Lang::It, Assigned) => "in corso (assegnato)",
            (Lang::It, Planned) => "pianificato",
            (Lang::It, Pending) => "in attesa",
            (Lang::It, Resolved) => "chiuso (risolto)",
            (Lang::It, Unresolved) => "chiuso (non risolto)",
            (Lang::Nl, New) => "nieuw",
            (Lang::Nl, Assigned) => "in behandeling (toegewezen)",
            (Lang::Nl, Planned) => "gepland",
            (Lang::Nl, Pending) => "in afwachting",
            (Lang::Nl, Resolved) => "gesloten (opgelost)",
            (Lang::Nl, Unresolved) => "gesloten (niet opgelost)",
        }
    }
}

impl Status {
    /// What the status means for the requester, in plain words.
    pub fn meaning(self, lang: Lang) -> &'static str {
        use Status::*;
        match (lang, self) {
            (Lang::Fr, New) => "votre demande est enregistrée ; un technicien va la prendre en charge.",
            (Lang::Fr, Assigned) => "un technicien s'occupe de votre demande.",
            (Lang::Fr, Planned) => "une intervention est prévue ; nous vous tiendrons au courant.",
            (Lang::Fr, Pending) => {
                "nous attendons une information ou une action de votre part : répondez simplement à ce message."
            }
            (Lang::Fr, Resolved) => "nous considérons que le problème est réglé.",
            (Lang::Fr, Unresolved) => {
                "nous n'avons pas pu régler le problème ; le message du technicien explique pourquoi."
            }
            (Lang::En, New) => "your request is recorded; a technician will take it up.",
            (Lang::En, Assigned) => "a technician is working on your request.",
            (Lang::En, Planned) => "work on it is scheduled; we will keep you informed.",
            (Lang::En, Pending) => {
                "we are waiting for information or an action from you: simply reply to this message."
            }
            (Lang::En, Resolved) => "we consider the problem solved.",
            (Lang::En, Unresolved) => "we could not solve the problem; the technician's message explains why.",
            (Lang::De, New) => "Ihre Anfrage ist erfasst; ein Techniker wird sie übernehmen.",
            (Lang::De, Assigned) => "ein Techniker bearbeitet Ihre Anfrage.",
            (Lang::De, Planned) => "ein Einsatz ist geplant; wir halten Sie auf dem Laufenden.",
            (Lang::De, Pending) => {
                "wir warten auf eine Information oder eine Handlung Ihrerseits: Antworten Sie einfach auf diese Nachricht."
            }
            (Lang::De, Resolved) => "wir betrachten das Problem als gelöst.",
            (Lang::De, Unresolved) => {
                "wir konnten das Problem nicht lösen; die Nachricht des Technikers erklärt, warum."
            }
            (Lang::Es, New) => "su solicitud está registrada; un técnico se hará cargo de ella.",
            (Lang::Es, Assigned) => "un técnico está trabajando en su solicitud.",
            (Lang::Es, Planned) => "hay una intervención programada; le mantendremos al tanto.",
            (Lang::Es, Pending) => {
                "estamos a la espera de información o de una acción por su parte: simplemente responda a este mensaje."
            }
            (Lang::Es, Resolved) => "consideramos que el problema está resuelto.",
            (Lang::Es, Unresolved) => "no hemos podido resolver el problema; el mensaje del técnico explica por qué.",
            (Lang::It, New) => "la sua richiesta è stata registrata; un tecnico la prenderà in carico.",
            (Lang::It, Assigned) => "un tecnico si sta occupando della sua richiesta.",
            (Lang::It, Planned) => "è previsto un intervento; la informeremo sugli sviluppi.",
            (Lang::It, Pending) => {
                "attendiamo un'informazione o un'azione da parte sua: risponda semplicemente a questo messaggio."
            }
            (Lang::It, Resolved) => "riteniamo che il problema sia risolto.",
            (Lang::It, Unresolved) => {
                "non siamo riusciti a risolvere il problema; il messaggio del tecnico ne spiega il motivo."
            }
            (Lang::Nl, New) => "uw melding is geregistreerd; een behandelaar neemt deze in behandeling.",
            (Lang::Nl, Assigned) => "een behandelaar werkt aan uw melding.",
            (Lang::Nl, Planned) => "er is een interventie gepland; wij houden u op de hoogte.",
            (Lang::Nl, Pending) => {
                "wij wachten op informatie of een actie van uw kant: beantwoord dit bericht gewoon."
            }
            (Lang::Nl, Resolved) => "wij beschouwen het probleem als opgelost.",
            (Lang::Nl, Unresolved) => "wij konden het probleem niet oplossen; het bericht van de behandelaar legt uit waarom.",
        }
    }
}

impl TicketType {
    pub fn label(self, lang: Lang) -> &'static str {
        use TicketType::*;
        match (lang, self) {
            (Lang::Fr, Incident) => "incident",
            (Lang::Fr, Request) => "demande de service",
            (Lang::Fr, Problem) => "problème",
            (Lang::Fr, Event) => "évènement",
            (Lang::En, Incident) => "incident",
            (Lang::En, Request) => "service request",
            (Lang::En, Problem) => "problem",
            (Lang::En, Event) => "event",
            (Lang::De, Incident) => "Störung",
            (Lang::De, Request) => "Serviceanfrage",
            (Lang::De, Problem) => "Problem",
            (Lang::De, Event) => "Ereignis",
            (Lang::Es, Incident) => "incidencia",
            (Lang::Es, Request) => "solicitud de servicio",
            (Lang::Es, Problem) => "problema",
            (Lang::Es, Event) => "evento",
            (Lang::It, Incident) => "incidente",
            (Lang::It, Request) => "richiesta di servizio",
            (Lang::It, Problem) => "problema",
            (Lang::It, Event) => "evento",
            (Lang::Nl, Incident) => "incident",
            (Lang::Nl, Request) => "serviceverzoek",
            (Lang::Nl, Problem) => "probleem",
            (Lang::Nl, Event) => "gebeurtenis",
        }
    }
}

/// The languages guichet writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Fr,
    En,
    De,
    Es,
    It,
    Nl,
}

named_enum!(Lang, "language", {
    Fr => "fr",
    En => "en",
    De => "de",
    Es => "es",
    It => "it",
    Nl => "nl",
});

impl Lang {
    /// A name or a value quoted in running text: `x` in English, « x » in
    /// French (no-break spaces inside the guillemets), „x“ in German, «x»
    /// in Spanish and Italian, “x” in Dutch.
    pub fn quote(self, text: &str) -> String {
        match self {
            Lang::En => format!("`{text}`"),
            Lang::Fr => format!("«\u{a0}{text}\u{a0}»"),
            Lang::De => format!("\u{201e}{text}\u{201c}"),
            Lang::Es | Lang::It => format!("«{text}»"),
            Lang::Nl => format!("\u{201c}{text}\u{201d}"),
        }
    }

    /// Reads a language tag such as `fr-FR` or `en_GB, fr;q=0.5`: the first
    /// tag we speak wins.
    pub fn from_tags(tags: &str) -> Option<Lang> {
        tags.split(',').find_map(|tag| {
            let primary = tag.trim().split([';', '-', '_']).next()?.trim();
            primary.parse().ok()
        })
    }
}

/// Priority from impact × urgency (1 = highest for all three).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityMatrix {
    /// `rows[impact - 1][urgency - 1]`
    rows: [[u8; 5]; 5],
}

impl Default for PriorityMatrix {
    /// GLPI's 5×5 ITIL matrix, written with 1 as the highest level.
    fn default() -> Self {
        PriorityMatrix { rows: [[1, 1, 2, 2, 3], [1, 2, 2, 3, 3], [2, 2, 3, 4, 4], [2, 3, 4, 4, 5], [3, 3, 4, 5, 5]] }
    }
}

impl PriorityMatrix {
    pub fn new(rows: [[u8; 5]; 5]) -> Self {
        PriorityMatrix { rows }
    }

    /// Out-of-range levels are clamped to 1..=5.
    pub fn priority(&self, impact: i32, urgency: i32) -> i32 {
        let i = impact.clamp(1, 5) as usize - 1;
        let u = urgency.clamp(1, 5) as usize - 1;
        i32::from(self.rows[i][u])
    }
}

pub fn priority_label(priority: i32, lang: Lang) -> &'static str {
    match (lang, priority) {
        (Lang::Fr, 1) => "très haute",
        (Lang::Fr, 2) => "haute",
        (Lang::Fr, 3) => "moyenne",
        (Lang::Fr, 4) => "basse",
        (Lang::Fr, _) => "très basse",
        (Lang::En, 1) => "very high",
        (Lang::En, 2) => "high",
        (Lang::En, 3) => "medium",
        (Lang::En, 4) => "low",
        (Lang::En, _) => "very low",
        (Lang::De, 1) => "sehr hoch",
        (Lang::De, 2) => "hoch",
        (Lang::De, 3) => "mittel",
        (Lang::De, 4) => "niedrig",
        (Lang::De, _) => "sehr niedrig",
        (Lang::Es, 1) => "muy alta",
        (Lang::Es, 2) => "alta",
        (Lang::Es, 3) => "media",
        (Lang::Es, 4) => "baja",
        (Lang::Es, _) => "muy baja",
        (Lang::It, 1) => "molto alta",
        (Lang::It, 2) => "alta",
        (Lang::It, 3) => "media",
        (Lang::It, 4) => "bassa",
        (Lang::It, _) => "molto bassa",
        (Lang::Nl, 1) => "zeer hoog",
        (Lang::Nl, 2) => "hoog",
        (Lang::Nl, 3) => "gemiddeld",
        (Lang::Nl, 4) => "laag",
        (Lang::Nl, _) => "zeer laag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reaches_only_what_the_table_allows() {
        use Status::*;
        let cases = [
            (New, Assigned, true),
            (New, Resolved, true),
            (Pending, Assigned, true),
            (Resolved, Assigned, true),
            (Resolved, Pending, false),
            (Resolved, Unresolved, false),
            (Unresolved, Resolved, false),
            (New, New, false),
        ];
        for (from, to, ok) in cases {
            assert_eq!(from.transition(to).is_ok(), ok, "{from} -> {to}");
        }
    }

    #[test]
    fn an_illegal_transition_says_both_ends_in_each_language() {
        use Status::*;
        let cases = [
            (Resolved, Pending, Lang::En, "a ticket cannot go from `resolved` to `pending`"),
            (
                Resolved,
                Pending,
                Lang::Fr,
                "un ticket ne peut pas passer de «\u{a0}fermé résolu\u{a0}» à «\u{a0}en attente\u{a0}»",
            ),
            (Unresolved, Planned, Lang::En, "a ticket cannot go from `unresolved` to `planned`"),
            (
                Unresolved,
                Planned,
                Lang::Fr,
                "un ticket ne peut pas passer de «\u{a0}fermé non résolu\u{a0}» à «\u{a0}planifié\u{a0}»",
            ),
            (New, New, Lang::Fr, "un ticket ne peut pas passer de «\u{a0}nouveau\u{a0}» à «\u{a0}nouveau\u{a0}»"),
        ];
        for (from, to, lang, want) in cases {
            let err = from.transition(to).unwrap_err();
            assert_eq!(err.message(lang), want);
        }
        let err = Resolved.transition(Pending).unwrap_err();
        assert_eq!(err.to_string(), err.message(Lang::En), "the history keeps the English words");
    }

    #[test]
    fn every_language_has_its_words_for_statuses_types_and_priorities() {
        for lang in Lang::ALL.iter().copied() {
            let statuses: std::collections::BTreeSet<&str> = Status::ALL.iter().map(|s| s.label(lang)).collect();
            assert_eq!(statuses.len(), Status::ALL.len(), "{lang}: two statuses read alike");
            let types: std::collections::BTreeSet<&str> = TicketType::ALL.iter().map(|t| t.label(lang)).collect();
            assert_eq!(types.len(), TicketType::ALL.len(), "{lang}");
            let priorities: std::collections::BTreeSet<&str> = (1..=5).map(|p| priority_label(p, lang)).collect();
            assert_eq!(priorities.len(), 5, "{lang}");
            for s in Status::ALL {
                assert!(s.meaning(lang).ends_with('.'), "{lang} {s}");
            }
        }
        assert_eq!(Status::Pending.label(Lang::De), "in Wartestellung");
        assert_eq!(TicketType::Request.label(Lang::Es), "solicitud de servicio");
        assert_eq!(priority_label(1, Lang::It), "molto alta");
        assert_eq!(Status::Resolved.label(Lang::Nl), "gesloten (opgelost)");
        assert_eq!(Lang::De.quote("neu"), "„neu“");
        assert_eq!(Lang::Es.quote("nuevo"), "«nuevo»");
        assert_eq!(Lang::Nl.quote("nieuw"), "“nieuw”");
    }

    #[test]
    fn names_parse_back_and_unknown_ones_list_the_choices() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), *s);
        }
        let err = "closed".parse::<Status>().unwrap_err();
        assert!(err.to_string().contains("new, assigned"), "{err}");
        assert_eq!("Problem".parse::<TicketType>().unwrap(), TicketType::Problem);
    }

    #[test]
    fn glpi_matrix_gives_top_priority_to_high_impact_and_urgency() {
        let m = PriorityMatrix::default();
        assert_eq!(m.priority(1, 1), 1);
        assert_eq!(m.priority(3, 3), 3);
        assert_eq!(m.priority(5, 5), 5);
        assert_eq!(m.priority(9, -2), m.priority(5, 1));
    }

    #[test]
    fn language_tags_pick_the_first_known_language() {
        assert_eq!(Lang::from_tags("fr-FR"), Some(Lang::Fr));
        assert_eq!(Lang::from_tags("de-DE, en;q=0.8"), Some(Lang::De));
        assert_eq!(Lang::from_tags("pt-BR, nl;q=0.5"), Some(Lang::Nl));
        assert_eq!(Lang::from_tags("es_MX"), Some(Lang::Es));
        assert_eq!(Lang::from_tags("pt"), None);
    }
}
