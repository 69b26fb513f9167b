//! Twilio running speech-gather calls the fake Twilio answered and handed off
//! ([`FakeTwilio::hand_off`](super::twilio::FakeTwilio::hand_off)): [`GatherDriver`] POSTs the
//! voice URL and each `<Gather>` action as signed forms (`X-Twilio-Signature` over the PUBLIC
//! URL, posted to the listener's local address as a tunnel would), reads the TwiML, answers each
//! `<Gather>` with the callee's next words (silence as an empty result when
//! `actionOnEmptyResult` is set, else on to the next verb), follows `<Redirect>`, stops on
//! `<Hangup/>`, `<Dial>`, the end of the document, an error status or unreadable TwiML (the
//! call then completes), and records every document received.

mod callee;
pub mod twiml;

use std::time::Duration;

use switchboard_core::{Contact, DataField};
use switchboard_providers::Secret;
use switchboard_providers::signature::{SignedBody, TwilioWebhookKey};

pub use callee::{Callee, ScriptedCallee, ThenScripted, VendorCallee};
use twiml::Verb;

use super::twilio::AnsweredCall;

/// A gather call the fake Twilio answered, with the vendor it reached.
#[derive(Clone)]
pub struct PlacedGatherCall {
    pub call_sid: String,
    /// The public voice URL the call was placed with.
    pub voice_url: String,
    /// The number dialled.
    pub to: String,
    /// The contact called and the agent's data fields, for a [`VendorCallee`].
    pub contact: Contact,
    pub fields: Vec<DataField>,
    answered: AnsweredCall,
}

impl PlacedGatherCall {
    /// `answered` as a gather call to `contact`; `None` when it was not placed with a voice URL.
    pub fn new(answered: AnsweredCall, contact: Contact, fields: Vec<DataField>) -> Option<Self> {
        Some(Self {
            call_sid: answered.call_sid.clone(),
            voice_url: answered.url.clone()?,
            to: answered.to.clone(),
            contact,
            fields,
            answered,
        })
    }
}

/// The number the fake's calls come from.
const FROM: &str = "+13125550000";

fn http_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("a plain HTTP client builds")
}

/// How a driven call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hangup {
    /// `<Hangup/>`.
    HungUp,
    /// `<Dial>` to this number.
    Dialed(String),
    /// The document ran out of verbs (Twilio hangs up).
    RanOut,
    /// The listener answered this status instead of TwiML.
    Refused(u16),
    /// The listener could not be reached (why).
    Unreachable(String),
    /// The answer was not TwiML Twilio could run (why).
    BadTwiml(String),
}

/// Twilio driving one gather call.
pub struct GatherDriver {
    call_sid: String,
    to: String,
    public_base_url: String,
    local_base_url: String,
    key: TwilioWebhookKey,
    http: reqwest::Client,
    /// The call at the fake Twilio, held until this driver's call ends.
    call: Option<AnsweredCall>,
    /// The next request: its public URL and the speech a `<Gather>` heard, if any (silence and
    /// a `<Redirect>` post none).
    next: Option<(String, Option<String>)>,
    /// Every TwiML document received, in order.
    pub documents: Vec<String>,
    /// Everything `<Say>` said, in order.
    pub heard: Vec<String>,
    /// How long the listener took to answer each request.
    pub answer_times: Vec<Duration>,
    /// How the call ended, once it has.
    pub ended: Option<Hangup>,
}

impl GatherDriver {
    /// Drives `call`, signing with `auth_token`; Twilio reaches the listener at
    /// `public_base_url`, which forwards to `local_base_url`.
    pub fn new(call: &PlacedGatherCall, auth_token: &str, public_base_url: &str, local_base_url: &str) -> Self {
        Self {
            call_sid: call.call_sid.clone(),
            to: call.to.clone(),
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            local_base_url: local_base_url.trim_end_matches('/').to_owned(),
            key: TwilioWebhookKey::new(Secret::new(auth_token)),
            http: http_client(),
            call: Some(call.answered.clone()),
            next: Some((call.voice_url.clone(), None)),
            documents: Vec::new(),
            heard: Vec::new(),
            answer_times: Vec::new(),
            ended: None,
        }
    }

    /// The listener moved (it restarted on another port); the public URL stays. Connections to
    /// the old one are dropped.
    pub fn set_local_base_url(&mut self, local_base_url: &str) {
        self.local_base_url = local_base_url.trim_end_matches('/').to_owned();
        self.http = http_client();
    }

    /// Runs the call to its end (at most `max_requests` requests); returns how it ended.
    pub async fn run(&mut self, callee: &mut dyn Callee, max_requests: usize) -> Option<Hangup> {
        for _ in 0..max_requests {
            if self.step(callee).await.is_some() {
                break;
            }
        }
        self.ended.clone()
    }

    /// Makes the next request and acts on its TwiML; returns how the call ended when it did.
    pub async fn step(&mut self, callee: &mut dyn Callee) -> Option<Hangup> {
        let (url, heard) = self.next.take()?;
        let mut params = self.call_params();
        if let Some(speech) = heard {
            params.push(("SpeechResult".into(), speech));
            params.push(("Confidence".into(), "0.92".into()));
        }
        let asked = std::time::Instant::now();
        let (status, document) = match self.post(&url, &params, &self.key).await {
            Ok(answer) => answer,
            Err(error) => return self.end(Hangup::Unreachable(format!("{url}: {error}"))),
        };
        self.answer_times.push(asked.elapsed());
        if status != 200 {
            return self.end(Hangup::Refused(status));
        }
        let verbs = twiml::parse(&document);
        self.documents.push(document);
        let verbs = match verbs {
            Ok(verbs) => verbs,
            // Twilio says an application error occurred and hangs up.
            Err(error) => return self.end(Hangup::BadTwiml(error)),
        };
        for verb in verbs {
            match verb {
                Verb::Say(text) => self.heard.push(text),
                Verb::Pause | Verb::Other(_) => {}
                Verb::Gather(gather) => {
                    self.heard.extend(gather.prompt.iter().cloned());
                    let said = callee.reply(&gather.prompt.join(" "));
                    if said.is_some() || gather.action_on_empty_result {
                        self.next = Some((gather.action, said));
                        return None;
                    }
                }
                Verb::Redirect(url) => {
                    self.next = Some((url, None));
                    return None;
                }
                Verb::Hangup => return self.end(Hangup::HungUp),
                Verb::Dial(number) => return self.end(Hangup::Dialed(number)),
            }
        }
        self.end(Hangup::RanOut)
    }

    fn end(&mut self, how: Hangup) -> Option<Hangup> {
        self.call = None;
        self.ended = Some(how);
        self.ended.clone()
    }

    /// What Twilio sends with every request about the call.
    fn call_params(&self) -> Vec<(String, String)> {
        [
            ("AccountSid", "ACfake0000000000000000000000000000"),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", self.call_sid.as_str()),
            ("CallStatus", "in-progress"),
            ("Called", self.to.as_str()),
            ("Caller", FROM),
            ("Direction", "outbound-api"),
            ("From", FROM),
            ("To", self.to.as_str()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    /// POSTs `params` to the public `url` (at the local address), signed with `key`; returns the
    /// status and body.
    pub async fn post(
        &self,
        url: &str,
        params: &[(String, String)],
        key: &TwilioWebhookKey,
    ) -> Result<(u16, String), reqwest::Error> {
        let body = serde_urlencoded::to_string(params).expect("form parameters encode");
        let signature = key.sign(url, SignedBody::Form(body.as_bytes()));
        let local = match url.strip_prefix(&self.public_base_url) {
            Some(rest) => format!("{}{rest}", self.local_base_url),
            None => url.to_owned(),
        };
        let response = self
            .http
            .post(local)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// The next request's URL, while the call goes on.
    pub fn next_url(&self) -> Option<&str> {
        self.next.as_ref().map(|(url, _)| url.as_str())
    }

    /// The Call SID this driver posts as.
    pub fn call_sid(&self) -> &str {
        &self.call_sid
    }

    /// The parameters Twilio sends about this call, for hand-made requests.
    pub fn params(&self) -> Vec<(String, String)> {
        self.call_params()
    }
}
