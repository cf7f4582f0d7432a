use super::*;

#[test]
fn scripts_and_event_handlers_never_survive_sanitising() {
    let html = r#"<p onclick="x()">Hi<script>alert(1)</script><img src="a.png" onerror="y()"><a href="javascript:z()">l</a></p>"#;
    let clean = sanitize_html(html);
    for bad in ["<script", "onclick", "onerror", "javascript:", "alert("] {
        assert!(!clean.contains(bad), "{bad} in {clean}");
    }
    assert!(clean.contains("Hi"));
}

#[test]
fn a_subject_with_encoded_line_breaks_stays_on_one_line() {
    let raw = b"From: a@example.test\r\nSubject: =?UTF-8?Q?Hello=0D=0ABcc:_evil@example.test?=\r\n\r\nbody\r\n";
    let mail = InboundMail::parse(raw).unwrap();
    assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'), "{:?}", mail.subject);
    assert!(mail.subject.starts_with("Hello"));
}

#[test]
fn a_mail_without_sender_address_has_an_empty_sender() {
    let raw = b"From: MAILER-DAEMON\r\nSubject: failure\r\n\r\nbody\r\n";
    let mail = InboundMail::parse(raw).unwrap();
    assert_eq!(mail.from.email, "");
    assert_eq!(mail.from.name, "MAILER-DAEMON");
}

#[test]
fn references_are_newest_first_without_duplicates() {
    let raw = b"From: a@example.test\r\nIn-Reply-To: <c@x>\r\nReferences: <a@x> <b@x> <c@x>\r\n\r\nb\r\n";
    let mail = InboundMail::parse(raw).unwrap();
    assert_eq!(mail.references, vec!["c@x", "b@x", "a@x"]);
}

#[test]
fn the_language_comes_from_content_language_then_accept_language() {
    let both = b"From: a@example.test\r\nContent-Language: en-GB\r\nAccept-Language: fr-FR, en-US\r\n\r\nx\r\n";
    assert_eq!(InboundMail::parse(both).unwrap().language, Some(Lang::En));
    let accept = b"From: a@example.test\r\nAccept-Language: pt-BR, fr-FR\r\n\r\nx\r\n";
    assert_eq!(InboundMail::parse(accept).unwrap().language, Some(Lang::Fr));
    let german = b"From: a@example.test\r\nContent-Language: de-DE\r\n\r\nx\r\n";
    assert_eq!(InboundMail::parse(german).unwrap().language, Some(Lang::De));
    let none = b"From: a@example.test\r\n\r\nx\r\n";
    assert_eq!(InboundMail::parse(none).unwrap().language, None);
}

#[test]
fn the_body_hash_ignores_line_endings() {
    let lf = InboundMail::parse(b"From: a@example.test\nReceived: x\n\nline one\nline two\n").unwrap();
    let crlf = InboundMail::parse(b"From: a@example.test\r\n\r\nline one\r\nline two\r\n").unwrap();
    let cr = InboundMail::parse(b"From: a@example.test\r\rline one\rline two\r").unwrap();
    assert_eq!(lf.body_sha256, crlf.body_sha256);
    assert_eq!(lf.body_sha256, cr.body_sha256);
    let other = InboundMail::parse(b"From: a@example.test\n\nline one\nline 2\n").unwrap();
    assert_ne!(lf.body_sha256, other.body_sha256);
}

#[test]
fn latin1_subject_and_body_are_decoded() {
    let mut raw = b"From: =?ISO-8859-1?Q?Ren=E9e?= <renee@example.test>\r\nSubject: =?ISO-8859-1?Q?Probl=E8me_d'acc=E8s?=\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    raw.extend_from_slice(b"J'ai un probl\xe8me \xe0 l'acc\xe8s.\r\n");
    let mail = InboundMail::parse(&raw).unwrap();
    assert_eq!(mail.subject, "Problème d'accès");
    assert_eq!(mail.from.name, "Renée");
    assert!(mail.text.contains("J'ai un problème à l'accès."), "{}", mail.text);
}

#[test]
fn a_from_with_an_unbalanced_quote_still_names_its_sender() {
    let mail = InboundMail::parse(b"From: \"Bob Martin <bob@example.test>\r\nSubject: x\r\n\r\nb\r\n").unwrap();
    assert_eq!(mail.from.email, "bob@example.test");
    assert_eq!(mail.from.name, "Bob Martin");
    let words = InboundMail::parse(b"From: =?UTF-8?Q?=22Ren=C3=A9e?= renee@example.test\r\n\r\nb\r\n").unwrap();
    assert_eq!(words.from.email, "renee@example.test");
    assert_eq!(words.from.name, "Renée");
}

#[test]
fn an_address_written_wrong_is_kept_as_written() {
    for (from, email) in [
        ("Test test@example.test", "test test@example.test"),
        ("Bob <bob@example.test.>", "bob@example.test."),
        ("bob@example.test.", "bob@example.test."),
    ] {
        let raw = format!("From: {from}\r\nSubject: x\r\n\r\nb\r\n");
        assert_eq!(InboundMail::parse(raw.as_bytes()).unwrap().from.email, email, "{from}");
    }
    for nobody in ["Jean <jean at example.test>", "MAILER-DAEMON", "<>"] {
        let raw = format!("From: {nobody}\r\nSubject: x\r\n\r\nb\r\n");
        assert_eq!(InboundMail::parse(raw.as_bytes()).unwrap().from.email, "", "{nobody}");
    }
}

fn inline_fixture(name: &str) -> InboundMail {
    let path = format!("{}/tests/fixtures/mail/inline/{name}", env!("CARGO_MANIFEST_DIR"));
    InboundMail::parse(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn pasted_images_are_tied_to_their_parts_in_html_and_text() {
    for (fixture, names) in [
        ("outlook.eml", vec!["image001.png", "image002.png"]),
        ("gmail.eml", vec!["image.png"]),
        ("apple_mail.eml", vec!["Screenshot 2026-12-04 at 14.04.51.png"]),
    ] {
        let mail = inline_fixture(fixture);
        let html = mail.html.clone().unwrap();
        let shown: Vec<&Attachment> = mail.attachments.iter().filter(|a| a.in_html).collect();
        assert_eq!(shown.iter().map(|a| a.filename.as_str()).collect::<Vec<_>>(), names, "{fixture}");
        for a in shown {
            assert!(a.inline && a.content_type == "image/png", "{fixture}: {a:?}");
            let cid = a.content_id.as_deref().unwrap();
            assert!(html.contains(&format!("src=\"cid:{cid}\"")), "{fixture}: {cid} not in {html}");
            assert!(mail.text.contains(&inline::marker(&a.filename)), "{fixture}: {}", mail.text);
        }
        assert!(!mail.text.contains("[cid:"), "{fixture}: {}", mail.text);
    }
    let outlook = inline_fixture("outlook.eml");
    let first = outlook.text.find("[image: image001.png]").unwrap();
    assert!(outlook.text[..first].contains("ce message appara\u{ee}t"), "{}", outlook.text);
    let apple = inline_fixture("apple_mail.eml");
    assert!(apple.text.contains("ceci :\n\n[image: Screenshot"), "{}", apple.text);
}

#[test]
fn an_image_reference_to_no_part_is_dropped() {
    let mail = inline_fixture("outlook_missing_image.eml");
    let html = mail.html.unwrap();
    assert!(!html.contains("cid:") && !html.contains("<img"), "{html}");
    assert!(html.contains("Voir ci-dessous."));
    assert!(mail.attachments.is_empty());
    assert!(!mail.text.contains("[cid:"), "{}", mail.text);
}
