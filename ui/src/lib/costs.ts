// What calls cost, as the window shows it: dollar amounts, a call's breakdown, and the rates
// Settings edits (with what each is priced per).
import type { CallPrice, CostItem, CostRates } from "./bindings";

/** "$0.0420": calls cost fractions of a cent, so four decimals. */
export function usd(amount: number): string {
  return `$${amount.toFixed(4)}`;
}

/** "$0.1693 (estimate)" for an estimated price. */
export function priceText(price: CallPrice): string {
  return price.estimate ? `${usd(price.totalUsd)} (estimate)` : usd(price.totalUsd);
}

/** "3 min × $0.014": what was used, at what rate. */
export function itemUse(item: CostItem): string {
  const quantity = Number(item.quantity.toFixed(6));
  return `${quantity} ${item.unit} × $${Number(item.rateUsd.toFixed(6))}`;
}

/** Each rate of Settings with its label, in the order the form shows them. */
export const RATE_FIELDS: [keyof CostRates, string][] = [
  ["twilioMinute", "Twilio calls, $ per minute"],
  ["twilioRecordingMinute", "Twilio recording, $ per minute"],
  ["twilioSay100Chars", "Twilio <Say> speech, $ per 100 characters"],
  ["deepgramMinute", "Deepgram speech-to-text, $ per minute"],
  ["anthropicInputMtok", "Anthropic input, $ per million tokens"],
  ["anthropicOutputMtok", "Anthropic output, $ per million tokens"],
  ["elevenlabsTts1kChars", "ElevenLabs speech, $ per 1,000 characters"],
  ["elevenlabsCredit", "ElevenLabs credit, $ each"],
  ["elevenlabsAgentMinute", "ElevenLabs Agents, $ per minute (simulator estimates)"],
  ["vapiMinute", "Vapi, $ per minute (simulator estimates)"],
  ["ultravoxMinute", "Ultravox, $ per minute"],
];
