import { describe, expect, it } from "vitest";
import { canListen, meterFill } from "./listening";

describe("canListen", () => {
  it("takes live calls with real audio", () => {
    expect(canListen({ state: "in-progress", backend: "pipeline" })).toBe(true);
    expect(canListen({ state: "ringing", backend: "eleven-labs" })).toBe(true);
  });

  it("refuses ended and simulated calls", () => {
    expect(canListen({ state: "completed", backend: "pipeline" })).toBe(false);
    expect(canListen({ state: "failed", backend: "vapi" })).toBe(false);
    expect(canListen({ state: "in-progress", backend: "simulator" })).toBe(false);
  });
});

describe("meterFill", () => {
  it("maps −60..0 dBFS onto 0..1 and clamps", () => {
    expect(meterFill(-96)).toBe(0);
    expect(meterFill(-60)).toBe(0);
    expect(meterFill(-30)).toBeCloseTo(0.5);
    expect(meterFill(0)).toBe(1);
    expect(meterFill(6)).toBe(1);
  });
});
