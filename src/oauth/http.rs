//! A token endpoint's POST: hyper 1 over our TCP and TLS streams (the
//! roots and CA file the mail connections use), a form in, JSON out.

use std::path::Path;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use crate::net::{self, NetStream};

/// A token request must end within this.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Answers larger than this are not token answers.
const MAX_ANSWER: usize = 1 << 20;

/// Why a request got no answer: always transient.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

/// POSTs `body` (a form) to `url`; returns the status and the JSON object
/// of the answer (`Null` when the answer is not JSON).
pub async fn post_form(
    url: &str,
    body: String,
    ca_file: Option<&Path>,
) -> Result<(u16, serde_json::Value), Unreachable> {
    tokio::time::timeout(TIMEOUT, post_inner(url, body, ca_file))
        .await
        .map_err(|_| Unreachable(format!("{}: no answer within {TIMEOUT:?}", origin(url))))?
}

/// `https://host:port` of a URL: what messages name (never its query).
pub fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

async fn post_inner(url: &str, body: String, ca_file: Option<&Path>) -> Result<(u16, serde_json::Value), Unreachable> {
    let fail = |e: String| Unreachable(format!("{}: {e}", origin(url)));
    let (scheme, rest) = url.split_once("://").ok_or_else(|| fail("not a URL".into()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let tls = scheme == "https";
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h, p.parse::<u16>().map_err(|_| fail(format!("bad port `{p}`")))?)
        }
        _ => (authority, if tls { 443 } else { 80 }),
    };
    let tcp = net::tcp(host, port).await.map_err(|e| fail(e.to_string()))?;
    let stream =
        if tls { net::tls(tcp, host, ca_file).await.map_err(|e| fail(e.to_string()))? } else { NetStream::Plain(tcp) };
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| fail(e.to_string()))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(hyper::header::ACCEPT, "application/json")
        .header(hyper::header::USER_AGENT, concat!("guichet/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| fail(e.to_string()))?;
    let answer = sender.send_request(request).await.map_err(|e| fail(e.to_string()))?;
    let status = answer.status().as_u16();
    let bytes = http_body_util::Limited::new(answer.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map_err(|e| fail(e.to_string()))?
        .to_bytes();
    driver.abort();
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)))
}
