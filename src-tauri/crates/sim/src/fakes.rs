//! Loopback fakes of the hosted providers, speaking their documented wire shapes (signed
//! webhooks included) with the simulator's personas as callees, and injecting the faults real
//! providers show: latency, rate limits, server errors, stalls, dropped, duplicated and
//! reordered webhooks. The real provider clients are what talk to them.

pub mod anthropic;
pub mod elevenlabs;
pub mod quote_agent;
pub mod twilio_gather;
