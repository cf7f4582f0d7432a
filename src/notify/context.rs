//! The one shape of a template's values: what rendering hands the
//! templates, what `guichet check` and `guichet template preview` render
//! against (its [`TemplateContext::sample`]), and, by its defaults, the
//! empty sections every mail has. A section a notice does not fill is
//! there, empty, so strict mode fails only on a name no mail has.
//!
//! Times are RFC 3339 as filled, and a reader's words once rendered
//! (`notify::render::localize_times`).

use serde::{Deserialize, Serialize};

use crate::domain::ticket::{priority_label, Lang, Status, TicketType};
use crate::domain::wording;

/// Every variable a template may use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateContext {
    /// The mail's title (its template's `subject` part), set by rendering.
    pub title: String,
    pub desk: DeskValues,
    pub signature: String,
    pub signature_html: String,
    pub recipient: RecipientValues,
    pub ticket: TicketValues,
    pub article: ArticleValues,
    pub change: ChangeValues,
    pub error: ErrorValues,
    pub sla: SlaValues,
    pub pending: PendingValues,
    pub survey: SurveyValues,
    pub rating: RatingValues,
    pub bounce: BounceValues,
    pub kb: KbValues,
    pub major: MajorValues,
    pub alert: AlertValues,
    pub history: HistoryValues,
    pub mail: MailValues,
    pub login: LoginValues,
    pub queue: QueueValues,
    pub merge: MergeValues,
}

/// The ticket a merged one continues as.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MergeValues {
    pub number: i64,
    pub subject: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeskValues {
    pub name: String,
    pub address: String,
    pub tag: String,
    pub reopen_days: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecipientValues {
    pub name: String,
    pub email: String,
    /// A watcher reading a copy of someone else's request.
    pub in_copy: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketValues {
    pub number: i64,
    pub tag: String,
    pub subject: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub type_label: String,
    pub status: String,
    pub status_label: String,
    pub priority: i64,
    pub priority_label: String,
    pub impact: i64,
    pub urgency: i64,
    pub requester_name: String,
    pub requester_email: String,
    pub assignee_name: String,
    pub has_watchers: bool,
    pub watchers: Vec<Person>,
    pub group: String,
    pub major: bool,
    pub planned_at: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Person {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArticleValues {
    /// The stored article the mail quotes (0: none, the words are here).
    pub id: i64,
    pub from_name: String,
    /// Whether `from_name` is a name, not the address standing in for one.
    pub has_name: bool,
    pub from_email: String,
    pub subject: String,
    pub text: String,
    pub lines: Vec<String>,
    pub html: String,
    pub has_html: bool,
    pub is_new_ticket: bool,
    pub internal: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangeValues {
    /// Status codes; the labels are in the reader's language.
    pub old: String,
    pub new: String,
    pub old_label: String,
    pub new_label: String,
    pub new_meaning: String,
    pub by_name: String,
    pub closed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorValues {
    pub command: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaValues {
    pub kind_label: String,
    pub policy: String,
    pub due_at: String,
    pub left_label: String,
    pub overdue_label: String,
    pub raised_priority_label: String,
    pub moved_to_group: String,
    pub reassigned_to_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PendingValues {
    pub since: String,
    pub days: i64,
    pub close_after_days: i64,
    pub closes_on: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurveyValues {
    pub has_links: bool,
    pub links: Vec<SurveyLink>,
    pub valid_days: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurveyLink {
    pub rating: i64,
    pub url: String,
    pub label: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RatingValues {
    pub value: i64,
    pub comment: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BounceValues {
    /// The failure was written by the relay (a bounce), not found on sending.
    pub written: bool,
    pub failures: Vec<BounceFailure>,
    pub undeliverable_days: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BounceFailure {
    pub recipient: String,
    pub status: String,
    pub diagnostic: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KbValues {
    pub has_articles: bool,
    pub articles: Vec<KbArticle>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KbArticle {
    pub number: i64,
    pub title: String,
    pub excerpt: String,
    pub text: String,
    pub lines: Vec<String>,
    pub html: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MajorValues {
    pub number: i64,
    pub subject: String,
    pub count: i64,
    pub window_minutes: i64,
    pub children: Vec<MajorChild>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MajorChild {
    pub number: i64,
    pub subject: String,
    pub requester: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertValues {
    pub to: String,
    pub cc: String,
    pub note_address: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryValues {
    pub has_tickets: bool,
    pub tickets: Vec<HistoryTicket>,
    pub related: Option<Related>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryTicket {
    pub number: i64,
    pub subject: String,
    pub status: String,
    pub status_label: String,
    pub closed: bool,
    pub when: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Related {
    pub number: i64,
    pub subject: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailValues {
    pub subject: String,
    pub received_at: String,
    pub to: String,
    pub size_label: String,
    pub limit_label: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoginValues {
    pub mailbox: String,
    pub address: String,
    pub reason: String,
    pub action: String,
}

/// A list of tickets answered by mail: a technician's `#list` or `#show`,
/// a requester's "my tickets".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueValues {
    /// `mine`, `group`, `unassigned`, `breached`, `show`, `unclear` or
    /// `requests`: what was asked, for the template's heading.
    pub kind: String,
    /// The line as the technician wrote it.
    pub asked: String,
    /// The group asked for (`#list group NAME`).
    pub group: String,
    /// Open tickets, due soonest first; at most a mail's worth.
    pub tickets: Vec<QueueTicket>,
    /// How many there are in all, and how many the mail leaves out.
    pub count: i64,
    pub more: i64,
    /// `#show`: the ticket's last articles, oldest first.
    pub articles: Vec<QueueArticle>,
    /// How to write a question, for an unclear one.
    pub forms: Vec<String>,
    /// Why nothing could be listed (no such group, no such ticket).
    pub refusal: String,
    /// A digest: the working day it is for, in the reader's words.
    pub day: String,
    /// A digest: how many of the reader's tickets are past an SLA target.
    pub breached: i64,
    /// A digest: the reader's tickets waiting for the requester, and
    /// their groups' tickets nobody has.
    pub pending: QueueSection,
    pub unassigned: QueueSection,
    /// A digest to a group's lead: each group they lead.
    pub groups: Vec<GroupView>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueSection {
    pub tickets: Vec<QueueTicket>,
    pub count: i64,
    pub more: i64,
}

/// A group as its lead sees it in the digest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupView {
    pub name: String,
    /// Open tickets, past an SLA target, and with nobody on them.
    pub backlog: i64,
    pub breached: i64,
    pub unassigned: i64,
    /// Its oldest open tickets, oldest first.
    pub oldest: Vec<QueueTicket>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueTicket {
    pub number: i64,
    pub subject: String,
    pub status: String,
    pub status_label: String,
    pub priority: i64,
    pub priority_label: String,
    /// The nearest SLA target not met yet, in the reader's words; empty
    /// when none runs.
    pub due: String,
    pub breached: bool,
    /// Since when it waits for the requester, in the reader's words.
    pub pending_since: String,
    pub requester_name: String,
    pub assignee_name: String,
    pub group: String,
    pub opened: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueArticle {
    pub from_name: String,
    pub when: String,
    pub internal: bool,
    pub text: String,
}

impl TemplateContext {
    /// These values as handlebars reads them.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Values in the shape of a context (`{"ticket": {...}, ...}`), typed:
    /// a value of the wrong type is an error that names it.
    pub fn from_value(values: serde_json::Value) -> Result<TemplateContext, String> {
        serde_json::from_value(values).map_err(|e| format!("template values: {e}"))
    }

    /// Every variable filled, for `check` and `template preview`.
    pub fn sample(lang: Lang) -> TemplateContext {
        // One text in each language, in the order of `Lang::ALL`.
        let pick = |words: [&str; 6]| {
            let i = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(1);
            words[i].to_string()
        };
        // Dates as the reader's language writes them, UTC.
        let at = |m: u32, d: u32, h: u32, min: u32| {
            chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, m, d, h, min, 0).single().unwrap_or_default()
        };
        let moment = |m, d, h, min| wording::moment(at(m, d, h, min), chrono_tz::Tz::UTC, lang, false);
        let day = |m, d| wording::day(at(m, d, 12, 0), chrono_tz::Tz::UTC, lang);
        let printer = [
            "L'imprimante du 2e étage ne répond plus",
            "The printer on floor 2 does not respond",
            "Der Drucker im 2. Stock reagiert nicht mehr",
            "La impresora de la 2.ª planta no responde",
            "La stampante al 2º piano non risponde più",
            "De printer op de 2e verdieping reageert niet meer",
        ];
        let shows = [
            "L'imprimante affiche « erreur 52 ».",
            "The printer shows \"error 52\".",
            "Der Drucker zeigt „Fehler 52“ an.",
            "La impresora muestra «error 52».",
            "La stampante mostra «errore 52».",
            "De printer geeft “fout 52” aan.",
        ];
        let subject = pick(printer);
        let text = pick([
            "Bonjour,\nL'imprimante affiche « erreur 52 ».\nMerci",
            "Hello,\nThe printer shows \"error 52\".\nThanks",
            "Guten Tag,\nDer Drucker zeigt „Fehler 52“ an.\nDanke",
            "Buenos días:\nLa impresora muestra «error 52».\nGracias",
            "Buongiorno,\nla stampante mostra «errore 52».\nGrazie",
            "Goedendag,\nDe printer geeft “fout 52” aan.\nBedankt",
        ]);
        let kb_text = "L'erreur 52 signale un bourrage papier.\n\n1. Ouvrez le capot arrière.\n2. Retirez la feuille.";
        TemplateContext {
            title: pick([
                "Réponse à votre demande n°\u{a0}42",
                "Reply to your request #42",
                "Antwort auf Ihre Anfrage Nr. 42",
                "Respuesta a su solicitud n.º 42",
                "Risposta alla sua richiesta n. 42",
                "Antwoord op uw melding #42",
            ]),
            desk: DeskValues {
                name: "Support".into(),
                address: "support@example.test".into(),
                tag: "Guichet".into(),
                reopen_days: 14,
            },
            signature: "Support\nsupport@example.test".into(),
            signature_html: "Support".into(),
            recipient: RecipientValues {
                name: "Alice Martin".into(),
                email: "alice@example.test".into(),
                in_copy: false,
            },
            ticket: TicketValues {
                number: 42,
                tag: "[Guichet #42]".into(),
                subject: subject.clone(),
                ticket_type: "incident".into(),
                type_label: TicketType::Incident.label(lang).into(),
                status: "assigned".into(),
                status_label: Status::Assigned.label(lang).into(),
                priority: 3,
                priority_label: priority_label(3, lang).into(),
                impact: 3,
                urgency: 3,
                requester_name: "Alice Martin".into(),
                requester_email: "alice@example.test".into(),
                assignee_name: "Marc Dupont".into(),
                has_watchers: true,
                watchers: vec![Person { name: "Bob Leroy".into(), email: "bob@example.test".into() }],
                group: String::new(),
                major: false,
                planned_at: moment(12, 7, 14, 30),
                created_at: moment(11, 28, 10, 12),
            },
            article: ArticleValues {
                id: 0,
                from_name: "Alice Martin".into(),
                has_name: true,
                from_email: "alice@example.test".into(),
                subject: subject.clone(),
                lines: text.lines().map(str::to_string).collect(),
                text,
                html: String::new(),
                has_html: false,
                is_new_ticket: true,
                internal: false,
            },
            change: ChangeValues {
                old: "assigned".into(),
                new: "resolved".into(),
                old_label: Status::Assigned.label(lang).into(),
                new_label: Status::Resolved.label(lang).into(),
                new_meaning: Status::Resolved.meaning(lang).into(),
                by_name: "Marc Dupont".into(),
                closed: true,
            },
            error: ErrorValues { command: "#status closed".into(), reason: "unknown status `closed`".into() },
            sla: SlaValues {
                kind_label: crate::domain::sla::TimerKind::FirstResponse.label(lang).into(),
                policy: "standard".into(),
                due_at: moment(11, 30, 10, 0),
                left_label: "45 min".into(),
                overdue_label: "10 min".into(),
                raised_priority_label: priority_label(2, lang).into(),
                moved_to_group: "niveau-2".into(),
                reassigned_to_name: "Marc Dupont".into(),
            },
            pending: PendingValues {
                since: day(11, 25),
                days: 3,
                close_after_days: 7,
                closes_on: day(12, 2),
            },
            survey: SurveyValues {
                has_links: true,
                links: (1..=5)
                    .rev()
                    .map(|r| SurveyLink {
                        rating: r,
                        url: format!("https://desk.example.test/survey/1.1767225600.0f1e2d?r={r}"),
                        label: crate::domain::survey::rating_label(r as _, lang).to_string(),
                    })
                    .collect(),
                valid_days: 30,
            },
            rating: RatingValues { value: 2, comment: "Trop long.".into() },
            bounce: BounceValues {
                written: true,
                failures: vec![BounceFailure {
                    recipient: "alice@example.test".into(),
                    status: "5.1.1".into(),
                    diagnostic: "550 5.1.1 User unknown".into(),
                }],
                undeliverable_days: 7,
            },
            kb: KbValues {
                has_articles: true,
                articles: vec![KbArticle {
                    number: 7,
                    title: "L'imprimante affiche « erreur 52 »".into(),
                    excerpt: "L'erreur 52 signale un bourrage papier…".into(),
                    text: kb_text.into(),
                    lines: kb_text.lines().map(str::to_string).collect(),
                    html: "<p>L'erreur 52 signale un bourrage papier.</p><ol><li>Ouvrez le capot arrière.</li><li>Retirez la feuille.</li></ol>".into(),
                }],
            },
            major: MajorValues {
                number: 41,
                subject: "VPN en panne".into(),
                count: 6,
                window_minutes: 15,
                children: vec![
                    MajorChild { number: 36, subject: "VPN en panne".into(), requester: "Alice Martin".into() },
                    MajorChild { number: 38, subject: "Plus de VPN".into(), requester: "bob@example.test".into() },
                ],
            },
            alert: AlertValues {
                to: "support@example.test".into(),
                cc: "Bob Durand <bob@example.test>".into(),
                note_address: "support+42-internal@example.test".into(),
            },
            history: HistoryValues {
                has_tickets: true,
                tickets: vec![HistoryTicket {
                    number: 41,
                    subject: subject.clone(),
                    status: "resolved".into(),
                    status_label: Status::Resolved.label(lang).into(),
                    closed: true,
                    when: moment(11, 2, 9, 30),
                }],
                related: Some(Related { number: 41, subject: subject.clone() }),
            },
            mail: MailValues {
                subject,
                received_at: moment(11, 28, 10, 12),
                to: "support@example.test".into(),
                size_label: "112.4 MB".into(),
                limit_label: "100 MB".into(),
            },
            login: LoginValues {
                mailbox: "support".into(),
                address: "support@example.test".into(),
                reason: "OAuth2 grant of `support` refused: invalid_grant (refresh token revoked)".into(),
                action: "guichet auth login support".into(),
            },
            queue: QueueValues {
                kind: "mine".into(),
                asked: "#list".into(),
                group: "poste".into(),
                tickets: vec![QueueTicket {
                    number: 42,
                    subject: pick(printer),
                    status: Status::Assigned.to_string(),
                    status_label: Status::Assigned.label(lang).into(),
                    priority: 2,
                    priority_label: priority_label(2, lang).into(),
                    due: moment(11, 30, 14, 0),
                    breached: true,
                    pending_since: String::new(),
                    requester_name: "Alice Martin".into(),
                    assignee_name: "Marc Dupont".into(),
                    group: "poste".into(),
                    opened: moment(11, 30, 9, 12),
                }],
                count: 3,
                more: 2,
                articles: vec![QueueArticle {
                    from_name: "Alice Martin".into(),
                    when: moment(11, 30, 9, 12),
                    internal: false,
                    text: pick(shows),
                }],
                forms: crate::domain::ask::FORMS.iter().map(|f| f.to_string()).collect(),
                refusal: String::new(),
                day: day(11, 30),
                breached: 1,
                pending: QueueSection {
                    tickets: vec![QueueTicket {
                        number: 40,
                        subject: pick([
                            "Accès au dossier partagé",
                            "Access to the shared folder",
                            "Zugriff auf den freigegebenen Ordner",
                            "Acceso a la carpeta compartida",
                            "Accesso alla cartella condivisa",
                            "Toegang tot de gedeelde map",
                        ]),
                        status: Status::Pending.to_string(),
                        status_label: Status::Pending.label(lang).into(),
                        priority: 3,
                        priority_label: priority_label(3, lang).into(),
                        pending_since: moment(11, 26, 16, 20),
                        requester_name: "Bob Leroy".into(),
                        opened: moment(11, 26, 11, 2),
                        ..Default::default()
                    }],
                    count: 1,
                    more: 0,
                },
                unassigned: QueueSection { tickets: Vec::new(), count: 0, more: 0 },
                groups: vec![GroupView {
                    name: "poste".into(),
                    backlog: 12,
                    breached: 2,
                    unassigned: 3,
                    oldest: Vec::new(),
                }],
            },
            merge: MergeValues {
                number: 38,
                subject: pick([
                    "Plus d'impression au 2e étage",
                    "No printing on floor 2",
                    "Kein Druck mehr im 2. Stock",
                    "No se puede imprimir en la 2.ª planta",
                    "Impossibile stampare al 2º piano",
                    "Printen lukt niet meer op de 2e verdieping",
                ]),
            },
        }
    }
}
