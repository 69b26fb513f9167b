//! The console's offline copy of its team server's History: every History answer received
//! (pages, searches, a call's whole record) is also written, by one task on the blocking pool,
//! into `team-cache/<server and account>.sqlite`, the store's own schema. While the server cannot
//! be reached, History's operations run on that copy, the window is told it is stale, and every
//! other operation is refused, saying why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use switchboard_core::{CallId, CallSummary, UnixMillis};
use switchboard_engine::history::CallRecord;
use switchboard_engine::{ErrorCode, now};
use switchboard_store::{MirroredCall, Store, StoreError};
use tauri::{AppHandle, Emitter as _};
use tokio::sync::{OnceCell, mpsc};
use ts_rs::TS;

use super::link::{Connected, TeamConnection, Unreachable};
use crate::commands::{Reply, on_store};
use crate::dto::CommandError;
use crate::events::TEAM_OFFLINE_EVENT;
use crate::operations::{self, Ctx};

/// The History operations answered from the copy while the server cannot be reached.
const ANSWERED_OFFLINE: [&str; 4] = ["history_page", "history_count", "history_search", "call_detail"];
/// The copy keeps at most this many calls (the newest, by id), with all that was kept of them.
pub const MAX_CALLS: u32 = 5_000;
/// Answers waiting to be written; past this (the disk is slower than the server), one is dropped.
const QUEUE: usize = 64;
/// The copy's setting holding when an answer was last written into it.
const UPDATED_AT: &str = "offline_copy_updated_at";

/// What the window shows while History answers from the copy.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OfflineCopy {
    /// The team server that cannot be reached (`https://host:port`).
    pub server: String,
    /// When the copy last took an answer from it; none when it holds nothing yet.
    pub updated_at: Option<UnixMillis>,
    /// Why it cannot be reached (connection refused, timed out, TLS failed).
    pub reason: String,
}

/// The copy of one team server's History for one account, and whether the server is reachable.
pub struct HistoryCopy {
    server: String,
    copy: Arc<Copy>,
    kept: mpsc::Sender<Kept>,
    /// Why the server cannot be reached, while it cannot.
    unreachable: Mutex<Option<String>>,
}

/// The copy's database, opened on first use, and when it last took an answer.
struct Copy {
    path: PathBuf,
    store: OnceCell<Arc<Store>>,
    updated_at: Mutex<Option<UnixMillis>>,
}

/// An answer to write into the copy.
enum Kept {
    Calls(Vec<CallSummary>),
    Record(Box<CallRecord>),
}

/// The file of the copy for `connection`'s server and account: named by a hash of both, so each
/// server and account has its own, and nothing of the address or name is spelled out on disk.
pub fn copy_path(root: &Path, connection: &TeamConnection) -> PathBuf {
    let id = Sha256::digest(format!("{}\n{}", connection.url, connection.name));
    root.join("team-cache").join(format!("{}.sqlite", hex::encode(&id[..12])))
}

impl HistoryCopy {
    /// The copy for `connection` in the profile at `root`; its writer runs until this is dropped.
    pub fn new(root: &Path, connection: &TeamConnection) -> HistoryCopy {
        let copy =
            Arc::new(Copy { path: copy_path(root, connection), store: OnceCell::new(), updated_at: Mutex::new(None) });
        let (kept, queue) = mpsc::channel(QUEUE);
        tauri::async_runtime::spawn(write_kept(Arc::clone(&copy), queue));
        HistoryCopy { server: connection.url.clone(), copy, kept, unreachable: Mutex::new(None) }
    }

    /// Queues operation `name`'s answer to be written into the copy when it is one of History's.
    fn keep(&self, name: &str, answer: &Value) {
        let kept = match name {
            "history_page" => serde_json::from_value(answer.clone()).map(Kept::Calls),
            "history_search" => {
                #[derive(Deserialize)]
                struct Hit {
                    call: CallSummary,
                }
                serde_json::from_value::<Vec<Hit>>(answer.clone())
                    .map(|hits| Kept::Calls(hits.into_iter().map(|hit| hit.call).collect()))
            }
            "call_detail" => serde_json::from_value(answer.clone()).map(|record| Kept::Record(Box::new(record))),
            _ => return,
        };
        match kept {
            Ok(kept) => {
                if self.kept.try_send(kept).is_err() {
                    tracing::warn!(operation = name, "the offline copy is behind: this answer is not kept");
                }
            }
            Err(err) => tracing::warn!(operation = name, error = %err, "an answer could not be read to keep"),
        }
    }

    /// What the window shows while the server cannot be reached; none while it can.
    pub fn stale(&self) -> Option<OfflineCopy> {
        let reason = self.unreachable.lock().unwrap_or_else(PoisonError::into_inner).clone()?;
        let updated_at = *self.copy.updated_at.lock().unwrap_or_else(PoisonError::into_inner);
        Some(OfflineCopy { server: self.server.clone(), updated_at, reason })
    }

    /// Notes whether the server answered (`None`) or why it could not be reached; returns
    /// whether that changed.
    fn note_reach(&self, unreachable: Option<String>) -> bool {
        let mut noted = self.unreachable.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = noted.is_some() != unreachable.is_some();
        *noted = unreachable;
        changed
    }

    /// Runs History operation `name` on the copy: the same operation, on the copy's store.
    async fn answer(&self, ctx: &Ctx<'_>, name: &str, args: Value) -> Reply<Value> {
        let store = self.copy.store().await.map_err(|err| {
            CommandError::new(
                ErrorCode::TeamServer,
                format!("{}, and its offline copy cannot be read: {err}", self.cut_off()),
            )
        })?;
        if name == "call_detail" {
            let id = args.get("callId").and_then(Value::as_i64).map(CallId);
            let kept = match id {
                Some(id) => on_store(Arc::clone(&store), move |store| store.is_mirrored(id)).await?,
                None => true,
            };
            if !kept {
                return Err(CommandError::new(
                    ErrorCode::NotFound,
                    format!(
                        "{}: this call was not opened while it could be, so the offline copy has only its line in the list",
                        self.cut_off()
                    ),
                ));
            }
        }
        let offline = Ctx {
            console: ctx.console,
            keychain: ctx.keychain,
            desktop: ctx.desktop,
            member: None,
            history: Some(store),
        };
        operations::dispatch(&offline, name, args).await
    }

    /// "The team server at … cannot be reached (why)".
    fn cut_off(&self) -> String {
        let reason = self.unreachable.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_default();
        format!("the team server at {} cannot be reached ({reason})", self.server)
    }
}

/// Runs operation `name` on the team server `server`, keeping History's answers in its copy.
/// When the server cannot be reached, History's operations answer from the copy and the window
/// is told it is stale; any other is refused, saying why. The first answer from the server again
/// tells the window the copy is no longer what it shows.
pub async fn forward(ctx: &Ctx<'_>, app: &AppHandle, server: &Connected, name: &str, args: Value) -> Reply<Value> {
    let history = &server.history;
    match server.forward(name, args.clone()).await {
        Ok(answer) => {
            if history.note_reach(None) {
                tracing::info!(server = %server.connection.url, "the team server answers again");
                tell_window(app, None);
            }
            if let Ok(answer) = &answer {
                history.keep(name, answer);
            }
            answer
        }
        Err(Unreachable(reason)) => {
            if history.note_reach(Some(reason.clone())) {
                tracing::warn!(server = %server.connection.url, %reason, "the team server cannot be reached");
                tell_window(app, history.stale());
            }
            if ANSWERED_OFFLINE.contains(&name) {
                history.answer(ctx, name, args).await
            } else {
                Err(CommandError::new(
                    ErrorCode::TeamServer,
                    format!("{}: this needs the server; History shows its offline copy", history.cut_off()),
                ))
            }
        }
    }
}

fn tell_window(app: &AppHandle, stale: Option<OfflineCopy>) {
    if let Err(err) = app.emit(TEAM_OFFLINE_EVENT, stale) {
        tracing::warn!(error = %err, "could not tell the window whether History is the offline copy");
    }
}

impl Copy {
    /// The copy's store, opened (created, migrated) on the blocking pool the first time.
    async fn store(&self) -> Result<Arc<Store>, String> {
        let store = self
            .store
            .get_or_try_init(|| async {
                let path = self.path.clone();
                let opened = tauri::async_runtime::spawn_blocking(move || {
                    let store = Store::open(&path)?;
                    let updated_at = store.setting(UPDATED_AT)?.and_then(|at| at.parse().ok()).map(UnixMillis);
                    Ok::<_, StoreError>((store, updated_at))
                })
                .await
                .map_err(|err| err.to_string())?
                .map_err(|err| err.to_string())?;
                let (store, updated_at) = opened;
                *self.updated_at.lock().unwrap_or_else(PoisonError::into_inner) = updated_at;
                Ok::<_, String>(Arc::new(store))
            })
            .await?;
        Ok(Arc::clone(store))
    }
}

/// Writes the answers queued for the copy, in the order they came, until the copy is dropped;
/// then keeps only the newest calls.
async fn write_kept(copy: Arc<Copy>, mut queue: mpsc::Receiver<Kept>) {
    while let Some(kept) = queue.recv().await {
        let store = match copy.store().await {
            Ok(store) => store,
            Err(err) => {
                tracing::warn!(path = %copy.path.display(), error = %err, "the offline copy cannot be opened");
                continue;
            }
        };
        let at = now();
        let written = on_store(store, move |store| {
            match kept {
                Kept::Calls(calls) => store.mirror_calls(&calls)?,
                Kept::Record(record) => store.mirror_call(&mirrored(*record), at)?,
            }
            store.set_setting(UPDATED_AT, &at.0.to_string())?;
            store.trim_mirror(MAX_CALLS)
        })
        .await;
        match written {
            Ok(_) => *copy.updated_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(at),
            Err(err) => tracing::warn!(error = %err.message, "an answer could not be kept in the offline copy"),
        }
    }
}

/// A call's record as the store keeps it.
fn mirrored(record: CallRecord) -> MirroredCall {
    MirroredCall {
        call: record.call,
        transcript: record.transcript,
        fields: record.fields.into_iter().map(|field| (field.key, field.value)).collect(),
        offer: record.offer,
        outcome: record.outcome,
        facts: switchboard_store::ProviderFacts {
            cost: record.cost,
            refs: record.provider_refs,
            record: record.provider_record,
        },
        price: record.price,
        recording: record.recording,
        latencies: record.latencies,
        audio_pacing: record.audio_pacing,
        heard: record.heard,
        actions: record.actions,
    }
}

#[cfg(test)]
mod tests {
    //! The copy as a signed-in console fills and reads it: the server's answers are those of the
    //! real History operations (run on a store standing for the server's), kept as they come,
    //! then the same operations answer from the copy.

    use std::time::{Duration, Instant};

    use serde_json::json;
    use switchboard_core::{BackendKind, CallState, Speaker, TranscriptLine};
    use switchboard_store::NewCall;

    use super::*;
    use crate::console::Console;
    use crate::keychain::Keychain;
    use crate::paths::DataPaths;
    use crate::profile_lock::{Holder, ProfileLock};
    use crate::team::trust::ServerTrust;

    /// A store standing for the team server's: the sample agents and vendors, and a call to
    /// each of the first three vendors, each with one line.
    fn server_store() -> Arc<Store> {
        let store = Store::open_in_memory().unwrap();
        switchboard_engine::sample::seed_shipped(&store).unwrap();
        let agent = store.list_agents().unwrap()[0].id;
        let lines = ["We can do 45 cents a bolt.", "Nobody is here to take it.", "Our best is 45 cents, net 30."];
        for (at, (contact, line)) in store.list_contacts().unwrap().iter().zip(lines).enumerate() {
            let call = NewCall {
                contact_id: contact.id,
                agent_id: agent,
                backend: BackendKind::Simulator,
                phone_e164: contact.phone_e164.clone().unwrap_or_else(|| contact.fields.phone.clone()),
                created_at: UnixMillis(1_000 * (at as i64 + 1)),
                campaign: None,
            };
            let id = store.insert_call(&call).unwrap().id;
            let line = TranscriptLine { seq: 0, speaker: Speaker::Callee, text: line.into(), offset_ms: 0 };
            store.append_transcript(id, &line).unwrap();
            store
                .advance_call(id, CallState::Completed, Some("hung up"), UnixMillis(1_000 * (at as i64 + 1) + 500))
                .unwrap();
        }
        Arc::new(store)
    }

    fn connection(url: &str, name: &str) -> TeamConnection {
        let trust = ServerTrust::Pinned { fingerprint: "AB".into() };
        TeamConnection { url: url.into(), name: name.into(), role: "viewer".into(), trust }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn history_answers_kept_while_the_server_answered_are_what_history_answers_when_it_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let paths = DataPaths::under(dir.path().to_owned());
        std::fs::create_dir_all(&paths.root).unwrap();
        let lock = ProfileLock::acquire(&paths, Holder::Console);
        let console = Console::signed_in(paths.clone(), lock, "https://team.example:8443");
        let keychain = Arc::new(Keychain::environment_only());
        let on = |history: Option<Arc<Store>>| Ctx {
            console: &console,
            keychain: &keychain,
            desktop: None,
            member: None,
            history,
        };
        let server = server_store();
        let served = |name: &'static str, args: Value| {
            let server = Arc::clone(&server);
            let ctx = on(Some(server));
            async move { operations::dispatch(&ctx, name, args).await.unwrap() }
        };

        let copy = HistoryCopy::new(&paths.root, &connection("https://team.example:8443", "ana"));
        assert_eq!(copy.stale(), None, "the server has not failed to answer");
        let all = json!({ "filter": {}, "before": null, "limit": 200 });
        let search = json!({ "filter": {}, "text": "45 cents", "limit": 200 });
        let page = served("history_page", all.clone()).await;
        let hits = served("history_search", search.clone()).await;
        let opened = page[0]["id"].as_i64().unwrap();
        let detail = served("call_detail", json!({ "callId": opened })).await;
        for (name, answer) in [("history_page", &page), ("history_search", &hits), ("call_detail", &detail)] {
            copy.keep(name, answer);
        }
        // Another operation's answer is not History's: nothing of it is kept.
        copy.keep("list_agents", &json!([]));

        let store = copy.copy.store().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !store.is_mirrored(CallId(opened)).unwrap() || copy.copy.updated_at.lock().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the copy was not written");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        assert!(copy.note_reach(Some("Connection refused (os error 111)".into())), "the server is now unreachable");
        assert!(!copy.note_reach(Some("Connection refused (os error 111)".into())), "said once");
        let stale = copy.stale().unwrap();
        assert_eq!(
            (stale.server.as_str(), stale.reason.as_str()),
            ("https://team.example:8443", "Connection refused (os error 111)")
        );
        assert!(stale.updated_at.is_some());
        let offline = on(None);
        assert_eq!(copy.answer(&offline, "history_page", all.clone()).await.unwrap(), page);
        assert_eq!(copy.answer(&offline, "history_count", json!({ "filter": {} })).await.unwrap(), json!(3));
        let by_name = json!({ "filter": { "contactText": page[0]["contactName"] }, "before": null, "limit": 200 });
        assert_eq!(
            copy.answer(&offline, "history_page", by_name.clone()).await.unwrap(),
            served("history_page", by_name).await
        );
        assert_eq!(copy.answer(&offline, "call_detail", json!({ "callId": opened })).await.unwrap(), detail);
        // The transcripts searched are those of the calls opened; the others say why they are not there.
        let found = copy.answer(&offline, "history_search", search).await.unwrap();
        assert_eq!(found.as_array().unwrap().len(), 1);
        assert_eq!(found[0], hits[0]);
        let listed = page[1]["id"].as_i64().unwrap();
        let refused = copy.answer(&offline, "call_detail", json!({ "callId": listed })).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::NotFound);
        assert!(
            refused.message.contains("cannot be reached (Connection refused")
                && refused.message.contains("was not opened"),
            "{}",
            refused.message
        );

        assert!(copy.note_reach(None), "the server answers again");
        assert_eq!(copy.stale(), None);
    }

    #[test]
    fn each_server_and_account_has_its_own_copy_named_by_neither() {
        let root = Path::new("/profile");
        let ana = copy_path(root, &connection("https://team.example:8443", "ana"));
        assert!(ana.starts_with("/profile/team-cache") && ana.extension().unwrap() == "sqlite", "{}", ana.display());
        assert!(!ana.to_string_lossy().contains("ana") && !ana.to_string_lossy().contains("team.example"));
        assert_ne!(ana, copy_path(root, &connection("https://team.example:8443", "ben")));
        assert_ne!(ana, copy_path(root, &connection("https://other.example:8443", "ana")));
        assert_eq!(ana, copy_path(root, &connection("https://team.example:8443", "ana")));
    }
}
