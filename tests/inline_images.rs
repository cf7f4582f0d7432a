//! Pasted screenshots: kept with the article where the HTML showed them,
//! and sent on to technicians and requesters as images in place
//! (multipart/related), never as loose attachments.

mod common;

use common::*;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde_json::Value;

/// The MIME tree of a mail, one token per part: `multipart/x[…]`, or the
/// type with `+cid` for a Content-ID and `+inline` / `+attachment` for its
/// disposition.
fn tree(raw: &[u8]) -> String {
    let msg = MessageParser::default().parse(raw).expect("a mail");
    fn part(msg: &mail_parser::Message<'_>, i: usize) -> String {
        let p = &msg.parts[i];
        let ct = p.content_type().map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))).unwrap_or_default();
        match &p.body {
            PartType::Multipart(children) => {
                let inner: Vec<String> = children.iter().map(|&c| part(msg, c as usize)).collect();
                format!("{ct}[{}]", inner.join(", "))
            }
            _ => {
                let mut s = ct;
                if p.content_id().is_some() {
                    s.push_str("+cid");
                }
                match p.content_disposition() {
                    Some(d) if d.is_inline() => s.push_str("+inline"),
                    Some(d) if d.is_attachment() => s.push_str("+attachment"),
                    _ => {}
                }
                s
            }
        }
    }
    part(&msg, 0)
}

/// The outbox row's raw bytes.
fn raw(row: &Value) -> Vec<u8> {
    row["content"].as_str().expect("content").as_bytes().to_vec()
}

/// Each image part of the mail: its Content-ID (without `<>`) and bytes.
fn images(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let msg = MessageParser::default().parse(raw).expect("a mail");
    msg.parts
        .iter()
        .filter(|p| p.content_type().is_some_and(|c| c.ctype() == "image"))
        .map(|p| {
            let id = p.content_id().unwrap_or_default().trim_matches(['<', '>']).to_string();
            (id, p.contents().to_vec())
        })
        .collect()
}

fn html_of(raw: &[u8]) -> String {
    MessageParser::default().parse(raw).expect("a mail").body_html(0).expect("an HTML part").into_owned()
}

const RELATED: &str = "multipart/alternative[text/plain, multipart/related[text/html";

#[test]
fn screenshots_pasted_in_outlook_reach_the_technician_in_place() {
    pasted_images_reach_the_technician("outlook.eml", &[("image001.png", "red.png"), ("image002.png", "green.png")]);
}

#[test]
fn a_screenshot_pasted_in_gmail_reaches_the_technician_in_place() {
    pasted_images_reach_the_technician("gmail.eml", &[("image.png", "blue.png")]);
}

#[test]
fn a_screenshot_pasted_in_apple_mail_reaches_the_technician_in_place() {
    pasted_images_reach_the_technician("apple_mail.eml", &[("Screenshot 2026-12-04 at 14.04.51.png", "red.png")]);
}

/// `file` (a fixture) opens a ticket; the images it shows, by file name and
/// fixture with their bytes, are kept and reach the technicians in place.
fn pasted_images_reach_the_technician(file: &str, shown: &[(&str, &str)]) {
    let desk = Desk::new();
    let out = desk.ingest(&fixture(&format!("mail/inline/{file}")));
    let ticket = desk.ticket(as_i64(&out["ticket"]));

    // The article keeps each image, tied to the stored HTML by its Content-ID.
    let article = &ticket["articles"][0];
    let stored_html = article["html"].as_str().expect("html kept");
    let files = article["attachments"].as_array().expect("attachments");
    assert_eq!(files.len(), shown.len(), "{file}: {files:?}");
    for f in files {
        let cid = f["content_id"].as_str().unwrap_or_else(|| panic!("{file}: no Content-ID in {f}"));
        assert_eq!(f["inline"], true, "{file}");
        assert!(stored_html.contains(&format!("src=\"cid:{cid}\"")), "{file}: {cid} not in {stored_html}");
    }

    // The technician's notice shows them in place.
    let notice = raw(&desk.queued("new_article")[0]);
    let want = format!("{RELATED}{}]]", ", image/png+cid+inline".repeat(shown.len()));
    assert_eq!(tree(&notice), want, "{file}");
    let html = html_of(&notice);
    let sent = images(&notice);
    for ((name, png), (cid, bytes)) in shown.iter().zip(&sent) {
        assert_eq!(bytes, &fixture(&format!("mail/inline/{png}")), "{file}: {name}");
        assert!(html.contains(&format!("<img src=\"cid:{cid}\"")), "{file}: {cid} not shown in {html}");
    }
    let text = body(&desk.queued("new_article")[0]);
    for (name, _) in shown {
        assert!(text.contains(&format!("[image: {name}]")), "{file}: {text}");
    }
    assert!(!text.contains("[cid:"), "{file}: {text}");
}

#[test]
fn a_technician_answer_with_a_pasted_image_reaches_the_requester_in_place_beside_its_attachment() {
    let desk = Desk::new();
    desk.ingest(&mail("alice@example.test", "Imprimante", "a1@example.test", "", "Elle ne marche plus."));
    let png = fixture("mail/inline/blue.png");
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&png)
    };
    // Gmail, with a PDF attached as well.
    let answer = format!(
        "From: Marc Dupont <{MARC}>\r\nTo: {SUPPORT}\r\nSubject: RE: [Guichet #1] Imprimante\r\nMessage-ID: <CAKt1@mail.gmail.com>\r\nIn-Reply-To: <a1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
--m\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n\
--r\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n\
--a\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\nCliquez ici :\r\n[image: image.png]\r\nPuis suivez la proc\u{e9}dure.\r\n\
--a\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n<div dir=\"ltr\">Cliquez ici :<div><img src=\"cid:ii_tech1\" alt=\"image.png\"><br></div><div>Puis suivez la proc\u{e9}dure.</div></div>\r\n\
--a--\r\n\
--r\r\nContent-Type: image/png; name=\"image.png\"\r\nContent-Disposition: inline; filename=\"image.png\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <ii_tech1>\r\nX-Attachment-Id: ii_tech1\r\n\r\n{b64}\r\n\
--r--\r\n\
--m\r\nContent-Type: application/pdf; name=\"procedure.pdf\"\r\nContent-Disposition: attachment; filename=\"procedure.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gUERG\r\n\
--m--\r\n"
    );
    desk.ingest(answer.as_bytes());
    let row = &desk.queued("reply")[0];
    let reply = raw(row);
    assert_eq!(
        tree(&reply),
        format!("multipart/mixed[{RELATED}, image/png+cid+inline]], application/pdf+attachment]"),
        "the image in place, the PDF attached"
    );
    let sent = images(&reply);
    assert_eq!(sent.len(), 1, "the image is not also a loose attachment");
    assert_eq!(sent[0].1, png);
    assert!(html_of(&reply).contains(&format!("<img src=\"cid:{}\"", sent[0].0)));
    let text = body(row);
    assert!(text.contains("Cliquez ici :\n[image: image.png]\nPuis suivez"), "{text}");
    assert!(!sent[0].0.contains("ii_tech1"), "our own Content-ID, not the technician's");
}

#[test]
fn an_image_reference_that_points_nowhere_is_dropped_without_error() {
    let desk = Desk::new();
    let out = desk.ingest(&fixture("mail/inline/outlook_missing_image.eml"));
    let ticket = desk.ticket(as_i64(&out["ticket"]));
    let html = ticket["articles"][0]["html"].as_str().unwrap();
    assert!(!html.contains("cid:") && !html.contains("<img"), "{html}");
    assert!(!ticket["articles"][0]["text"].as_str().unwrap().contains("[cid:"));
    let notice = raw(&desk.queued("new_article")[0]);
    assert!(images(&notice).is_empty());
    assert_eq!(tree(&notice), "multipart/alternative[text/plain, text/html]");
    assert!(body(&desk.queued("new_article")[0]).contains("Voir ci-dessous."));
}

#[test]
fn a_pasted_image_left_in_the_quoted_history_is_not_sent_on() {
    let desk = Desk::new();
    desk.ingest(&mail("alice@example.test", "Imprimante", "a1@example.test", "", "Elle ne marche plus."));
    // Outlook's answer quoting a mail whose image came back with it.
    let png = fixture("mail/inline/red.png");
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&png)
    };
    let answer = format!(
        "From: Marc Dupont <{MARC}>\r\nTo: {SUPPORT}\r\nSubject: RE: [Guichet #1] Imprimante\r\nMessage-ID: <AM0PR1@example.test>\r\nIn-Reply-To: <a1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n\
--a\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\nC'est r\u{e9}par\u{e9}.\r\n\r\n-----Original Message-----\r\nFrom: Alice <alice@example.test>\r\nSent: Friday, December 4, 2026 9:00 AM\r\nTo: Support <{SUPPORT}>\r\nSubject: Imprimante\r\n\r\n[cid:image001.png@01DB]\r\n\
--a\r\nContent-Type: multipart/related; boundary=\"r\"; type=\"text/html\"\r\n\r\n\
--r\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n<p>C'est r\u{e9}par\u{e9}.</p><hr><p><b>From:</b> Alice</p><p><img src=\"cid:image001.png@01DB\"></p>\r\n\
--r\r\nContent-Type: image/png; name=\"image001.png\"\r\nContent-Disposition: inline; filename=\"image001.png\"\r\nContent-ID: <image001.png@01DB>\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n\
--r--\r\n\
--a--\r\n"
    );
    desk.ingest(answer.as_bytes());
    let reply = raw(&desk.queued("reply")[0]);
    assert!(images(&reply).is_empty(), "{}", tree(&reply));
    assert_eq!(tree(&reply), "multipart/alternative[text/plain, text/html]");
}
