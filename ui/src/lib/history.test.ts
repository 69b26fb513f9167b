import { describe, expect, it } from "vitest";
import { clock, emptyForm, filterOf, isDate, lineAt, pacingSummary, snippetParts } from "./history";

describe("snippetParts", () => {
  it("splits matched words out of the text", () => {
    expect(snippetParts("We can do \u000245\u0003 cents \u0002per\u0003 unit")).toEqual([
      { text: "We can do ", hit: false },
      { text: "45", hit: true },
      { text: " cents ", hit: false },
      { text: "per", hit: true },
      { text: " unit", hit: false },
    ]);
  });
  it("keeps text without markers whole and survives an unclosed marker", () => {
    expect(snippetParts("plain")).toEqual([{ text: "plain", hit: false }]);
    expect(snippetParts("a \u0002b")).toEqual([
      { text: "a ", hit: false },
      { text: "b", hit: true },
    ]);
  });
});

describe("filterOf", () => {
  it("reads the form into a filter, the end day included", () => {
    const form = { ...emptyForm(), agentId: "3", outcome: "no-answer", from: "2026-11-20", to: "2026-11-20" };
    const filter = filterOf(form);
    expect(filter.agentId).toBe(3);
    expect(filter.outcomes).toEqual(["no-answer"]);
    expect(filter.to! - filter.from!).toBe(new Date(2026, 10, 21).getTime() - new Date(2026, 10, 20).getTime());
    expect(filter.campaignId).toBeNull();
    expect(filterOf(emptyForm(), 7).contactId).toBe(7);
  });

  it("leaves out a date that is not a day", () => {
    expect(isDate("2026-02-28")).toBe(true);
    expect(isDate("2026-02-30")).toBe(false);
    expect(isDate("20/11/2026")).toBe(false);
    expect(filterOf({ ...emptyForm(), from: "yesterday", to: "" }).from).toBeNull();
  });
});

describe("clock and lineAt", () => {
  it("formats call time", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(61_500)).toBe("1:01");
  });
  it("follows the line being spoken", () => {
    expect(lineAt([0, 2000, 5000], 0)).toBe(0);
    expect(lineAt([0, 2000, 5000], 4999)).toBe(1);
    expect(lineAt([1000], 500)).toBe(-1);
  });
});

describe("pacingSummary", () => {
  it("says how much audio went out and whether any of it came late", () => {
    expect(pacingSummary({ frames: 750, late: 0, worstGapMs: 31 })).toBe(
      "0:15 of agent audio, every frame on time (longest gap 31 ms)",
    );
    expect(pacingSummary({ frames: 3000, late: 1, worstGapMs: 52 })).toBe(
      "1:00 of agent audio, 1 frame late (longest gap 52 ms): the caller may have heard a break",
    );
    expect(pacingSummary({ frames: 3000, late: 4, worstGapMs: 70 })).toContain("4 frames late");
  });
});
