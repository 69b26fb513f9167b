//! Builds and runs the Tauri application.

use std::process::ExitCode;
use std::sync::Arc;

use tauri::{Manager as _, RunEvent};

use crate::console::Console;
use crate::keychain::Keychain;
use crate::listen_in::Listening;
use crate::paths::DataPaths;
use crate::playback::Speakers;
use crate::profile_lock::{Holder, ProfileLock};
use crate::{commands, events, logging, single_instance};

/// Opens the console window and runs until it closes.
pub fn run() -> ExitCode {
    let paths = DataPaths::resolve();
    // The profile first: a console refused it writes nothing there, not even its log.
    let lock = ProfileLock::acquire(&paths, Holder::Console);
    let _log_guard = if lock.is_ok() { logging::init(&paths.logs) } else { logging::init_stderr_only() };
    tracing::info!(data_dir = %paths.root.display(), version = env!("CARGO_PKG_VERSION"), "Switchboard starting");
    let keychain = Arc::new(Keychain::default());
    let instance = single_instance::plugin(&paths);
    let console = tauri::async_runtime::block_on(Console::start(paths, Arc::clone(&keychain), lock));
    let engine = console.engine.clone().ok();
    let started = engine.is_some();
    let listening = Listening::new(engine.as_ref(), console.clients(), &console.monitor_forks);

    // The single-instance plugin first: a second console on this profile hands over to the
    // first (which comes to the front) before anything else is set up.
    let built = tauri::Builder::default()
        .plugin(instance)
        .plugin(tauri_plugin_dialog::init())
        .manage(console)
        .manage(keychain)
        .manage(listening)
        .manage(Speakers::from_settings(engine.as_ref().map(|engine| engine.store().as_ref())))
        .setup(move |app| {
            if let Some(engine) = &engine {
                events::forward(app.handle().clone(), engine);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::calls::app_info,
            commands::calls::list_calls,
            commands::calls::list_offers,
            commands::calls::start_call,
            commands::calls::call_with_action,
            commands::call_control::call_controls,
            commands::call_control::control_call,
            commands::contacts::list_contacts,
            commands::contacts::contact_calls,
            commands::contacts::import_contacts,
            commands::contacts::export_contacts,
            commands::contacts::save_contact,
            commands::agents::list_agents,
            commands::agents::list_presets,
            commands::agents::save_agent,
            commands::rehearsals::agent_suite,
            commands::rehearsals::save_agent_suite,
            commands::rehearsals::rehearsal_modes,
            commands::rehearsals::rehearse_agent,
            commands::rehearsals::rehearsal_report,
            commands::settings::get_default_region,
            commands::settings::set_default_region,
            commands::settings::get_theme,
            commands::settings::set_theme,
            commands::settings::get_dispatcher_phone,
            commands::settings::set_dispatcher_phone,
            commands::settings::get_payment_terms_rate,
            commands::settings::set_payment_terms_rate,
            commands::settings::get_cost_settings,
            commands::settings::set_cost_settings,
            commands::campaigns::set_campaign_budget,
            commands::campaigns::list_campaigns,
            commands::campaigns::check_campaign,
            commands::campaigns::vendor_last_quotes,
            commands::campaigns::vendor_past_items,
            commands::campaigns::estimate_vendor_freight,
            commands::campaigns::launch_campaign,
            commands::campaigns::set_campaign_status,
            commands::campaigns::cancel_campaign,
            commands::campaigns::export_campaign_summary,
            commands::campaigns::resolve_driver_review,
            commands::analytics::analytics_figures,
            commands::analytics::export_analytics,
            commands::history::history_page,
            commands::history::history_count,
            commands::history::history_search,
            commands::history::call_detail,
            commands::history::export_history,
            commands::history::contact_memory_text,
            commands::history::get_history_settings,
            commands::history::set_history_settings,
            commands::history::forget_contact,
            commands::keys::list_keys,
            commands::listener::listener_info,
            commands::listener::set_listener_settings,
            commands::listener::detect_ngrok,
            commands::listener::twilio_from_number,
            commands::keys::set_key,
            commands::keys::delete_key,
            commands::connection::test_connection,
            commands::playback::audio_devices,
            commands::playback::choose_audio_device,
            commands::playback::play_recording,
            commands::playback::pause_recording,
            commands::playback::seek_recording,
            commands::playback::set_playback_volume,
            commands::playback::playback_status,
            commands::listen_in::listen_to_call,
            commands::listen_in::stop_listening,
            commands::listen_in::set_listening_volume,
            commands::listen_in::listening_status,
            commands::store_writes::store_writes_failing,
        ])
        .build(tauri::generate_context!());
    let app = match built {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "the console window failed");
            eprintln!("switchboard: the console window failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            app.state::<Console>().stop();
        }
    });
    // The window said why the console could not start (another process has the profile).
    if started { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
