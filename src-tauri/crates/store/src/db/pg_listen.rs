//! Postgres's LISTEN, on a connection of its own and a thread of its own: each notification on
//! a channel calls back with its payload, and a lost connection is made again (calling back once
//! it is, saying notifications may have been missed meanwhile). It stops within a second of its
//! handle being dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::PgTarget;

/// How often the thread looks whether it should stop (and how long it waits to reconnect).
const TICK: Duration = Duration::from_secs(1);

/// A running LISTEN; dropping it stops it.
pub(crate) struct PgListener {
    stop: Arc<AtomicBool>,
}

impl Drop for PgListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What a LISTEN calls back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenNotice {
    /// It listens from now on: for the first time, or again after its connection was lost
    /// (`resumed`: whatever was notified meanwhile was missed).
    Listening { resumed: bool },
    /// A notification on the channel, with its payload.
    Notified(String),
}

/// Listens on `channel` of `target`, calling `on_notice` for each notification.
pub(crate) fn listen(
    target: PgTarget,
    channel: &'static str,
    on_notice: impl Fn(ListenNotice) + Send + 'static,
) -> PgListener {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let spawned = std::thread::Builder::new().name(format!("postgres listen {channel}")).spawn(move || {
        let mut resumed = false;
        while !stopped.load(Ordering::Relaxed) {
            let listening = target
                .config
                .connect(target.tls.clone())
                .and_then(|mut client| client.batch_execute(&format!("LISTEN {channel}")).map(|()| client));
            let mut client = match listening {
                Ok(client) => client,
                Err(error) => {
                    tracing::warn!(database = target.database, %error, "cannot listen for notifications; trying again");
                    std::thread::sleep(TICK);
                    continue;
                }
            };
            on_notice(ListenNotice::Listening { resumed });
            resumed = true;
            while !stopped.load(Ordering::Relaxed) {
                let next = client.notifications().timeout_iter(TICK).next();
                match next {
                    Ok(Some(notification)) => on_notice(ListenNotice::Notified(notification.payload().to_owned())),
                    Ok(None) if client.is_closed() => break,
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(database = target.database, %error, "lost the notifications' connection");
                        break;
                    }
                }
            }
        }
    });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the notifications' thread");
    }
    PgListener { stop }
}
