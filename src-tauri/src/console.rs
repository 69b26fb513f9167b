//! The console's state: a running engine, or the reason it could not start (shown in the window).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use switchboard_core::BackendKind;
use switchboard_engine::Engine;
use switchboard_telephony::ProviderClients;
use switchboard_telephony::root::Switchboard;
use switchboard_voice::MonitorForks;

use crate::keychain::Keychain;
use crate::listener::ListenerInfo;
use crate::paths::DataPaths;
use crate::profile_lock::{LockError, ProfileLock};
use crate::provider_set;
use crate::startup::{self, Startup};

/// What the Tauri commands work with.
pub struct Console {
    pub paths: DataPaths,
    pub engine: Result<Arc<Engine>, String>,
    /// The provider clients and settings in force, read by the backends and the listener.
    clients: ProviderClients,
    /// The listen-in forks of hosted calls whose monitor streams the listener expects.
    pub monitor_forks: MonitorForks,
    /// The listener's port in this run.
    port: u16,
    /// The webhook listener, once the engine runs.
    listener: Mutex<Option<ListenerInfo>>,
    /// Held while a new set of clients is built, so two saves apply in the order they were made.
    applying: tokio::sync::Mutex<()>,
    /// Switchboard as started, until it is stopped.
    running: Mutex<Option<Switchboard>>,
    /// The profile, held while the console runs (none when another process holds it).
    _lock: Option<ProfileLock>,
}

impl Console {
    /// With the profile taken (`lock`), opens the database, seeds the samples on first start,
    /// and starts Switchboard ([`Switchboard::start`]). A failure (another
    /// process holding the profile too) is kept and shown by the console, not fatal; when the
    /// profile is held, nothing in it is touched.
    pub async fn start(paths: DataPaths, keychain: Arc<Keychain>, lock: Result<ProfileLock, LockError>) -> Console {
        match lock {
            Ok(lock) => Self::start_holding(paths, keychain, lock).await,
            Err(refused) => Self::not_started(paths, refused.to_string(), None),
        }
    }

    async fn start_holding(paths: DataPaths, keychain: Arc<Keychain>, lock: ProfileLock) -> Console {
        let started = async {
            let store = startup::open_store(&paths)?;
            let startup = Startup {
                store,
                keychain,
                sim: startup::sim_from_environment(),
                listener: Some(startup::ListenerChoice::default()),
                resume_campaigns: true,
                backend_override: None,
                max_campaign_calls: None,
                node: Default::default(),
            };
            let (switchboard, info) = startup::start(&paths, startup).await?;
            Ok::<_, String>((switchboard, info.ok_or("the listener was not started")?))
        }
        .await;
        match started {
            Ok((switchboard, info)) => Self::running(paths, switchboard, info, Some(lock)),
            Err(reason) => Self::not_started(paths, reason, Some(lock)),
        }
    }

    /// The console over Switchboard started (with its listener, `info`) by its caller, which
    /// holds the profile or hands its `lock` over.
    pub fn running(
        paths: DataPaths,
        switchboard: Switchboard,
        info: ListenerInfo,
        lock: Option<ProfileLock>,
    ) -> Console {
        Console {
            paths,
            engine: Ok(Arc::clone(&switchboard.engine)),
            clients: switchboard.clients.clone(),
            monitor_forks: switchboard.pipeline.monitor_forks().clone(),
            port: info.port,
            listener: Mutex::new(Some(info)),
            applying: tokio::sync::Mutex::default(),
            running: Mutex::new(Some(switchboard)),
            _lock: lock,
        }
    }

    /// A console signed in to the team server at `server`: it holds the profile (when it could
    /// take it) and starts no engine of its own.
    pub fn signed_in(paths: DataPaths, lock: Result<ProfileLock, LockError>, server: &str) -> Console {
        match lock {
            Ok(lock) => Console {
                engine: Err(format!("this console works on the team server at {server}")),
                ..Self::not_started_quietly(paths, Some(lock))
            },
            Err(refused) => Self::not_started(paths, refused.to_string(), None),
        }
    }

    /// A console without an engine, showing `reason`.
    fn not_started(paths: DataPaths, reason: String, lock: Option<ProfileLock>) -> Console {
        tracing::error!(%reason, "the console cannot start");
        eprintln!("switchboard: {reason}");
        Console { engine: Err(reason), ..Self::not_started_quietly(paths, lock) }
    }

    fn not_started_quietly(paths: DataPaths, lock: Option<ProfileLock>) -> Console {
        Console {
            paths,
            engine: Err(String::new()),
            clients: ProviderClients::default(),
            monitor_forks: MonitorForks::default(),
            port: 0,
            listener: Mutex::new(None),
            applying: tokio::sync::Mutex::default(),
            running: Mutex::new(None),
            _lock: lock,
        }
    }

    /// Builds the provider clients again from the keychain and Settings and puts them in force:
    /// calls placed from now on, webhooks and `/health` use them; calls under way keep theirs.
    /// Called whenever a key or a setting they depend on is saved.
    pub async fn apply_settings(&self, keychain: &Arc<Keychain>) {
        let Ok(engine) = &self.engine else {
            return;
        };
        let _applying = self.applying.lock().await;
        let built = provider_set::build(keychain, engine.store(), self.port, None).await;
        if let Some(info) = self.listener.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
            info.follow(&built);
        }
        self.clients.replace(built.set);
        tracing::info!(backends = ?engine.available_backends(), "provider keys and settings applied");
    }

    /// Stops Switchboard as the window closes: no new call starts, the listener stops taking
    /// webhooks and the inbox processor finishes its pass (calls on the line are not waited
    /// for; the next start closes them as lost).
    pub fn stop(&self) {
        if let Some(switchboard) = self.take_running() {
            tauri::async_runtime::block_on(switchboard.stop(Duration::ZERO, std::future::ready(())));
        }
    }

    /// Switchboard as started, taken to be stopped (once).
    pub fn take_running(&self) -> Option<Switchboard> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// The backends that can place calls now.
    pub fn backends(&self) -> Vec<BackendKind> {
        match &self.engine {
            Ok(engine) => engine.available_backends(),
            Err(_) => vec![BackendKind::Simulator],
        }
    }

    /// The provider clients in force (shared: they follow Settings).
    pub fn clients(&self) -> &ProviderClients {
        &self.clients
    }

    /// The webhook listener as it is now, once the engine runs.
    pub fn listener(&self) -> Option<ListenerInfo> {
        self.listener.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    //! The console as `make test` runs it: a real Secret Service on the D-Bus session (see the
    //! keychain's tests), a profile in a temporary folder. Nothing here reaches a provider: the
    //! keys saved are only turned into clients.

    use switchboard_providers::Secret;
    use switchboard_store::Store;

    use super::*;
    use crate::keychain::KEYS;
    use crate::keychain::tests::secret_service;
    use crate::listener_address::{LISTENER_PORT, PUBLIC_URL};
    use crate::profile_lock::Holder;

    #[tokio::test]
    async fn keys_and_settings_saved_after_start_up_are_in_force_at_once() {
        secret_service();
        let dir = tempfile::tempdir().unwrap();
        let paths = DataPaths::under(dir.path().to_owned());
        std::fs::create_dir_all(&paths.root).unwrap();
        let store = Store::open(&paths.database).unwrap();
        store.set_setting(LISTENER_PORT, "0").unwrap();
        store.set_setting(PUBLIC_URL, "https://before.example").unwrap();
        drop(store);
        let keychain = Arc::new(Keychain::for_service("app.switchboard.console.test-apply"));
        for spec in &KEYS {
            keychain.delete(spec.id).unwrap();
        }
        let unset = |id: &str| std::env::var(KEYS.iter().find(|spec| spec.id == id).unwrap().env).is_err();
        assert!(
            ["vapi_api_key", "vapi_webhook_secret", "twilio_account_sid", "anthropic_api_key"]
                .map(unset)
                .iter()
                .all(|u| *u),
            "run without provider keys in the environment"
        );

        let lock = ProfileLock::acquire(&paths, Holder::Console);
        let console = Console::start(paths, Arc::clone(&keychain), lock).await;
        assert_eq!(console.backends(), [BackendKind::Simulator]);
        let info = console.listener().unwrap();
        assert!(info.local_url.is_some() && info.verified.is_empty(), "{info:?}");

        // Vapi's key and webhook secret: its backend is on and its webhooks verified.
        keychain.set("vapi_api_key", &Secret::new("vapi-saved-later")).unwrap();
        keychain.set("vapi_webhook_secret", &Secret::new("vapi-secret-saved-later")).unwrap();
        console.apply_settings(&keychain).await;
        assert_eq!(console.backends(), [BackendKind::Simulator, BackendKind::Vapi]);
        assert_eq!(console.listener().unwrap().verified, ["Vapi"]);

        // Twilio's account, Anthropic's key and the calling number: speech-gather calls can be
        // placed; the public URL saved meanwhile is what they and the listener use.
        keychain.set("twilio_account_sid", &Secret::new("AC0123456789abcdef0123456789abcdef")).unwrap();
        keychain.set("twilio_auth_token", &Secret::new("twilio-token-saved-later")).unwrap();
        keychain.set("anthropic_api_key", &Secret::new("sk-ant-saved-later")).unwrap();
        let store = console.engine.as_ref().unwrap().store();
        store.set_setting(switchboard_engine::settings::TWILIO_FROM_NUMBER, "+13125550100").unwrap();
        store.set_setting(PUBLIC_URL, "https://after.example").unwrap();
        console.apply_settings(&keychain).await;
        assert_eq!(console.backends(), [BackendKind::Simulator, BackendKind::Vapi, BackendKind::Gather]);
        let info = console.listener().unwrap();
        assert_eq!((info.public_url.as_str(), info.public_url_source.as_str()), ("https://after.example", "settings"));
        assert!(info.urls.iter().all(|url| url.url.contains("://after.example/")), "{:?}", info.urls);
        assert_eq!(info.verified, ["Twilio", "Vapi"]);
        assert_eq!(console.clients().current().public_base_url, "https://after.example");
        assert!(!format!("{info:?}").contains("saved-later"), "no key in what Settings shows");

        // A key removed turns its backend off again.
        keychain.delete("vapi_api_key").unwrap();
        console.apply_settings(&keychain).await;
        assert_eq!(console.backends(), [BackendKind::Simulator, BackendKind::Gather]);
        for spec in &KEYS {
            keychain.delete(spec.id).unwrap();
        }
    }
}
