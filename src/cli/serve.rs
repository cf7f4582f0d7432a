//! `guichet serve`

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::ingest::Live;

use super::{exit, Env, Failure};

/// Serve the survey links and `/healthz` on `[http] listen`, without
/// reading mail (`run` serves them too when `[http]` is set).
#[derive(Debug, clap::Args)]
pub struct Args {}

pub(super) async fn bind(addr: SocketAddr) -> Result<TcpListener, Failure> {
    TcpListener::bind(addr).await.map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::AddrInUse { exit::TEMPFAIL } else { exit::CONFIG };
        Failure::new(code, anyhow::anyhow!("`http.listen` {addr}: {e}"))
    })
}

pub fn run(env: Env, _args: Args) -> Result<ExitCode, Failure> {
    let Some(http) = env.settings.http.clone() else {
        let path = env.settings.path.display();
        return Err(Failure::new(
            exit::CONFIG,
            anyhow::anyhow!("`http.listen`: missing in {path} (add an [http] table)"),
        ));
    };
    let store = env.store()?;
    let templates = env.templates()?;
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let listener = bind(http.listen).await?;
        let (_live_tx, live) = watch::channel(Arc::new(Live { settings: env.settings.clone(), templates }));
        let web = crate::http::Web { store, live, clock: env.clock.clone() };
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("signal handler: {e}")))?;
        let stop = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        };
        tracing::info!(listen = %http.listen, "serving");
        crate::http::serve(listener, web, stop)
            .await
            .map_err(|e| Failure::new(exit::FAILURE, anyhow::anyhow!("http server: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}
