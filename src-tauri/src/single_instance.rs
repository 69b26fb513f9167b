//! One console window per profile: a second console started on a profile whose console runs
//! hands over to it, and the first comes to the front. Keyed by the profile (its data directory),
//! so consoles on different profiles (`SWITCHBOARD_DATA_DIR`) run side by side.
//!
//! Tauri's single-instance plugin can be keyed per profile only on Linux (its D-Bus name);
//! elsewhere it keys on the app identifier alone, which would stop a console on another profile,
//! so there the profile lock alone refuses a second console (the window says who holds it).

use std::hash::{DefaultHasher, Hash, Hasher};

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Wry};

use crate::paths::DataPaths;

/// The plugin for the profile at `paths`.
#[cfg(target_os = "linux")]
pub fn plugin(paths: &DataPaths) -> TauriPlugin<Wry> {
    tauri_plugin_single_instance::Builder::new().dbus_id(profile_id(paths)).callback(bring_to_front).build()
}

/// No plugin where it cannot be keyed per profile: the profile lock refuses a second console.
#[cfg(not(target_os = "linux"))]
pub fn plugin(_paths: &DataPaths) -> TauriPlugin<Wry> {
    tauri::plugin::Builder::new("single-instance").build()
}

/// The D-Bus id of the profile: the app identifier and a hash of the data directory's path.
fn profile_id(paths: &DataPaths) -> String {
    let root = std::fs::canonicalize(&paths.root).unwrap_or_else(|_| paths.root.clone());
    let mut hasher = DefaultHasher::new();
    root.hash(&mut hasher);
    format!("{}.profile_{:016x}", crate::paths::IDENTIFIER, hasher.finish())
}

/// Shows, unminimises and focuses the console window when a second console was started.
fn bring_to_front(app: &AppHandle, _args: Vec<String>, _cwd: String) {
    tracing::info!("a second console was started with this profile; bringing this one to the front");
    for window in app.webview_windows().values() {
        let shown = window.unminimize().and_then(|()| window.show()).and_then(|()| window.set_focus());
        if let Err(err) = shown {
            tracing::warn!(error = %err, "could not bring the console window to the front");
        }
    }
}
