//! `switchboard campaign run | list | show`: campaigns from the command line, through the same
//! engine and database as the console, on the agents' backends (or `--backend`); calls a provider
//! carries run the webhook listener meanwhile. `run` holds the profile (see `profile_lock`) while
//! it runs; pause, resume and cancel are in `campaign_control`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use switchboard_core::{AgentId, AgentPurpose, BackendKind, ContactKind, QuoteRequest};
use switchboard_engine::campaigns::{CampaignKind, CampaignResult, CampaignSpec, campaign_view};
use switchboard_engine::contacts::{ImportOptions, RowOutcome, import_contacts};
use switchboard_engine::costs::CampaignCost;
use switchboard_engine::settings::default_region;
use switchboard_engine::{EngineEvent, local_date, now};
use switchboard_sim::{Cast, SimSettings};
use switchboard_store::{CampaignRow, Store};
use switchboard_telephony::root::Switchboard;

use crate::output::print;
use crate::paths::DataPaths;
use crate::profile_lock::{Holder, ProfileLock};
use crate::startup::{self, BackendArg, ProviderArgs, SETTLE, Startup, open_store};

/// The arguments of `campaign run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(long, value_enum)]
    kind: KindArg,
    /// Contacts to call (CSV or JSON); imported (merged by number) before the run.
    #[arg(long)]
    contacts: PathBuf,
    /// The agent for round 1, by name.
    #[arg(long)]
    agent: String,
    /// The agent for the negotiation round (default: the first vendor-negotiation agent).
    #[arg(long)]
    negotiation_agent: Option<String>,
    #[command(flatten)]
    run: RunOn,
    /// Calls at once.
    #[arg(long, default_value_t = 5)]
    concurrency: u32,
    /// Attempts per contact and round.
    #[arg(long, default_value_t = 2)]
    attempts: u32,
    /// Call even outside the agents' calling windows.
    #[arg(long)]
    ignore_windows: bool,
    /// The most the campaign may spend, in US dollars: no call starts that would pass it (the
    /// campaign pauses, "budget reached"; `campaign resume ID --budget` goes on).
    #[arg(long)]
    budget: Option<f64>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    request: RequestArgs,
}

/// What a vendor-quote campaign asks every vendor for (its request).
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The item to quote (vendor-quote; required).
    #[arg(long)]
    item: Option<String>,
    /// How many to buy (vendor-quote; required).
    #[arg(long)]
    quantity: Option<u32>,
    /// What the quantity counts ("pcs", "boxes"; default units).
    #[arg(long)]
    unit: Option<String>,
    /// The landed unit price hoped for, in dollars.
    #[arg(long, allow_negative_numbers = true)]
    target_price: Option<f64>,
    /// Where the goods are delivered.
    #[arg(long)]
    deliver_to: Option<String>,
    /// The date the goods are needed by (YYYY-MM-DD).
    #[arg(long)]
    needed_by: Option<String>,
    /// Notes for the vendors.
    #[arg(long)]
    notes: Option<String>,
}

impl RequestArgs {
    /// The flag each request field is given with.
    const FLAGS: [(&'static str, &'static str); 7] = [
        ("request.item", "--item"),
        ("request.quantity", "--quantity"),
        ("request.unit", "--unit"),
        ("request.targetPrice", "--target-price"),
        ("request.deliveryLocation", "--deliver-to"),
        ("request.neededBy", "--needed-by"),
        ("request.notes", "--notes"),
    ];

    /// The request a campaign of `kind` asks, checked as the builder's is (dates against
    /// today); every problem names its flag. A driver campaign has none.
    fn request(&self, kind: CampaignKind) -> Result<Option<QuoteRequest>, String> {
        let given = Self::FLAGS.iter().zip(self.given()).filter(|(_, given)| *given).map(|((_, flag), _)| *flag);
        let given: Vec<&str> = given.collect();
        if kind == CampaignKind::DriverViolation {
            if given.is_empty() {
                return Ok(None);
            }
            return Err(format!("{} only apply to a vendor-quote campaign", given.join(", ")));
        }
        let (Some(item), Some(quantity)) = (&self.item, self.quantity) else {
            return Err("a vendor-quote campaign says what to quote: give --item and --quantity".to_owned());
        };
        let request = QuoteRequest {
            item: item.trim().to_owned(),
            quantity,
            unit: self.unit.clone().unwrap_or_default(),
            target_price: self.target_price,
            delivery_location: self.deliver_to.clone(),
            needed_by: self.needed_by.clone(),
            notes: self.notes.clone(),
            ..QuoteRequest::default()
        };
        let problems: Vec<String> = request
            .problems(local_date(now()))
            .into_iter()
            .map(|problem| {
                let flag = Self::FLAGS.iter().find(|(field, _)| *field == problem.field).map_or("", |(_, f)| f);
                format!("{flag}: {}", problem.message)
            })
            .collect();
        if problems.is_empty() { Ok(Some(request)) } else { Err(problems.join("\n")) }
    }

    /// Which of the flags (in the order of [`Self::FLAGS`]) were given.
    fn given(&self) -> [bool; 7] {
        [
            self.item.is_some(),
            self.quantity.is_some(),
            self.unit.is_some(),
            self.target_price.is_some(),
            self.deliver_to.is_some(),
            self.needed_by.is_some(),
            self.notes.is_some(),
        ]
    }
}

/// Where a campaign's calls run: the backend, the providers, the simulator.
#[derive(Debug, Args)]
pub struct RunOn {
    /// The backend to place the calls on (default: each agent's).
    #[arg(long, value_enum, default_value = "agent")]
    backend: BackendArg,
    #[command(flatten)]
    providers: ProviderArgs,
    #[command(flatten)]
    sim: SimArgs,
}

/// How the simulator plays a campaign's calls.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Play simulated calls this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Who answers on the simulator: a realistic mix, or everyone (cooperative).
    #[arg(long, value_enum, default_value = "realistic")]
    cast: CastArg,
}

impl SimArgs {
    fn time_scale(&self) -> f64 {
        self.time_scale.max(0.01)
    }

    fn settings(&self) -> SimSettings {
        let cast = match self.cast {
            CastArg::Realistic => Cast::Realistic,
            CastArg::Cooperative => Cast::Cooperative,
        };
        SimSettings { time_scale: self.time_scale(), cast, ..SimSettings::default() }
    }
}

impl RunOn {
    /// Starts Switchboard to run the calls of `agents` over `store` (see
    /// [`startup::start`]): with the listener when any of them goes to a provider.
    pub async fn start(
        &self,
        paths: &DataPaths,
        store: &Arc<Store>,
        agents: &[AgentId],
    ) -> Result<Switchboard, String> {
        let backends = match self.backend.kind() {
            Some(kind) => vec![kind],
            None => {
                let all = store.list_agents().map_err(|err| err.to_string())?;
                all.into_iter().filter(|a| agents.contains(&a.id)).map(|a| a.config.backend).collect()
            }
        };
        let startup = Startup {
            store: Arc::clone(store),
            keychain: self.providers.keychain(),
            sim: self.sim.settings(),
            listener: backends.iter().any(|kind| *kind != BackendKind::Simulator).then(|| self.providers.listener()),
            resume_campaigns: false,
            backend_override: self.backend.kind(),
            max_campaign_calls: None,
            node: Default::default(),
        };
        Ok(startup::start(paths, startup).await?.0)
    }
}

/// The agents campaign `id` calls with.
pub fn campaign_agents(store: &Store, id: i64) -> Result<Vec<AgentId>, String> {
    let campaign = store.campaign(id).map_err(|err| err.to_string())?.ok_or(format!("no campaign {id}"))?;
    let spec: CampaignSpec = serde_json::from_str(&campaign.spec).map_err(|err| format!("campaign {id}: {err}"))?;
    Ok(std::iter::once(spec.agent_id).chain(spec.negotiation_agent_id).collect())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    VendorQuote,
    DriverViolation,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CastArg {
    Realistic,
    Cooperative,
}

/// `campaign run`: holds the profile while it runs the campaign to its summary.
pub fn run(paths: &DataPaths, args: RunArgs) -> Result<ExitCode, String> {
    let lock = ProfileLock::acquire(paths, Holder::CampaignRun).map_err(|err| err.to_string())?;
    run_campaign(paths, open_store(paths)?, lock, args)
}

fn run_campaign(
    paths: &DataPaths,
    store: Arc<Store>,
    mut lock: ProfileLock,
    args: RunArgs,
) -> Result<ExitCode, String> {
    let kind = match args.kind {
        KindArg::VendorQuote => CampaignKind::VendorQuote,
        KindArg::DriverViolation => CampaignKind::DriverViolation,
    };
    // The request is checked before anything is imported, so a refused run changes nothing.
    let request = args.request.request(kind)?;
    let text =
        std::fs::read(&args.contacts).map_err(|err| format!("cannot read {}: {err}", args.contacts.display()))?;
    let region = default_region(&store).map_err(|err| err.to_string())?;
    let contact_kind = if kind == CampaignKind::VendorQuote { ContactKind::Vendor } else { ContactKind::Driver };
    let options = ImportOptions { kind: Some(contact_kind), dry_run: false, region, sheet: None };
    let source = args.contacts.display().to_string();
    let report = import_contacts(&store, &source, &text, &options).map_err(|err| err.to_string())?;
    if report.rejected > 0 {
        eprint!("{}", report.to_text());
    }
    let mut contacts: Vec<_> = report
        .rows
        .iter()
        .filter_map(|row| match row.outcome {
            RowOutcome::Imported { contact_id } | RowOutcome::Merged { contact_id, .. } => contact_id,
            RowOutcome::Rejected { .. } => None,
        })
        .collect();
    contacts.dedup();
    if contacts.is_empty() {
        return Err(format!("{source} has no contact to call"));
    }

    let agents = store.list_agents().map_err(|err| err.to_string())?;
    let by_name = |name: &str| {
        agents.iter().find(|a| a.config.name.eq_ignore_ascii_case(name)).map(|a| a.id).ok_or_else(|| {
            let known: Vec<&str> = agents.iter().map(|a| a.config.name.as_str()).collect();
            format!("no agent named {name:?}; the agents are: {}", known.join(", "))
        })
    };
    let agent_id = by_name(&args.agent)?;
    let negotiation_agent_id = match (&args.negotiation_agent, kind) {
        (Some(name), _) => Some(by_name(name)?),
        (None, CampaignKind::VendorQuote) => {
            agents.iter().find(|a| a.config.purpose == AgentPurpose::VendorNegotiation).map(|a| a.id)
        }
        (None, CampaignKind::DriverViolation) => None,
    };
    if let Some(budget) = args.budget
        && !(budget.is_finite() && budget > 0.0)
    {
        return Err(format!("--budget must be an amount above 0 dollars, not {budget}"));
    }
    let time_scale = args.run.sim.time_scale();
    let spec = CampaignSpec {
        name: format!("{} from {}", kind.as_str(), source),
        kind,
        agent_id,
        negotiation_agent_id,
        contacts: contacts.clone(),
        concurrency: args.concurrency.max(1),
        max_attempts: args.attempts.max(1),
        retry_spacing_ms: (300_000.0 / time_scale) as u32,
        ignore_calling_windows: args.ignore_windows,
        budget_usd: args.budget,
        request,
    };

    let runtime = tokio::runtime::Runtime::new().map_err(|err| err.to_string())?;
    runtime.block_on(async move {
        let agents: Vec<AgentId> = std::iter::once(spec.agent_id).chain(spec.negotiation_agent_id).collect();
        let switchboard = args.run.start(paths, &store, &agents).await?;
        let engine = Arc::clone(&switchboard.engine);
        let mut events = engine.bus().subscribe();
        let id = engine.launch_campaign(spec).await.map_err(|err| err.to_string())?;
        if let Err(err) = lock.describe(&format!("{} #{id}", Holder::CampaignRun.as_str())) {
            tracing::warn!(error = %err, "could not note the campaign in the profile's lock file");
        }
        let followed = follow(&store, id, &mut events, args.json).await;
        switchboard.stop(SETTLE, std::future::pending()).await;
        followed
    })
}

/// Shows campaign `id`'s progress on stderr until it ends, then its summary on stdout. A paused
/// campaign is waited for; a canceled one ends the command (failing) once its calls have.
pub async fn follow(
    store: &Arc<Store>,
    id: i64,
    events: &mut tokio::sync::broadcast::Receiver<Arc<switchboard_engine::EngineEvent>>,
    json: bool,
) -> Result<ExitCode, String> {
    let mut shown = String::new();
    let mut round = 1;
    let summary = loop {
        let campaign = store.campaign(id).map_err(|err| err.to_string())?.ok_or("the campaign vanished")?;
        // Show every round through to its end, even one that finished between two looks.
        while round <= campaign.round {
            let targets = store.campaign_targets(id, round).map_err(|err| err.to_string())?;
            let done = targets.iter().filter(|t| !matches!(t.status.as_str(), "pending" | "calling")).count();
            let mut line = progress_bar(round, done, targets.len());
            if round == campaign.round {
                line.push_str(&spent_text(store, &campaign)?);
            }
            if campaign.status == "paused" && round == campaign.round {
                match &campaign.status_reason {
                    Some(reason) => line.push_str(&format!(" (paused: {reason})")),
                    None => line.push_str(" (paused)"),
                }
            }
            if line != shown {
                eprintln!("{line}");
                shown = line;
            }
            if round == campaign.round {
                break;
            }
            round += 1;
        }
        match campaign.status.as_str() {
            "running" | "paused" => {}
            "canceled" => {
                let targets = store.campaign_targets(id, campaign.round).map_err(|err| err.to_string())?;
                if targets.iter().all(|t| t.status != "calling") {
                    return Err(format!("campaign {id} was canceled"));
                }
            }
            _ => {
                break campaign.summary.ok_or_else(|| match campaign.status_reason {
                    Some(reason) => format!("the campaign stopped: {reason}"),
                    None => format!("the campaign ended {}", campaign.status),
                })?;
            }
        }
        // Look again when anything happens (or twice a second); what happened is in the store.
        // Failing writes pause the campaign: say why, and when it goes on.
        let first = tokio::time::timeout(std::time::Duration::from_millis(500), events.recv()).await;
        let mut next = first.ok().and_then(Result::ok);
        while let Some(event) = next {
            match &*event {
                EngineEvent::StoreWritesFailing { message } => eprintln!("{message}; the campaign is paused"),
                EngineEvent::StoreWritesRecovered => {
                    eprintln!("the database can be written again; the campaign goes on")
                }
                _ => {}
            }
            next = events.try_recv().ok();
        }
    };
    let result: CampaignResult = serde_json::from_str(&summary).map_err(|err| err.to_string())?;
    let out = if json {
        serde_json::to_string_pretty(&result).map_err(|err| err.to_string())? + "\n"
    } else {
        result.to_text()
    };
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// "  $0.42 spent of a $1.00 budget" (or without a budget), when anything was spent.
fn spent_text(store: &Store, campaign: &CampaignRow) -> Result<String, String> {
    let spent: f64 =
        store.campaign_spending(campaign.id).map_err(|err| err.to_string())?.iter().map(|round| round.spent_usd).sum();
    Ok(match campaign.budget_usd {
        Some(budget) => format!("  ${spent:.2} spent of a ${budget:.2} budget"),
        None if spent > 0.0 => format!("  ${spent:.2} spent"),
        None => String::new(),
    })
}

/// What a campaign spent and should still cost, in lines for `campaign show`.
fn cost_text(cost: &CampaignCost) -> String {
    let estimate = if cost.estimate { " (estimate)" } else { "" };
    let mut out = format!("spent: ${:.4} on {} calls{estimate}\n", cost.spent_usd, cost.calls);
    match cost.projected_usd {
        Some(projected) => out.push_str(&format!("projected for the rest: ${projected:.4}\n")),
        None => out.push_str("projected for the rest: not known until a call is priced\n"),
    }
    if let Some(budget) = cost.budget_usd {
        out.push_str(&format!("budget: ${budget:.4}\n"));
    }
    for round in cost.rounds.iter().filter(|round| round.calls > 0 || round.left > 0) {
        let average =
            round.average_usd.map_or_else(|| "no call priced".to_owned(), |average| format!("${average:.4} a call"));
        let projected =
            round.projected_usd.map_or_else(String::new, |projected| format!(", ${projected:.4} projected"));
        out.push_str(&format!(
            "  round {}: ${:.4} on {} calls ({average}), {} left{projected}\n",
            round.round, round.spent_usd, round.calls, round.left
        ));
    }
    out
}

fn progress_bar(round: u8, done: usize, total: usize) -> String {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    format!("round {round} [{}{}] {done}/{total}", "#".repeat(filled), ".".repeat(width - filled))
}

/// `campaign list`: every campaign in the database, one line each.
pub fn list(paths: &DataPaths) -> Result<ExitCode, String> {
    let store = open_store(paths)?;
    let mut out = String::new();
    for c in store.list_campaigns().map_err(|err| err.to_string())? {
        out.push_str(&format!("{:>4}  {:<16} {:<10} round {}  {}\n", c.id, c.kind, c.status, c.round, c.name));
        if let Some(reason) = &c.status_reason {
            out.push_str(&format!("      {}: {reason}\n", if c.status == "paused" { "paused" } else { "stopped" }));
        }
    }
    print(&out);
    Ok(ExitCode::SUCCESS)
}

/// `campaign show ID`: one campaign's targets per round and its summary.
pub fn show(paths: &DataPaths, id: i64, json: bool) -> Result<ExitCode, String> {
    let store = open_store(paths)?;
    let campaign = store.campaign(id).map_err(|err| err.to_string())?.ok_or(format!("no campaign {id}"))?;
    let result: Option<CampaignResult> =
        campaign.summary.as_deref().map(serde_json::from_str).transpose().map_err(|err| err.to_string())?;
    let cost = campaign_view(&store, campaign.clone()).map_err(|err| err.to_string())?.cost;
    if json {
        let value = serde_json::json!({
            "id": campaign.id, "name": campaign.name, "kind": campaign.kind,
            "status": campaign.status, "statusReason": campaign.status_reason,
            "round": campaign.round, "summary": result, "cost": cost,
        });
        print(&(serde_json::to_string_pretty(&value).map_err(|err| err.to_string())? + "\n"));
    } else {
        let mut out = format!("{} ({}, {}, round {})\n", campaign.name, campaign.kind, campaign.status, campaign.round);
        if let Some(reason) = &campaign.status_reason {
            out.push_str(&format!("{}: {reason}\n", if campaign.status == "paused" { "paused" } else { "stopped" }));
        }
        out.push_str(&cost_text(&cost));
        for round in 1..=campaign.round {
            for t in store.campaign_targets(id, round).map_err(|err| err.to_string())? {
                let who = store.contact(t.contact_id).ok().flatten().map(|c| c.fields.name).unwrap_or_default();
                out.push_str(&format!(
                    "  round {round}  {who:<32} {:<8} {}\n",
                    t.status,
                    t.outcome.unwrap_or_default()
                ));
            }
        }
        if let Some(result) = result {
            out.push('\n');
            out.push_str(&result.to_text());
        }
        print(&out);
    }
    Ok(ExitCode::SUCCESS)
}
