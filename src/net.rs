//! Connections to mail servers: TCP with Nagle off (commands are small
//! and answered one by one), and TLS with rustls on ring, trusting the
//! public roots and, when configured, a private CA's certificates.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// TCP, or TLS over TCP.
#[derive(Debug)]
pub enum NetStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl NetStream {
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self {
            NetStream::Plain(s) => s.peer_addr(),
            NetStream::Tls(s) => s.get_ref().0.peer_addr(),
        }
    }
}

/// Connects to `host` (a name, an IP address, or `[v6]`) with Nagle off.
pub async fn tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Why TLS could not start. Each message names what failed and carries
/// the cause itself, so `{e}` reads as it always did.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}: {source}", file.display())]
    CaFile {
        file: PathBuf,
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    #[error("{}: no PEM certificate in it", .0.display())]
    NoCertificate(PathBuf),
    #[error("{}: {source}", file.display())]
    Certificate {
        file: PathBuf,
        #[source]
        source: tokio_rustls::rustls::Error,
    },
    #[error("{0}")]
    Config(#[source] tokio_rustls::rustls::Error),
    #[error("`{host}`: {source}")]
    ServerName {
        host: String,
        #[source]
        source: rustls_pki_types::InvalidDnsNameError,
    },
    /// The handshake failed: the certificate, or the connection.
    #[error("{0}")]
    Handshake(#[source] io::Error),
}

/// Starts TLS on `tcp`, checking the certificate against `host`.
pub async fn tls(tcp: TcpStream, host: &str, ca_file: Option<&Path>) -> Result<NetStream, TlsError> {
    let connector = tls_connector(ca_file)?;
    let name = server_name(host)?;
    let stream = connector.connect(name, tcp).await.map_err(TlsError::Handshake)?;
    Ok(NetStream::Tls(Box::new(stream)))
}

/// The public roots, and the certificates of `ca_file` if any.
pub fn tls_connector(ca_file: Option<&Path>) -> Result<TlsConnector, TlsError> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(file) = ca_file {
        let bad = |source| TlsError::CaFile { file: file.to_path_buf(), source };
        let certs = CertificateDer::pem_file_iter(file).map_err(bad)?.collect::<Result<Vec<_>, _>>().map_err(bad)?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate(file.to_path_buf()));
        }
        for cert in certs {
            roots.add(cert).map_err(|source| TlsError::Certificate { file: file.to_path_buf(), source })?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    let bare = host.trim_matches(['[', ']']);
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(ServerName::IpAddress(ip.into())),
        Err(_) => ServerName::try_from(bare.to_string())
            .map_err(|source| TlsError::ServerName { host: host.to_string(), source }),
    }
}

impl AsyncRead for NetStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            NetStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            NetStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for NetStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            NetStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            NetStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            NetStream::Plain(s) => Pin::new(s).poll_flush(cx),
            NetStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            NetStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            NetStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
