//! Questions mailed to the desk that are answered at once and open
//! nothing: a technician's view of a queue (`#list`, `#show 42`) and a
//! requester's "my tickets". Technicians have no access to the server;
//! their mail client is where they see their work.

use super::threading::plus_detail;
use super::ticket::Lang;

/// What a mail asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// `#list`: the technician's own open tickets.
    Mine,
    /// `#list group NAME`: a group's open tickets.
    Group(String),
    /// `#list unassigned`: open tickets nobody has, in the technician's
    /// groups or in none.
    Unassigned,
    /// `#list breached`: open tickets past an SLA target.
    Breached,
    /// `#show 42`: one ticket's summary and last articles.
    Show(i64),
    /// A technician's `#list` or `#show` that does not read: answered with
    /// how to write it.
    Unclear(String),
    /// A requester's own open tickets.
    Requests,
    /// A technician's answer to a list we mailed them that asks nothing:
    /// it acts on no ticket, and is answered with how to act on one.
    Reply,
}

impl Question {
    /// As the history and the log name it.
    pub fn name(&self) -> String {
        match self {
            Question::Mine => "#list".into(),
            Question::Group(g) => format!("#list group {g}"),
            Question::Unassigned => "#list unassigned".into(),
            Question::Breached => "#list breached".into(),
            Question::Show(n) => format!("#show {n}"),
            Question::Unclear(line) => line.clone(),
            Question::Requests => "my tickets".into(),
            Question::Reply => "answer to a list".into(),
        }
    }
}

/// The mail a technician's answer to is no action on a ticket.
pub const LIST_TEMPLATES: &[&str] = &["queue", "digest"];

/// How a technician writes a question, for the answer to an unclear one.
pub const FORMS: &[&str] = &["#list", "#list group NAME", "#list unassigned", "#list breached", "#show NUMBER"];

/// A technician's question: the first line that is not blank is `#list …`
/// or `#show …`. Commands on a ticket (`#resolve`) are not questions.
pub fn technician_question(text: &str) -> Option<Question> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut words = line.split_whitespace();
    let name = words.next()?.to_ascii_lowercase();
    let args: Vec<&str> = words.collect();
    let unclear = || Some(Question::Unclear(line.to_string()));
    match name.as_str() {
        "#list" => match args.as_slice() {
            [] | ["mine"] | ["me"] => Some(Question::Mine),
            ["unassigned"] => Some(Question::Unassigned),
            ["breached"] => Some(Question::Breached),
            ["group", name] => Some(Question::Group(name.to_string())),
            [group] if group.starts_with("group:") && group.len() > 6 => Some(Question::Group(group[6..].to_string())),
            _ => unclear(),
        },
        "#show" => match args.as_slice() {
            [n] => n.trim_start_matches('#').parse().map(Question::Show).ok().or_else(unclear),
            _ => unclear(),
        },
        _ => None,
    }
}

/// The words that ask for one's tickets, alone on their line, in the
/// languages the desk reads.
const REQUESTS: &[(&str, Lang)] = &[
    ("mes demandes", Lang::Fr),
    ("mes tickets", Lang::Fr),
    ("où en sont mes demandes", Lang::Fr),
    ("my tickets", Lang::En),
    ("my requests", Lang::En),
    ("status of my requests", Lang::En),
    ("meine tickets", Lang::De),
    ("meine anfragen", Lang::De),
    ("stand meiner anfragen", Lang::De),
    ("mis tickets", Lang::Es),
    ("mis solicitudes", Lang::Es),
    ("estado de mis solicitudes", Lang::Es),
    ("i miei ticket", Lang::It),
    ("le mie richieste", Lang::It),
    ("stato delle mie richieste", Lang::It),
    ("mijn tickets", Lang::Nl),
    ("mijn meldingen", Lang::Nl),
    ("mijn aanvragen", Lang::Nl),
    ("status van mijn meldingen", Lang::Nl),
];

/// The plus address that asks for one's tickets whatever the mail says:
/// `support+status@…`.
pub const STATUS_DETAIL: &str = "status";

/// A requester's question: `mes demandes` / `my tickets` alone in the
/// subject or on the first line, or mail to `support+status@…`. A subject
/// that names a ticket is about that ticket, not a question.
pub fn requester_question<'a>(
    subject: &str,
    text: &str,
    recipients: impl IntoIterator<Item = &'a str>,
    our_addresses: &[String],
    names_a_ticket: bool,
) -> Option<Question> {
    if recipients.into_iter().any(|r| plus_detail(r, our_addresses).as_deref() == Some(STATUS_DETAIL)) {
        return Some(Question::Requests);
    }
    if names_a_ticket {
        return None;
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    [subject, first].into_iter().any(|l| asks_for_requests(l).is_some()).then_some(Question::Requests)
}

/// The language the words asking for one's tickets are written in.
pub fn requests_language(subject: &str, text: &str) -> Option<Lang> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    asks_for_requests(subject).or_else(|| asks_for_requests(first))
}

fn asks_for_requests(line: &str) -> Option<Lang> {
    let words: String = line
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace() || c == '\u{a0}')
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    REQUESTS.iter().find(|(w, _)| *w == words).map(|(_, lang)| *lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_show_read_their_forms_and_anything_else_is_unclear() {
        let q = technician_question;
        assert_eq!(q("#list"), Some(Question::Mine));
        assert_eq!(q("\n  #LIST  \nSarah"), Some(Question::Mine));
        assert_eq!(q("#list group reseau"), Some(Question::Group("reseau".into())));
        assert_eq!(q("#list group:poste"), Some(Question::Group("poste".into())));
        assert_eq!(q("#list unassigned"), Some(Question::Unassigned));
        assert_eq!(q("#list breached"), Some(Question::Breached));
        assert_eq!(q("#show 42"), Some(Question::Show(42)));
        assert_eq!(q("#show #42"), Some(Question::Show(42)));
        assert_eq!(q("#show everything"), Some(Question::Unclear("#show everything".into())));
        assert_eq!(q("#list group"), Some(Question::Unclear("#list group".into())));
        assert_eq!(q("#resolve\n#list"), None, "commands on a ticket come first");
        assert_eq!(q("Bonjour,\n#list"), None);
    }

    #[test]
    fn my_tickets_alone_on_the_subject_or_first_line_or_the_status_address() {
        let ours = vec!["support@example.test".to_string()];
        let q = |subject: &str, text: &str, to: &str| requester_question(subject, text, [to], &ours, false);
        assert_eq!(q("Mes demandes", "", "support@example.test"), Some(Question::Requests));
        assert_eq!(q("", "\nmy tickets?\n\nAlice", "support@example.test"), Some(Question::Requests));
        assert_eq!(q("Où en sont mes demandes ?", "Merci", "support@example.test"), Some(Question::Requests));
        assert_eq!(q("Anything", "anything", "Support+Status@example.test"), Some(Question::Requests));
        assert_eq!(q("Mes demandes de congés", "", "support@example.test"), None, "not alone");
        assert_eq!(q("Imprimante", "Mes demandes restent sans réponse", "support@example.test"), None);
        assert_eq!(q("x", "y", "other+status@example.test"), None, "not our address");
        assert_eq!(requester_question("My tickets", "", ["support@example.test"], &ours, true), None);
    }

    #[test]
    fn each_language_asks_for_its_tickets_in_its_own_words() {
        let cases = [
            ("Meine Anfragen", Lang::De),
            ("Mis solicitudes", Lang::Es),
            ("Le mie richieste?", Lang::It),
            ("Mijn tickets", Lang::Nl),
            ("Où en sont mes demandes ?", Lang::Fr),
        ];
        for (subject, lang) in cases {
            assert_eq!(requests_language(subject, ""), Some(lang), "{subject}");
            assert_eq!(requests_language("", &format!("\n{subject}\n\nAlice")), Some(lang), "{subject}");
        }
    }
}
