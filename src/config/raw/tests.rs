use super::*;

fn problems(text: &str) -> Vec<String> {
    match validate(text, Path::new("/etc/guichet")) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(|p| p.to_string()).collect(),
    }
}

const GOOD: &str = r#"
[database]
url = "sqlite://../var/guichet.db"
[[mailbox]]
name = "support"
path = "../mail"
address = "Support@Example.test"
"#;

#[test]
fn a_minimal_config_is_valid_and_paths_are_relative_to_it() {
    let s = validate(GOOD, Path::new("/etc/guichet")).unwrap();
    let want = PathBuf::from("/etc/guichet/../var/guichet.db");
    assert_eq!(s.database, Database::Sqlite { path: want, busy_timeout: Duration::from_secs(10) });
    assert_eq!(s.mailboxes[0].address, "support@example.test");
    assert_eq!(s.tickets.subject_tag.as_str(), "Guichet");
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let text = format!(
        "{GOOD}\ncolour = 1\n[tickets]\nreopen_days = -1\nlanguage = \"pt\"\nsubjet_tag = \"x\"\n[outgoing]\ntransport = \"pigeon\"\n[[technician]]\nemail = \"bob\"\n"
    );
    let p = problems(&text);
    let want = [
        "`mailbox[0].colour`: unknown key",
        "`tickets.reopen_days`: -1 is out of range",
        "`tickets.language`: unknown language `pt`",
        "`tickets.subjet_tag`: unknown key",
        "`outgoing.transport`: unknown transport `pigeon`",
        "`technician[0].email`: `bob` is not an e-mail address",
    ];
    for w in want {
        assert!(p.iter().any(|x| x.starts_with(w)), "missing {w} in {p:#?}");
    }
    assert_eq!(p.len(), want.len(), "{p:#?}");
}

#[test]
fn wrong_types_name_the_key_and_the_type_found() {
    let p = problems(&format!("{GOOD}\n[tickets]\nreopen_days = \"ten\"\n"));
    assert_eq!(p, vec!["`tickets.reopen_days`: expected an integer, found string"]);
}

#[test]
fn a_syntax_error_names_the_line() {
    let p = problems("[database]\nurl = \n");
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("`line 2`"), "{p:?}");
}

#[test]
fn smtp_needs_a_host() {
    let p = problems(&format!("{GOOD}\n[outgoing]\ntransport = \"smtp\"\n"));
    assert_eq!(p, vec!["`outgoing.host`: missing (required)"]);
}

#[test]
fn the_desk_time_zone_is_its_own_else_the_first_calendars_else_utc() {
    let zone = |extra: &str| validate(&format!("{GOOD}\n{extra}"), Path::new("/etc")).unwrap().tickets.time_zone;
    let calendars = "[[calendar]]\nname = \"bureaux\"\ntime_zone = \"America/Montreal\"\n";
    assert_eq!(zone(""), chrono_tz::Tz::UTC);
    assert_eq!(zone(calendars), chrono_tz::Tz::America__Montreal);
    assert_eq!(zone(&format!("[tickets]\ntime_zone = \"Europe/Paris\"\n{calendars}")), chrono_tz::Tz::Europe__Paris);
    let p = problems(&format!("{GOOD}\n[tickets]\ntime_zone = \"Mars/Olympus\"\n"));
    assert_eq!(p, vec!["`tickets.time_zone`: `Mars/Olympus` is not a time zone (like Europe/Paris)"]);
}

#[test]
fn from_name_is_one_name_or_one_per_language() {
    let out = |extra: &str| validate(&format!("{GOOD}\n{extra}"), Path::new("/etc")).unwrap().outgoing;
    let one = out("[outgoing]\nfrom_name = \"Support\"\n");
    assert_eq!((one.from_name_in(Lang::Fr), one.from_name_in(Lang::En)), ("Support", "Support"));
    let two = out("[tickets]\nlanguage = \"en\"\n[outgoing]\nfrom_name = { fr = \"Support informatique\", en = \"IT Support\" }\n");
    assert_eq!((two.from_name_in(Lang::Fr), two.from_name_in(Lang::En)), ("Support informatique", "IT Support"));
    assert_eq!(two.from_name, "IT Support", "the default is the desk language's");
    let only_fr = out("[outgoing]\nfrom_name = { fr = \"Support informatique\" }\n");
    assert_eq!(only_fr.from_name_in(Lang::En), "Support informatique");
    let p = problems(&format!("{GOOD}\n[outgoing]\nfrom_name = {{ ca = \"Suport\", en = \"\" }}\n"));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].starts_with("`outgoing.from_name.ca`"), "{p:?}");
    assert_eq!(p[1], "`outgoing.from_name.en`: must not be empty");
    let p = problems(&format!("{GOOD}\n[outgoing]\nfrom_name = 3\n"));
    assert!(p[0].starts_with("`outgoing.from_name`: expected a name"), "{p:?}");
}

#[test]
fn the_desk_answers_in_all_six_languages_unless_told_otherwise() {
    let tickets = |extra: &str| validate(&format!("{GOOD}\n{extra}"), Path::new("/etc")).unwrap().tickets;
    let all = tickets("");
    assert_eq!(all.languages, Lang::ALL);
    assert_eq!(all.language, Lang::Fr);
    let two = tickets("[tickets]\nlanguages = [\"en\", \"de\"]\n");
    assert_eq!((two.languages.as_slice(), two.language), ([Lang::En, Lang::De].as_slice(), Lang::En));
    let chosen = tickets("[tickets]\nlanguages = [\"fr\", \"en\"]\nlanguage = \"en\"\n");
    assert_eq!(chosen.answer_in([Some(Lang::De), None, Some(Lang::Fr)]), Lang::Fr, "the next listed choice");
    assert_eq!(chosen.answer_in([Some(Lang::De), Some(Lang::It)]), Lang::En, "else tickets.language");
    assert_eq!(all.answer_in([None, Some(Lang::Nl)]), Lang::Nl);
}

#[test]
fn languages_outside_the_list_are_refused_with_their_key() {
    let p = problems(&format!("{GOOD}\n[tickets]\nlanguages = [\"xx\", \"fr\", \"fr\"]\n"));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].starts_with("`tickets.languages[0]`: unknown language `xx`"), "{p:?}");
    assert_eq!(p[1], "`tickets.languages[2]`: `fr` is listed twice");
    let p = problems(&format!("{GOOD}\n[tickets]\nlanguages = [\"fr\", \"en\"]\nlanguage = \"de\"\n"));
    assert_eq!(p, vec!["`tickets.language`: `de` is not one of `tickets.languages` (fr, en)"]);
    let p = problems(&format!("{GOOD}\n[tickets]\nlanguages = []\n"));
    assert_eq!(p, vec!["`tickets.languages`: must name at least one language"]);
    let p = problems(&format!(
        "{GOOD}\n[tickets]\nlanguages = [\"fr\", \"en\"]\n[[technician]]\nemail = \"a@example.test\"\nlanguage = \"it\"\n"
    ));
    assert_eq!(p, vec!["`technician[0].language`: `it` is not one of `tickets.languages` (fr, en)"]);
}
