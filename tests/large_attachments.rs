//! Files over `[limits] max_relay_attachment_bytes` stay on the ticket and
//! are not sent on by mail: the mail carries a signed, expiring download
//! link (`[http]`), or says the file is on the ticket.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::web::{free_port, request, serve};
use common::*;

/// Bytes no compressor or encoder would treat specially.
fn content(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A requester's mail with `files` attached (name, bytes).
fn with_files(from: &str, subject: &str, id: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    use base64::Engine;
    let mut raw = format!(
        "From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoici les fichiers.\r\n"
    )
    .into_bytes();
    for (name, bytes) in files {
        raw.extend_from_slice(format!("--b\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n").as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        for line in b64.as_bytes().chunks(76) {
            raw.extend_from_slice(line);
            raw.extend_from_slice(b"\r\n");
        }
    }
    raw.extend_from_slice(b"--b--\r\n");
    raw
}

/// The status, headers and body bytes of a GET.
fn get(port: u16, path: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..end]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, out[end + 4..].to_vec())
}

#[test]
fn a_file_over_the_limit_stays_on_the_ticket_and_the_technician_gets_a_link_that_downloads_it() {
    let port = free_port();
    let mut desk = Desk::with(&format!("\n[http]\nlisten = \"127.0.0.1:{port}\"\n"));
    desk.now = Some("2026-12-04T09:00:00Z".into());
    let big = content(12_000_000);
    let small = content(2_000);
    let out = desk.ingest(&with_files(
        "alice@example.test",
        "Export comptable",
        "big@example.test",
        &[("export.zip", &big), ("notes.txt", &small)],
    ));
    let ticket = desk.ticket(as_i64(&out["ticket"]));
    let files = ticket["articles"][0]["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "both files are kept");
    assert_eq!(files[0]["size"], 12_000_000);

    let row = &desk.queued("new_article")[0];
    let notice = parsed(row);
    let sent: Vec<&str> = notice.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(sent, ["notes.txt"], "the small file is attached, the large one is not");
    assert!(row["content"].as_str().unwrap().len() < 1_000_000);
    let prefix = format!("http://127.0.0.1:{port}/files/");
    let line = notice.text.lines().find(|l| l.contains(&prefix)).unwrap_or_else(|| panic!("{}", notice.text));
    assert!(line.starts_with("- export.zip (12.0 MB) : "), "{line}");
    assert!(line.contains("lien valable jusqu'au"), "{line}");
    let url = line.split_whitespace().find(|w| w.starts_with(&prefix)).unwrap();
    let path = &url[prefix.len() - "/files/".len()..];
    assert!(notice.html.as_deref().unwrap().contains(&format!("<a href=\"{url}\"")));

    let server = serve(&desk, port);
    let (status, head, body) = get(port, path);
    assert_eq!(status, 200, "{head}");
    assert!(body == big, "the link downloads the exact bytes");
    assert!(head.to_ascii_lowercase().contains("content-disposition: attachment; filename=\"export.zip\""), "{head}");

    // One character of the signature changed.
    let mut forged = path.to_string();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let (status, page) = request(port, "GET", &forged, None);
    assert_eq!(status, 403);
    assert!(page.contains("Lien non valable") && page.contains("modifié"), "{page}");
    drop(server);

    // Thirty days and one later the link has expired.
    desk.now = Some("2027-01-04T10:00:00Z".into());
    let _server = serve(&desk, port);
    let (status, page) = request(port, "GET", path, None);
    assert_eq!(status, 410);
    assert!(page.contains("Lien expiré") && page.contains("conservé avec la demande"), "{page}");
}

#[test]
fn without_http_the_mail_says_the_file_is_on_the_ticket() {
    let desk = Desk::with("\n[limits]\nmax_relay_attachment_bytes = 1000\n");
    let out = desk.ingest(&with_files(
        "alice@example.test",
        "Journal",
        "log@example.test",
        &[("trace.log", &content(1_500)), ("petit.txt", &content(900))],
    ));
    let n = as_i64(&out["ticket"]);
    assert_eq!(desk.ticket(n)["articles"][0]["attachments"].as_array().unwrap().len(), 2);
    let notice = parsed(&desk.queued("new_article")[0]);
    assert_eq!(notice.attachments.iter().map(|a| a.filename.as_str()).collect::<Vec<_>>(), ["petit.txt"]);
    assert!(
        notice.text.contains(&format!("- trace.log (0.0 MB) : conservé avec la demande [Guichet #{n}]")),
        "{}",
        notice.text
    );
    assert!(!notice.text.contains("http"), "{}", notice.text);
}

#[test]
fn a_wrong_relay_limit_names_its_key() {
    let desk = Desk::with("\n[limits]\nmax_relay_attachment_bytes = \"10 MB\"\n");
    let out = desk.run(&["check"]);
    assert!(!out.status.success());
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("limits.max_relay_attachment_bytes"), "{all}");
}
