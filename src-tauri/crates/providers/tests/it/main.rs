//! Integration tests of the provider clients against loopback servers that record every request.

mod elevenlabs;
mod retries;
mod support;
mod twilio;
mod ultravox;
mod vapi;
mod webhooks;
