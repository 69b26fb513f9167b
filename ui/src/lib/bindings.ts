// Generated from the Rust types by `UPDATE_BINDINGS=1 cargo test -p switchboard bindings`.
// Do not edit by hand.

export type CallId = number;

export type ContactId = number;

export type AgentId = number;

export type UnixMillis = number;

export type BackendKind = "simulator" | "eleven-labs" | "pipeline" | "ultravox" | "vapi" | "gather";

export type AgentPurpose = "vendor-quote" | "vendor-negotiation" | "driver-violation" | "generic";

export type FieldType = "text" | "number" | "integer" | "boolean";

export type DataField = { key: string, type: FieldType, 
/**
 * What to ask for, in the agent's words.
 */
description: string, required: boolean, };

export type Example = { callee: string, agent: string, };

export type VoicemailPolicy = { "action": "hang-up" } | { "action": "leave-message", text: string, };

export type CallingWindow = { 
/**
 * Local start time, "HH:MM".
 */
start: string, 
/**
 * Local end time, "HH:MM" (exclusive).
 */
end: string, 
/**
 * Days of the week calls may be placed, 1 = Monday … 7 = Sunday.
 */
days: Array<number>, };

export type ElevenLabsSettings = { agentId: string, agentPhoneNumberId: string, };

export type UltravoxSettings = { agentId: string, voice: string, model: string, };

export type VapiSettings = { assistantId: string, phoneNumberId: string, };

export type PipelineSettings = { llmModel: string, ttsVoice: string, ttsModel: string, sttModel: string, language: string, };

export type GatherSettings = { voice: string, language: string, };

export type BackendSettings = { elevenLabs: ElevenLabsSettings, ultravox: UltravoxSettings, vapi: VapiSettings, pipeline: PipelineSettings, gather: GatherSettings, };

export type AgentConfig = { name: string, purpose: AgentPurpose, backend: BackendKind, backendSettings: BackendSettings, 
/**
 * The organisation the agent calls for (`{{organization}}` in templates).
 */
organization: string, 
/**
 * System prompt, with `{{variables}}`.
 */
systemPrompt: string, 
/**
 * The first thing the agent says when answered, with `{{variables}}`.
 */
firstMessage: string, 
/**
 * A short hello said before the first message (speech-gather speaks it first); may be empty.
 */
greeting: string, dataFields: Array<DataField>, examples: Array<Example>, 
/**
 * Where to transfer the callee when they ask for a person (E.164); may use `{{transfer_to}}`.
 */
transferTo: string, 
/**
 * Longest the call may last before the agent wraps up.
 */
maxDurationSecs: number, 
/**
 * Silence after which the agent re-prompts once, then ends the call.
 */
silenceTimeoutSecs: number, voicemail: VoicemailPolicy, callingWindow: CallingWindow, };

export type Agent = { id: AgentId, name: string, purpose: AgentPurpose, backend: BackendKind, backendSettings: BackendSettings, 
/**
 * The organisation the agent calls for (`{{organization}}` in templates).
 */
organization: string, 
/**
 * System prompt, with `{{variables}}`.
 */
systemPrompt: string, 
/**
 * The first thing the agent says when answered, with `{{variables}}`.
 */
firstMessage: string, 
/**
 * A short hello said before the first message (speech-gather speaks it first); may be empty.
 */
greeting: string, dataFields: Array<DataField>, examples: Array<Example>, 
/**
 * Where to transfer the callee when they ask for a person (E.164); may use `{{transfer_to}}`.
 */
transferTo: string, 
/**
 * Longest the call may last before the agent wraps up.
 */
maxDurationSecs: number, 
/**
 * Silence after which the agent re-prompts once, then ends the call.
 */
silenceTimeoutSecs: number, voicemail: VoicemailPolicy, callingWindow: CallingWindow, };

export type FieldError = { 
/**
 * The field's path, e.g. `name`, `dataFields.2.key`, `backendSettings.vapi.assistantId`.
 */
field: string, message: string, };

export type ContactKind = "vendor" | "driver" | "person";

export type VendorDetails = { email: string | null, location: string | null, notes: string | null, };

export type PersonDetails = { 
/**
 * The organisation they belong to, if any.
 */
organization: string | null, notes: string | null, };

export type Severity = "low" | "medium" | "high" | "critical";

export type Violation = { 
/**
 * What happened, e.g. "harsh braking", "speeding".
 */
type: string, 
/**
 * When, as recorded (ISO 8601 or the telematics system's text).
 */
time: string | null, location: string | null, severity: Severity | null, details: string | null, };

export type TripData = { origin: string | null, destination: string | null, cargo: string | null, scheduledArrival: string | null, currentLocation: string | null, notes: string | null, };

export type DriverDetails = { driverId: string | null, violations: Array<Violation>, tripId: string | null, trip: TripData, 
/**
 * The dispatcher the driver can be transferred to, by name.
 */
dispatcherName: string | null, 
/**
 * The number to transfer the driver to (E.164).
 */
transferTo: string | null, };

export type ContactDetails = { "kind": "vendor" } & VendorDetails | { "kind": "driver" } & DriverDetails | { "kind": "person" } & PersonDetails;

export type ContactFields = { name: string, 
/**
 * As entered; normalised to E.164 when stored and dialled.
 */
phone: string, tags: Array<string>, 
/**
 * IANA time zone, e.g. "America/Chicago"; calling windows are read in it.
 */
timeZone: string | null, doNotCall: boolean, 
/**
 * Free fields the dispatcher keeps (also template variables).
 */
custom: { [key in string]: string }, details: ContactDetails, };

export type Contact = { id: ContactId, 
/**
 * The phone in E.164, or `null` when what was entered is not a valid number.
 */
phoneE164: string | null, 
/**
 * The extension written with the phone ("x12" → "12"), keyed in once the call connects.
 */
phoneExtension: string | null, fields: ContactFields, };

export type CallState = "queued" | "dialing" | "ringing" | "in-progress" | "completed" | "busy" | "no-answer" | "failed" | "voicemail" | "canceled" | "lost";

export type CallSummary = { id: CallId, contactId: ContactId, contactName: string, agentId: AgentId, agentName: string, backend: BackendKind, 
/**
 * The number dialled, in E.164.
 */
phone: string, state: CallState, 
/**
 * Why the call ended, in words; set with the terminal state.
 */
endReason: string | null, createdAt: UnixMillis, answeredAt: UnixMillis | null, endedAt: UnixMillis | null, 
/**
 * The campaign, round and attempt the call belongs to (`null` for single calls).
 */
campaignId: number | null, round: number | null, attempt: number | null, };

export type Speaker = "agent" | "callee";

export type TranscriptLine = { 
/**
 * Position in the call, from 0; unique per call.
 */
seq: number, speaker: Speaker, text: string, 
/**
 * Milliseconds from the moment the call was answered.
 */
offsetMs: number, };

export type Offer = { callId: CallId, contactId: ContactId, unitPrice: number | null, moq: number | null, leadTimeDays: number | null, 
/**
 * Freight as quoted: included, an amount, or ex works / FOB origin.
 */
shipping: string | null, 
/**
 * Payment terms as quoted.
 */
terms: string | null, 
/**
 * How many days the quote holds from the call.
 */
validDays: number | null, 
/**
 * Share of the quote fields obtained, 0.0 to 1.0.
 */
confidence: number, };

export type ControlAction = "end" | "take-over" | "steer" | "say";

export type ControlOffer = { action: ControlAction, 
/**
 * `None` when the dispatcher can take the action; else why not, in words.
 */
unavailable: string | null, };

export type ActionStatus = "pending" | "running" | "done" | "refused";

export type CallAction = { id: number, callId: CallId, action: ControlAction, 
/**
 * The note, the line, or the number the call was handed to; empty for an end.
 */
text: string, status: ActionStatus, 
/**
 * Why it was refused (the provider's words), when it was.
 */
result: string | null, requestedAt: UnixMillis, doneAt: UnixMillis | null, };

export type Behaviour = "cooperative" | "haggler" | "evasive" | "wrong-person" | "call-back" | "hostile" | "silent" | "talks-over" | "voicemail" | "ivr" | "asks-for-person" | "opts-out";

export type Callee = { 
/**
 * Who answers, in a few words ("Dana at the sales desk").
 */
who: string, 
/**
 * What they know, by the agent's field keys or in words ("unit_price": "$4.10", "dispute":
 * "the truck ahead cut me off"). A haggler's `floor_price` is what it concedes to.
 */
knows: { [key in string]: string }, behaviour: Behaviour, };

export type FieldExpectation = "collected" | { "equals": string } | { "range": { min: number, max: number, } };

export type Expectations = { 
/**
 * Values the agent must have collected, by field key.
 */
fields: { [key in string]: FieldExpectation }, 
/**
 * Fields the agent must not have collected (nothing to collect from a wrong person).
 */
noFields: boolean, 
/**
 * Phrases the agent must say (case-insensitive), e.g. the callback number.
 */
mustSay: Array<string>, 
/**
 * Phrases the agent must never say, e.g. the other vendors' names.
 */
mustNotSay: Array<string>, 
/**
 * The most turns (utterances, both sides) the call may take.
 */
maxTurns: number | null, 
/**
 * The agent ends the call itself, with a polite goodbye.
 */
endsPolitely: boolean, 
/**
 * The agent transfers the callee (who asked for a person).
 */
transfers: boolean, 
/**
 * The negotiation goal: every price the agent asks for is at or under this, and it asks.
 */
priceAtMost: number | null, 
/**
 * "Take me off your list" ends the call at the agent's next turn, with no more questions,
 * and marks the contact do-not-call.
 */
respectsDoNotCall: boolean, 
/**
 * Free-text expectations for the model judge ("apologises for the mix-up").
 */
judged: Array<string>, };

export type Scenario = { 
/**
 * Unique in its suite.
 */
name: string, callee: Callee, 
/**
 * Variables for this scenario only, over the suite's.
 */
variables: { [key in string]: string }, expect: Expectations, };

export type Suite = { 
/**
 * The agent the suite rehearses, by name (a preset's name for a shipped suite).
 */
agent: string, 
/**
 * Who is called, as a contact is imported (the callee's name and details fill the agent's
 * variables as on a real call).
 */
contact: ContactFields, 
/**
 * Variables a campaign would supply (the quote request, the negotiation targets).
 */
variables: { [key in string]: string }, scenarios: Array<Scenario>, };

export type RehearsalMode = "simulator" | "text" | "audio" | "provider";

export type RehearsalEnding = { "by": "agent", reason: string, } | { "by": "transferred", reason: string, } | { "by": "callee" } | { "by": "turn-limit" } | { "by": "failed", reason: string, };

export type Rehearsed = { transcript: Array<TranscriptLine>, 
/**
 * Values the agent recorded, by field key.
 */
fields: { [key in string]: string }, ending: RehearsalEnding, 
/**
 * Whether the run marked the contact do-not-call (the callee asked to be taken off the list).
 */
doNotCall: boolean, 
/**
 * The provider's own verdict on its test (ElevenLabs' success conditions), shown beside the
 * engine's checks; the engine's checks alone decide the run.
 */
providerVerdict: Check | null, };

export type Check = { 
/**
 * Which expectation ("fields.unit_price", "mustNotSay", "endsPolitely", ...).
 */
expectation: string, passed: boolean, 
/**
 * Why it passed or failed, in words.
 */
reason: string, };

export type RehearsalRun = { scenario: string, mode: RehearsalMode, 
/**
 * The agent version (a hash of its configuration) rehearsed.
 */
agentVersion: string, rehearsed: Rehearsed, checks: Array<Check>, 
/**
 * The model judge's verdicts on the free-text expectations.
 */
judged: Array<Check>, };

export type ScenarioResult = { scenario: string, runs: Array<RehearsalRun>, };

export type AgentSuite = { suite: Suite, 
/**
 * Saved for this agent in the window (else shipped with its preset).
 */
edited: boolean, };

export type RehearsalModeStatus = { mode: RehearsalMode, 
/**
 * Why it cannot now (no key, a backend with no test API); `null` when it can.
 */
unavailable: string | null, };

export type RehearsalReport = { agentVersion: string, 
/**
 * Per scenario of the suite, in its order: its latest rehearsal's runs (none if never rehearsed).
 */
results: Array<ScenarioResult>, 
/**
 * The agent's latest rehearsal when it was of another version: the agent changed since.
 */
earlier: EarlierRehearsal | null, };

export type EarlierRehearsal = { agentVersion: string, startedAt: UnixMillis, };

export type EngineEvent = { "type": "callUpdated", call: CallSummary, } | { "type": "transcriptLine", callId: CallId, line: TranscriptLine, } | { "type": "callActionUpdated", action: CallAction, } | { "type": "offerRecorded", offer: Offer, } | { "type": "campaignUpdated", campaignId: number, status: string, round: number, } | { "type": "audioFellBehind", lateFrames: number, withinSecs: number, campaignsHeldSecs: number, } | { "type": "storeWritesFailing", message: string, } | { "type": "storeWritesRecovered" } | { "type": "rehearsalProgress", agentId: AgentId, scenario: string, run: number, passed: boolean, done: number, total: number, } | { "type": "eventsMissed" };

export type ErrorCode = "not-found" | "invalid-input" | "invalid-phone" | "do-not-call" | "missing-variables" | "backend-unavailable" | "backend-failed" | "over-call-limit" | "audio-unavailable" | "keychain-unavailable" | "storage" | "unauthorized" | "too-many-attempts" | "forbidden" | "team-server";

export type ActionCall = { phone: string, 
/**
 * What the call is for, e.g. "Confirm your dentist appointment Thursday at 2pm".
 */
action: string, 
/**
 * What the agent may use to answer questions.
 */
context: string, calleeName: string, 
/**
 * The agent to use; by default the first general-purpose agent.
 */
agentId: AgentId | null, 
/**
 * The name the agent gives itself on this call.
 */
agentName: string | null, 
/**
 * The organisation the agent calls for on this call.
 */
organization: string | null, };

export type VendorFreight = { contactId: ContactId, amount: number, };

export type QuoteRequest = { item: string, quantity: number, 
/**
 * What the quantity counts ("units", "boxes", "kg").
 */
unit: string, 
/**
 * The landed unit price the buyer hopes for, in dollars.
 */
targetPrice: number | null, deliveryLocation: string | null, 
/**
 * The date the goods are needed by, `YYYY-MM-DD`.
 */
neededBy: string | null, notes: string | null, 
/**
 * What the dispatcher expects freight to cost for the whole shipment when a vendor quotes
 * ex works or FOB origin (the buyer arranges the freight), in dollars.
 */
freightEstimate: number | null, 
/**
 * The dispatcher's freight estimates for single vendors' ex-works / FOB-origin quotes
 * (their lane), entered once the quotes are in; they take the place of `freight_estimate`.
 */
vendorFreight: Array<VendorFreight>, };

export type Freight = { "kind": "included" } | { "kind": "quoted", amount: number, per_unit: boolean, } | { "kind": "origin" } | { "kind": "unknown" };

export type EarlyDiscount = { percent: number, days: number, };

export type PaymentTerms = { 
/**
 * Share of the price paid with the order (before delivery), 0 to 1.
 */
upFront: number, 
/**
 * Days after delivery the rest is due (0: on delivery).
 */
netDays: number, 
/**
 * An early-payment discount: percent off when paid within `days`.
 */
discount: EarlyDiscount | null, };

export type FlagKind = "moq-above-quantity" | "late-for-needed-by" | "expired";

export type QuoteFlag = { kind: FlagKind, message: string, };

export type LandedCost = { freight: Freight, 
/**
 * Freight per unit: the vendor's, or the dispatcher's estimate (`freight_estimated`).
 */
freightPerUnit: number | null, freightEstimated: boolean, 
/**
 * The payment terms as read (none when they say nothing readable).
 */
terms: PaymentTerms | null, 
/**
 * What the terms are worth per unit: negative when paying later saves money.
 */
termsAdjustment: number, 
/**
 * Unit price + freight per unit + terms adjustment; unknown without a price, or for an
 * origin quote with no freight estimate.
 */
landed: number | null, flags: Array<QuoteFlag>, };

export type RoundQuote = { vendor: string, round: number, offer: Offer, 
/**
 * The day of the call (`YYYY-MM-DD`), from which the quote's validity counts.
 */
quotedOn: string | null, 
/**
 * Every field the agent collected on the call, custom ones included.
 */
fields: { [key in string]: string }, };

export type NegotiationTarget = { contactId: ContactId, theirPrice: number, 
/**
 * Their landed unit cost (their price when it cannot be known).
 */
theirLanded: number, };

export type NegotiationPlan = { 
/**
 * The best quote's unit price.
 */
bestPrice: number, 
/**
 * The best quote's landed unit cost.
 */
bestLanded: number, bestContact: ContactId, bestVendor: string, targets: Array<NegotiationTarget>, };

export type RoundPrice = { round: number, unitPrice: number | null, landed: number | null, };

export type RankedOffer = { rank: number, vendor: string, 
/**
 * The round the offer comes from (2 when the negotiation produced a price).
 */
round: number, 
/**
 * The vendor's quote in every round they gave one, in round order (summaries stored before
 * this was kept have none).
 */
roundPrices: Array<RoundPrice>, offer: Offer, 
/**
 * The final offer's landed cost (summaries stored before landed costs have none).
 */
landed: LandedCost | null, 
/**
 * Every field collected across the vendor's calls, the latest round's value kept.
 */
fields: { [key in string]: string }, };

export type QuoteSummary = { 
/**
 * Best offer per vendor, ranked on landed cost (flagged, then unpriced offers last).
 */
ranked: Array<RankedOffer>, suppliersCalled: number, quotesReceived: number, 
/**
 * The highest unit price quoted in any round.
 */
highestPrice: number | null, 
/**
 * Highest landed cost (unit price where it cannot be known) in any round minus the
 * recommended one, per unit.
 */
savingsPerUnit: number | null, 
/**
 * `savings_per_unit` times the quantity asked for.
 */
savingsTotal: number | null, 
/**
 * Savings as a share of the highest, 0–100.
 */
savingsPercent: number | null, averageLeadTimeDays: number | null, 
/**
 * The target landed unit price, and how the quotes compare: "3 vendors at or under $0.38 landed".
 */
targetPrice: number | null, targetNote: string | null, 
/**
 * The yearly rate the payment terms were weighed at (0.08 = 8 %).
 */
annualRate: number, 
/**
 * The keys of the fields collected beyond the quote's own (custom ones), alphabetically.
 */
customKeys: Array<string>, recommendation: string, 
/**
 * The next best quotes, one line each.
 */
alternatives: Array<string>, nextSteps: Array<string>, };

export type CampaignKind = "vendor-quote" | "driver-violation";

export type CampaignSpec = { name: string, kind: CampaignKind, 
/**
 * The agent for round 1 (quotes, or the driver calls).
 */
agentId: AgentId, 
/**
 * The agent for the negotiation round; without one, a quote run ends after round 1.
 */
negotiationAgentId: AgentId | null, contacts: Array<ContactId>, 
/**
 * Calls of this campaign at once.
 */
concurrency: number, 
/**
 * Attempts per contact and round (no answer, busy and failed calls are retried).
 */
maxAttempts: number, 
/**
 * Wait between attempts, in milliseconds.
 */
retrySpacingMs: number, 
/**
 * Call even outside the agents' calling windows (urgent runs, tests).
 */
ignoreCallingWindows: boolean, 
/**
 * The most the campaign may spend, in US dollars: no call starts that would pass it (the
 * campaign pauses, "budget reached"). Raised on resume; the campaign row holds the one in
 * force.
 */
budgetUsd: number | null, 
/**
 * What a vendor-quote campaign asks every vendor for; it fills the agents' variables.
 * Campaigns launched before requests were kept have none (each vendor's own item then).
 */
request: QuoteRequest | null, };

export type DriverAnswer = "acknowledged" | "disputed" | "asked-for-dispatcher" | "transferred" | "reached" | "voicemail" | "no answer" | "failed" | "skipped";

export type Resolution = { note: string, resolvedAt: UnixMillis, };

export type OutcomeCount = { outcome: DriverAnswer, label: string, count: number, };

export type DriverOutcome = { contactId: ContactId, driver: string, outcome: DriverAnswer, reason: string, 
/**
 * On the review queue: the driver spoke but did not settle it ([`DriverAnswer::needs_review`]).
 */
flagged: boolean, callId: CallId | null, 
/**
 * The driver's explanation as the agent noted it (`driver_comment`).
 */
comment: string | null, 
/**
 * Where in the call the driver said it: the callee line that gave the comment (or their
 * answer), the line the review opens the call at.
 */
line: number | null, 
/**
 * That line with the line before and after it.
 */
words: Array<TranscriptLine>, 
/**
 * The dispatcher's resolution, read from the store with the campaign.
 */
resolution: Resolution | null, };

export type CampaignResult = { "kind": "quotes" } & QuoteSummary | { "kind": "drivers", outcomes: Array<DriverOutcome>, 
/**
 * Counted again whenever the campaign is read.
 */
counts: Array<OutcomeCount>, };

export type RoundProgress = { round: number, total: number, done: number, skipped: number, 
/**
 * Targets whose campaign was canceled before they were called, or whose call the
 * dispatcher ended.
 */
canceled: number, calling: number, pending: number, 
/**
 * Pending targets waiting for a time (their calling window, or a retry).
 */
scheduled: number, };

export type TargetView = { round: number, contactId: ContactId, contactName: string, status: string, attempts: number, callId: CallId | null, outcome: string | null, 
/**
 * For a pending target: when it may be called next.
 */
nextAttemptAt: UnixMillis | null, };

export type RoundCost = { round: number, spentUsd: number, 
/**
 * Calls priced so far.
 */
calls: number, 
/**
 * What a call of this round costs on average (its own calls', else the campaign's).
 */
averageUsd: number | null, 
/**
 * Targets still to call or on the line.
 */
left: number, 
/**
 * What those should cost at the average; `None` while no call is priced.
 */
projectedUsd: number | null, };

export type CampaignCost = { spentUsd: number, 
/**
 * Calls priced so far.
 */
calls: number, 
/**
 * Some calls were priced at Settings' rates or as if real (simulator), not by a provider.
 */
estimate: boolean, 
/**
 * What the targets left should cost; `None` while no call is priced.
 */
projectedUsd: number | null, budgetUsd: number | null, rounds: Array<RoundCost>, };

export type CampaignView = { id: number, name: string, spec: CampaignSpec, 
/**
 * running, paused, completed, canceled or error.
 */
status: string, 
/**
 * Why the campaign stopped, when its status is error, or why it paused itself ("budget
 * reached").
 */
statusReason: string | null, round: number, createdAt: UnixMillis, endedAt: UnixMillis | null, rounds: Array<RoundProgress>, targets: Array<TargetView>, result: CampaignResult | null, 
/**
 * What it spent, what the rest should cost, and its budget.
 */
cost: CampaignCost, };

export type LaunchProblem = { contactId: ContactId, contactName: string, 
/**
 * Why the contact will be skipped (every reason, "; " between them); `None` when it will
 * be called.
 */
skipReason: string | null, 
/**
 * What will not go as the contact's details say (an extension the agent cannot dial).
 */
warnings: Array<string>, };

export type LastQuote = { contactId: ContactId, unitPrice: number, 
/**
 * The day of the call, `YYYY-MM-DD`.
 */
quotedOn: string, };

export type PastItems = { contactId: ContactId, items: Array<string>, };

export type CallLeft = { callId: CallId, contactId: ContactId, contactName: string, reason: string, };

export type CampaignCanceled = { campaign: CampaignView, 
/**
 * Calls ended by the dispatcher.
 */
ended: Array<CallId>, 
/**
 * Calls left to finish, and why.
 */
left: Array<CallLeft>, };

export type RowError = { 
/**
 * The column (CSV header or JSON key) the problem is in.
 */
column: string, reason: string, };

export type RowOutcome = { "status": "imported", contactId: ContactId | null, } | { "status": "merged", contactId: ContactId | null, 
/**
 * The contact merged into, as "Acme Fasteners (row 3)" or "Acme Fasteners (already saved)".
 */
into: string, 
/**
 * The fields the row changed.
 */
changed: Array<string>, } | { "status": "rejected", errors: Array<RowError>, };

export type RowReport = { 
/**
 * 1-based number of the record (the CSV header is not a row).
 */
row: number, 
/**
 * Where the record starts: its line in a CSV file, or its row in a spreadsheet.
 */
line: number | null, 
/**
 * The row's name, when it had one.
 */
name: string | null, outcome: RowOutcome, };

export type ImportReport = { source: string, 
/**
 * The sheet read, when the file is a workbook.
 */
sheet: string | null, 
/**
 * Every sheet of the workbook (empty for CSV and JSON).
 */
sheets: Array<string>, dryRun: boolean, imported: number, merged: number, rejected: number, rows: Array<RowReport>, 
/**
 * What the import read past, for the whole file (columns it ignores, and why).
 */
notes: Array<string>, };

export type CommandError = { code: ErrorCode, message: string, fields: Array<FieldError>, };

export type CallFilter = { campaignId: number | null, contactId: ContactId | null, 
/**
 * Part of the contact's name or number.
 */
contactText: string | null, agentId: AgentId | null, backend: BackendKind | null, 
/**
 * How the call ended (its state); several means any of them.
 */
outcomes: Array<CallState>, 
/**
 * Calls placed at or after this time.
 */
from: UnixMillis | null, 
/**
 * Calls placed before this time.
 */
to: UnixMillis | null, };

export type AnalyticsFilter = { from: string | null, to: string | null, agentId: AgentId | null, backend: BackendKind | null, campaignId: number | null, 
/**
 * The IANA zone days are counted in (the window's own).
 */
timeZone: string, };

export type Figures = { calls: number, answered: number, 
/**
 * Answered of those placed (0–1); none without a call.
 */
answerRate: number | null, 
/**
 * Mean talk time (answer to end) of answered calls, in milliseconds.
 */
averageTalkMs: number | null, quotes: number, 
/**
 * What the calls with a known cost cost together, US dollars.
 */
costUsd: number, 
/**
 * How many calls have a known cost.
 */
costedCalls: number, 
/**
 * Cost divided by quotes obtained; none without a quote.
 */
costPerQuoteUsd: number | null, };

export type GroupFigures = { 
/**
 * The day (yyyy-mm-dd), the agent's id, the backend's or the state's name.
 */
key: string, 
/**
 * What the window shows for it.
 */
label: string, figures: Figures, };

export type BackendLatency = { backend: BackendKind, turns: number, p50Ms: number, p90Ms: number, p99Ms: number, };

export type Analytics = { totals: Figures, 
/**
 * The 90th percentile of talk time (nearest rank), in milliseconds.
 */
p90TalkMs: number | null, 
/**
 * Every day from the first to the last with calls (or the filter's days), in order.
 */
days: Array<GroupFigures>, outcomes: Array<GroupFigures>, agents: Array<GroupFigures>, backends: Array<GroupFigures>, latencies: Array<BackendLatency>, };

export type CallCost = { amount: number, 
/**
 * ISO 4217 code, or the provider's unit (for example "credits").
 */
currency: string, };

export type CostItem = { 
/**
 * What was used ("Twilio minutes").
 */
item: string, quantity: number, 
/**
 * The unit of `quantity` and `rate_usd` ("min", "1M tokens").
 */
unit: string, 
/**
 * US dollars per unit.
 */
rateUsd: number, amountUsd: number, };

export type CallPrice = { totalUsd: number, 
/**
 * Priced from usage at the rates in Settings, or a simulator call priced as if it were
 * real, rather than the provider's own figure.
 */
estimate: boolean, items: Array<CostItem>, };

export type CostRates = { 
/**
 * Twilio outbound voice, per minute (every started minute is billed).
 */
twilioMinute: number, 
/**
 * Twilio call recording, per minute recorded (every started minute is billed).
 */
twilioRecordingMinute: number, 
/**
 * Twilio `<Say>` text-to-speech (Amazon Polly voices), per 100 characters.
 */
twilioSay100Chars: number, 
/**
 * Deepgram streaming speech-to-text, per minute of audio streamed.
 */
deepgramMinute: number, 
/**
 * Anthropic input tokens, per million.
 */
anthropicInputMtok: number, 
/**
 * Anthropic output tokens, per million.
 */
anthropicOutputMtok: number, 
/**
 * ElevenLabs text-to-speech, per 1,000 characters.
 */
elevenlabsTts1kChars: number, 
/**
 * What one ElevenLabs credit costs (ElevenLabs Agents reports a call's cost in credits).
 */
elevenlabsCredit: number, 
/**
 * ElevenLabs Agents, per minute (a simulator estimate; real calls report credits).
 */
elevenlabsAgentMinute: number, 
/**
 * Vapi, per minute (a simulator estimate; real calls report their cost).
 */
vapiMinute: number, 
/**
 * Ultravox, per minute (its calls report no cost, so they are priced at this rate).
 */
ultravoxMinute: number, };

export type CostSettings = { rates: CostRates, 
/**
 * A call whose most it can cost (its agent's max duration at these rates) is above this is
 * refused before it is dialled; `None`: no limit.
 */
perCallLimitUsd: number | null, };

export type TurnLatency = { turn: number, sttMs: number, llmMs: number, ttsMs: number, sendMs: number, };

export type AudioPacing = { frames: number, late: number, worstGapMs: number, };

export type HeardLatency = { firstWordsMs: number | null, replies: number, replyMedianMs: number | null, replyWorstMs: number | null, };

export type RecordingInfo = { 
/**
 * File name inside the recordings directory.
 */
file: string, durationMs: number, bytes: number, createdAt: UnixMillis, 
/**
 * When retention deleted the audio (the row stays so History can say so).
 */
deletedAt: UnixMillis | null, };

export type CollectedField = { key: string, value: string, };

export type CallRecord = { call: CallSummary, transcript: Array<TranscriptLine>, fields: Array<CollectedField>, offer: Offer | null, 
/**
 * How the call's campaign judged it (driver outcome, retry reason), for campaign calls.
 */
outcome: string | null, 
/**
 * What the provider reported the call cost, in its currency or unit.
 */
cost: CallCost | null, 
/**
 * What the call cost in US dollars, with its breakdown (`None` while unknown).
 */
price: CallPrice | null, 
/**
 * Provider ids by name ("Twilio call SID" → "CA…").
 */
providerRefs: { [key in string]: string }, 
/**
 * The provider's own record of the call, as received (JSON text).
 */
providerRecord: string | null, recording: RecordingInfo | null, latencies: Array<TurnLatency>, 
/**
 * How well the agent's audio kept time (calls the engine voiced itself).
 */
audioPacing: AudioPacing | null, 
/**
 * What the callee heard, read from the recording (calls the engine voiced itself).
 */
heard: HeardLatency | null, 
/**
 * What the dispatcher did to the call while it was live, oldest first.
 */
actions: Array<CallAction>, };

export type ExportFormat = "json" | "csv" | "text" | "xlsx";

export type HistoryHit = { call: CallSummary, seq: number, 
/**
 * The line, each matched word between U+0002 and U+0003.
 */
snippet: string, };

export type HistorySettings = { 
/**
 * Past calls with a contact summarised into the next call's context (0 = none).
 */
memoryCalls: number, 
/**
 * Days recordings are kept; `null` keeps them.
 */
retentionDays: number | null, };

export type ForgetReport = { calls: number, recordings: number, 
/**
 * The contact was do-not-call: the number stays on the suppression list.
 */
numberSuppressed: boolean, };

export type TeamConnection = { 
/**
 * `https://host:port`.
 */
url: string, name: string, 
/**
 * `viewer`, `dispatcher` or `admin`: the window disables what the role cannot do.
 */
role: string, 
/**
 * How its certificate is trusted.
 */
trust: ServerTrust, };

export type ServerTrust = { "by": "system", 
/**
 * Who issued the certificate, as it names itself.
 */
issuer: string, } | { "by": "pinned", fingerprint: string, };

export type CertificateCheck = { "trusted": "system", issuer: string, } | { "trusted": "untrusted", fingerprint: string, reason: string, };

export type OfflineCopy = { 
/**
 * The team server that cannot be reached (`https://host:port`).
 */
server: string, 
/**
 * When the copy last took an answer from it; none when it holds nothing yet.
 */
updatedAt: UnixMillis | null, 
/**
 * Why it cannot be reached (connection refused, timed out, TLS failed).
 */
reason: string, };

export type PlaybackStatus = { 
/**
 * The call whose recording is loaded; `null` when none is.
 */
callId: CallId | null, playing: boolean, positionMs: number, durationMs: number, volume: number, muted: boolean, 
/**
 * The last block's level, dBFS (−96 is silence).
 */
levelDbfs: number, 
/**
 * Why the device stopped, if it did.
 */
error: string | null, };

export type AudioDevices = { names: Array<string>, default: string | null, 
/**
 * The device chosen in Settings; `null` follows the system default.
 */
chosen: string | null, };

export type ListeningStatus = { 
/**
 * The call listened to; `null` when none is.
 */
callId: CallId | null, 
/**
 * The call's audio is still coming (false once the call ended).
 */
live: boolean, volume: number, muted: boolean, 
/**
 * The mixed call's level over the last block, dBFS (−96 is silence).
 */
levelDbfs: number, 
/**
 * Frames dropped because the speakers fell behind.
 */
droppedFrames: number, 
/**
 * Why the device stopped, if it did; or why a team call's audio stopped coming, when not
 * with the call (the node running it lost, say).
 */
error: string | null, };

export type KeyStatus = { id: string, label: string, provider: string, 
/**
 * "keychain", "environment", or `null` when not set.
 */
source: string | null, 
/**
 * The environment variable that would override it.
 */
env: string, };

export type KeysView = { keys: Array<KeyStatus>, keychainProblem: string | null, };

export type ConnectionOutcome = "connected" | "key-refused" | "unreachable" | "not-configured";

export type ConnectionResult = { provider: string, outcome: ConnectionOutcome, 
/**
 * Says what happened: the provider's answer (an excerpt, keys masked) when it failed.
 */
message: string, };

export type WebhookUrl = { label: string, url: string, };

export type ListenerInfo = { port: number, 
/**
 * Where it listens, when it does.
 */
localUrl: string | null, publicUrl: string, 
/**
 * "command line", "settings", "ngrok" or "local".
 */
publicUrlSource: string, urls: Array<WebhookUrl>, 
/**
 * Providers whose webhooks can be verified (their secret is set).
 */
verified: Array<string>, 
/**
 * Why it is not listening, if it is not.
 */
error: string | null, };

export type InstallPaths = { dataDir: string, databasePath: string, logDir: string, };

export type AppInfo = { version: string, 
/**
 * Where this installation keeps its files: `null` over a team server, whose paths are its
 * own machine's business, not its clients' (not even an admin's: the server's own output
 * and its host show them to whoever runs it).
 */
paths: InstallPaths | null, backends: Array<BackendKind>, 
/**
 * Why the console could not start (database unreadable, …); `null` when it runs.
 */
startupError: string | null, };

