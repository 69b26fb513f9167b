//! The listener's connections: an accept loop serving HTTP/1.1 with hyper, whose header timeout
//! closes a connection that does not finish a request head in time, whether it is new or idle
//! between keep-alive requests (hyper starts the timer whenever it waits for a head).
//!
//! Connections are counted. One that has not yet sent a whole request head has no client
//! address yet, only its peer (behind the tunnel, every peer is the tunnel's local agent): a peer
//! keeps at most [`ConnectionLimits::max_unidentified_per_peer`] of those, and past that its
//! oldest is closed, so slow heads never keep a new request out. At
//! [`ConnectionLimits::max_connections`] the oldest connection that is not in the middle of a
//! request (no head yet, or idle) is closed to make room; only when every one is busy is the
//! newcomer turned away. A WebSocket upgrade (signed, see the media route) leaves the count.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt as _;

/// How many connections the listener keeps, and for how long it waits for a request head.
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnectionLimits {
    /// A request head (a new connection's first, or the next on a kept-alive one) must arrive
    /// within this.
    pub(super) header_timeout: Duration,
    pub(super) max_connections: usize,
    pub(super) max_unidentified_per_peer: usize,
}

/// Accepts connections on `listener` for good, serving each with `router`.
pub(super) async fn accept(listener: TcpListener, router: Router, limits: ConnectionLimits) -> io::Result<()> {
    let open = OpenConnections::default();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, most likely: wait for some to close.
                tracing::warn!(%error, "the listener could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some((id, closing)) = open.admit(peer.ip(), limits) else {
            tracing::debug!(%peer, "connection turned away: every connection is busy");
            continue;
        };
        // Answers are small (TwiML, a 200): sent at once, not held back by Nagle for a delayed ACK.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        let service = {
            let (open, router) = (open.clone(), router.clone());
            service_fn(move |request: hyper::Request<Incoming>| {
                let request_done = open.request_started(id);
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                let answer = router.clone().oneshot(request);
                async move {
                    let response = answer.await;
                    drop(request_done);
                    response
                }
            })
        };
        let connection = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let open = open.clone();
        tokio::spawn(async move {
            tokio::select! {
                served = connection => {
                    if let Err(error) = served {
                        tracing::debug!(%peer, %error, "connection ended");
                    }
                }
                () = closing.notified() => tracing::debug!(%peer, "connection closed to make room"),
            }
            open.closed(id);
        });
    }
}

/// The connections being served, oldest first.
#[derive(Clone, Default)]
struct OpenConnections {
    inner: Arc<Mutex<Open>>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    connections: Vec<Connection>,
}

struct Connection {
    id: u64,
    peer: IpAddr,
    /// Whether a whole request head has arrived on it.
    identified: bool,
    /// Requests being answered on it now.
    requests: usize,
    /// Woken to close it.
    close: Arc<Notify>,
}

impl Connection {
    /// Closing it loses no request: none has begun, or the last one was answered.
    fn waiting(&self) -> bool {
        self.requests == 0
    }
}

/// Marks the end of a request on its connection when dropped.
struct RequestDone {
    open: OpenConnections,
    id: u64,
}

impl Drop for RequestDone {
    fn drop(&mut self) {
        if let Some(connection) = self.open.lock().find(self.id) {
            connection.requests -= 1;
        }
    }
}

impl OpenConnections {
    /// Files a new connection from `peer`, closing others to make room as the limits say; `None`
    /// when every connection is busy.
    fn admit(&self, peer: IpAddr, limits: ConnectionLimits) -> Option<(u64, Arc<Notify>)> {
        let mut open = self.lock();
        let unidentified = |connection: &Connection| connection.peer == peer && !connection.identified;
        if open.connections.iter().filter(|connection| unidentified(connection)).count()
            >= limits.max_unidentified_per_peer
        {
            open.close_oldest(unidentified);
        }
        if open.connections.len() >= limits.max_connections && !open.close_oldest(Connection::waiting) {
            return None;
        }
        let id = open.next_id;
        open.next_id += 1;
        let close = Arc::new(Notify::new());
        open.connections.push(Connection { id, peer, identified: false, requests: 0, close: Arc::clone(&close) });
        Some((id, close))
    }

    /// A request head arrived on connection `id`; the returned guard ends the request.
    fn request_started(&self, id: u64) -> RequestDone {
        if let Some(connection) = self.lock().find(id) {
            connection.identified = true;
            connection.requests += 1;
        }
        RequestDone { open: self.clone(), id }
    }

    fn closed(&self, id: u64) {
        self.lock().connections.retain(|connection| connection.id != id);
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Open {
    fn find(&mut self, id: u64) -> Option<&mut Connection> {
        self.connections.iter_mut().find(|connection| connection.id == id)
    }

    /// Closes the oldest connection `which` picks; false when it picks none.
    fn close_oldest(&mut self, which: impl Fn(&Connection) -> bool) -> bool {
        let Some(index) = self.connections.iter().position(|connection| which(connection) && connection.waiting())
        else {
            return false;
        };
        let closed = self.connections.remove(index);
        closed.close.notify_one();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ConnectionLimits =
        ConnectionLimits { header_timeout: Duration::from_secs(1), max_connections: 4, max_unidentified_per_peer: 2 };

    fn ids(open: &OpenConnections) -> Vec<u64> {
        open.lock().connections.iter().map(|connection| connection.id).collect()
    }

    #[test]
    fn a_peers_oldest_unidentified_connection_makes_room_for_its_next() {
        let open = OpenConnections::default();
        let (slow, other): (IpAddr, IpAddr) = ("127.0.0.2".parse().unwrap(), "127.0.0.1".parse().unwrap());
        let (first, first_closing) = open.admit(slow, LIMITS).unwrap();
        open.admit(slow, LIMITS).unwrap();
        open.admit(other, LIMITS).unwrap();
        assert_eq!(ids(&open), [0, 1, 2]);
        open.admit(slow, LIMITS).unwrap();
        assert_eq!(ids(&open), [1, 2, 3], "the slow peer's oldest went");
        assert_eq!(first, 0);
        assert!(was_told_to_close(&first_closing));
    }

    #[test]
    fn at_the_total_the_oldest_waiting_connection_goes_and_busy_ones_stay() {
        let open = OpenConnections::default();
        let peers: Vec<IpAddr> = (1..=5).map(|n| format!("127.0.0.{n}").parse().unwrap()).collect();
        let mut answering = Vec::new();
        for peer in &peers[..4] {
            let (id, _) = open.admit(*peer, LIMITS).unwrap();
            answering.push(open.request_started(id));
        }
        assert!(open.admit(peers[4], LIMITS).is_none(), "every connection is busy");
        drop(answering.remove(1));
        assert!(open.admit(peers[4], LIMITS).is_some());
        assert_eq!(ids(&open), [0, 2, 3, 4], "the idle one made room");
    }

    /// Whether `notify` holds a wake-up (it was told to close).
    fn was_told_to_close(notify: &Notify) -> bool {
        let notified = notify.notified();
        futures_util::pin_mut!(notified);
        notified.as_mut().enable()
    }
}
