//! Commands a technician writes on lines of their own at the top of a mail
//! (`#resolve`, `#status pending`, `#internal`, …). Parsing splits them from
//! the text; the pipeline applies them. A command that cannot be applied is
//! a [`Refusal`], told to the technician in their language.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::is_address;
use super::ticket::{IllegalTransition, Lang, Status, TicketType};

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

impl Refusal {
    /// What the technician reads, in `lang`. French follows French
    /// typography: a no-break space before `:` and inside « ».
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.english(),
            Lang::Fr => self.french(),
            Lang::De => self.german(),
            Lang::Es => self.spanish(),
            Lang::It => self.italian(),
            Lang::Nl => self.dutch(),
        }
    }

    fn english(&self) -> String {
        let q = |s: &str| Lang::En.quote(s);
        match self {
            Refusal::UnknownCommand(name) => format!("unknown command `#{name}` (known: {KNOWN})"),
            Refusal::MissingArgument { command } => format!("`#{command}` needs an argument"),
            Refusal::TooManyArguments { command } => format!("`#{command}` takes at most one argument"),
            Refusal::UnwantedArgument { command, got } => format!("`#{command}` takes no argument (got {})", q(got)),
            Refusal::NotALevel { command, got } => {
                format!("`#{command}` takes a level from 1 (highest) to 5, not {}", q(got))
            }
            Refusal::UnknownStatus(got) => {
                format!("unknown status {} (expected one of: {})", q(got), names(Status::ALL))
            }
            Refusal::UnknownType(got) => {
                format!("unknown ticket type {} (expected one of: {})", q(got), names(TicketType::ALL))
            }
            Refusal::NotOnOrOff(got) => format!("`#major` takes nothing, `on` or `off`, not {}", q(got)),
            Refusal::NotAnAddress { command, got } => format!("`#{command}` takes an e-mail address, not {}", q(got)),
            Refusal::NotATicketNumber { command, got } => {
                format!("`#{command}` takes a ticket number, not {}", q(got))
            }
            Refusal::NotAnAssignee(got) => format!("`#assign` takes `me`, an address or `group:NAME`, not {}", q(got)),
            Refusal::NotADate(got) => {
                format!("`#plan` takes a date like 2026-12-01 or 2026-12-01 14:30, not {}", q(got))
            }
            Refusal::Transition(t) => t.message(Lang::En),
            Refusal::NotATechnician(email) => format!("{} is not a technician of this desk", q(email)),
            Refusal::EmptyGroup(group) => format!("no technician is in group {}", q(group)),
            Refusal::OwnParent => "a ticket cannot be its own parent".into(),
            Refusal::NoSuchTicket(n) => format!("there is no ticket {n}"),
            Refusal::NotFollowing(email) => format!("{} does not follow this ticket", q(email)),
            Refusal::OnlyOpening(command) => {
                format!("`#{command}` only applies to a forwarded mail that opens a ticket")
            }
            Refusal::OwnMerge => "a ticket cannot be merged into itself".into(),
            Refusal::MergeIntoClosed(n) => format!("ticket {n} is closed: merge into an open ticket"),
            Refusal::NothingToSplit => {
                "`#split` goes in an answer to the notice of the message to make a ticket of".into()
            }
        }
    }

    fn french(&self) -> String {
        let fr = Lang::Fr;
        let q = |s: &str| fr.quote(s);
        match self {
            Refusal::UnknownCommand(name) => {
                format!("commande inconnue\u{a0}: {} (commandes connues\u{a0}: {KNOWN})", q(&format!("#{name}")))
            }
            Refusal::MissingArgument { command } => format!("#{command} demande un argument"),
            Refusal::TooManyArguments { command } => format!("#{command} prend au plus un argument"),
            Refusal::UnwantedArgument { command, got } => {
                format!("#{command} ne prend pas d'argument (reçu\u{a0}: {})", q(got))
            }
            Refusal::NotALevel { command, got } => {
                format!("#{command} prend un niveau de 1 (le plus haut) à 5, pas {}", q(got))
            }
            // The parser takes the English names only: each is shown with
            // what it means in French.
            Refusal::UnknownStatus(got) => {
                let accepted: Vec<String> = Status::ALL.iter().map(|s| format!("{s} {}", q(s.label(fr)))).collect();
                format!("statut inconnu\u{a0}: {} (valeurs acceptées\u{a0}: {})", q(got), accepted.join(", "))
            }
            Refusal::UnknownType(got) => {
                let accepted: Vec<String> = TicketType::ALL.iter().map(|t| format!("{t} {}", q(t.label(fr)))).collect();
                format!("type de ticket inconnu\u{a0}: {} (valeurs acceptées\u{a0}: {})", q(got), accepted.join(", "))
            }
            Refusal::NotOnOrOff(got) => format!("#major s'écrit seul, ou avec on ou off, pas {}", q(got)),
            Refusal::NotAnAddress { command, got } => format!("#{command} prend une adresse e-mail, pas {}", q(got)),
            Refusal::NotATicketNumber { command, got } => {
                format!("#{command} prend un numéro de ticket, pas {}", q(got))
            }
            Refusal::NotAnAssignee(got) => format!("#assign prend me, une adresse ou group:NOM, pas {}", q(got)),
            Refusal::NotADate(got) => {
                format!("#plan prend une date comme 2026-12-01 ou 2026-12-01 14:30, pas {}", q(got))
            }
            Refusal::Transition(t) => t.message(fr),
            Refusal::NotATechnician(email) => format!("{} n'est pas un technicien de ce guichet", q(email)),
            Refusal::EmptyGroup(group) => format!("aucun technicien n'est dans le groupe {}", q(group)),
            Refusal::OwnParent => "un ticket ne peut pas être son propre parent".into(),
            Refusal::NoSuchTicket(n) => format!("le ticket {n} n'existe pas"),
            Refusal::NotFollowing(email) => format!("{} ne suit pas ce ticket", q(email)),
            Refusal::OnlyOpening(command) => {
                format!("#{command} ne s'applique qu'à un message transféré qui ouvre un ticket")
            }
            Refusal::OwnMerge => "un ticket ne peut pas être fusionné avec lui-même".into(),
            Refusal::MergeIntoClosed(n) => format!("le ticket {n} est fermé\u{a0}: fusionnez dans un ticket ouvert"),
            Refusal::NothingToSplit => {
                "#split s'écrit en réponse à la notification du message dont faire un ticket".into()
            }
        }
    }

    fn german(&self) -> String {
        let de = Lang::De;
        let q = |s: &str| de.quote(s);
        match self {
            Refusal::UnknownCommand(name) => {
                format!("unbekannter Befehl {} (bekannte Befehle: {KNOWN})", q(&format!("#{name}")))
            }
            Refusal::MissingArgument { command } => format!("#{command} erwartet ein Argument"),
            Refusal::TooManyArguments { command } => format!("#{command} erwartet höchstens ein Argument"),
            Refusal::UnwantedArgument { command, got } => {
                format!("#{command} erwartet kein Argument (erhalten: {})", q(got))
            }
            Refusal::NotALevel { command, got } => {
                format!("#{command} erwartet eine Stufe von 1 (höchste) bis 5, nicht {}", q(got))
            }
            Refusal::UnknownStatus(got) => {
                format!(
                    "unbekannter Status {} (gültige Werte: {})",
                    q(got),
                    with_labels(Status::ALL, de, Status::label)
                )
            }
            Refusal::UnknownType(got) => format!(
                "unbekannter Tickettyp {} (gültige Werte: {})",
                q(got),
                with_labels(TicketType::ALL, de, TicketType::label)
            ),
            Refusal::NotOnOrOff(got) => format!("#major steht allein oder mit on bzw. off, nicht {}", q(got)),
            Refusal::NotAnAddress { command, got } => {
                format!("#{command} erwartet eine E-Mail-Adresse, nicht {}", q(got))
            }
            Refusal::NotATicketNumber { command, got } => {
                format!("#{command} erwartet eine Ticketnummer, nicht {}", q(got))
            }
            Refusal::NotAnAssignee(got) => {
                format!("#assign erwartet me, eine Adresse oder group:NAME, nicht {}", q(got))
            }
            Refusal::NotADate(got) => {
                format!("#plan erwartet ein Datum wie 2026-12-01 oder 2026-12-01 14:30, nicht {}", q(got))
            }
            Refusal::Transition(t) => t.message(de),
            Refusal::NotATechnician(email) => format!("{} ist kein Techniker dieses Service-Desks", q(email)),
            Refusal::EmptyGroup(group) => format!("in der Gruppe {} ist kein Techniker", q(group)),
            Refusal::OwnParent => "ein Ticket kann nicht sein eigenes übergeordnetes Ticket sein".into(),
            Refusal::NoSuchTicket(n) => format!("Ticket {n} existiert nicht"),
            Refusal::NotFollowing(email) => format!("{} folgt diesem Ticket nicht", q(email)),
            Refusal::OnlyOpening(command) => format!("#{command} gilt nur für eine weitergeleitete E-Mail, die ein Ticket eröffnet"),
            Refusal::OwnMerge => "ein Ticket kann nicht mit sich selbst zusammengeführt werden".into(),
            Refusal::MergeIntoClosed(n) => format!("Ticket {n} ist geschlossen: führen Sie es mit einem offenen Ticket zusammen"),
            Refusal::NothingToSplit => "#split gehört in eine Antwort auf die Benachrichtigung zu der Nachricht, aus der ein Ticket werden soll".into(),
        }
    }

    fn spanish(&self) -> String {
        let es = Lang::Es;
        let q = |s: &str| es.quote(s);
        match self {
            Refusal::UnknownCommand(name) => {
                format!("comando desconocido: {} (comandos conocidos: {KNOWN})", q(&format!("#{name}")))
            }
            Refusal::MissingArgument { command } => format!("#{command} requiere un argumento"),
            Refusal::TooManyArguments { command } => format!("#{command} admite como máximo un argumento"),
            Refusal::UnwantedArgument { command, got } => {
                format!("#{command} no admite argumentos (recibido: {})", q(got))
            }
            Refusal::NotALevel { command, got } => {
                format!("#{command} admite un nivel de 1 (el más alto) a 5, no {}", q(got))
            }
            Refusal::UnknownStatus(got) => format!(
                "estado desconocido: {} (valores aceptados: {})",
                q(got),
                with_labels(Status::ALL, es, Status::label)
            ),
            Refusal::UnknownType(got) => format!(
                "tipo de ticket desconocido: {} (valores aceptados: {})",
                q(got),
                with_labels(TicketType::ALL, es, TicketType::label)
            ),
            // "o" becomes "u" before a word that begins with an o sound.
            Refusal::NotOnOrOff(got) => format!("#major se escribe solo, o con on u off, no {}", q(got)),
            Refusal::NotAnAddress { command, got } => {
                format!("#{command} admite una dirección de correo electrónico, no {}", q(got))
            }
            Refusal::NotATicketNumber { command, got } => {
                format!("#{command} admite un número de ticket, no {}", q(got))
            }
            Refusal::NotAnAssignee(got) => {
                format!("#assign admite me, una dirección o group:NOMBRE, no {}", q(got))
            }
            Refusal::NotADate(got) => {
                format!("#plan admite una fecha como 2026-12-01 o 2026-12-01 14:30, no {}", q(got))
            }
            Refusal::Transition(t) => t.message(es),
            Refusal::NotATechnician(email) => format!("{} no es técnico de este servicio de soporte", q(email)),
            Refusal::EmptyGroup(group) => format!("no hay ningún técnico en el grupo {}", q(group)),
            Refusal::OwnParent => "un ticket no puede ser su propio ticket padre".into(),
            Refusal::NoSuchTicket(n) => format!("el ticket {n} no existe"),
            Refusal::NotFollowing(email) => format!("{} no sigue este ticket", q(email)),
            Refusal::OnlyOpening(command) => {
                format!("#{command} solo se aplica a un correo reenviado que abre un ticket")
            }
            Refusal::OwnMerge => "un ticket no puede fusionarse consigo mismo".into(),
            Refusal::MergeIntoClosed(n) => format!("el ticket {n} está cerrado: fusiónelo con un ticket abierto"),
            Refusal::NothingToSplit => {
                "#split se escribe en la respuesta a la notificación del mensaje que debe convertirse en ticket".into()
            }
        }
    }

    fn italian(&self) -> String {
        let it = Lang::It;
        let q = |s: &str| it.quote(s);
        match self {
            Refusal::UnknownCommand(name) => {
                format!("comando sconosciuto: {} (comandi disponibili: {KNOWN})", q(&format!("#{name}")))
            }
            Refusal::MissingArgument { command } => format!("#{command} richiede un argomento"),
            Refusal::TooManyArguments { command } => format!("#{command} accetta al massimo un argomento"),
            Refusal::UnwantedArgument { command, got } => {
                format!("#{command} non accetta argomenti (ricevuto: {})", q(got))
            }
            Refusal::NotALevel { command, got } => {
                format!("#{command} accetta un livello da 1 (il più alto) a 5, non {}", q(got))
            }
            Refusal::UnknownStatus(got) => format!(
                "stato sconosciuto: {} (valori accettati: {})",
                q(got),
                with_labels(Status::ALL, it, Status::label)
            ),
            Refusal::UnknownType(got) => format!(
                "tipo di ticket sconosciuto: {} (valori accettati: {})",
                q(got),
                with_labels(TicketType::ALL, it, TicketType::label)
            ),
            Refusal::NotOnOrOff(got) => format!("#major si scrive da solo, oppure con on o off, non {}", q(got)),
            Refusal::NotAnAddress { command, got } => format!("#{command} accetta un indirizzo e-mail, non {}", q(got)),
            Refusal::NotATicketNumber { command, got } => {
                format!("#{command} accetta un numero di ticket, non {}", q(got))
            }
            Refusal::NotAnAssignee(got) => format!("#assign accetta me, un indirizzo o group:NOME, non {}", q(got)),
            Refusal::NotADate(got) => {
                format!("#plan accetta una data come 2026-12-01 o 2026-12-01 14:30, non {}", q(got))
            }
            Refusal::Transition(t) => t.message(it),
            Refusal::NotATechnician(email) => format!("{} non è un tecnico di questo service desk", q(email)),
            Refusal::EmptyGroup(group) => format!("nessun tecnico fa parte del gruppo {}", q(group)),
            Refusal::OwnParent => "un ticket non può essere il proprio ticket padre".into(),
            Refusal::NoSuchTicket(n) => format!("il ticket {n} non esiste"),
            Refusal::NotFollowing(email) => format!("{} non segue questo ticket", q(email)),
            Refusal::OnlyOpening(command) => format!("#{command} vale solo per un'e-mail inoltrata che apre un ticket"),
            Refusal::OwnMerge => "un ticket non può essere unito a se stesso".into(),
            Refusal::MergeIntoClosed(n) => format!("il ticket {n} è chiuso: lo unisca a un ticket aperto"),
            Refusal::NothingToSplit => {
                "#split va scritto in risposta alla notifica del messaggio da trasformare in ticket".into()
            }
        }
    }

    fn dutch(&self) -> String {
        let nl = Lang::Nl;
        let q = |s: &str| nl.quote(s);
        match self {
            Refusal::UnknownCommand(name) => {
                format!("onbekende opdracht: {} (bekende opdrachten: {KNOWN})", q(&format!("#{name}")))
            }
            Refusal::MissingArgument { command } => format!("#{command} vereist een argument"),
            Refusal::TooManyArguments { command } => format!("#{command} accepteert hoogstens één argument"),
            Refusal::UnwantedArgument { command, got } => {
                format!("#{command} accepteert geen argument (ontvangen: {})", q(got))
            }
            Refusal::NotALevel { command, got } => {
                format!("#{command} verwacht een niveau van 1 (hoogste) tot 5, niet {}", q(got))
            }
            Refusal::UnknownStatus(got) => {
                format!(
                    "onbekende status: {} (geldige waarden: {})",
                    q(got),
                    with_labels(Status::ALL, nl, Status::label)
                )
            }
            Refusal::UnknownType(got) => format!(
                "onbekend tickettype: {} (geldige waarden: {})",
                q(got),
                with_labels(TicketType::ALL, nl, TicketType::label)
            ),
            Refusal::NotOnOrOff(got) => format!("#major staat alleen, of met on of off, niet {}", q(got)),
            Refusal::NotAnAddress { command, got } => format!("#{command} verwacht een e-mailadres, niet {}", q(got)),
            Refusal::NotATicketNumber { command, got } => {
                format!("#{command} verwacht een ticketnummer, niet {}", q(got))
            }
            Refusal::NotAnAssignee(got) => format!("#assign verwacht me, een adres of group:NAAM, niet {}", q(got)),
            Refusal::NotADate(got) => {
                format!("#plan verwacht een datum zoals 2026-12-01 of 2026-12-01 14:30, niet {}", q(got))
            }
            Refusal::Transition(t) => t.message(nl),
            Refusal::NotATechnician(email) => format!("{} is geen behandelaar van deze servicedesk", q(email)),
            Refusal::EmptyGroup(group) => format!("er zit geen behandelaar in groep {}", q(group)),
            Refusal::OwnParent => "een ticket kan niet zijn eigen bovenliggende ticket zijn".into(),
            Refusal::NoSuchTicket(n) => format!("ticket {n} bestaat niet"),
            Refusal::NotFollowing(email) => format!("{} volgt dit ticket niet", q(email)),
            Refusal::OnlyOpening(command) => {
                format!("#{command} geldt alleen voor een doorgestuurde e-mail die een ticket opent")
            }
            Refusal::OwnMerge => "een ticket kan niet met zichzelf worden samengevoegd".into(),
            Refusal::MergeIntoClosed(n) => format!("ticket {n} is gesloten: voeg het samen met een open ticket"),
            Refusal::NothingToSplit => {
                "#split hoort in een antwoord op de melding van het bericht dat een eigen ticket moet worden".into()
            }
        }
    }
}

/// The names the parser takes (English only), each with what it means in
/// `lang`: `new „neu“, assigned „in Bearbeitung (zugewiesen)“, …`.
fn with_labels<T: Copy + fmt::Display>(all: &[T], lang: Lang, label: fn(T, Lang) -> &'static str) -> String {
    all.iter().map(|v| format!("{v} {}", lang.quote(label(*v, lang)))).collect::<Vec<_>>().join(", ")
}

/// The English text, the one the history keeps.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

fn names<T: fmt::Display>(all: &[T]) -> String {
    all.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
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
            let reason = p.errors[0].reason.to_string();
            assert!(reason.contains(want), "{line}: {reason}");
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
            assert!(parse(line).errors[0].reason.to_string().contains(want), "{line}");
        }
    }

    /// Every refusal, with what an English and a French technician read.
    fn every_refusal() -> Vec<(Refusal, &'static str, &'static str)> {
        let cmd = |c: &str| c.to_string();
        vec![
            (
                Refusal::UnknownCommand(cmd("frobnicate")),
                "unknown command `#frobnicate` (known: #status, #assign, #impact, #urgency, #type, #parent, #major, #internal, #resolve, #unresolved, #plan, #requester, #me, #watch, #unwatch, #kb, #merge, #split)",
                "commande inconnue\u{a0}: «\u{a0}#frobnicate\u{a0}» (commandes connues\u{a0}: #status, #assign, #impact, #urgency, #type, #parent, #major, #internal, #resolve, #unresolved, #plan, #requester, #me, #watch, #unwatch, #kb, #merge, #split)",
            ),
            (
                Refusal::MissingArgument { command: cmd("impact") },
                "`#impact` needs an argument",
                "#impact demande un argument",
            ),
            (
                Refusal::TooManyArguments { command: cmd("assign") },
                "`#assign` takes at most one argument",
                "#assign prend au plus un argument",
            ),
            (
                Refusal::UnwantedArgument { command: cmd("resolve"), got: cmd("now") },
                "`#resolve` takes no argument (got `now`)",
                "#resolve ne prend pas d'argument (reçu\u{a0}: «\u{a0}now\u{a0}»)",
            ),
            (
                Refusal::NotALevel { command: cmd("urgency"), got: cmd("9") },
                "`#urgency` takes a level from 1 (highest) to 5, not `9`",
                "#urgency prend un niveau de 1 (le plus haut) à 5, pas «\u{a0}9\u{a0}»",
            ),
            (
                Refusal::UnknownStatus(cmd("attente")),
                "unknown status `attente` (expected one of: new, assigned, planned, pending, resolved, unresolved)",
                "statut inconnu\u{a0}: «\u{a0}attente\u{a0}» (valeurs acceptées\u{a0}: new «\u{a0}nouveau\u{a0}», assigned «\u{a0}en cours (attribué)\u{a0}», planned «\u{a0}planifié\u{a0}», pending «\u{a0}en attente\u{a0}», resolved «\u{a0}fermé résolu\u{a0}», unresolved «\u{a0}fermé non résolu\u{a0}»)",
            ),
            (
                Refusal::UnknownType(cmd("bug")),
                "unknown ticket type `bug` (expected one of: incident, request, problem, event)",
                "type de ticket inconnu\u{a0}: «\u{a0}bug\u{a0}» (valeurs acceptées\u{a0}: incident «\u{a0}incident\u{a0}», request «\u{a0}demande de service\u{a0}», problem «\u{a0}problème\u{a0}», event «\u{a0}évènement\u{a0}»)",
            ),
            (
                Refusal::NotOnOrOff(cmd("maybe")),
                "`#major` takes nothing, `on` or `off`, not `maybe`",
                "#major s'écrit seul, ou avec on ou off, pas «\u{a0}maybe\u{a0}»",
            ),
            (
                Refusal::NotAnAddress { command: cmd("watch"), got: cmd("bob") },
                "`#watch` takes an e-mail address, not `bob`",
                "#watch prend une adresse e-mail, pas «\u{a0}bob\u{a0}»",
            ),
            (
                Refusal::NotATicketNumber { command: cmd("parent"), got: cmd("abc") },
                "`#parent` takes a ticket number, not `abc`",
                "#parent prend un numéro de ticket, pas «\u{a0}abc\u{a0}»",
            ),
            (
                Refusal::NotAnAssignee(cmd("bob")),
                "`#assign` takes `me`, an address or `group:NAME`, not `bob`",
                "#assign prend me, une adresse ou group:NOM, pas «\u{a0}bob\u{a0}»",
            ),
            (
                Refusal::NotADate(cmd("tomorrow")),
                "`#plan` takes a date like 2026-12-01 or 2026-12-01 14:30, not `tomorrow`",
                "#plan prend une date comme 2026-12-01 ou 2026-12-01 14:30, pas «\u{a0}tomorrow\u{a0}»",
            ),
            (
                Refusal::Transition(IllegalTransition { from: Status::Resolved, to: Status::Pending }),
                "a ticket cannot go from `resolved` to `pending`",
                "un ticket ne peut pas passer de «\u{a0}fermé résolu\u{a0}» à «\u{a0}en attente\u{a0}»",
            ),
            (
                Refusal::NotATechnician(cmd("bob@example.test")),
                "`bob@example.test` is not a technician of this desk",
                "«\u{a0}bob@example.test\u{a0}» n'est pas un technicien de ce guichet",
            ),
            (
                Refusal::EmptyGroup(cmd("nobody")),
                "no technician is in group `nobody`",
                "aucun technicien n'est dans le groupe «\u{a0}nobody\u{a0}»",
            ),
            (Refusal::OwnParent, "a ticket cannot be its own parent", "un ticket ne peut pas être son propre parent"),
            (Refusal::NoSuchTicket(42), "there is no ticket 42", "le ticket 42 n'existe pas"),
            (
                Refusal::NotFollowing(cmd("dave@example.test")),
                "`dave@example.test` does not follow this ticket",
                "«\u{a0}dave@example.test\u{a0}» ne suit pas ce ticket",
            ),
            (Refusal::OwnMerge, "a ticket cannot be merged into itself", "un ticket ne peut pas être fusionné avec lui-même"),
            (
                Refusal::MergeIntoClosed(12),
                "ticket 12 is closed: merge into an open ticket",
                "le ticket 12 est fermé\u{a0}: fusionnez dans un ticket ouvert",
            ),
            (
                Refusal::NothingToSplit,
                "`#split` goes in an answer to the notice of the message to make a ticket of",
                "#split s'écrit en réponse à la notification du message dont faire un ticket",
            ),
            (
                Refusal::OnlyOpening(cmd("me")),
                "`#me` only applies to a forwarded mail that opens a ticket",
                "#me ne s'applique qu'à un message transféré qui ouvre un ticket",
            ),
        ]
    }

    #[test]
    fn every_refusal_reads_in_english_and_in_french() {
        for (refusal, english, french) in every_refusal() {
            assert_eq!(refusal.message(Lang::En), english);
            assert_eq!(refusal.message(Lang::Fr), french);
            assert_eq!(refusal.to_string(), english, "the history keeps the English words");
        }
    }

    #[test]
    fn every_refusal_reads_in_german_spanish_italian_and_dutch_with_their_quotes() {
        let quotes =
            [(Lang::De, '\u{201e}', '\u{201c}'), (Lang::Es, '«', '»'), (Lang::It, '«', '»'), (Lang::Nl, '“', '”')];
        for (refusal, english, _) in every_refusal() {
            for (lang, open, close) in quotes {
                let text = refusal.message(lang);
                assert_ne!(text, english, "{lang}: {text}");
                assert!(!text.contains('`'), "English quotes in {text:?}");
                assert_eq!(text.matches(open).count(), text.matches(close).count(), "{text:?}");
            }
        }
        let transition = Refusal::Transition(IllegalTransition { from: Status::Resolved, to: Status::Pending });
        let cases = [
            (
                Refusal::NotALevel { command: "urgency".into(), got: "9".into() },
                [
                    "#urgency erwartet eine Stufe von 1 (höchste) bis 5, nicht „9“",
                    "#urgency admite un nivel de 1 (el más alto) a 5, no «9»",
                    "#urgency accetta un livello da 1 (il più alto) a 5, non «9»",
                    "#urgency verwacht een niveau van 1 (hoogste) tot 5, niet “9”",
                ],
            ),
            (
                transition,
                [
                    "ein Ticket kann nicht vom Status „geschlossen (gelöst)“ in den Status „in Wartestellung“ wechseln",
                    "un ticket no puede pasar de «cerrado (resuelto)» a «en espera»",
                    "un ticket non può passare da «chiuso (risolto)» a «in attesa»",
                    "een ticket kan niet van “gesloten (opgelost)” naar “in afwachting” overgaan",
                ],
            ),
            (
                Refusal::UnknownType("bug".into()),
                [
                    "unbekannter Tickettyp „bug“ (gültige Werte: incident „Störung“, request „Serviceanfrage“, problem „Problem“, event „Ereignis“)",
                    "tipo de ticket desconocido: «bug» (valores aceptados: incident «incidencia», request «solicitud de servicio», problem «problema», event «evento»)",
                    "tipo di ticket sconosciuto: «bug» (valori accettati: incident «incidente», request «richiesta di servizio», problem «problema», event «evento»)",
                    "onbekend tickettype: “bug” (geldige waarden: incident “incident”, request “serviceverzoek”, problem “probleem”, event “gebeurtenis”)",
                ],
            ),
            (
                Refusal::NoSuchTicket(42),
                ["Ticket 42 existiert nicht", "el ticket 42 no existe", "il ticket 42 non esiste", "ticket 42 bestaat niet"],
            ),
        ];
        for (refusal, want) in cases {
            for (lang, want) in [Lang::De, Lang::Es, Lang::It, Lang::Nl].into_iter().zip(want) {
                assert_eq!(refusal.message(lang), want);
            }
        }
    }

    #[test]
    fn french_refusals_follow_french_typography() {
        const NBSP: char = '\u{a0}';
        for (refusal, _, _) in every_refusal() {
            let text = refusal.message(Lang::Fr);
            let chars: Vec<char> = text.chars().collect();
            for (i, &c) in chars.iter().enumerate() {
                let before = i.checked_sub(1).map(|j| chars[j]);
                let after = chars.get(i + 1).copied();
                // A colon inside a word or a time (group:NOM, 14:30) is no punctuation.
                let punctuation = matches!(c, ';' | '?' | '!') || (c == ':' && after.is_none_or(|a| a == ' '));
                if punctuation || c == '»' {
                    assert_eq!(before, Some(NBSP), "no-break space before `{c}` in {text:?}");
                }
                if c == '«' {
                    assert_eq!(after, Some(NBSP), "no-break space after `«` in {text:?}");
                }
                assert_ne!(c, '`', "English quotes in {text:?}");
            }
            let words: Vec<String> = text.split([' ', NBSP]).map(str::to_lowercase).collect();
            for pair in words.windows(2) {
                let elides = ["de", "le", "la", "ne", "que", "se"].contains(&pair[0].as_str());
                let vowel = pair[1].starts_with(['a', 'e', 'é', 'i', 'o', 'u', 'h']);
                assert!(!(elides && vowel), "`{} {}` should be elided in {text:?}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn parse_errors_are_typed_refusals() {
        let cases = [
            ("#status attente", Refusal::UnknownStatus("attente".into())),
            ("#type bug", Refusal::UnknownType("bug".into())),
            ("#impact", Refusal::MissingArgument { command: "impact".into() }),
            ("#assign a b", Refusal::TooManyArguments { command: "assign".into() }),
            ("#kb now", Refusal::UnwantedArgument { command: "kb".into(), got: "now".into() }),
            ("#urgency 0", Refusal::NotALevel { command: "urgency".into(), got: "0".into() }),
            ("#major maybe", Refusal::NotOnOrOff("maybe".into())),
            ("#unwatch Bob", Refusal::NotAnAddress { command: "unwatch".into(), got: "bob".into() }),
            ("#parent x1", Refusal::NotATicketNumber { command: "parent".into(), got: "x1".into() }),
            ("#assign bob", Refusal::NotAnAssignee("bob".into())),
            ("#plan 2026-13-01", Refusal::NotADate("2026-13-01".into())),
            ("#Frobnicate", Refusal::UnknownCommand("frobnicate".into())),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).errors, vec![CommandError { line: line.into(), reason: want }], "{line}");
        }
    }
}
