import { describe, expect, it } from "vitest";
import { canListen, meterFill } from "./listening";

describe("canListen", () => {
  it("takes live calls", () => {
    expect(canListen({ state: "in-progress" })).toBe(true);
    expect(canListen({ state: "ringing" })).toBe(true);
  });

  it("refuses ended calls", () => {
    expect(canListen({ state: "completed" })).toBe(false);
    expect(canListen({ state: "failed" })).toBe(false);
    expect(canListen({ state: "no-answer" })).toBe(false);
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
