//! `guichet serve` in the background and plain HTTP/1.1 requests to it,
//! for the tests of the web side.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::Desk;

/// A password hash for `[http] users`, as `guichet hash-password` makes it.
pub fn password_hash(password: &str, iterations: u32) -> String {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["hash-password", "--iterations", &iterations.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn guichet");
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write the password");
    let out = child.wait_with_output().expect("wait guichet");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8").trim().to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

/// What came back: status, headers (lower-case names) and body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One request; `headers` are extra lines like `Cookie: a=b`; a `form`
/// body is sent url-encoded.
pub fn send(port: u16, method: &str, path: &str, headers: &[String], form: Option<&str>) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let body = form.unwrap_or_default();
    let mut extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    if form.is_some() {
        extra.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n{body}").expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply { status, headers, body: body.to_string() }
}

/// Status code and body of one request, in French.
pub fn request(port: u16, method: &str, path: &str, form: Option<&str>) -> (u16, String) {
    let r = send(port, method, path, &["Accept-Language: fr".to_string()], form);
    (r.status, r.body)
}

pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `guichet serve`, once it answers `/healthz`.
pub fn serve(desk: &Desk, port: u16) -> Server {
    let child = desk.command(&["serve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("serve");
    let server = Server(child);
    let start = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() && request(port, "GET", "/healthz", None).0 == 200 {
            return server;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "guichet serve did not answer /healthz");
        std::thread::sleep(Duration::from_millis(50));
    }
}
