//! `switchboard call`: one call with an action and context (seed 001's API), on the agent's
//! backend (or `--backend`), with its transcript printed as it happens. A call a provider carries
//! runs the webhook listener meanwhile, so its webhooks arrive. Holds the profile (see
//! `profile_lock`) meanwhile. Ctrl-C (or SIGTERM) ends the call through its backend, as the
//! window's End does, and waits for its end; a second one leaves at once.

use std::process::ExitCode;

use clap::Args;
use switchboard_core::{ActionStatus, AgentPurpose, BackendKind, ControlAction, Speaker};
use switchboard_engine::{ActionCall, EngineEvent};
use switchboard_sim::{Cast, SimSettings};

use crate::output::print;
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, ProfileLock};
use crate::startup::{self, BackendArg, ProviderArgs, SETTLE, Startup};

/// The arguments of `call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The number to call.
    #[arg(long)]
    phone: String,
    /// What the call is for.
    #[arg(long)]
    action: String,
    /// What the agent may use to answer questions.
    #[arg(long, default_value = "")]
    context: String,
    #[arg(long, default_value = "")]
    callee_name: String,
    /// The agent to use, by name (default: the first general-purpose agent).
    #[arg(long)]
    agent: Option<String>,
    /// The name the agent gives itself.
    #[arg(long)]
    agent_name: Option<String>,
    /// The organisation the agent calls for.
    #[arg(long)]
    organization: Option<String>,
    /// The backend to place the call on (default: the agent's).
    #[arg(long, value_enum, default_value = "agent")]
    backend: BackendArg,
    #[command(flatten)]
    providers: ProviderArgs,
    /// Play the simulated call this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Print the finished call as JSON instead of the live transcript.
    #[arg(long)]
    json: bool,
}

/// Places the call and follows it to its end.
pub fn run(args: CallArgs) -> Result<ExitCode, String> {
    let paths = DataPaths::resolve();
    let _lock = ProfileLock::acquire(&paths, Holder::Call).map_err(|err| err.to_string())?;
    let store = startup::open_store(&paths)?;
    let agents = store.list_agents().map_err(|err| err.to_string())?;
    let agent = match &args.agent {
        None => agents.iter().find(|a| a.config.purpose == AgentPurpose::Generic),
        Some(name) => Some(
            agents
                .iter()
                .find(|a| a.config.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| format!("no agent named {name:?}"))?,
        ),
    };
    let agent_id = args.agent.as_ref().and(agent.map(|a| a.id));
    let backend = args.backend.kind().or(agent.map(|a| a.config.backend)).unwrap_or(BackendKind::Simulator);
    let call = ActionCall {
        phone: args.phone,
        action: args.action,
        context: args.context,
        callee_name: args.callee_name,
        agent_id,
        agent_name: args.agent_name,
        organization: args.organization,
    };
    let time_scale = args.time_scale.max(0.01);
    let mut stops = crate::serve::stop_signals()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    let ended = runtime.block_on(async move {
        let startup = Startup {
            store: std::sync::Arc::clone(&store),
            keychain: args.providers.keychain(),
            sim: SimSettings { time_scale, cast: Cast::Cooperative, ..SimSettings::default() },
            listener: (backend != BackendKind::Simulator).then(|| args.providers.listener()),
            resume_campaigns: false,
            backend_override: args.backend.kind(),
            max_campaign_calls: None,
            node: Default::default(),
        };
        let (switchboard, _) = startup::start(&paths, startup).await?;
        let engine = std::sync::Arc::clone(&switchboard.engine);
        let mut events = engine.bus().subscribe();
        let placed = engine.call_with_action(call).await.map_err(|err| err.to_string())?;
        let mut ending = false;
        let ended = loop {
            let event = tokio::select! {
                event = events.recv() => event.map_err(|err| err.to_string())?,
                _ = stops.recv() => {
                    if ending {
                        return Err("left while the call was ending".to_owned());
                    }
                    ending = true;
                    eprintln!("switchboard: ending the call (Ctrl-C again: leave now)");
                    // Refused (the call just ended, or its provider said no): say why and wait
                    // for its end as before.
                    match engine.control_call(placed.id, ControlAction::End, "").await {
                        Ok(action) if action.status == ActionStatus::Refused => {
                            eprintln!("switchboard: not ended: {}", action.result.unwrap_or_default());
                        }
                        Ok(_) => {}
                        Err(err) => eprintln!("switchboard: not ended: {err}"),
                    }
                    continue;
                }
            };
            match &*event {
                EngineEvent::TranscriptLine { call_id, line } if *call_id == placed.id && !args.json => {
                    let who = if line.speaker == Speaker::Agent { "agent " } else { "callee" };
                    print(&format!("{who}  {}\n", line.text));
                }
                EngineEvent::CallUpdated { call } if call.id == placed.id && call.state.is_terminal() => {
                    let transcript = store.transcript(call.id).map_err(|err| err.to_string())?;
                    let fields = store.collected_fields(call.id).map_err(|err| err.to_string())?;
                    break (call.clone(), transcript, fields);
                }
                _ => {}
            }
        };
        switchboard.stop(SETTLE, std::future::pending()).await;
        Ok::<_, String>(ended)
    })?;
    let (call, transcript, fields) = ended;
    if args.json {
        let value = serde_json::json!({ "call": call, "transcript": transcript, "fields": fields });
        print(&(serde_json::to_string_pretty(&value).map_err(|err| err.to_string())? + "\n"));
    } else {
        print(&format!("\n{}: {}\n", call.state.as_str(), call.end_reason.unwrap_or_default()));
        for (key, value) in fields {
            print(&format!("  {key}: {value}\n"));
        }
    }
    Ok(if call.state == switchboard_core::CallState::Completed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
