//! Every variable of a template filled with values a reader would see,
//! for `check` and `template preview`.

use super::*;
use crate::domain::ticket::{priority_label, Status, TicketType};
use crate::domain::wording;

impl TemplateContext {
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
            held: HeldValues {
                subject: format!("Re: [Guichet #42] {}", pick(printer)),
                commands: vec!["#resolve".into()],
                excerpt: "#resolve".into(),
                date: "2026-03-11T09:12:00+00:00".into(),
            },
        }
    }
}
