//! Integration tests of the provider clients against the scripted loopback servers of
//! `switchboard-fakes`, which record every request.

mod anthropic;
mod connection;
mod deepgram;
mod elevenlabs;
mod elevenlabs_tts;
mod retries;
mod support;
mod twilio;
mod ultravox;
mod vapi;
mod webhooks;
