import { describe, expect, it } from "vitest";
import type { CallAction, CallSummary, TranscriptLine } from "./bindings";
import { describeAction, timeline, upsertAction } from "./control";

const call = { answeredAt: 1_000, createdAt: 0 } as CallSummary;
const line = (seq: number, offsetMs: number): TranscriptLine => ({ seq, speaker: "agent", text: `line ${seq}`, offsetMs });
const action = (id: number, requestedAt: number, status: CallAction["status"] = "done"): CallAction => ({
  id,
  callId: 1,
  action: "steer",
  text: "ask about freight",
  status,
  result: status === "refused" ? "Vapi: call not live" : null,
  requestedAt,
  doneAt: null,
});

describe("the dispatcher's actions", () => {
  it("are kept once each, the newest state of each", () => {
    const running = upsertAction([], action(2, 5_000, "running"));
    const both = upsertAction(upsertAction(running, action(1, 4_000)), action(2, 5_000, "refused"));
    expect(both.map((a) => [a.id, a.status])).toEqual([
      [1, "done"],
      [2, "refused"],
    ]);
  });

  it("read with their outcome", () => {
    expect(describeAction(action(1, 0))).toBe("note to the agent: ask about freight");
    expect(describeAction(action(1, 0, "running"))).toBe("note to the agent: ask about freight …");
    expect(describeAction(action(1, 0, "refused"))).toBe("note to the agent: ask about freight (refused: Vapi: call not live)");
  });

  it("sit in the transcript at the time they were taken", () => {
    const rows = timeline(call, [line(0, 0), line(1, 3_000), line(2, 6_000)], [action(7, 5_000), action(8, 500)]);
    expect(rows.map((row) => row.key)).toEqual(["l0", "a8", "l1", "a7", "l2"]);
  });
});
