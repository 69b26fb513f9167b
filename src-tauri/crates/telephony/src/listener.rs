//! The webhook listener: one axum router for every provider callback, bound to loopback (a
//! tunnel such as ngrok brings providers to it). Connections are counted and timed (see
//! [`connections`]); each request is signature-checked against the public URL, size-, time- and
//! rate-limited, given a request id and security headers; accepted webhooks are committed to the
//! store's inbox before the 200 goes out, then processed.

mod admission;
mod connection_probe;
mod connections;
mod event_key;
mod health;
mod inbox;
mod ingest;
mod media_stream;
mod public_url;
mod rate_limit;
mod rejections;
mod routes;
mod state;
mod twilio_call;
mod ultravox_tool;
mod verify;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use crate::backends::twilio::TWILIO_MEDIA_PATH;
pub use crate::backends::ultravox::ULTRAVOX_TOOL_PATH;
pub use crate::gather::{TWILIO_GATHER_PATH, TWILIO_VOICE_PATH};
pub use connection_probe::ConnectionProbe;
use connections::ConnectionLimits;
pub use health::{ProviderProbe, Reachability};
pub use inbox::{InboxPass, replay_inbox, spawn_inbox_processor, spawn_inbox_processor_until};
pub use public_url::{NGROK_API_BASE, PublicUrlError, ngrok_public_url, webhook_urls};
pub use routes::{HEALTH_PATH, WebhookRoute};
pub use state::{ListenerSettings, ListenerState, WebhookSecrets};

/// Every route of the listener, each feature's own, with its limits and headers.
pub fn router(state: Arc<ListenerState>) -> Router {
    let routes = Router::new()
        .merge(ingest::routes())
        .merge(twilio_call::routes())
        .merge(media_stream::routes())
        .merge(ultravox_tool::routes())
        .merge(health::routes());
    let security_header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::CACHE_CONTROL, "no-store"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), rate_limit::limit_by_address))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), admission::read_body));
    routes.layer(layers).with_state(state)
}

/// Serves [`router`] on `addr`, which must be a loopback address (port 0 picks a free port).
/// Returns the address bound and the server's task. Inbox processing is separate: see
/// [`replay_inbox`] and [`spawn_inbox_processor`].
pub async fn serve(
    addr: SocketAddr,
    state: Arc<ListenerState>,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<()>>)> {
    if !addr.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the listener only binds loopback (a tunnel brings providers to it), not {addr}"),
        ));
    }
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let settings = &state.settings;
    let limits = ConnectionLimits {
        header_timeout: settings.header_timeout,
        max_connections: settings.max_connections,
        max_unidentified_per_peer: settings.max_unidentified_per_peer,
    };
    let (rejections, summed_every) = (Arc::clone(&state.rejections), settings.refusals_summed_every);
    let app = router(state);
    tracing::info!(%bound, "webhook listener started");
    let server = async move {
        tokio::select! {
            served = connections::accept(listener, app, limits) => served,
            () = rejections::summarise(rejections, summed_every) => Ok(()),
        }
    };
    Ok((bound, tokio::spawn(server)))
}
