//! What people read: mail written in HTML alone keeps its lines, rules see
//! the language a mail is written in, and a technician reads every refusal
//! in their own language.

mod common;

use common::*;

/// A desk whose one rule sends English mail to the network group.
fn english_rule_desk() -> Desk {
    Desk::with("[[rule]]\nname = \"English\"\n[rule.when]\nlanguage = \"en\"\n[rule.then]\ngroup = \"reseau\"\n")
}

#[test]
fn an_english_mail_without_content_language_matches_an_english_rule() {
    let desk = english_rule_desk();
    let body = "Hello, the printer on the second floor is not working since this morning. Can you help? Thanks";
    desk.ingest(&mail("erin@example.test", "Printer", "en-1@example.test", "", body));
    assert_eq!(desk.ticket(1)["group"], "reseau");
}

#[test]
fn a_french_mail_does_not_match_an_english_rule() {
    let desk = english_rule_desk();
    let body = "Bonjour, l'imprimante du deuxième étage ne marche plus depuis ce matin. Merci";
    desk.ingest(&mail("erin@example.test", "Imprimante", "fr-1@example.test", "", body));
    assert!(desk.ticket(1)["group"].is_null(), "{}", desk.ticket(1));
}

#[test]
fn rules_test_shows_the_language_a_rule_sees() {
    let desk = english_rule_desk();
    let body = "Hello, the printer on the second floor is not working since this morning. Can you help? Thanks";
    let file = desk.path("en.eml");
    std::fs::write(&file, mail("erin@example.test", "Printer", "en-2@example.test", "", body)).unwrap();
    let out = desk.ok(&["rules", "test", file.to_str().unwrap()]);
    assert!(out.contains("matched"), "{out}");
    assert!(out.contains("language   en (guessed from its words)"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&desk.ok(&["rules", "test", "--json", file.to_str().unwrap()])).unwrap();
    assert_eq!(json["ticket"]["group"], "reseau");
    assert_eq!(json["ticket"]["language"], "en");
}
