//! A token bucket per client address (governor): past its burst, an address gets 429 with
//! `Retry-After` until its bucket refills.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ListenerState;
use super::ingest::request_id;

/// Addresses remembered before idle ones (with full buckets) are forgotten.
const ADDRESSES_KEPT: usize = 10_000;

pub(super) struct AddressLimiter {
    buckets: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimiter {
    pub(super) fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        Self { buckets: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)) }
    }

    /// Takes a token for `address`, or says how long until one is free.
    fn take(&self, address: IpAddr) -> Result<(), Duration> {
        if self.buckets.len() > ADDRESSES_KEPT {
            self.buckets.retain_recent();
        }
        self.buckets.check_key(&address).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The middleware: lets a request through when its address has a token.
pub(super) async fn limit_by_address(
    State(state): State<Arc<ListenerState>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
    let address = client_address(peer, request.headers());
    match state.limiter.take(address) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let path = request.uri().path();
            if state.rejections.count(path, "rate limited") {
                tracing::warn!(request_id = request_id(request.headers()), %address, path, "rate limited");
            }
            let retry_after = HeaderValue::from(wait.as_secs().max(1));
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, retry_after)], "too many requests").into_response()
        }
    }
}

/// Who is asking. The listener only binds loopback, so a tunnel (ngrok) is the peer of every
/// outside request; it appends the real client to `X-Forwarded-For`, whose last entry is then
/// the address to limit. Requests from elsewhere are limited by their peer address.
pub(super) fn client_address(peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    match peer {
        Some(peer) if !peer.is_loopback() => peer,
        _ => headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok())
            .unwrap_or(peer.unwrap_or(loopback)),
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::num::NonZeroU32;

    use axum::http::{HeaderMap, HeaderValue};

    use super::{AddressLimiter, client_address};

    #[test]
    fn a_tunnelled_request_is_limited_by_its_forwarded_address() {
        let mut headers = HeaderMap::new();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_address(Some(loopback), &headers), loopback);
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.9, 203.0.113.7"));
        assert_eq!(client_address(Some(loopback), &headers), "203.0.113.7".parse::<IpAddr>().unwrap());
        let outside: IpAddr = "198.51.100.2".parse().unwrap();
        assert_eq!(client_address(Some(outside), &headers), outside, "only a local peer is trusted to forward");
    }

    #[test]
    fn each_address_has_its_own_bucket() {
        let limiter = AddressLimiter::new(NonZeroU32::new(1).unwrap(), NonZeroU32::new(2).unwrap());
        let (a, b): (IpAddr, IpAddr) = ("203.0.113.1".parse().unwrap(), "203.0.113.2".parse().unwrap());
        assert!(limiter.take(a).is_ok() && limiter.take(a).is_ok());
        assert!(limiter.take(a).is_err());
        assert!(limiter.take(b).is_ok());
    }
}
