//! The TypeScript declarations of every type the console receives, generated from the Rust
//! types into `ui/src/lib/bindings.ts`. A test fails when the committed file is stale;
//! `UPDATE_BINDINGS=1 cargo test -p switchboard bindings` rewrites it.

use std::path::PathBuf;

use switchboard_core as core;
use switchboard_engine::{EngineEvent, ErrorCode, campaigns, contacts, history, rehearsal, tables};
use ts_rs::{Config, TS};

use crate::dto::{
    AppInfo, CommandError, ConnectionOutcome, ConnectionResult, ForgetReport, HistoryHit, HistorySettings, InstallPaths,
};

fn declaration<T: TS>(cfg: &Config) -> String {
    format!("export {}\n", T::decl(cfg))
}

fn typescript() -> String {
    let cfg = Config::new();
    let mut out = String::from(
        "// Generated from the Rust types by `UPDATE_BINDINGS=1 cargo test -p switchboard bindings`.\n// Do not edit by hand.\n\n",
    );
    for decl in [
        declaration::<core::CallId>(&cfg),
        declaration::<core::ContactId>(&cfg),
        declaration::<core::AgentId>(&cfg),
        declaration::<core::UnixMillis>(&cfg),
        declaration::<core::BackendKind>(&cfg),
        declaration::<core::AgentPurpose>(&cfg),
        declaration::<core::FieldType>(&cfg),
        declaration::<core::DataField>(&cfg),
        declaration::<core::Example>(&cfg),
        declaration::<core::VoicemailPolicy>(&cfg),
        declaration::<core::CallingWindow>(&cfg),
        declaration::<core::ElevenLabsSettings>(&cfg),
        declaration::<core::UltravoxSettings>(&cfg),
        declaration::<core::VapiSettings>(&cfg),
        declaration::<core::PipelineSettings>(&cfg),
        declaration::<core::GatherSettings>(&cfg),
        declaration::<core::BackendSettings>(&cfg),
        declaration::<core::AgentConfig>(&cfg),
        declaration::<core::Agent>(&cfg),
        declaration::<core::FieldError>(&cfg),
        declaration::<core::ContactKind>(&cfg),
        declaration::<core::VendorDetails>(&cfg),
        declaration::<core::PersonDetails>(&cfg),
        declaration::<core::Severity>(&cfg),
        declaration::<core::Violation>(&cfg),
        declaration::<core::TripData>(&cfg),
        declaration::<core::DriverDetails>(&cfg),
        declaration::<core::ContactDetails>(&cfg),
        declaration::<core::ContactFields>(&cfg),
        declaration::<core::Contact>(&cfg),
        declaration::<core::CallState>(&cfg),
        declaration::<core::CallSummary>(&cfg),
        declaration::<core::Speaker>(&cfg),
        declaration::<core::TranscriptLine>(&cfg),
        declaration::<core::Offer>(&cfg),
        declaration::<core::ControlAction>(&cfg),
        declaration::<core::ControlOffer>(&cfg),
        declaration::<core::ActionStatus>(&cfg),
        declaration::<core::CallAction>(&cfg),
        declaration::<core::Behaviour>(&cfg),
        declaration::<core::Callee>(&cfg),
        declaration::<core::FieldExpectation>(&cfg),
        declaration::<core::Expectations>(&cfg),
        declaration::<core::Scenario>(&cfg),
        declaration::<core::Suite>(&cfg),
        declaration::<core::RehearsalMode>(&cfg),
        declaration::<core::RehearsalEnding>(&cfg),
        declaration::<core::Rehearsed>(&cfg),
        declaration::<core::Check>(&cfg),
        declaration::<core::RehearsalRun>(&cfg),
        declaration::<core::ScenarioResult>(&cfg),
        declaration::<rehearsal::AgentSuite>(&cfg),
        declaration::<rehearsal::RehearsalModeStatus>(&cfg),
        declaration::<rehearsal::RehearsalReport>(&cfg),
        declaration::<rehearsal::EarlierRehearsal>(&cfg),
        declaration::<EngineEvent>(&cfg),
        declaration::<ErrorCode>(&cfg),
        declaration::<switchboard_engine::ActionCall>(&cfg),
        declaration::<core::VendorFreight>(&cfg),
        declaration::<core::QuoteRequest>(&cfg),
        declaration::<core::Freight>(&cfg),
        declaration::<core::EarlyDiscount>(&cfg),
        declaration::<core::PaymentTerms>(&cfg),
        declaration::<core::FlagKind>(&cfg),
        declaration::<core::QuoteFlag>(&cfg),
        declaration::<core::LandedCost>(&cfg),
        declaration::<core::RoundQuote>(&cfg),
        declaration::<core::NegotiationTarget>(&cfg),
        declaration::<core::NegotiationPlan>(&cfg),
        declaration::<core::RoundPrice>(&cfg),
        declaration::<core::RankedOffer>(&cfg),
        declaration::<core::QuoteSummary>(&cfg),
        declaration::<campaigns::CampaignKind>(&cfg),
        declaration::<campaigns::CampaignSpec>(&cfg),
        declaration::<campaigns::DriverAnswer>(&cfg),
        declaration::<campaigns::Resolution>(&cfg),
        declaration::<campaigns::OutcomeCount>(&cfg),
        declaration::<campaigns::DriverOutcome>(&cfg),
        declaration::<campaigns::CampaignResult>(&cfg),
        declaration::<campaigns::RoundProgress>(&cfg),
        declaration::<campaigns::TargetView>(&cfg),
        declaration::<switchboard_engine::costs::RoundCost>(&cfg),
        declaration::<switchboard_engine::costs::CampaignCost>(&cfg),
        declaration::<campaigns::CampaignView>(&cfg),
        declaration::<campaigns::LaunchProblem>(&cfg),
        declaration::<campaigns::LastQuote>(&cfg),
        declaration::<campaigns::PastItems>(&cfg),
        declaration::<campaigns::CallLeft>(&cfg),
        declaration::<crate::dto::CampaignCanceled>(&cfg),
        declaration::<contacts::RowError>(&cfg),
        declaration::<contacts::RowOutcome>(&cfg),
        declaration::<contacts::RowReport>(&cfg),
        declaration::<contacts::ImportReport>(&cfg),
        declaration::<CommandError>(&cfg),
        declaration::<core::CallFilter>(&cfg),
        declaration::<core::AnalyticsFilter>(&cfg),
        declaration::<core::Figures>(&cfg),
        declaration::<core::GroupFigures>(&cfg),
        declaration::<core::BackendLatency>(&cfg),
        declaration::<core::Analytics>(&cfg),
        declaration::<core::CallCost>(&cfg),
        declaration::<core::CostItem>(&cfg),
        declaration::<core::CallPrice>(&cfg),
        declaration::<core::CostRates>(&cfg),
        declaration::<core::CostSettings>(&cfg),
        declaration::<core::TurnLatency>(&cfg),
        declaration::<core::AudioPacing>(&cfg),
        declaration::<core::HeardLatency>(&cfg),
        declaration::<core::RecordingInfo>(&cfg),
        declaration::<history::CollectedField>(&cfg),
        declaration::<history::CallRecord>(&cfg),
        declaration::<tables::ExportFormat>(&cfg),
        declaration::<HistoryHit>(&cfg),
        declaration::<HistorySettings>(&cfg),
        declaration::<ForgetReport>(&cfg),
        declaration::<crate::team::link::TeamConnection>(&cfg),
        declaration::<crate::team::trust::ServerTrust>(&cfg),
        declaration::<crate::team::trust::CertificateCheck>(&cfg),
        declaration::<crate::team::offline::OfflineCopy>(&cfg),
        declaration::<crate::playback::PlaybackStatus>(&cfg),
        declaration::<crate::playback::AudioDevices>(&cfg),
        declaration::<crate::listen_in::ListeningStatus>(&cfg),
        declaration::<crate::keychain::KeyStatus>(&cfg),
        declaration::<crate::keychain::KeysView>(&cfg),
        declaration::<ConnectionOutcome>(&cfg),
        declaration::<ConnectionResult>(&cfg),
        declaration::<crate::listener::WebhookUrl>(&cfg),
        declaration::<crate::listener::ListenerInfo>(&cfg),
        declaration::<InstallPaths>(&cfg),
        declaration::<AppInfo>(&cfg),
    ] {
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

#[test]
fn bindings_are_fresh() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
    let generated = typescript();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p switchboard bindings` and commit it",
        path.display()
    );
}
