//! Who writes to the demo desk and what they say: fictional requesters
//! (addresses under example.test), the topics of their mail in French and
//! English, and the lines technicians and requesters answer with.

use super::rng::Rng;
use crate::domain::ticket::Lang;

/// A requester.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub lang: Lang,
    /// How often they write, relative to the others.
    pub weight: u32,
}

impl Person {
    pub fn first_name(&self) -> &str {
        self.name.split(' ').next().unwrap_or(&self.name)
    }
}

const FR_FIRST: &[&str] = &[
    "Camille", "Julien", "Léa", "Nicolas", "Sophie", "Thomas", "Chloé", "Antoine", "Manon", "Hugo", "Inès", "Lucas",
    "Élodie", "Mathieu", "Pauline", "Romain", "Aurélie", "Bastien", "Margaux", "Quentin",
];
const FR_LAST: &[&str] = &[
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Fournier",
    "Bonnet",
    "Faure",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "Rousseau",
    "Lambert",
];
const EN_FIRST: &[&str] = &["Emma", "Oliver", "Grace", "Jack", "Amelia", "Harry", "Lucy", "George", "Isla", "Noah"];
const EN_LAST: &[&str] =
    &["Taylor", "Brown", "Wilson", "Evans", "Clarke", "Walker", "Wright", "Hughes", "Turner", "Parker"];

/// `Élodie Lefèvre` → `elodie.lefevre`.
fn local_part(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'à' | 'â' | 'ä' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' => out.push('i'),
            'ô' | 'ö' => out.push('o'),
            'ù' | 'û' | 'ü' => out.push('u'),
            'ç' => out.push('c'),
            ' ' => out.push('.'),
            c if c.is_ascii_alphanumeric() || c == '-' => out.push(c),
            _ => {}
        }
    }
    out
}

/// `count` people, about one in four English-speaking, a few of them
/// managers; none has an address in `taken` (the technicians').
pub fn people(rng: &mut Rng, count: usize, taken: &[String]) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::with_capacity(count);
    let mut tries = 0;
    while out.len() < count && tries < count * 20 {
        tries += 1;
        let english = rng.chance(0.25);
        let (first, last, lang) = if english {
            (rng.pick(EN_FIRST), rng.pick(EN_LAST), Lang::En)
        } else {
            (rng.pick(FR_FIRST), rng.pick(FR_LAST), Lang::Fr)
        };
        // Management writes from the domain the shipped config makes VIP.
        let domain = if out.len() % 12 == 5 { "direction.example.test" } else { "example.test" };
        let name = format!("{first} {last}");
        let email = format!("{}@{domain}", local_part(&name));
        if taken.iter().any(|t| t.eq_ignore_ascii_case(&email)) || out.iter().any(|p| p.email == email) {
            continue;
        }
        out.push(Person { name, email, lang, weight: rng.spread(1, 12) as u32 });
    }
    out
}

/// What one language says about a topic. `{n}`, `{pc}`, `{app}` and
/// `{id}` are filled in each time.
pub struct Lines {
    pub subjects: &'static [&'static str],
    pub bodies: &'static [&'static str],
    /// What the technician asks before they can go on (the ticket waits).
    pub question: &'static str,
    /// The requester's answer to it.
    pub answer: &'static str,
    pub solution: &'static [&'static str],
}

pub struct Topic {
    pub weight: u32,
    /// Words that say which technician fits: compared with their skills
    /// and groups.
    pub skills: &'static [&'static str],
    /// A service request rather than an incident.
    pub request: bool,
    /// The technician may plan a visit.
    pub visit: bool,
    pub fr: Lines,
    pub en: Lines,
}

impl Topic {
    pub fn lines(&self, lang: Lang) -> &Lines {
        match lang {
            Lang::Fr => &self.fr,
            // The demo's people write French or English only: the other
            // languages read its English lines.
            Lang::En | Lang::De | Lang::Es | Lang::It | Lang::Nl => &self.en,
        }
    }
}

pub const TOPICS: &[Topic] = &[
    Topic {
        weight: 18,
        skills: &["compte", "account", "mot de passe", "password", "poste-de-travail"],
        request: false,
        visit: false,
        fr: Lines {
            subjects: &[
                "Mot de passe expiré",
                "Compte verrouillé",
                "Je n'arrive plus à ouvrir ma session",
                "Changer mon mot de passe expiré",
            ],
            bodies: &[
                "Bonjour,\n\nMon mot de passe a expiré ce matin et je n'arrive pas à le changer : l'écran de session refuse le nouveau mot de passe.\n\nPouvez-vous m'aider ?",
                "Bonjour,\n\nAprès plusieurs essais mon compte est verrouillé, je ne peux plus ouvrir ma session Windows.\n\nMerci d'avance.",
                "Bonjour,\n\nOn me demande de changer mon mot de passe mais le changement échoue à chaque fois.",
            ],
            question: "Pouvez-vous me confirmer votre identifiant (il figure sur votre badge) ?",
            answer: "Bonjour,\n\nMon identifiant est {id}.",
            solution: &[
                "J'ai débloqué votre compte et réinitialisé le mot de passe : le mot de passe temporaire vous a été envoyé par SMS, un nouveau vous sera demandé à la connexion.",
                "Votre compte était verrouillé après trop d'essais : je l'ai déverrouillé, vous pouvez de nouveau ouvrir votre session.",
            ],
        },
        en: Lines {
            subjects: &["Password expired", "Account locked", "Cannot log in to my session", "Password reset needed"],
            bodies: &[
                "Hello,\n\nMy password expired this morning and the login screen will not accept a new one.\n\nCould you help?",
                "Hi,\n\nAfter a few wrong attempts my account is locked and I cannot log in to Windows.\n\nThanks in advance.",
                "Hello,\n\nI am asked to change my password but the change fails every time.",
            ],
            question: "Could you confirm your user name (it is printed on your badge)?",
            answer: "Hi,\n\nMy user name is {id}.",
            solution: &[
                "I unlocked your account and reset the password: the temporary one was sent to you by text message, you will be asked for a new one when you log in.",
                "Your account was locked after too many attempts: it is unlocked, you can log in again.",
            ],
        },
    },
    Topic {
        weight: 15,
        skills: &["impression", "printer", "imprimante"],
        request: false,
        visit: false,
        fr: Lines {
            subjects: &[
                "L'imprimante du {n}e étage n'imprime plus",
                "Bourrage papier sur l'imprimante",
                "Imprimante hors ligne",
                "Impression impossible depuis ce matin",
            ],
            bodies: &[
                "Bonjour,\n\nL'imprimante du {n}e étage n'imprime plus : mes documents restent dans la file d'attente.",
                "Bonjour,\n\nL'imprimante affiche un bourrage papier alors qu'il n'y a plus de feuille coincée.",
                "Bonjour,\n\nL'imprimante apparaît hors ligne sur mon poste, impossible d'imprimer.",
            ],
            question: "Pouvez-vous me donner le nom de l'imprimante (étiquette sur le capot) ?",
            answer: "Bonjour,\n\nC'est l'imprimante IMP-{n}0{n}.",
            solution: &[
                "La file d'attente était bloquée : je l'ai vidée et j'ai redémarré l'imprimante. Vous pouvez relancer vos impressions.",
                "Le capteur de bourrage était encrassé : il est nettoyé et l'imprimante fonctionne de nouveau.",
            ],
        },
        en: Lines {
            subjects: &[
                "Printer on floor {n} not printing",
                "Paper jam on the printer",
                "Printer shows offline",
                "Cannot print since this morning",
            ],
            bodies: &[
                "Hello,\n\nThe printer on floor {n} does not print anymore: my documents stay in the queue.",
                "Hi,\n\nThe printer says there is a paper jam but no sheet is stuck.",
                "Hello,\n\nThe printer shows offline on my computer and I cannot print.",
            ],
            question: "Could you tell me the printer's name (label on the cover)?",
            answer: "Hi,\n\nIt is printer IMP-{n}0{n}.",
            solution: &[
                "The print queue was stuck: I cleared it and restarted the printer. You can print again.",
                "The jam sensor was dirty: it is cleaned and the printer works again.",
            ],
        },
    },
    Topic {
        weight: 15,
        skills: &["messagerie", "email", "mail"],
        request: false,
        visit: false,
        fr: Lines {
            subjects: &[
                "Outlook ne reçoit plus de messages",
                "Boîte aux lettres pleine",
                "Impossible d'envoyer des mails",
                "Messagerie très lente",
            ],
            bodies: &[
                "Bonjour,\n\nDepuis hier je ne reçois plus aucun message dans Outlook.",
                "Bonjour,\n\nJ'ai un message qui me dit que ma boîte aux lettres est pleine, je ne peux plus envoyer de mails.",
                "Bonjour,\n\nMes mails restent dans la boîte d'envoi, rien ne part.",
            ],
            question: "Pouvez-vous m'envoyer une capture du message d'erreur ?",
            answer: "Bonjour,\n\nLe message dit « quota de la boîte aux lettres dépassé ».",
            solution: &[
                "Votre boîte aux lettres était pleine : j'ai archivé les messages de plus de deux ans. L'envoi et la réception refonctionnent.",
                "Le profil Outlook était corrompu : je l'ai recréé, vos messages sont de nouveau synchronisés.",
            ],
        },
        en: Lines {
            subjects: &["Outlook not receiving mail", "Mailbox full", "Cannot send emails", "Email very slow"],
            bodies: &[
                "Hello,\n\nSince yesterday I have not received any message in Outlook.",
                "Hi,\n\nI get a warning that my mailbox is full and I cannot send emails anymore.",
                "Hello,\n\nMy emails stay in the outbox, nothing goes out.",
            ],
            question: "Could you send me a screenshot of the error message?",
            answer: "Hi,\n\nThe message says \"mailbox quota exceeded\".",
            solution: &[
                "Your mailbox was full: I archived the messages older than two years. Sending and receiving work again.",
                "The Outlook profile was damaged: I recreated it and your mail is in sync again.",
            ],
        },
    },
    Topic {
        weight: 12,
        skills: &["vpn", "reseau", "network"],
        request: false,
        visit: false,
        fr: Lines {
            subjects: &[
                "Impossible de me connecter au VPN",
                "Le VPN se déconnecte sans arrêt",
                "Connexion VPN refusée en télétravail",
                "Télétravail : pas d'accès aux dossiers partagés",
            ],
            bodies: &[
                "Bonjour,\n\nDepuis chez moi le VPN refuse la connexion : « échec de l'authentification ».",
                "Bonjour,\n\nLe VPN se coupe toutes les dix minutes, je perds mes fichiers ouverts.",
                "Bonjour,\n\nEn télétravail je n'ai plus accès aux dossiers partagés, le client VPN tourne sans fin.",
            ],
            question: "Quelle version du client VPN est installée (menu Aide, À propos) ?",
            answer: "Bonjour,\n\nC'est la version 4.{n}.",
            solution: &[
                "Votre certificat VPN avait expiré : je l'ai renouvelé. Redémarrez le client VPN et reconnectez-vous avec votre mot de passe habituel.",
                "Le client VPN n'était plus à jour : la nouvelle version est installée, la connexion tient.",
            ],
        },
        en: Lines {
            subjects: &[
                "Cannot connect to the VPN",
                "VPN keeps disconnecting",
                "VPN connection refused when working from home",
                "Working from home: no access to shared folders",
            ],
            bodies: &[
                "Hello,\n\nFrom home the VPN refuses to connect: \"authentication failed\".",
                "Hi,\n\nThe VPN drops every ten minutes and I lose my open files.",
                "Hello,\n\nWorking from home I cannot reach the shared folders, the VPN client spins forever.",
            ],
            question: "Which version of the VPN client is installed (Help, About)?",
            answer: "Hi,\n\nIt is version 4.{n}.",
            solution: &[
                "Your VPN certificate had expired: I renewed it. Restart the VPN client and sign in with your usual password.",
                "The VPN client was out of date: the new version is installed and the connection holds.",
            ],
        },
    },
    Topic {
        weight: 12,
        skills: &["materiel", "hardware", "poste-de-travail"],
        request: false,
        visit: true,
        fr: Lines {
            subjects: &[
                "Mon portable ne démarre plus",
                "Écran de l'ordinateur portable cassé",
                "PC très lent",
                "Batterie du portable qui ne tient plus",
            ],
            bodies: &[
                "Bonjour,\n\nMon ordinateur portable ne démarre plus, l'écran reste noir.",
                "Bonjour,\n\nL'écran de mon portable est fissuré depuis ce matin.",
                "Bonjour,\n\nMon PC met dix minutes à démarrer et chaque application rame.",
            ],
            question: "Pouvez-vous me donner le numéro du poste (étiquette sous l'ordinateur) ?",
            answer: "Bonjour,\n\nLe poste est le {pc}.",
            solution: &[
                "Le poste a été remplacé et vos données transférées ; l'ancien part en réparation.",
                "Le disque était presque plein et un pilote défaillant : nettoyé et mis à jour, le poste redémarre normalement.",
            ],
        },
        en: Lines {
            subjects: &["My laptop won't start", "Laptop screen broken", "PC very slow", "Laptop battery drains fast"],
            bodies: &[
                "Hello,\n\nMy laptop does not start anymore, the screen stays black.",
                "Hi,\n\nThe screen of my laptop cracked this morning.",
                "Hello,\n\nMy PC takes ten minutes to start and every application is slow.",
            ],
            question: "Could you give me the computer's number (label under it)?",
            answer: "Hi,\n\nIt is {pc}.",
            solution: &[
                "The computer was replaced and your data moved over; the old one goes for repair.",
                "The disk was nearly full and a driver was failing: cleaned and updated, it starts normally again.",
            ],
        },
    },
    Topic {
        weight: 12,
        skills: &["logiciel", "software", "poste-de-travail"],
        request: true,
        visit: false,
        fr: Lines {
            subjects: &["Demande d'installation de {app}", "Besoin d'une licence {app}", "Installer {app} sur mon poste"],
            bodies: &[
                "Bonjour,\n\nPourriez-vous installer {app} sur mon poste ? J'en ai besoin pour un projet.",
                "Bonjour,\n\nMon responsable a validé une licence {app} pour moi, pouvez-vous l'installer ?",
            ],
            question: "Votre responsable peut-il confirmer la demande en répondant à ce message ?",
            answer: "Bonjour,\n\nC'est validé par mon responsable, il est en copie.",
            solution: &["{app} est installé sur votre poste ; il apparaît dans le menu Démarrer."],
        },
        en: Lines {
            subjects: &["Request: install {app}", "Need a {app} licence", "Please install {app} on my computer"],
            bodies: &[
                "Hello,\n\nCould you install {app} on my computer? I need it for a project.",
                "Hi,\n\nMy manager approved a {app} licence for me, could you install it?",
            ],
            question: "Could your manager confirm the request by answering this message?",
            answer: "Hi,\n\nMy manager approved it, they are copied.",
            solution: &["{app} is installed on your computer; you will find it in the Start menu."],
        },
    },
    Topic {
        weight: 8,
        skills: &["wifi", "reseau", "network"],
        request: false,
        visit: false,
        fr: Lines {
            subjects: &["Wi-Fi instable en salle de réunion", "Pas de Wi-Fi au {n}e étage", "Le Wi-Fi invité ne fonctionne pas"],
            bodies: &[
                "Bonjour,\n\nLe Wi-Fi de la salle de réunion {n} coupe sans arrêt pendant les visios.",
                "Bonjour,\n\nAu {n}e étage aucun ordinateur ne capte le Wi-Fi depuis ce matin.",
            ],
            question: "Dans quelle salle exactement, et à quelle heure les coupures ont-elles lieu ?",
            answer: "Bonjour,\n\nSalle {n}, surtout en fin de matinée.",
            solution: &["La borne Wi-Fi de la zone a été redémarrée et mise à jour ; le signal est de nouveau stable."],
        },
        en: Lines {
            subjects: &["Wi-Fi unstable in the meeting room", "No Wi-Fi on floor {n}", "Guest Wi-Fi not working"],
            bodies: &[
                "Hello,\n\nThe Wi-Fi in meeting room {n} keeps dropping during video calls.",
                "Hi,\n\nOn floor {n} no computer picks up the Wi-Fi since this morning.",
            ],
            question: "Which room exactly, and at what time do the drops happen?",
            answer: "Hi,\n\nRoom {n}, mostly late in the morning.",
            solution: &["The access point in that area was restarted and updated; the signal is stable again."],
        },
    },
    Topic {
        weight: 8,
        skills: &["telephonie", "visio", "poste-de-travail"],
        request: false,
        visit: false,
        fr: Lines {
            subjects: &["Micro qui ne marche pas en visio", "Casque non reconnu", "Téléphone de bureau muet"],
            bodies: &[
                "Bonjour,\n\nEn visio personne ne m'entend, le micro de mon casque ne marche pas.",
                "Bonjour,\n\nMon casque n'est plus reconnu par l'ordinateur.",
            ],
            question: "Le casque fonctionne-t-il sur un autre ordinateur ?",
            answer: "Bonjour,\n\nOui, sur le poste d'un collègue il marche.",
            solution: &["Le pilote audio a été réinstallé et le casque choisi par défaut ; le micro est reconnu."],
        },
        en: Lines {
            subjects: &["Microphone not working in calls", "Headset not recognised", "Desk phone silent"],
            bodies: &[
                "Hello,\n\nIn video calls nobody hears me, my headset microphone is dead.",
                "Hi,\n\nMy headset is no longer recognised by the computer.",
            ],
            question: "Does the headset work on another computer?",
            answer: "Hi,\n\nYes, it does on a colleague's computer.",
            solution: &["The audio driver was reinstalled and the headset set as default; the microphone is picked up."],
        },
    },
];

const APPS: &[&str] = &["Visio", "Acrobat Pro", "Python", "Zoom", "LibreOffice", "Power BI", "GIMP"];

/// `line` with its blanks filled.
pub fn fill(rng: &mut Rng, line: &str) -> String {
    let mut out = line.to_string();
    if out.contains("{n}") {
        out = out.replace("{n}", &rng.between(2, 6).to_string());
    }
    if out.contains("{pc}") {
        out = out.replace("{pc}", &format!("PC-{:04}", rng.between(1000, 9999)));
    }
    if out.contains("{id}") {
        out = out.replace("{id}", &format!("u{:05}", rng.between(10000, 99999)));
    }
    if out.contains("{app}") {
        out = out.replace("{app}", rng.pick::<&str>(APPS));
    }
    out
}

/// The burst: many people at once, about the same outage.
pub fn outage(lang: Lang) -> (&'static [&'static str], &'static [&'static str]) {
    match lang {
        Lang::Fr => (
            &["Intranet inaccessible", "L'intranet est inaccessible", "Intranet inaccessible ce matin"],
            &[
                "Bonjour,\n\nL'intranet est inaccessible depuis ce matin, la page ne se charge pas.",
                "Bonjour,\n\nImpossible d'ouvrir l'intranet, la page reste blanche depuis ce matin.",
            ],
        ),
        // In English for the languages the demo's people do not write.
        Lang::En | Lang::De | Lang::Es | Lang::It | Lang::Nl => (
            &["Intranet down", "The intranet is down", "Intranet not loading"],
            &[
                "Hello,\n\nThe intranet is down since this morning, the page does not load.",
                "Hi,\n\nThe intranet page stays blank this morning.",
            ],
        ),
    }
}

/// Lines that do not depend on the topic.
pub struct Common {
    pub sign_off: &'static [&'static str],
    pub greeting: &'static str,
    pub taken: &'static [&'static str],
    pub planned: &'static str,
    pub unresolved: &'static [&'static str],
    pub handover: &'static str,
    pub nudge: &'static [&'static str],
    pub back: &'static [&'static str],
    /// Said to a suggested article that solved it.
    pub solved: &'static [&'static str],
    /// A survey answer per rating, 1 to 5.
    pub ratings: [&'static [&'static str]; 5],
    /// A survey answer that says the problem is back.
    pub survey_back: &'static str,
    pub outage_seen: &'static str,
    pub outage_fixed: &'static str,
    pub urgent: &'static str,
}

pub fn common(lang: Lang) -> &'static Common {
    match lang {
        Lang::Fr => &FR,
        // In English for the languages the demo's people do not write.
        Lang::En | Lang::De | Lang::Es | Lang::It | Lang::Nl => &EN,
    }
}

const FR: Common = Common {
    sign_off: &["Cordialement,", "Merci,", "Bonne journée,"],
    greeting: "Bonjour {first},",
    taken: &[
        "Je prends votre demande en charge et je reviens vers vous dans la journée.",
        "Bien reçu, je regarde cela.",
        "Je m'en occupe, je vous tiens informé.",
    ],
    planned: "Je passerai à votre bureau le {date} à 10 h pour m'en occuper.",
    unresolved: &[
        "Le matériel doit être remplacé et n'est plus sous garantie : je clos cette demande, votre responsable a reçu le devis.",
        "Cette demande sort de ce que nous pouvons faire ; je la clos, le fournisseur a été prévenu.",
    ],
    handover: "C'est plutôt pour toi, je te le passe.",
    nudge: &["Bonjour,\n\nAvez-vous des nouvelles de ma demande ?", "Bonjour,\n\nJe me permets de relancer : je ne peux toujours pas travailler."],
    back: &["Bonjour,\n\nLe souci est revenu ce matin, pouvez-vous regarder à nouveau ?", "Bonjour,\n\nCela ne fonctionne toujours pas de mon côté."],
    solved: &["Résolu, merci !", "C'est bon, ça marche. Merci !", "Réglé grâce à l'article, merci."],
    ratings: [
        &["1", "1 : beaucoup trop long."],
        &["2", "2 - il a fallu relancer."],
        &["3", "3 : correct, mais un peu long."],
        &["4", "4 - bien, merci.", "4"],
        &["5", "5 - merci pour la rapidité !", "5, parfait."],
    ],
    survey_back: "Le problème est revenu ce matin.",
    outage_seen: "Nous avons identifié une panne du serveur intranet et travaillons à le rétablir.",
    outage_fixed: "Le serveur intranet a été redémarré : le service est rétabli. Merci de votre patience.",
    urgent: "URGENT - ",
};

const EN: Common = Common {
    sign_off: &["Regards,", "Thanks,", "Best,"],
    greeting: "Hello {first},",
    taken: &[
        "I am on it and will get back to you today.",
        "Got it, I am looking into it.",
        "I will take care of it and keep you posted.",
    ],
    planned: "I will come to your desk on {date} at 10 am to sort it out.",
    unresolved: &[
        "The hardware must be replaced and is out of warranty: I am closing this request, your manager has the quote.",
        "This is beyond what we can do; I am closing it, the supplier has been told.",
    ],
    handover: "This one is yours, handing it over.",
    nudge: &["Hello,\n\nAny news on my request?", "Hi,\n\nFollowing up: I am still stuck."],
    back: &[
        "Hello,\n\nThe issue is back this morning, could you have another look?",
        "Hi,\n\nIt still fails on my side.",
    ],
    solved: &["Solved, thanks!", "That worked, thank you.", "It works now, thanks!"],
    ratings: [
        &["1", "1 - far too long."],
        &["2", "2 - I had to chase it."],
        &["3", "3, average."],
        &["4", "4 - good, thanks.", "4"],
        &["5", "5 - thanks for the quick fix!", "5, perfect."],
    ],
    survey_back: "The problem is back this morning.",
    outage_seen: "We found an outage of the intranet server and are working on it.",
    outage_fixed: "The intranet server was restarted: the service is back. Thank you for your patience.",
    urgent: "URGENT - ",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::knowledge::{says_solved, SOLVED};
    use crate::domain::survey::read_answer;

    fn solved_words() -> Vec<String> {
        SOLVED.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_survey_answer_reads_back_as_its_rating() {
        for lang in [Lang::Fr, Lang::En] {
            for (i, answers) in common(lang).ratings.iter().enumerate() {
                for a in *answers {
                    let read = read_answer(a);
                    assert_eq!(read.rating, Some(i as u8 + 1), "{a}");
                    assert!(!read.problem_back, "{a}");
                }
            }
            assert!(read_answer(common(lang).survey_back).problem_back);
        }
    }

    #[test]
    fn only_the_self_service_lines_say_solved() {
        let words = solved_words();
        for lang in [Lang::Fr, Lang::En] {
            let c = common(lang);
            assert!(c.solved.iter().all(|s| says_solved(s, &words)), "{lang:?}");
            let others = c.nudge.iter().chain(c.back).copied();
            let topical = TOPICS.iter().flat_map(|t| {
                let l = t.lines(lang);
                l.bodies.iter().copied().chain([l.answer])
            });
            for line in others.chain(topical) {
                assert!(!says_solved(line, &words), "{line}");
            }
        }
    }

    #[test]
    fn the_outage_mails_are_alike_enough_to_raise_a_major_incident() {
        use crate::domain::incident::{similarity, Terms};
        let threshold = crate::config::MajorIncident::default().similarity;
        for lang in [Lang::Fr, Lang::En] {
            let (subjects, bodies) = outage(lang);
            let mails: Vec<Terms> = subjects
                .iter()
                .flat_map(|s| bodies.iter().map(move |b| Terms::of(s, &format!("{s}\n{b}"), lang)))
                .collect();
            for a in &mails {
                for b in &mails {
                    let s = similarity(a, b);
                    assert!(s >= threshold, "{lang:?}: {s} between {a:?} and {b:?}");
                }
            }
        }
    }

    #[test]
    fn people_are_distinct_and_never_a_technician() {
        let mut rng = Rng::new(3);
        let taken = vec!["lea.martin@example.test".to_string()];
        let people = people(&mut rng, 60, &taken);
        assert_eq!(people.len(), 60);
        let mut emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!(emails.len(), 60);
        assert!(people.iter().all(|p| p.email.is_ascii() && p.email.ends_with("example.test")));
        assert!(!emails.contains(&"lea.martin@example.test"));
        assert!(
            people.iter().any(|p| p.email.ends_with("@direction.example.test"))
                && people.iter().any(|p| p.lang == Lang::En)
        );
        assert_eq!(local_part("Élodie Lefèvre"), "elodie.lefevre");
    }
}
