import { describe, expect, it } from "vitest";
import type { CallSummary, Offer } from "./bindings";
import { appendLine, audioBehindNotice, callDuration, campaignStatus, newerCall, rankOffers, upsertCall, upsertOffer } from "./calls";

const call = (id: number, over: Partial<CallSummary> = {}): CallSummary => ({
  id,
  contactId: 1,
  contactName: "Acme",
  agentId: 1,
  agentName: "Vendor quote",
  backend: "simulator",
  phone: "+13125550143",
  state: "queued",
  endReason: null,
  createdAt: 0,
  answeredAt: null,
  endedAt: null,
  campaignId: null,
  round: null,
  attempt: null,
  ...over,
});

const offer = (callId: number, unitPrice: number | null, leadTimeDays: number | null): Offer => ({
  callId,
  contactId: callId,
  unitPrice,
  moq: null,
  leadTimeDays,
  shipping: null,
  terms: null,
  validDays: null,
  confidence: 1,
});

describe("call state from events", () => {
  it("replaces a call in place and keeps newest first", () => {
    let calls = upsertCall([], call(1));
    calls = upsertCall(calls, call(2));
    calls = upsertCall(calls, call(1, { state: "ringing" }));
    expect(calls.map((c) => [c.id, c.state])).toEqual([
      [2, "queued"],
      [1, "ringing"],
    ]);
  });

  it("says why a campaign paused itself", () => {
    expect(campaignStatus({ status: "paused", statusReason: "budget reached" })).toBe("paused: budget reached");
    expect(campaignStatus({ status: "paused", statusReason: null })).toBe("paused");
    expect(campaignStatus({ status: "running", statusReason: null })).toBe("running");
  });

  it("adds each transcript line once and in order", () => {
    const a = { seq: 0, speaker: "agent" as const, text: "Hi", offsetMs: 0 };
    const b = { seq: 1, speaker: "callee" as const, text: "Hello", offsetMs: 900 };
    expect(appendLine(appendLine(appendLine([], b), a), b)).toEqual([a, b]);
  });

  it("ranks offers by price, then lead time, unpriced last", () => {
    const ranked = rankOffers([offer(1, 0.5, 10), offer(2, null, 3), offer(3, 0.45, 20), offer(4, 0.45, 12)]);
    expect(ranked.map((o) => o.callId)).toEqual([4, 3, 1, 2]);
  });

  it("prefers the more advanced view of a call", () => {
    const ringing = call(1, { state: "ringing" });
    const done = call(1, { state: "completed" });
    expect(newerCall(ringing, done)).toBe(done);
    expect(newerCall(done, ringing)).toBe(done);
    expect(newerCall(done, call(1, { state: "lost" }))).toBe(done);
  });

  it("keeps one offer per call", () => {
    expect(upsertOffer([offer(1, 0.5, 10)], offer(1, 0.4, 10))).toEqual([offer(1, 0.4, 10)]);
  });

  it("measures duration from answer", () => {
    expect(callDuration(call(1), 10_000)).toBe("–");
    expect(callDuration(call(1, { answeredAt: 1_000, endedAt: 66_000 }), 0)).toBe("1:05");
    expect(callDuration(call(1, { answeredAt: 1_000 }), 11_500)).toBe("0:10");
  });
});

describe("audioBehindNotice", () => {
  it("counts the late frames and says what to do", () => {
    expect(audioBehindNotice(1, 5, 15)).toContain("1 frame went out late in the last 5 s");
    expect(audioBehindNotice(340, 5, 15)).toContain("340 frames went out late");
    expect(audioBehindNotice(340, 5, 15)).toContain("campaigns start no new call for 15 s; run fewer calls at once");
  });
});
