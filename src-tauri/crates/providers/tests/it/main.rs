//! Integration tests of the provider clients against loopback servers that record every request.

mod anthropic;
mod connection;
mod deepgram;
mod elevenlabs;
mod elevenlabs_tts;
mod retries;
mod socket_fake;
mod support;
mod twilio;
mod ultravox;
mod vapi;
mod webhooks;
