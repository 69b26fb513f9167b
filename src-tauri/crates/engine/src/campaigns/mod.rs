//! Campaigns: many calls in rounds. Vendor quote runs ask every vendor for the campaign's
//! request, then negotiate with every vendor above the best landed cost, then summarise; driver batches call every driver and
//! record an outcome each. The runner derives everything from the store at each step, so a
//! campaign resumes where it was after the app restarts.

mod cancel;
mod claim_queue;
mod drivers;
mod freight_estimate;
mod last_quotes;
mod launch_check;
mod outcome;
mod past_items;
mod quote_basis;
mod quote_table;
mod runner;
mod spec;
mod view;

pub use cancel::{CallLeft, CancelReport, LET_FINISH};
pub use drivers::{DriverAnswer, DriverOutcome, OutcomeCount, Resolution, classify, outcome_counts, resolve_review};
pub use freight_estimate::estimate_freight;
pub use last_quotes::{LastQuote, last_quotes};
pub use launch_check::{LaunchProblem, launch_problems};
pub use outcome::CampaignResult;
pub use past_items::{PastItems, past_items};
pub use runner::spawn_runner;
pub use spec::{CampaignKind, CampaignSpec};
pub use view::{CampaignView, RoundProgress, TargetView, campaign_view};
