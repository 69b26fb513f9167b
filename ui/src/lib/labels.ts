// Readable labels for the values the engine uses as names (kinds, backends, field keys), so the
// window never shows an internal name such as "vendor-quote" or "targetPrice".
import type { AgentPurpose, BackendKind, CampaignKind } from "./bindings";

export const PURPOSES: [AgentPurpose, string][] = [
  ["vendor-quote", "Vendor quote"],
  ["vendor-negotiation", "Vendor negotiation"],
  ["driver-violation", "Driver violation"],
  ["generic", "Generic action + context"],
];

export const BACKENDS: [BackendKind, string][] = [
  ["simulator", "Built-in simulator"],
  ["eleven-labs", "ElevenLabs agent"],
  ["pipeline", "Self-hosted pipeline"],
  ["ultravox", "Ultravox"],
  ["vapi", "Vapi"],
  ["gather", "Twilio speech-gather"],
];

export const CAMPAIGN_KINDS: [CampaignKind, string][] = [
  ["vendor-quote", "Vendor quote run"],
  ["driver-violation", "Driver violation batch"],
];

export const campaignKindLabel = (kind: CampaignKind): string => CAMPAIGN_KINDS.find(([k]) => k === kind)?.[1] ?? kind;
export const purposeLabel = (purpose: AgentPurpose): string => PURPOSES.find(([p]) => p === purpose)?.[1] ?? purpose;
export const backendLabel = (backend: BackendKind): string => BACKENDS.find(([b]) => b === backend)?.[1] ?? backend;

/** A contact field's key in words: "targetPrice" → "target price", "doNotCall" → "do not call".
 * Keys the dispatcher made up (custom columns) are shown as they were written. */
export function fieldLabel(key: string): string {
  if (!/^[a-z]+([A-Z][a-z]*)+$/.test(key)) return key;
  return key.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}
