// Listening in on live calls: which calls can be heard, and how loud the meter shows (unit-tested).
import type { CallSummary } from "./bindings";
import { isLive } from "./calls";

/** Whether a call can be listened to: while it is live (every backend has its audio heard). */
export function canListen(call: Pick<CallSummary, "state">): boolean {
  return isLive(call.state);
}

/** The level meter's fill, 0 to 1, for a level in dBFS: −60 dBFS and below is empty, 0 dBFS full. */
export function meterFill(levelDbfs: number): number {
  return Math.max(0, Math.min(1, (levelDbfs + 60) / 60));
}
