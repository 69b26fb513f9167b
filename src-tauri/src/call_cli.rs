//! `switchboard call`: one call with an action and context (seed 001's API), on the simulator,
//! with its transcript printed as it happens. Holds the profile (see `profile_lock`) meanwhile.

use std::process::ExitCode;

use clap::Args;
use switchboard_core::Speaker;
use switchboard_engine::{ActionCall, EngineEvent};
use switchboard_sim::{Cast, SimSettings};

use crate::campaign_cli::{open_store, print, simulator_engine};
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, ProfileLock};

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
    let store = open_store(&paths)?;
    let agent_id = match &args.agent {
        None => None,
        Some(name) => Some(
            store
                .list_agents()
                .map_err(|err| err.to_string())?
                .into_iter()
                .find(|a| a.config.name.eq_ignore_ascii_case(name))
                .map(|a| a.id)
                .ok_or_else(|| format!("no agent named {name:?}"))?,
        ),
    };
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
    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    let ended = runtime.block_on(async move {
        let sim = SimSettings { time_scale, cast: Cast::Cooperative, ..SimSettings::default() };
        let engine = simulator_engine(&store, sim).await?;
        let mut events = engine.bus().subscribe();
        let placed = engine.call_with_action(call).await.map_err(|err| err.to_string())?;
        loop {
            let event = events.recv().await.map_err(|err| err.to_string())?;
            match &*event {
                EngineEvent::TranscriptLine { call_id, line } if *call_id == placed.id && !args.json => {
                    let who = if line.speaker == Speaker::Agent { "agent " } else { "callee" };
                    print(&format!("{who}  {}\n", line.text));
                }
                EngineEvent::CallUpdated { call } if call.id == placed.id && call.state.is_terminal() => {
                    let transcript = store.transcript(call.id).map_err(|err| err.to_string())?;
                    let fields = store.collected_fields(call.id).map_err(|err| err.to_string())?;
                    break Ok::<_, String>((call.clone(), transcript, fields));
                }
                _ => {}
            }
        }
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
