//! What every fake shares in serving: the loopback port it answers on, its router on a task, the
//! client its webhooks are posted with, and the fault and delivery controls its tests use.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The client a fake posts its webhooks with.
pub(super) fn webhook_client() -> io::Result<reqwest::Client> {
    // reqwest's rustls needs a process-wide crypto provider; any installed one will do.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(io::Error::other)
}

/// A free port on 127.0.0.1, and the base URL it is reached at.
pub(super) async fn bind() -> io::Result<(TcpListener, String)> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    Ok((listener, base_url))
}

/// Serves `router` on `listener` until the task is aborted; `fake` names it when it stops.
pub(super) fn serve(listener: TcpListener, router: Router, fake: &'static str) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Streamed answers (SSE, small frames) go out as written, as a provider's would.
        let listener = listener.tap_io(|stream| {
            let _best_effort = stream.set_nodelay(true);
        });
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, fake, "a fake provider stopped");
        }
    })
}

/// The fault and delivery controls of a fake whose `shared` state holds `faults` (by the fake's
/// own `Endpoint`) and `delivery`.
macro_rules! fault_controls {
    () => {
        /// Waits this long before answering each request.
        pub fn set_latency(&self, latency: std::time::Duration) {
            self.shared.faults.set_latency(latency);
        }

        /// Answers the next `count` requests to `endpoint` 429 with `Retry-After: 1`.
        pub fn rate_limit_next(&self, endpoint: Endpoint, count: u32) {
            self.shared.faults.rate_limit_next(endpoint as usize, count);
        }

        /// Answers the next `count` requests to `endpoint` 500.
        pub fn fail_next(&self, endpoint: Endpoint, count: u32) {
            self.shared.faults.fail_next(endpoint as usize, count);
        }

        /// Holds the next `count` requests to `endpoint` for `stall` before answering (past a
        /// client's timeout).
        pub fn stall_next(&self, endpoint: Endpoint, count: u32, stall: std::time::Duration) {
            self.shared.faults.stall_next(endpoint as usize, count, stall);
        }

        /// How webhooks are delivered from now on.
        pub fn set_delivery(&self, delivery: $crate::WebhookDelivery) {
            *self.shared.delivery.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = delivery;
        }
    };
}

pub(super) use fault_controls;
