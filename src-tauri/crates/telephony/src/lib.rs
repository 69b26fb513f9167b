//! Switchboard's telephony: the webhook listener and its routes, the provider client set, the
//! call backends that place real calls (the hosted agents, the Twilio dialer, the self-hosted
//! pipeline and speech-gather), the reconcilers, listen-in forks of hosted calls, and the
//! composition root that starts them all together ([`root`]).

pub mod backends;
pub mod gather;
pub mod listen_in;
pub mod listener;
pub mod model_callee;
pub mod model_judge;
mod provider_clients;
pub mod rehearsal;
pub mod root;

pub use provider_clients::{ProviderClients, ProviderSet};
