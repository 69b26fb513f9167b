//! What a call cost in US dollars, item by item: the rates (Settings, defaulting to the
//! providers' list prices), what a call used, the priced breakdown, and the simulator's estimate
//! of what a call would have used on a real backend.

use serde::{Deserialize, Serialize};

use crate::{BackendKind, FieldError, Speaker, TranscriptLine};

/// Prices in US dollars per unit. The defaults are the providers' public list prices; where each
/// comes from and when it was taken is in docs/pricing.md.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct CostRates {
    /// Twilio outbound voice, per minute (every started minute is billed).
    pub twilio_minute: f64,
    /// Twilio call recording, per minute recorded (every started minute is billed).
    pub twilio_recording_minute: f64,
    /// Twilio `<Say>` text-to-speech (Amazon Polly voices), per 100 characters.
    pub twilio_say_100_chars: f64,
    /// Deepgram streaming speech-to-text, per minute of audio streamed.
    pub deepgram_minute: f64,
    /// Anthropic input tokens, per million.
    pub anthropic_input_mtok: f64,
    /// Anthropic output tokens, per million.
    pub anthropic_output_mtok: f64,
    /// ElevenLabs text-to-speech, per 1,000 characters.
    pub elevenlabs_tts_1k_chars: f64,
    /// What one ElevenLabs credit costs (ElevenLabs Agents reports a call's cost in credits).
    pub elevenlabs_credit: f64,
    /// ElevenLabs Agents, per minute (a simulator estimate; real calls report credits).
    pub elevenlabs_agent_minute: f64,
    /// Vapi, per minute (a simulator estimate; real calls report their cost).
    pub vapi_minute: f64,
    /// Ultravox, per minute (its calls report no cost, so they are priced at this rate).
    pub ultravox_minute: f64,
}

impl Default for CostRates {
    fn default() -> Self {
        Self {
            twilio_minute: 0.014,
            twilio_recording_minute: 0.0025,
            twilio_say_100_chars: 0.0016,
            deepgram_minute: 0.0059,
            anthropic_input_mtok: 3.0,
            anthropic_output_mtok: 15.0,
            elevenlabs_tts_1k_chars: 0.05,
            elevenlabs_credit: 0.000_22,
            elevenlabs_agent_minute: 0.08,
            vapi_minute: 0.05,
            ultravox_minute: 0.05,
        }
    }
}

impl CostRates {
    /// Every rate with its field name (as the window and the settings table name it).
    pub fn fields(&self) -> [(&'static str, f64); 11] {
        [
            ("twilioMinute", self.twilio_minute),
            ("twilioRecordingMinute", self.twilio_recording_minute),
            ("twilioSay100Chars", self.twilio_say_100_chars),
            ("deepgramMinute", self.deepgram_minute),
            ("anthropicInputMtok", self.anthropic_input_mtok),
            ("anthropicOutputMtok", self.anthropic_output_mtok),
            ("elevenlabsTts1kChars", self.elevenlabs_tts_1k_chars),
            ("elevenlabsCredit", self.elevenlabs_credit),
            ("elevenlabsAgentMinute", self.elevenlabs_agent_minute),
            ("vapiMinute", self.vapi_minute),
            ("ultravoxMinute", self.ultravox_minute),
        ]
    }
}

/// The highest rate accepted, in dollars per unit: beyond it a typo, not a price.
pub const MAX_RATE_USD: f64 = 1_000.0;

/// What Settings says about cost: the rates, and the most a single call may cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CostSettings {
    pub rates: CostRates,
    /// A call whose most it can cost (its agent's max duration at these rates) is above this is
    /// refused before it is dialled; `None`: no limit.
    pub per_call_limit_usd: Option<f64>,
}

impl CostSettings {
    /// Every problem with the settings, by field (`rates.twilioMinute`, `perCallLimitUsd`).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems: Vec<FieldError> = self
            .rates
            .fields()
            .into_iter()
            .filter(|(_, rate)| !(rate.is_finite() && (0.0..=MAX_RATE_USD).contains(rate)))
            .map(|(name, _)| {
                FieldError::new(format!("rates.{name}"), format!("a price from 0 to {MAX_RATE_USD} dollars"))
            })
            .collect();
        if let Some(limit) = self.per_call_limit_usd
            && !(limit.is_finite() && limit > 0.0)
        {
            problems.push(FieldError::new("perCallLimitUsd", "a limit above 0 dollars, or none"));
        }
        problems
    }
}

/// What a call used beyond its time on the line, as its backend counted it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallUsage {
    /// Audio streamed to speech-to-text, in milliseconds.
    pub stt_audio_ms: u64,
    /// Language-model input tokens (the usage the API reported).
    pub llm_input_tokens: u64,
    /// Language-model output tokens.
    pub llm_output_tokens: u64,
    /// Characters sent to ElevenLabs text-to-speech.
    pub tts_chars: u64,
    /// Characters Twilio spoke with `<Say>`.
    pub say_chars: u64,
    /// Time on the line as the backend counted it, in milliseconds, when its clock is its own
    /// (the simulator's runs fast); 0: from when the call was answered to its end.
    pub talk_ms: u64,
}

impl CallUsage {
    /// Adds `more` to what was counted so far.
    pub fn add(&mut self, more: &CallUsage) {
        self.stt_audio_ms += more.stt_audio_ms;
        self.llm_input_tokens += more.llm_input_tokens;
        self.llm_output_tokens += more.llm_output_tokens;
        self.tts_chars += more.tts_chars;
        self.say_chars += more.say_chars;
        self.talk_ms += more.talk_ms;
    }
}

/// One line of a call's cost: what was used, how much, at what rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CostItem {
    /// What was used ("Twilio minutes").
    pub item: String,
    pub quantity: f64,
    /// The unit of `quantity` and `rate_usd` ("min", "1M tokens").
    pub unit: String,
    /// US dollars per unit.
    pub rate_usd: f64,
    pub amount_usd: f64,
}

impl CostItem {
    fn new(item: &str, quantity: f64, unit: &str, rate_usd: f64) -> Self {
        let (quantity, amount_usd) = (tidy(quantity), tidy(quantity * rate_usd));
        Self { item: item.to_owned(), quantity, unit: unit.to_owned(), rate_usd, amount_usd }
    }

    /// "Twilio minutes: 3 min × $0.014 = $0.0420".
    pub fn describe(&self) -> String {
        format!(
            "{}: {} {} × ${} = ${:.4}",
            self.item,
            trim_number(self.quantity),
            self.unit,
            trim_number(self.rate_usd),
            self.amount_usd
        )
    }
}

/// `value` to ten decimals: far below a cent, and short enough to read back exactly from JSON
/// or a spreadsheet.
fn tidy(value: f64) -> f64 {
    (value * 1e10).round() / 1e10
}

/// A number without trailing zeros (at most six decimals).
fn trim_number(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// What a call cost in US dollars, with its breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallPrice {
    pub total_usd: f64,
    /// Priced from usage at the rates in Settings, or a simulator call priced as if it were
    /// real, rather than the provider's own figure.
    pub estimate: bool,
    pub items: Vec<CostItem>,
}

impl CallPrice {
    fn of(items: Vec<CostItem>, estimate: bool) -> Self {
        Self { total_usd: tidy(items.iter().map(|item| item.amount_usd).sum()), estimate, items }
    }

    /// A provider's own figure in `currency` ("USD", or ElevenLabs' "credits"), in dollars;
    /// `None` for a currency with no rate.
    pub fn reported(provider: BackendKind, amount: f64, currency: &str, rates: &CostRates) -> Option<Self> {
        let item = match currency {
            "USD" => CostItem::new(&format!("{} reported cost", provider_name(provider)), 1.0, "call", amount),
            "credits" => CostItem::new("ElevenLabs credits", amount, "credit", rates.elevenlabs_credit),
            _ => return None,
        };
        Some(Self::of(vec![item], false))
    }
}

fn provider_name(backend: BackendKind) -> &'static str {
    match backend {
        BackendKind::ElevenLabs => "ElevenLabs",
        BackendKind::Vapi => "Vapi",
        BackendKind::Ultravox => "Ultravox",
        BackendKind::Pipeline | BackendKind::Gather => "Twilio",
        BackendKind::Simulator => "Simulator",
    }
}

/// Minutes billed for `ms` on the line: every started minute counts.
pub fn billed_minutes(ms: u64) -> u64 {
    ms.div_ceil(60_000)
}

/// Prices a call that ran on `backend` for `talk_ms` (answered to ended) using `usage`, at
/// `rates`. The simulator is priced as the voice pipeline. Hosted backends whose provider
/// reports a cost are priced from its figure instead ([`CallPrice::reported`]); here they are
/// priced per minute, as an estimate.
pub fn price_call(backend: BackendKind, talk_ms: u64, usage: &CallUsage, rates: &CostRates) -> CallPrice {
    let minutes = billed_minutes(talk_ms) as f64;
    let mut items = Vec::new();
    match backend {
        BackendKind::Pipeline | BackendKind::Simulator => {
            items.push(CostItem::new("Twilio minutes", minutes, "min", rates.twilio_minute));
            items.push(CostItem::new(
                "Deepgram audio",
                usage.stt_audio_ms as f64 / 60_000.0,
                "min",
                rates.deepgram_minute,
            ));
            items.extend(llm_items(usage, rates));
            items.push(CostItem::new(
                "ElevenLabs characters",
                usage.tts_chars as f64 / 1000.0,
                "1k chars",
                rates.elevenlabs_tts_1k_chars,
            ));
        }
        BackendKind::Gather => {
            items.push(CostItem::new("Twilio minutes", minutes, "min", rates.twilio_minute));
            items.extend(llm_items(usage, rates));
            items.push(CostItem::new(
                "Twilio <Say> characters",
                usage.say_chars as f64 / 100.0,
                "100 chars",
                rates.twilio_say_100_chars,
            ));
            // The dialer has Twilio record every call but the pipeline's.
            items.push(CostItem::new("Twilio recording", minutes, "min", rates.twilio_recording_minute));
        }
        BackendKind::ElevenLabs => {
            items.push(CostItem::new("ElevenLabs Agents minutes", minutes, "min", rates.elevenlabs_agent_minute));
        }
        BackendKind::Vapi => items.push(CostItem::new("Vapi minutes", minutes, "min", rates.vapi_minute)),
        BackendKind::Ultravox => items.push(CostItem::new("Ultravox minutes", minutes, "min", rates.ultravox_minute)),
    }
    let estimate = !matches!(backend, BackendKind::Pipeline | BackendKind::Gather);
    CallPrice::of(items, estimate)
}

fn llm_items(usage: &CallUsage, rates: &CostRates) -> [CostItem; 2] {
    [
        CostItem::new(
            "Anthropic input tokens",
            usage.llm_input_tokens as f64 / 1e6,
            "1M tokens",
            rates.anthropic_input_mtok,
        ),
        CostItem::new(
            "Anthropic output tokens",
            usage.llm_output_tokens as f64 / 1e6,
            "1M tokens",
            rates.anthropic_output_mtok,
        ),
    ]
}

/// How a call is priced when it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Pricing {
    pub basis: PricingBasis,
    /// What the backend reported the call used (added up as it reports).
    pub usage: CallUsage,
    pub rates: CostRates,
}

/// What a call's price is worked out from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricingBasis {
    /// What the call on `backend` used, as the backend counted it.
    Usage(BackendKind),
    /// A simulator call, priced as if it had run on `priced_as`, from its conversation (the
    /// agent's system prompt is `system_prompt_chars` long): always an estimate.
    Simulated { priced_as: BackendKind, system_prompt_chars: u64 },
}

impl Pricing {
    /// The price of a call `talk_ms` long (answered to ended; the backend's own count wins)
    /// whose transcript is `lines`.
    pub fn price(&self, talk_ms: u64, lines: &[TranscriptLine]) -> CallPrice {
        let talk_ms = if self.usage.talk_ms > 0 { self.usage.talk_ms } else { talk_ms };
        match self.basis {
            PricingBasis::Usage(backend) => price_call(backend, talk_ms, &self.usage, &self.rates),
            PricingBasis::Simulated { priced_as, system_prompt_chars } => {
                let usage = estimate_usage(talk_ms, system_prompt_chars, lines);
                CallPrice { estimate: true, ..price_call(priced_as, talk_ms, &usage, &self.rates) }
            }
        }
    }

    /// Whether the price reads the call's transcript.
    pub fn reads_transcript(&self) -> bool {
        matches!(self.basis, PricingBasis::Simulated { .. })
    }
}

/// Characters per token the estimates assume (Anthropic's rule of thumb for English).
const CHARS_PER_TOKEN: u64 = 4;

/// What a conversation would have used on a real backend: speech-to-text over the whole time on
/// the line, one model turn per agent line (reading the prompt and everything said before it,
/// writing the line), and the agent's words spoken by text-to-speech (or `<Say>`).
pub fn estimate_usage(talk_ms: u64, system_prompt_chars: u64, lines: &[TranscriptLine]) -> CallUsage {
    let mut usage = CallUsage { stt_audio_ms: talk_ms, talk_ms, ..CallUsage::default() };
    let mut heard_chars = system_prompt_chars;
    for line in lines {
        let chars = line.text.chars().count() as u64;
        if line.speaker == Speaker::Agent {
            usage.llm_input_tokens += heard_chars.div_ceil(CHARS_PER_TOKEN);
            usage.llm_output_tokens += chars.div_ceil(CHARS_PER_TOKEN);
            usage.tts_chars += chars;
            usage.say_chars += chars;
        }
        heard_chars += chars;
    }
    usage
}

/// Characters an agent speaks a second, for the most a call can cost.
const SPOKEN_CHARS_PER_SEC: u64 = 15;
/// How often the two sides take turns, at most, for the most a call can cost.
const TURN_SECS: u32 = 10;

/// The most a call can cost on `backend` when it lasts its agent's whole `max_duration_secs`:
/// the agent and the callee take turns every few seconds, each speaking half the time.
pub fn max_call_price(
    backend: BackendKind,
    max_duration_secs: u32,
    system_prompt_chars: u64,
    rates: &CostRates,
) -> CallPrice {
    let turn_chars = "x".repeat((SPOKEN_CHARS_PER_SEC * u64::from(TURN_SECS) / 2) as usize);
    let lines: Vec<TranscriptLine> = (0..max_duration_secs.div_ceil(TURN_SECS))
        .map(|seq| TranscriptLine {
            seq,
            speaker: if seq % 2 == 0 { Speaker::Agent } else { Speaker::Callee },
            text: turn_chars.clone(),
            offset_ms: seq * TURN_SECS * 1000,
        })
        .collect();
    let talk_ms = u64::from(max_duration_secs) * 1000;
    price_call(backend, talk_ms, &estimate_usage(talk_ms, system_prompt_chars, &lines), rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn line(seq: u32, speaker: Speaker, text: &str) -> TranscriptLine {
        TranscriptLine { seq, speaker, text: text.to_owned(), offset_ms: 0 }
    }

    #[test]
    fn bad_rates_and_limits_are_named_by_field() {
        let mut settings = CostSettings::default();
        assert!(settings.problems().is_empty());
        settings.rates.deepgram_minute = -1.0;
        settings.rates.vapi_minute = f64::NAN;
        settings.per_call_limit_usd = Some(0.0);
        let fields: Vec<String> = settings.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["rates.deepgramMinute", "rates.vapiMinute", "perCallLimitUsd"]);
    }

    #[test]
    fn a_pipeline_call_is_priced_from_its_usage() {
        // 2 min 30 s on the line: 3 started minutes at $0.014 = $0.042; 150 s streamed to
        // Deepgram = 2.5 min × $0.0059 = $0.01475; 12,000 input tokens × $3/M = $0.036;
        // 800 output tokens × $15/M = $0.012; 1,200 characters × $0.05/1k = $0.06.
        let usage = CallUsage {
            stt_audio_ms: 150_000,
            llm_input_tokens: 12_000,
            llm_output_tokens: 800,
            tts_chars: 1_200,
            ..CallUsage::default()
        };
        let price = price_call(BackendKind::Pipeline, 150_000, &usage, &CostRates::default());
        let amounts: Vec<f64> = price.items.iter().map(|item| item.amount_usd).collect();
        for (got, want) in amounts.iter().zip([0.042, 0.014_75, 0.036, 0.012, 0.06]) {
            assert!(close(*got, want), "{got} ≠ {want}: {:?}", price.items);
        }
        assert!(close(price.total_usd, 0.164_75), "{}", price.total_usd);
        assert!(!price.estimate, "priced from what the call used");
        assert_eq!(price.items[0].describe(), "Twilio minutes: 3 min × $0.014 = $0.0420");
    }

    #[test]
    fn a_gather_call_pays_minutes_tokens_and_say() {
        // 61 s: 2 minutes × $0.014 = $0.028; 5,000 in × $3/M = $0.015; 300 out × $15/M =
        // $0.0045; 450 characters said = 4.5 × $0.0016 = $0.0072; 61 s recorded = 2 × $0.0025.
        let usage =
            CallUsage { llm_input_tokens: 5_000, llm_output_tokens: 300, say_chars: 450, ..CallUsage::default() };
        let price = price_call(BackendKind::Gather, 61_000, &usage, &CostRates::default());
        assert!(close(price.total_usd, 0.028 + 0.015 + 0.0045 + 0.0072 + 0.005), "{:?}", price);
        assert_eq!(price.items.len(), 5);
    }

    #[test]
    fn hosted_credits_are_converted_at_the_credit_rate() {
        let rates = CostRates { elevenlabs_credit: 0.0003, ..CostRates::default() };
        let price = CallPrice::reported(BackendKind::ElevenLabs, 1_500.0, "credits", &rates).unwrap();
        assert!(close(price.total_usd, 0.45), "1,500 credits × $0.0003: {price:?}");
        assert!(!price.estimate);
        let vapi = CallPrice::reported(BackendKind::Vapi, 0.1234, "USD", &rates).unwrap();
        assert!(close(vapi.total_usd, 0.1234));
        assert!(CallPrice::reported(BackendKind::Vapi, 1.0, "EUR", &rates).is_none());
    }

    #[test]
    fn a_simulated_conversation_is_estimated_as_if_real() {
        // A 400-character prompt; the agent says 40 characters, the callee 20, the agent 80.
        let lines = [
            line(0, Speaker::Agent, &"a".repeat(40)),
            line(1, Speaker::Callee, &"c".repeat(20)),
            line(2, Speaker::Agent, &"a".repeat(80)),
        ];
        let usage = estimate_usage(65_000, 400, &lines);
        // Input: 400/4 = 100, then (400+40+20)/4 = 115; output 10 + 20; spoken 120 characters.
        assert_eq!(
            usage,
            CallUsage {
                stt_audio_ms: 65_000,
                llm_input_tokens: 215,
                llm_output_tokens: 30,
                tts_chars: 120,
                say_chars: 120,
                talk_ms: 65_000,
            }
        );
        let price = price_call(BackendKind::Simulator, 65_000, &usage, &CostRates::default());
        // 2 min × 0.014 + 65/60 min × 0.0059 + 215 × 3e-6 + 30 × 15e-6 + 0.12 × 0.05
        let want = 0.028 + 65.0 / 60.0 * 0.0059 + 0.000_645 + 0.000_45 + 0.006;
        assert!(close(price.total_usd, want), "{} ≠ {want}", price.total_usd);
        assert!(price.estimate);
        let vapi = price_call(BackendKind::Vapi, 65_000, &usage, &CostRates::default());
        assert!(close(vapi.total_usd, 0.1), "2 min × $0.05: {vapi:?}");
        assert!(vapi.estimate);
    }

    #[test]
    fn the_most_a_call_costs_is_its_whole_max_duration() {
        let rates = CostRates::default();
        let vapi = max_call_price(BackendKind::Vapi, 300, 0, &rates);
        assert!(close(vapi.total_usd, 0.25), "5 min × $0.05: {vapi:?}");
        let short = max_call_price(BackendKind::Pipeline, 60, 400, &rates);
        let long = max_call_price(BackendKind::Pipeline, 600, 400, &rates);
        assert!(long.total_usd > 10.0 * short.total_usd * 0.9, "{} vs {}", long.total_usd, short.total_usd);
        assert!(short.total_usd > 0.014 + 0.0059, "more than the minute alone: {short:?}");
    }
}
