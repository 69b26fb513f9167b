//! Generates the Tauri context from the top-level tauri.conf.json and the permissions of the
//! app's own commands (granted in capabilities/).

fn main() {
    let commands = &[
        "app_info",
        "list_calls",
        "list_offers",
        "call_detail",
        "start_call",
        "call_with_action",
        "list_contacts",
        "contact_calls",
        "import_contacts",
        "export_contacts",
        "save_contact",
        "list_agents",
        "list_presets",
        "save_agent",
        "get_default_region",
        "set_default_region",
        "get_theme",
        "set_theme",
        "get_payment_terms_rate",
        "set_payment_terms_rate",
        "list_campaigns",
        "check_campaign",
        "vendor_last_quotes",
        "estimate_vendor_freight",
        "launch_campaign",
        "set_campaign_status",
        "cancel_campaign",
        "export_campaign_summary",
        "history_page",
        "history_count",
        "history_search",
        "export_history",
        "contact_memory_text",
        "get_history_settings",
        "set_history_settings",
        "forget_contact",
        "list_keys",
        "listener_info",
        "set_listener_settings",
        "detect_ngrok",
        "twilio_from_number",
        "set_key",
        "delete_key",
        "test_connection",
        "audio_devices",
        "choose_audio_device",
        "play_recording",
        "pause_recording",
        "seek_recording",
        "set_playback_volume",
        "playback_status",
        "listen_to_call",
        "stop_listening",
        "set_listening_volume",
        "listening_status",
        "store_writes_failing",
    ];
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(err) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {err:#}");
    }
}
