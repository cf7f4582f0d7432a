//! What a refused command says, in each language the desk writes.

use super::*;

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
