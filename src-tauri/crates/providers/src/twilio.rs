//! Twilio Programmable Voice: the REST client (place, fetch, hang up, redirect a call, fork its
//! audio, download its recording), TwiML, the form callbacks Twilio posts, and the media stream messages.

mod call_status;
mod callbacks;
mod calls;
mod media_stream;
mod streams;
mod twiml;

pub use call_status::{AnsweredBy, TwilioCallStatus};
pub use callbacks::{AmdCallback, GatherResult, RecordingCallback, RecordingStatus, StatusCallback};
pub use calls::{
    CallInstructions, CreateCall, MAX_INLINE_TWIML_CHARS, MachineDetection, MachineDetectionMode, Recording,
    RecordingChannels, TwilioCall,
};
pub use media_stream::{
    Dtmf, InboundMedia, Mark, MediaFormat, MediaFrameWriter, OutboundMedia, StreamCommand, StreamEvent, StreamStart,
    StreamStop, media_payload,
};
pub use streams::{StartStream, StreamTrack, TwilioStream};
pub use twiml::{Dial, Gather, GatherInput, Say, SpeechTimeout, Stream, Twiml, TwimlError, TwimlResponse};

use reqwest::header::ACCEPT;
use serde::de::DeserializeOwned;

use crate::http::{HttpClient, Resend, base_url, path_id};
use crate::{ConnectionCheck, HttpSettings, Provider, ProviderError, Secret};

/// Where and as whom the Twilio client connects.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// `https://api.twilio.com` ([`TwilioConfig::DEFAULT_BASE_URL`]) or a loopback fake.
    pub base_url: String,
    /// `AC…`; it stays in the path even when signing in with an API key.
    pub account_sid: String,
    /// The account's auth token (or the API key's secret, with `api_key_sid`).
    pub auth_token: Secret,
    /// An API key SID (`SK…`) to sign in with instead of the account SID.
    pub api_key_sid: Option<String>,
}

impl TwilioConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";
}

/// Twilio's REST API for calls.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: HttpClient,
    /// `{base}/2010-04-01/Accounts/{AccountSid}.json`
    account_url: String,
    /// `{base}/2010-04-01/Accounts/{AccountSid}/Calls`
    calls_url: String,
    /// `{base}/2010-04-01/Accounts/{AccountSid}/Recordings/`: the only place the account's
    /// credentials are sent to fetch a recording.
    recordings_prefix: String,
    username: String,
    auth_token: Secret,
}

impl TwilioClient {
    pub fn new(config: TwilioConfig, settings: &HttpSettings) -> Result<Self, ProviderError> {
        let provider = Provider::Twilio;
        let base = base_url(provider, &config.base_url)?;
        let account_sid = path_id(provider, "account SID", &config.account_sid)
            .map_err(|error| ProviderError::Setup { provider, reason: error.to_string() })?;
        let username = config.api_key_sid.unwrap_or_else(|| config.account_sid.clone());
        // The token alone, and the pair `Authorization: Basic` carries (base64 of `user:token`).
        let credentials =
            vec![config.auth_token.clone(), Secret::new(format!("{username}:{}", config.auth_token.expose()))];
        Ok(Self {
            http: HttpClient::new(provider, settings, credentials)?,
            account_url: format!("{base}/2010-04-01/Accounts/{account_sid}.json"),
            calls_url: format!("{base}/2010-04-01/Accounts/{account_sid}/Calls"),
            recordings_prefix: format!("{base}/2010-04-01/Accounts/{account_sid}/Recordings/"),
            username,
            auth_token: config.auth_token,
        })
    }

    /// Reads the account (`GET /2010-04-01/Accounts/{AccountSid}.json`): the SID and token work.
    pub async fn check_connection(&self) -> ConnectionCheck {
        self.http.check(|client| self.authorize(client.get(&self.account_url))).await
    }

    /// Places an outbound call. Resent only when Twilio surely did not take it (429, no
    /// connection), so one request never rings the callee twice.
    pub async fn create_call(&self, call: &CreateCall) -> Result<TwilioCall, ProviderError> {
        let form =
            call.form().map_err(|reason| ProviderError::InvalidRequest { provider: Provider::Twilio, reason })?;
        self.post(Resend::OnlyIfUnprocessed, format!("{}.json", self.calls_url), &form).await
    }

    pub async fn fetch_call(&self, call_sid: &str) -> Result<TwilioCall, ProviderError> {
        let url = self.call_url(call_sid)?;
        self.http.json(Resend::Safe, |client| self.authorize(client.get(&url))).await
    }

    /// Ends the call whatever its state (`Status=completed`).
    pub async fn hang_up(&self, call_sid: &str) -> Result<TwilioCall, ProviderError> {
        self.post(Resend::Safe, self.call_url(call_sid)?, &[("Status", "completed".to_owned())]).await
    }

    /// Replaces what a live call is doing with new TwiML (e.g. a `<Dial>` to transfer it).
    pub async fn redirect(&self, call_sid: &str, twiml: &Twiml) -> Result<TwilioCall, ProviderError> {
        self.post(Resend::Safe, self.call_url(call_sid)?, &[("Twiml", twiml.as_str().to_owned())]).await
    }

    /// Starts a one-way copy of a live call's audio to a WebSocket (for listening in).
    pub async fn start_stream(&self, call_sid: &str, stream: &StartStream) -> Result<TwilioStream, ProviderError> {
        let url = format!("{}/{}/Streams.json", self.calls_url, path_id(Provider::Twilio, "call SID", call_sid)?);
        self.post(Resend::OnlyIfUnprocessed, url, &stream.form()).await
    }

    pub async fn stop_stream(&self, call_sid: &str, stream_sid: &str) -> Result<TwilioStream, ProviderError> {
        let url = format!(
            "{}/{}/Streams/{}.json",
            self.calls_url,
            path_id(Provider::Twilio, "call SID", call_sid)?,
            path_id(Provider::Twilio, "stream SID", stream_sid)?
        );
        self.post(Resend::Safe, url, &[("Status", "stopped".to_owned())]).await
    }

    /// Downloads a finished recording as WAV: `recording_url` (the recording callback's
    /// `RecordingUrl`) plus `.wav`. Only URLs under this account's recordings are fetched, so the
    /// credentials never go to another host.
    pub async fn fetch_recording(&self, recording_url: &str) -> Result<Vec<u8>, ProviderError> {
        let url = recording_url.trim();
        let sid = url.strip_prefix(&self.recordings_prefix).unwrap_or_default();
        path_id(Provider::Twilio, "recording SID", sid).map_err(|_| ProviderError::InvalidRequest {
            provider: Provider::Twilio,
            reason: format!("{url:?} is not a recording of this account"),
        })?;
        let url = format!("{url}.wav");
        let audio = self
            .http
            .body(Resend::Safe, |client| {
                client.get(&url).basic_auth(&self.username, Some(self.auth_token.expose())).header(ACCEPT, "audio/wav")
            })
            .await?;
        Ok(audio.to_vec())
    }

    fn call_url(&self, call_sid: &str) -> Result<String, ProviderError> {
        Ok(format!("{}/{}.json", self.calls_url, path_id(Provider::Twilio, "call SID", call_sid)?))
    }

    async fn post<T: DeserializeOwned, K: serde::Serialize + Sync>(
        &self,
        resend: Resend,
        url: String,
        form: &[(K, String)],
    ) -> Result<T, ProviderError> {
        self.http.json(resend, |client| self.authorize(client.post(&url)).form(form)).await
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.basic_auth(&self.username, Some(self.auth_token.expose())).header(ACCEPT, "application/json")
    }
}

#[cfg(test)]
mod tests {
    use super::{
        CallInstructions, CreateCall, MachineDetection, MachineDetectionMode, Recording, RecordingChannels, Say,
        TwimlResponse,
    };

    #[test]
    fn create_call_form_carries_every_callback_and_amd_field() {
        let mut call = CreateCall::new(
            "+15551234567",
            "+15550001111",
            CallInstructions::Url("https://tunnel.example/twilio/voice?call=7".into()),
        );
        call.status_callback = Some("https://tunnel.example/twilio/status".into());
        call.machine_detection = Some(MachineDetection {
            mode: MachineDetectionMode::DetectMessageEnd,
            async_callback: Some("https://tunnel.example/twilio/amd".into()),
            timeout_secs: Some(30),
        });
        call.recording = Some(Recording {
            channels: RecordingChannels::Dual,
            status_callback: Some("https://tunnel.example/twilio/recording".into()),
        });
        call.ring_timeout_secs = Some(30);
        call.time_limit_secs = Some(600);
        let form = call.form().unwrap();
        let pairs: Vec<(&str, &str)> = form.iter().map(|(name, value)| (*name, value.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("To", "+15551234567"),
                ("From", "+15550001111"),
                ("Url", "https://tunnel.example/twilio/voice?call=7"),
                ("Method", "POST"),
                ("StatusCallback", "https://tunnel.example/twilio/status"),
                ("StatusCallbackMethod", "POST"),
                ("StatusCallbackEvent", "initiated"),
                ("StatusCallbackEvent", "ringing"),
                ("StatusCallbackEvent", "answered"),
                ("StatusCallbackEvent", "completed"),
                ("MachineDetection", "DetectMessageEnd"),
                ("MachineDetectionTimeout", "30"),
                ("AsyncAmd", "true"),
                ("AsyncAmdStatusCallback", "https://tunnel.example/twilio/amd"),
                ("AsyncAmdStatusCallbackMethod", "POST"),
                ("Record", "true"),
                ("RecordingChannels", "dual"),
                ("RecordingStatusCallback", "https://tunnel.example/twilio/recording"),
                ("RecordingStatusCallbackMethod", "POST"),
                ("RecordingStatusCallbackEvent", "completed"),
                ("RecordingStatusCallbackEvent", "absent"),
                ("Timeout", "30"),
                ("TimeLimit", "600"),
            ]
        );
    }

    #[test]
    fn digits_to_send_are_checked_against_twilios_keys() {
        let mut call = CreateCall::new("+15551234567", "+15550001111", CallInstructions::Url("https://h/v".into()));
        call.send_digits = Some("wwww12#".into());
        assert!(call.form().unwrap().contains(&("SendDigits", "wwww12#".to_owned())));
        for bad in ["", "ww12x", &"1".repeat(33)] {
            call.send_digits = Some(bad.to_owned());
            assert!(call.form().unwrap_err().starts_with("SendDigits"), "{bad:?}");
        }
    }

    #[test]
    fn inline_twiml_over_4000_chars_is_refused_before_sending() {
        let long = TwimlResponse::new().say(Say::new("a".repeat(4000))).render().unwrap();
        let call = CreateCall::new("+15551234567", "+15550001111", CallInstructions::Twiml(long));
        assert!(call.form().unwrap_err().contains("over Twilio's 4000"));
        let short = TwimlResponse::new().say(Say::new("hello")).render().unwrap();
        let call = CreateCall::new("+15551234567", "+15550001111", CallInstructions::Twiml(short.clone()));
        assert_eq!(call.form().unwrap()[2], ("Twiml", short.as_str().to_owned()));
    }
}
