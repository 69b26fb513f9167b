//! Campaigns: many calls in rounds. Vendor quote runs call every vendor, then negotiate with
//! every vendor above the best price, then summarise; driver batches call every driver and
//! record an outcome each. The runner derives everything from the store at each step, so a
//! campaign resumes where it was after the app restarts.

mod cancel;
mod launch_check;
mod outcome;
mod runner;
mod spec;
mod view;

pub use cancel::{CallLeft, CancelReport, LET_FINISH};
pub use launch_check::{LaunchProblem, launch_problems};
pub use outcome::{CampaignResult, DriverOutcome};
pub use runner::spawn_runner;
pub use spec::{CampaignKind, CampaignSpec};
pub use view::{CampaignView, RoundProgress, TargetView, campaign_view};
