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
    let quotes = [(Lang::De, '\u{201e}', '\u{201c}'), (Lang::Es, '«', '»'), (Lang::It, '«', '»'), (Lang::Nl, '“', '”')];
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
