//! The TwiML a gather call answers Twilio with: the agent's words in `<Say>` (its voice and
//! language) inside a speech `<Gather>` posting to the gather URL, or a closing `<Say>` and
//! `<Hangup/>`, a `<Dial>` to the transfer number, or a short wait and a `<Redirect>`.

use switchboard_core::CallId;
use switchboard_providers::twilio::{Dial, Gather, Say, SpeechTimeout, Twiml, TwimlResponse};

use super::session::Session;

/// The voice URL of `call`: Twilio asks it what to do once the call is answered.
pub(crate) fn voice_url(public_base_url: &str, call: CallId) -> String {
    format!("{public_base_url}{}?call={}", super::TWILIO_VOICE_PATH, call.0)
}

/// Where Twilio posts what a call's `<Gather>` heard (and where a wait redirects to).
pub(crate) fn gather_url(public_base_url: &str, call: CallId) -> String {
    format!("{public_base_url}{}?call={}", super::TWILIO_GATHER_PATH, call.0)
}

fn say(session: &Session, text: &str) -> Say {
    Say { text: text.to_owned(), voice: Some(session.voice.clone()), language: Some(session.language.clone()) }
}

/// Says `text` while listening for the callee's answer. With `actionOnEmptyResult`, silence
/// posts too, so the no-input count sees it.
pub(crate) fn ask(session: &Session, text: &str, action: String) -> Twiml {
    let mut gather = Gather::speech(action);
    gather.speech_timeout = Some(SpeechTimeout::Auto);
    gather.language = Some(session.language.clone());
    gather.action_on_empty_result = Some(true);
    gather.prompt = vec![say(session, text)];
    render(TwimlResponse::new().gather(gather))
}

/// Says `text`, then hangs up.
pub(crate) fn close(session: &Session, text: &str) -> Twiml {
    render(TwimlResponse::new().say(say(session, text)).hangup())
}

/// Says `text`, then connects the callee to `number`.
pub(crate) fn transfer(session: &Session, text: &str, number: &str) -> Twiml {
    render(TwimlResponse::new().say(say(session, text)).dial(Dial::number(number)))
}

/// Asks the callee to hold on, then comes back to `url` for the reply.
pub(crate) fn hold(session: &Session, text: &str, url: String) -> Twiml {
    render(TwimlResponse::new().say(say(session, text)).pause(1).redirect(url))
}

/// Hangs up at once (a call already over).
pub(crate) fn hang_up() -> Twiml {
    render(TwimlResponse::new().hangup())
}

fn render(response: TwimlResponse) -> Twiml {
    // Only a <Stream> URL or speechTimeout="auto" with a model can be refused; neither is used.
    response.render().expect("gather TwiML has no <Stream> and no speech model")
}
