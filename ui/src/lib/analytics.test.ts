import { describe, expect, it } from "vitest";
import { analyticsFilterOf, chartSeries, minutes, percent, usd } from "./analytics";
import type { Analytics, Figures } from "./bindings";

const figures = (calls: number, answered: number, costUsd: number): Figures => ({
  calls,
  answered,
  answerRate: calls ? answered / calls : null,
  averageTalkMs: null,
  quotes: 0,
  costUsd,
  costedCalls: calls,
  costPerQuoteUsd: null,
});

describe("analytics", () => {
  it("reads the form, leaving out a day that is not one", () => {
    const filter = analyticsFilterOf({ from: "2026-03-01", to: "2026-02-30", agentId: "2", backend: "pipeline", campaignId: "" }, "UTC");
    expect(filter).toEqual({ from: "2026-03-01", to: null, agentId: 2, backend: "pipeline", campaignId: null, timeZone: "UTC" });
  });

  it("says the figures in words", () => {
    expect([percent(5 / 7), percent(null)]).toEqual(["71%", "—"]);
    expect([minutes(57_500), minutes(120_000), minutes(null)]).toEqual(["0:58", "2:00", "—"]);
    expect(usd(0.65)).toBe("$0.65");
  });

  it("draws a series per chart from the figures", () => {
    const a: Analytics = {
      totals: figures(3, 2, 1.3),
      p90TalkMs: 120_000,
      days: [{ key: "2026-03-02", label: "2026-03-02", figures: figures(3, 2, 1.3) }],
      outcomes: [{ key: "no-answer", label: "no answer", figures: figures(1, 0, 0.1) }],
      agents: [],
      backends: [{ key: "pipeline", label: "the voice pipeline", figures: figures(3, 2, 1.3) }],
      latencies: [{ backend: "pipeline", turns: 5, p50Ms: 1000, p90Ms: 2000, p99Ms: 2000 }],
    };
    const series = chartSeries(a);
    expect(series.callsPerDay).toEqual({ labels: ["2026-03-02"], sets: [{ name: "Calls", values: [3] }, { name: "Answered", values: [2] }] });
    expect(series.answerRatePerDay!.sets[0]!.values).toEqual([66.7]);
    expect(series.backends!.labels).toEqual(["Self-hosted pipeline"]);
    expect(series.latency!.sets.map((s) => s.values[0])).toEqual([1000, 2000, 2000]);
  });
});
