//! The calls this engine placed that are still on the line, each with the backend that placed it
//! and the task that drives it: a fenced node hangs them up from here, reading no store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use switchboard_core::CallId;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::CallBackend;

/// Shared by the engine (which files each call as it asks its backend to place it) and the call
/// tasks (which take their call out as they end).
#[derive(Default)]
pub(crate) struct PlacedCalls {
    state: Mutex<State>,
    /// Told each time a call's placing is over.
    placing_over: Notify,
}

#[derive(Default)]
struct State {
    /// Until when the calls of a fenced engine are being hung up; set once, and no call is
    /// placed after.
    fenced: Option<Instant>,
    calls: HashMap<CallId, Placed>,
    /// Calls whose backend is being asked to place them.
    placing: usize,
}

struct Placed {
    backend: Arc<dyn CallBackend>,
    /// Its call task, once the backend has placed it.
    task: Option<AbortHandle>,
}

/// A call a fenced engine hangs up.
pub(crate) struct ToHangUp {
    pub(crate) call: CallId,
    pub(crate) backend: Arc<dyn CallBackend>,
}

impl PlacedCalls {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Files `call` as its backend is about to be asked to place it; `None` once fenced (the
    /// call must not be placed).
    pub(crate) fn placing(self: &Arc<Self>, call: CallId, backend: Arc<dyn CallBackend>) -> Option<Placing> {
        let mut state = self.state();
        if state.fenced.is_some() {
            return None;
        }
        state.calls.insert(call, Placed { backend: Arc::clone(&backend), task: None });
        state.placing += 1;
        Some(Placing { calls: Arc::clone(self), call, backend, placed: false })
    }

    /// Takes out a call whose task has ended.
    pub(crate) fn ended(&self, call: CallId) {
        self.state().calls.remove(&call);
    }

    /// Fences the engine until `until`: no call is placed from now on; every call on the line
    /// whose provider does not run it on for another node has its task stopped (it writes no
    /// more) and is returned, to be hung up.
    pub(crate) fn fence(&self, until: Instant) -> Vec<ToHangUp> {
        let mut state = self.state();
        state.fenced.get_or_insert(until);
        let mut hang_up = Vec::new();
        for (call, placed) in state.calls.drain() {
            if placed.backend.keeps_calls_across_restarts() {
                continue;
            }
            if let Some(task) = placed.task {
                task.abort();
            }
            hang_up.push(ToHangUp { call, backend: placed.backend });
        }
        hang_up
    }

    /// Until when a fenced engine hangs up its calls; `None` while it is not fenced.
    pub(crate) fn fenced_until(&self) -> Option<Instant> {
        self.state().fenced
    }

    /// Waits until no call is being placed any more, or `until`.
    pub(crate) async fn placing_over(&self, until: Instant) {
        loop {
            let told = self.placing_over.notified();
            if self.state().placing == 0 {
                return;
            }
            if tokio::time::timeout_at(until, told).await.is_err() {
                return;
            }
        }
    }
}

/// A call its backend is being asked to place, filed until the placing is over: dropped before
/// [`Placing::placed`] (the backend refused), the call is taken out again.
pub(crate) struct Placing {
    calls: Arc<PlacedCalls>,
    call: CallId,
    backend: Arc<dyn CallBackend>,
    placed: bool,
}

impl Placing {
    /// The backend placed the call and `task` drives it now. When the engine was fenced
    /// meanwhile, the task is stopped and the call is returned, to be hung up by whoever holds
    /// this (unless its provider runs it on for another node).
    pub(crate) fn placed(&mut self, task: AbortHandle) -> Option<ToHangUp> {
        self.placed = true;
        let mut state = self.calls.state();
        if state.fenced.is_none() {
            if let Some(placed) = state.calls.get_mut(&self.call) {
                placed.task = Some(task);
            }
            return None;
        }
        if self.backend.keeps_calls_across_restarts() {
            return None;
        }
        task.abort();
        Some(ToHangUp { call: self.call, backend: Arc::clone(&self.backend) })
    }
}

impl Drop for Placing {
    fn drop(&mut self) {
        let mut state = self.calls.state();
        if !self.placed {
            state.calls.remove(&self.call);
        }
        state.placing -= 1;
        drop(state);
        self.calls.placing_over.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use switchboard_core::{BackendKind, CallId};
    use tokio::sync::mpsc;
    use tokio::time::Instant;

    use super::PlacedCalls;
    use crate::{BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest};

    /// A backend whose calls end with this process, or run on at their provider (`kept`).
    struct Backend {
        kept: bool,
    }

    impl CallBackend for Backend {
        fn kind(&self) -> BackendKind {
            if self.kept { BackendKind::Gather } else { BackendKind::Pipeline }
        }

        fn keeps_calls_across_restarts(&self) -> bool {
            self.kept
        }

        fn start(&self, _: CallRequest, _: mpsc::Sender<BackendEvent>) -> BoxFuture<'static, Result<(), BackendError>> {
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn a_fence_stops_and_returns_the_calls_that_die_with_the_node_and_places_no_more() {
        let placed = Arc::new(PlacedCalls::default());
        let (ours, kept): (Arc<dyn CallBackend>, Arc<dyn CallBackend>) =
            (Arc::new(Backend { kept: false }), Arc::new(Backend { kept: true }));
        let mut tasks = Vec::new();
        for (id, backend) in [(1, &ours), (2, &kept)] {
            let task = tokio::spawn(std::future::pending::<()>());
            let mut placing = placed.placing(CallId(id), Arc::clone(backend)).unwrap();
            assert!(placing.placed(task.abort_handle()).is_none());
            tasks.push(task);
        }
        // Being placed as the fence falls: hung up once its backend has placed it.
        let mut late = placed.placing(CallId(3), Arc::clone(&ours)).unwrap();

        let until = Instant::now() + Duration::from_secs(1);
        let hang_up: Vec<CallId> = placed.fence(until).into_iter().map(|call| call.call).collect();
        assert_eq!(hang_up.len(), 2, "{hang_up:?}");
        assert!(hang_up.contains(&CallId(1)) && hang_up.contains(&CallId(3)), "{hang_up:?}");
        assert!(tasks.remove(0).await.unwrap_err().is_cancelled(), "the task of a call hung up writes no more");
        assert!(!tasks[0].is_finished(), "a call its provider runs on keeps its task");
        assert!(placed.placing(CallId(4), Arc::clone(&ours)).is_none(), "a fenced engine places no call");
        let task = tokio::spawn(std::future::pending::<()>());
        assert_eq!(late.placed(task.abort_handle()).map(|call| call.call), Some(CallId(3)));
        drop(late);
        placed.placing_over(until).await;
        assert!(Instant::now() < until, "no placing is left to wait for");
        assert_eq!(placed.fenced_until(), Some(until));
    }
}
