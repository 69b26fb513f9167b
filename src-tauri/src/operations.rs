//! The one list of the console's operations, each with the role it needs and where it can run;
//! the window's Tauri handler and the team server's HTTP dispatch both call through it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::{
    AgentConfig, AgentId, AnalyticsFilter, CallFilter, CallId, ContactFields, ContactId, ContactKind, ControlAction,
    CostSettings, QuoteRequest, RehearsalMode, Suite,
};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::tables::ExportFormat;
use switchboard_engine::{ActionCall, ErrorCode};
use switchboard_store::Store;
use tauri::AppHandle;

use crate::commands::{
    Reply, agents, analytics, call_control, calls, campaigns, connection, contacts, history, keys, listen_in, listener,
    playback, rehearsals, settings, store_writes, team,
};
use crate::console::Console;
use crate::dto::{CommandError, HistorySettings};
use crate::keychain::Keychain;
use crate::listen_in::Listening;
use crate::playback::Speakers;
use crate::team::accounts::Member;
use crate::team::link::TeamLink;

/// Who may call an operation: each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// Reads: calls, contacts, campaigns, history, analytics, settings.
    Viewer,
    /// Places and controls calls, runs campaigns, edits contacts and agents.
    Dispatcher,
    /// Keys, settings and accounts.
    Admin,
}

impl Role {
    /// The role named `text` (`viewer`, `dispatcher`, `admin`).
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "dispatcher" => Some(Role::Dispatcher),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Dispatcher => "dispatcher",
            Role::Admin => "admin",
        }
    }
}

/// Where an operation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Wherever the engine is: beside the window, or on the team server it is signed in to.
    Engine,
    /// Like `Engine`, and its answer is a file (`Export`) the console writes to the `path` it
    /// was given: the server never writes one.
    Export,
    /// This computer's speakers alone (devices, volume, the player's position): always here.
    Speakers,
    /// The console's own (its link to a team server, its theme): always here.
    Console,
    /// This computer's speakers with a setting of the engine beside the window: not over a team
    /// server.
    Desktop,
    /// This computer's speakers playing the engine's audio (a recording, a live call): from the
    /// engine beside the window, or fetched from the team server over its audio routes.
    Heard,
}

/// An operation as listed.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub name: &'static str,
    pub role: Role,
    pub place: Place,
}

/// What an operation works with: the engine, the keys, in the console its window's parts, and on
/// a team server the account it runs for.
pub struct Ctx<'a> {
    pub console: &'a Console,
    pub keychain: &'a Arc<Keychain>,
    pub desktop: Option<Desktop<'a>>,
    /// The team account the operation runs for, on a team server.
    pub member: Option<&'a Member>,
    /// The offline copy of the team server's History, which History's reads answer from while
    /// the server cannot be reached (`team::offline`); none otherwise.
    pub history: Option<Arc<Store>>,
}

/// The console's own parts: its speakers, listening in, its team link and its window.
#[derive(Clone, Copy)]
pub struct Desktop<'a> {
    pub speakers: &'a Speakers,
    pub listening: &'a Listening,
    pub team: &'a TeamLink,
    pub app: &'a AppHandle,
}

impl Ctx<'_> {
    /// The console's own parts (a team server has none).
    pub fn desktop(&self) -> Reply<Desktop<'_>> {
        self.desktop.ok_or_else(|| {
            CommandError::new(ErrorCode::InvalidInput, "this is the console's own: not over a team server yet")
        })
    }

    /// This computer's speakers.
    pub fn speakers(&self) -> Reply<&Speakers> {
        Ok(self.desktop()?.speakers)
    }

    /// Listening in on this computer.
    pub fn listening(&self) -> Reply<&Listening> {
        Ok(self.desktop()?.listening)
    }
}

/// The operation called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|operation| operation.name == name)
}

/// Reads an operation's arguments from the JSON object the window (or a team client) sent.
fn arguments<T: for<'de> Deserialize<'de>>(name: &str, args: Value) -> Reply<T> {
    let args = if args.is_null() { Value::Object(Default::default()) } else { args };
    serde_json::from_value(args)
        .map_err(|err| CommandError::new(ErrorCode::InvalidInput, format!("the arguments of {name}: {err}")))
}

/// An operation's answer as JSON.
fn answer<T: Serialize>(reply: Reply<T>) -> Reply<Value> {
    serde_json::to_value(reply?)
        .map_err(|err| CommandError::new(ErrorCode::Storage, format!("the answer could not be written: {err}")))
}

/// Declares every operation once: `role place name(args) => function;`. Generates `OPERATIONS`
/// and `dispatch`, which reads the arguments (camelCase keys, as Tauri names them) and calls the
/// function with the context.
macro_rules! operations {
    ($($role:ident $place:ident $name:ident($($arg:ident: $ty:ty),*) => $function:path;)*) => {
        /// Every operation, in the order they are listed.
        pub const OPERATIONS: &[Operation] =
            &[$(Operation { name: stringify!($name), role: Role::$role, place: Place::$place }),*];

        /// Runs the operation `name` with its JSON arguments; its answer as JSON.
        pub async fn dispatch(ctx: &Ctx<'_>, name: &str, args: Value) -> Reply<Value> {
            match name {
                $(stringify!($name) => {
                    #[derive(Deserialize)]
                    #[serde(rename_all = "camelCase")]
                    struct Args {
                        $($arg: $ty,)*
                    }
                    let Args { $($arg,)* } = arguments(name, args)?;
                    answer($function(ctx, $($arg),*).await)
                })*
                _ => Err(CommandError::new(ErrorCode::NotFound, format!("there is no operation {name:?}"))),
            }
        }
    };
}

operations! {
    Viewer Engine app_info() => calls::app_info;
    Viewer Engine list_calls() => calls::list_calls;
    Viewer Engine list_offers() => calls::list_offers;
    Viewer Engine call_detail(call_id: CallId) => history::call_detail;
    Dispatcher Engine start_call(
        contact_id: ContactId,
        agent_id: AgentId,
        request: Option<QuoteRequest>
    ) => calls::start_call;
    Dispatcher Engine call_with_action(call: ActionCall) => calls::call_with_action;
    Viewer Engine list_contacts() => contacts::list_contacts;
    Viewer Engine contact_calls(contact_id: ContactId) => contacts::contact_calls;
    Dispatcher Engine import_contacts(
        file_name: String,
        bytes: Vec<u8>,
        sheet: Option<String>,
        kind: Option<ContactKind>,
        dry_run: bool
    ) => contacts::import_contacts;
    Viewer Export export_contacts(path: PathBuf, ids: Vec<ContactId>)
        => contacts::export_contacts;
    Dispatcher Engine save_contact(id: Option<ContactId>, fields: ContactFields)
        => contacts::save_contact;
    Viewer Engine list_agents() => agents::list_agents;
    Viewer Engine list_presets() => agents::list_presets;
    Dispatcher Engine save_agent(id: Option<AgentId>, config: AgentConfig)
        => agents::save_agent;
    Viewer Engine agent_suite(agent_id: AgentId) => rehearsals::agent_suite;
    Dispatcher Engine save_agent_suite(agent_id: AgentId, suite: Suite)
        => rehearsals::save_agent_suite;
    Viewer Engine rehearsal_modes(agent_id: AgentId) => rehearsals::rehearsal_modes;
    Dispatcher Engine rehearse_agent(
        agent_id: AgentId,
        mode: RehearsalMode,
        scenario: Option<String>,
        runs: u32
    ) => rehearsals::rehearse_agent;
    Viewer Engine rehearsal_report(agent_id: AgentId) => rehearsals::rehearsal_report;
    Viewer Engine get_default_region() => settings::get_default_region;
    Admin Engine set_default_region(region: String) => settings::set_default_region;
    Viewer Console get_theme() => settings::get_theme;
    Viewer Console set_theme(theme: String) => settings::set_theme;
    Viewer Engine get_payment_terms_rate() => settings::get_payment_terms_rate;
    Admin Engine set_payment_terms_rate(rate: f64) => settings::set_payment_terms_rate;
    Viewer Engine get_cost_settings() => settings::get_cost_settings;
    Admin Engine set_cost_settings(settings: CostSettings) => settings::set_cost_settings;
    Dispatcher Engine set_campaign_budget(id: i64, budget_usd: f64) => campaigns::set_campaign_budget;
    Viewer Engine get_dispatcher_phone() => settings::get_dispatcher_phone;
    Dispatcher Engine set_dispatcher_phone(phone: String) => settings::set_dispatcher_phone;
    Viewer Engine call_controls(call_id: CallId) => call_control::call_controls;
    Dispatcher Engine control_call(
        call_id: CallId,
        action: ControlAction,
        text: String
    ) => call_control::control_call;
    Viewer Engine list_campaigns() => campaigns::list_campaigns;
    Viewer Engine check_campaign(
        kind: CampaignKind,
        agent_id: AgentId,
        negotiation_agent_id: Option<AgentId>,
        contacts: Vec<ContactId>,
        request: Option<QuoteRequest>
    ) => campaigns::check_campaign;
    Viewer Engine vendor_last_quotes(item: String) => campaigns::vendor_last_quotes;
    Viewer Engine vendor_past_items() => campaigns::vendor_past_items;
    Dispatcher Engine estimate_vendor_freight(id: i64, contact_id: ContactId, amount: Option<f64>)
        => campaigns::estimate_vendor_freight;
    Dispatcher Engine launch_campaign(spec: CampaignSpec) => campaigns::launch_campaign;
    Dispatcher Engine set_campaign_status(id: i64, status: String) => campaigns::set_campaign_status;
    Dispatcher Engine cancel_campaign(id: i64, end_calls: bool) => campaigns::cancel_campaign;
    Viewer Export export_campaign_summary(id: i64, path: PathBuf) => campaigns::export_campaign_summary;
    Dispatcher Engine resolve_driver_review(id: i64, contact_id: ContactId, note: String)
        => campaigns::resolve_driver_review;
    Viewer Engine analytics_figures(filter: AnalyticsFilter) => analytics::analytics_figures;
    Viewer Export export_analytics(
        filter: AnalyticsFilter,
        format: ExportFormat,
        path: PathBuf
    ) => analytics::export_analytics;
    Viewer Engine history_page(filter: CallFilter, before: Option<CallId>, limit: u32)
        => history::history_page;
    Viewer Engine history_count(filter: CallFilter) => history::history_count;
    Viewer Engine history_search(filter: CallFilter, text: String, limit: u32)
        => history::history_search;
    Viewer Export export_history(
        call_id: Option<CallId>,
        campaign_id: Option<i64>,
        format: ExportFormat,
        path: PathBuf
    ) => history::export_history;
    Viewer Engine contact_memory_text(contact_id: ContactId) => history::contact_memory_text;
    Viewer Engine get_history_settings() => history::get_history_settings;
    Admin Engine set_history_settings(settings: HistorySettings) => history::set_history_settings;
    Dispatcher Engine forget_contact(contact_id: ContactId) => history::forget_contact;
    Viewer Engine list_keys() => keys::list_keys;
    Viewer Engine listener_info() => listener::listener_info;
    Admin Engine set_listener_settings(port: u16, public_url: String, from_number: String)
        => listener::set_listener_settings;
    Admin Engine detect_ngrok() => listener::detect_ngrok;
    Viewer Engine twilio_from_number() => listener::twilio_from_number;
    Admin Engine set_key(id: String, value: String) => keys::set_key;
    Admin Engine delete_key(id: String) => keys::delete_key;
    Admin Engine test_connection(provider: String) => connection::test_connection;
    Viewer Speakers audio_devices() => playback::audio_devices;
    Viewer Desktop choose_audio_device(name: Option<String>) => playback::choose_audio_device;
    Viewer Heard play_recording(call_id: CallId, from_ms: u64) => playback::play_recording;
    Viewer Speakers pause_recording() => playback::pause_recording;
    Viewer Speakers seek_recording(position_ms: u64) => playback::seek_recording;
    Viewer Speakers set_playback_volume(volume: f32, muted: bool) => playback::set_playback_volume;
    Viewer Speakers playback_status() => playback::playback_status;
    Viewer Heard listen_to_call(call_id: CallId) => listen_in::listen_to_call;
    Viewer Speakers stop_listening() => listen_in::stop_listening;
    Viewer Speakers set_listening_volume(volume: f32, muted: bool) => listen_in::set_listening_volume;
    Viewer Speakers listening_status() => listen_in::listening_status;
    Viewer Engine store_writes_failing() => store_writes::store_writes_failing;
    Viewer Console team_status() => team::team_status;
    Viewer Console team_certificate(url: String) => team::team_certificate;
    Viewer Console team_sign_in(url: String, name: String, password: String, fingerprint: Option<String>) => team::team_sign_in;
    Viewer Console use_this_computer() => team::use_this_computer;
    Viewer Console team_offline() => team::team_offline;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_is_listed_once() {
        let mut names: Vec<&str> = OPERATIONS.iter().map(|operation| operation.name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "an operation is listed twice");
        assert!(Role::Viewer < Role::Dispatcher && Role::Dispatcher < Role::Admin);
    }
}
