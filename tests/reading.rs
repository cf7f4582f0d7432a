//! What people read: mail written in HTML alone keeps its lines, rules see
//! the language a mail is written in, and a technician reads every refusal
//! in their own language.

mod common;

use common::*;

/// An HTML-only mail, as webmails and Outlook send when plain text is off.
fn html_mail(from: &str, subject: &str, id: &str, html: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 16 Nov 2026 09:00:00 +0100\r\n\
MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p {{ margin: 0 }}</style></head>\
<body>{html}</body></html>\r\n"
    )
    .into_bytes()
}

const VPN_HTML: &str = "<div>Hello,</div><div><br></div><div>The VPN drops every hour.</div><div>Thanks,<br>Erin</div>";

#[test]
fn an_html_only_mail_keeps_its_lines_in_the_article() {
    let desk = Desk::new();
    let out = desk.ingest(&html_mail("erin@example.test", "VPN", "html-1@example.test", VPN_HTML));
    assert_eq!(out["outcome"], "ticket");
    let article = &desk.ticket(1)["articles"][0];
    let want = "Hello,\n\nThe VPN drops every hour.\nThanks,\nErin";
    assert_eq!(article["text"].as_str().unwrap().trim(), want, "{article}");
    assert_eq!(article["trimmed_text"].as_str().unwrap().trim(), want, "{article}");
}

#[test]
fn the_technicians_notice_of_an_html_only_mail_shows_its_lines_apart() {
    let desk = Desk::new();
    desk.ingest(&html_mail("erin@example.test", "VPN", "html-2@example.test", VPN_HTML));
    let notices: Vec<_> = desk.queued("new_article").into_iter().chain(desk.queued("assigned")).collect();
    assert!(!notices.is_empty());
    for notice in notices {
        let text = body(&notice);
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for line in ["Hello,", "The VPN drops every hour.", "Thanks,", "Erin"] {
            assert!(lines.contains(&line), "`{line}` is not a line of its own in:\n{text}");
        }
        assert!(!text.contains("Thanks,Erin") && !text.contains("Hello,The"), "{text}");
    }
}

#[test]
fn a_gmail_html_reply_is_trimmed_of_its_quoted_history() {
    let desk = Desk::new();
    desk.ingest(&mail("erin@example.test", "VPN", "vpn-1@example.test", "", "Hello, the VPN drops every hour."));
    let reply = "<div dir=\"ltr\">It dropped again at <b>10:00</b>.<div><br></div><div>Erin</div></div><br>\
<div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Mon, Nov 16, 2026 at 9:00 AM Support &lt;\
<a href=\"mailto:support@example.test\">support@example.test</a>&gt; wrote:<br></div>\
<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex\"><div>Could you tell us when it drops?</div>\
</blockquote></div>";
    desk.ingest(&html_mail("erin@example.test", "Re: [Guichet #1] VPN", "vpn-2@example.test", reply));
    let article = &desk.ticket(1)["articles"][1];
    assert_eq!(article["trimmed_text"].as_str().unwrap().trim(), "It dropped again at 10:00.\n\nErin", "{article}");
    assert!(article["text"].as_str().unwrap().contains("> Could you tell us when it drops?"), "{article}");
}

#[test]
fn an_outlook_html_reply_is_trimmed_of_its_quoted_history() {
    let desk = Desk::new();
    desk.ingest(&mail("erin@example.test", "VPN", "vpn-3@example.test", "", "Hello, the VPN drops every hour."));
    let reply = "<div class=\"WordSection1\"><p class=\"MsoNormal\">Still dropping.<o:p></o:p></p>\
<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p><p class=\"MsoNormal\">Erin<o:p></o:p></p></div>\
<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\">\
<font face=\"Calibri, sans-serif\" style=\"font-size:11pt\" color=\"#000000\"><b>From:</b> Support \
&lt;support@example.test&gt;<br><b>Sent:</b> Monday, November 16, 2026 9:00 AM<br><b>To:</b> Erin \
&lt;erin@example.test&gt;<br><b>Subject:</b> [Guichet #1] VPN</font><div>&nbsp;</div></div>\
<div><p>Could you tell us when it drops?</p></div>";
    desk.ingest(&html_mail("erin@example.test", "RE: [Guichet #1] VPN", "vpn-4@example.test", reply));
    let article = &desk.ticket(1)["articles"][1];
    assert_eq!(article["trimmed_text"].as_str().unwrap().trim(), "Still dropping.\n\nErin", "{article}");
}

#[test]
fn scripts_and_styles_of_an_html_only_mail_never_reach_its_text() {
    let desk = Desk::new();
    let html = "<script>alert('x')</script><p>Bonjour&nbsp;&amp; merci</p><style>.a{color:red}</style>\
<ul><li>un</li><li>deux</li></ul><ol><li>premier</li><li>second</li></ol>\
<table><tr><td>Poste</td><td>PC-042</td></tr><tr><td>Salle</td><td>B12</td></tr></table>";
    desk.ingest(&html_mail("erin@example.test", "Poste", "html-3@example.test", html));
    let text = desk.ticket(1)["articles"][0]["text"].as_str().unwrap().to_string();
    assert!(!text.contains("alert") && !text.contains("color"), "{text}");
    for line in ["Bonjour\u{a0}& merci", "- un", "- deux", "1. premier", "2. second", "Poste | PC-042", "Salle | B12"] {
        assert!(text.lines().any(|l| l.trim() == line), "`{line}` is not a line of its own in:\n{text}");
    }
}

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

/// A technician's answer on ticket `n`.
fn tech_mail(from: &str, n: i64, id: &str, body: &str) -> Vec<u8> {
    mail(from, &format!("RE: [Guichet #{n}] Imprimante"), id, "", body)
}

fn refusal_text(desk: &Desk) -> String {
    let rows = desk.queued("command_error");
    assert_eq!(rows.len(), 1, "{rows:?}");
    body(&rows[0])
}

#[test]
fn a_french_technician_reads_why_a_status_was_refused_in_french() {
    let desk = Desk::new();
    desk.ingest(&mail("alice@example.test", "Imprimante", "p-1@example.test", "", "Bonjour, elle ne marche plus."));
    desk.ingest(&tech_mail(MARC, 1, "m-1@example.test", "#status attente\nJe regarde."));
    let text = refusal_text(&desk);
    assert!(text.contains("statut inconnu\u{a0}: «\u{a0}attente\u{a0}»"), "{text}");
    assert!(text.contains("pending «\u{a0}en attente\u{a0}»"), "{text}");
    for english in ["unknown", "expected", "one of"] {
        assert!(!text.contains(english), "`{english}` in:\n{text}");
    }
    // The history, read by everyone, keeps the English words.
    let t = desk.ticket(1);
    let refused: Vec<_> = t["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "command_refused").collect();
    assert_eq!(refused.len(), 1, "{t}");
    assert!(refused[0]["new"].as_str().unwrap().starts_with("unknown status `attente`"), "{}", refused[0]);
}

#[test]
fn an_english_technician_reads_why_a_status_was_refused_in_english() {
    let desk = Desk::new();
    desk.ingest(&mail("alice@example.test", "Printer", "p-2@example.test", "", "Hello, it does not work."));
    desk.ingest(&tech_mail(SARAH, 1, "s-1@example.test", "#status attente\nLooking."));
    let text = refusal_text(&desk);
    assert!(text.contains("unknown status `attente` (expected one of: new, assigned"), "{text}");
    assert!(!text.contains("statut"), "{text}");
}

#[test]
fn a_french_technician_reads_an_illegal_move_in_french() {
    let desk = Desk::new();
    desk.ingest(&mail("alice@example.test", "Imprimante", "p-3@example.test", "", "Bonjour, elle ne marche plus."));
    desk.ingest(&tech_mail(MARC, 1, "m-2@example.test", "#resolve\nC'est réparé."));
    desk.ingest(&tech_mail(MARC, 1, "m-3@example.test", "#status pending\n#assign bob@example.test\nNote"));
    let rows = desk.queued("command_error");
    // Read as one line: the text is wrapped at 72 columns.
    let all: String = rows.iter().map(|r| body(r).replace('\n', " ")).collect();
    assert!(all.contains("de «\u{a0}fermé résolu\u{a0}» à «\u{a0}en attente\u{a0}»"), "{all}");
    assert!(all.contains("«\u{a0}bob@example.test\u{a0}» n'est pas un technicien"), "{all}");
    assert!(!all.contains("cannot go") && !all.contains("is not a technician"), "{all}");
}

/// Replies as real clients write them, in the languages and forms the
/// trimmer once missed: each requester's answer on their ticket keeps
/// their words and loses the history.
#[test]
fn replies_in_other_languages_and_forms_keep_the_answer_and_lose_the_history() {
    let desk = Desk::new();
    let replies = [
        (
            "Ja, skriveren virker igjen.\n\nDen 15. jun. 2016 kl. 20.42 skrev Support <support@example.test>:\n> Har du prøvd å starte den på nytt?\n",
            "Ja, skriveren virker igjen.",
            "prøvd",
        ),
        (
            "Der Drucker geht wieder, danke.\n\nAm 30.11.2026 um 10:05 schrieb Support <support@example.test>:\n> Bitte starten Sie ihn neu.\n",
            "Der Drucker geht wieder, danke.",
            "Bitte starten",
        ),
        (
            "C'est réparé, merci !\n\nEnvoyé de mon iPhone\n",
            "C'est réparé, merci !",
            "iPhone",
        ),
        (
            "> Quel est le numéro de série ?\nSN-4411\n> Et le modèle ?\nLaserJet 400\n",
            "SN-4411\nLaserJet 400",
            "numéro de série",
        ),
        (
            "Voici le message du fournisseur.\n\n---------- Forwarded message ---------\nFrom: Fournisseur <vente@example.test>\nDate: Mon, Nov 30, 2026 at 9:12 AM\nSubject: Livraison\nTo: alice.martin@example.test\n\nLivraison jeudi.\n",
            "Voici le message du fournisseur.",
            "Livraison jeudi",
        ),
    ];
    let n = as_i64(
        &desk.ingest(&mail("alice.martin@example.test", "Imprimante", "tr0@example.test", "", "Bonjour"))["ticket"],
    );
    for (i, (text, kept, dropped)) in replies.iter().enumerate() {
        let subject = format!("Re: [Guichet #{n}] Imprimante");
        desk.ingest(&mail("alice.martin@example.test", &subject, &format!("tr{}@example.test", i + 1), "", text));
        let t = desk.ticket(n);
        let last = t["articles"].as_array().unwrap().last().unwrap()["trimmed_text"].as_str().unwrap().to_string();
        for line in kept.lines() {
            assert!(last.contains(line), "reply {i}: `{line}` lost:\n{last}");
        }
        assert!(!last.contains(dropped), "reply {i}: `{dropped}` kept:\n{last}");
    }
}
