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

export type AgentConfig = { name: string, purpose: AgentPurpose, backend: BackendKind, 
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
firstMessage: string, dataFields: Array<DataField>, 
/**
 * Longest the call may last before the agent wraps up.
 */
maxDurationSecs: number, };

export type Agent = { id: AgentId, name: string, purpose: AgentPurpose, backend: BackendKind, 
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
firstMessage: string, dataFields: Array<DataField>, 
/**
 * Longest the call may last before the agent wraps up.
 */
maxDurationSecs: number, };

export type ContactKind = "vendor" | "driver";

export type VendorDetails = { email: string | null, location: string | null, 
/**
 * The item to quote.
 */
item: string, quantity: number, 
/**
 * The unit price the dispatcher hopes for.
 */
targetPrice: number | null, notes: string | null, };

export type Contact = { id: ContactId, kind: ContactKind, name: string, phone: string, vendor: VendorDetails, };

export type CallState = "queued" | "dialing" | "ringing" | "in-progress" | "completed" | "busy" | "no-answer" | "failed" | "canceled" | "lost";

export type CallSummary = { id: CallId, contactId: ContactId, contactName: string, agentId: AgentId, agentName: string, backend: BackendKind, 
/**
 * The number dialled, in E.164.
 */
phone: string, state: CallState, 
/**
 * Why the call ended, in words; set with the terminal state.
 */
endReason: string | null, createdAt: UnixMillis, answeredAt: UnixMillis | null, endedAt: UnixMillis | null, };

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

export type Offer = { callId: CallId, contactId: ContactId, unitPrice: number | null, moq: number | null, leadTimeDays: number | null, shipping: string | null, terms: string | null, 
/**
 * Share of the quote fields obtained, 0.0 to 1.0.
 */
confidence: number, };

export type EngineEvent = { "type": "callUpdated", call: CallSummary, } | { "type": "transcriptLine", callId: CallId, line: TranscriptLine, } | { "type": "offerRecorded", offer: Offer, };

export type ErrorCode = "not-found" | "invalid-phone" | "missing-variables" | "backend-unavailable" | "backend-failed" | "storage";

export type CommandError = { code: ErrorCode, message: string, };

export type CollectedField = { key: string, value: string, };

export type CallDetail = { call: CallSummary, transcript: Array<TranscriptLine>, fields: Array<CollectedField>, offer: Offer | null, };

export type AppInfo = { version: string, dataDir: string, databasePath: string, logDir: string, backends: Array<BackendKind>, 
/**
 * Why the console could not start (database unreadable, …); `null` when it runs.
 */
startupError: string | null, };

