// Pure updates of the console's call state from engine events (unit-tested).
import type { CallState, CallSummary, CampaignView, Offer, TranscriptLine } from "./bindings";

/** Inserts or replaces a call, keeping newest first. */
export function upsertCall(calls: CallSummary[], call: CallSummary): CallSummary[] {
  const rest = calls.filter((c) => c.id !== call.id);
  rest.push(call);
  return rest.sort((a, b) => b.id - a.id);
}

/** Adds a transcript line once, in order of `seq`. */
export function appendLine(lines: TranscriptLine[], line: TranscriptLine): TranscriptLine[] {
  if (lines.some((l) => l.seq === line.seq)) return lines;
  return [...lines, line].sort((a, b) => a.seq - b.seq);
}

/** Inserts or replaces the offer of a call. */
export function upsertOffer(offers: Offer[], offer: Offer): Offer[] {
  return [...offers.filter((o) => o.callId !== offer.callId), offer];
}

/** Offers ranked by unit price (ties by lead time); offers without a price last. */
export function rankOffers(offers: Offer[]): Offer[] {
  const key = (o: Offer) => [o.unitPrice ?? Number.POSITIVE_INFINITY, o.leadTimeDays ?? Number.POSITIVE_INFINITY];
  return [...offers].sort((a, b) => {
    const [pa, la] = key(a);
    const [pb, lb] = key(b);
    return pa! - pb! || la! - lb! || a.callId - b.callId;
  });
}

const LIVE: CallState[] = ["queued", "dialing", "ringing", "in-progress"];

/** How far along a call is: states only move forward, so the higher rank is the newer view. */
function rank(state: CallState): number {
  const live = LIVE.indexOf(state);
  return live === -1 ? LIVE.length : live;
}

/** Of two views of the same call, the more advanced one. */
export function newerCall(a: CallSummary, b: CallSummary): CallSummary {
  return rank(b.state) > rank(a.state) ? b : a;
}

/** True while a call can still change. */
export function isLive(state: CallState): boolean {
  return LIVE.includes(state);
}

/** The state as the dispatcher reads it. */
export function stateLabel(state: CallState): string {
  switch (state) {
    case "in-progress":
      return "in progress";
    case "no-answer":
      return "no answer";
    default:
      return state;
  }
}

/** Elapsed call time as m:ss, from answer to end (or to `now` while live). */
export function callDuration(call: CallSummary, now: number): string {
  if (call.answeredAt === null) return "–";
  const end = call.endedAt ?? now;
  const seconds = Math.max(0, Math.floor((end - call.answeredAt) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** A dollar amount. */
export function money(value: number | null): string {
  return value === null ? "–" : `$${value.toFixed(2)}`;
}

/** What the Live page says when the agents' audio fell behind on live calls. */
export function audioBehindNotice(lateFrames: number, withinSecs: number, campaignsHeldSecs: number): string {
  const frames = lateFrames === 1 ? "1 frame" : `${lateFrames} frames`;
  return (
    `The agents' audio fell behind: ${frames} went out late in the last ${withinSecs} s, ` +
    "so callers may hear breaks. This computer is carrying more calls than it can voice on time: " +
    `campaigns start no new call for ${campaignsHeldSecs} s; run fewer calls at once.`
  );
}

/** A campaign's status as the window shows it: "paused: budget reached" when it paused itself. */
export function campaignStatus(campaign: Pick<CampaignView, "status" | "statusReason">): string {
  return campaign.status === "paused" && campaign.statusReason ? `paused: ${campaign.statusReason}` : campaign.status;
}
