// Pure helpers of Analytics: the filter from the form, the figures in words, and the series
// each chart draws.
import type { Analytics, AnalyticsFilter, BackendKind, GroupFigures } from "./bindings";
import { isDate } from "./history";
import { backendLabel } from "./labels";

/** What the Analytics form holds: days typed `yyyy-mm-dd` (empty: any), ids as option values. */
export type AnalyticsForm = { from: string; to: string; agentId: string; backend: string; campaignId: string };

export const emptyAnalyticsForm = (): AnalyticsForm => ({ from: "", to: "", agentId: "", backend: "", campaignId: "" });

/** The window's own time zone, in which days are counted. */
export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** The filter the form describes; a day that is not one is left out (the form says so). */
export function analyticsFilterOf(form: AnalyticsForm, timeZone: string = localZone()): AnalyticsFilter {
  const day = (text: string) => (isDate(text) ? text.trim() : null);
  return {
    from: day(form.from),
    to: day(form.to),
    agentId: form.agentId ? Number(form.agentId) : null,
    backend: (form.backend || null) as BackendKind | null,
    campaignId: form.campaignId ? Number(form.campaignId) : null,
    timeZone,
  };
}

/** "71%" of a rate 0–1, "—" without one. */
export const percent = (rate: number | null): string => (rate === null ? "—" : `${Math.round(rate * 100)}%`);

/** "1:05" of milliseconds, "—" without. */
export function minutes(ms: number | null): string {
  if (ms === null) return "—";
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** "$1.30" of US dollars, "—" without. */
export const usd = (amount: number | null): string => (amount === null ? "—" : `$${amount.toFixed(2)}`);

/** One chart's data: a label per bar or point, and one or more named series over them. */
export type Series = { labels: string[]; sets: { name: string; values: number[] }[] };

const over = (groups: GroupFigures[], sets: [string, (g: GroupFigures) => number][], label = (g: GroupFigures) => g.label): Series => ({
  labels: groups.map(label),
  sets: sets.map(([name, value]) => ({ name, values: groups.map(value) })),
});

/** Every chart's series, by chart. */
export function chartSeries(a: Analytics): Record<string, Series> {
  const backend = (g: GroupFigures) => backendLabel(g.key as BackendKind);
  return {
    callsPerDay: over(a.days, [
      ["Calls", (g) => g.figures.calls],
      ["Answered", (g) => g.figures.answered],
    ]),
    answerRatePerDay: over(a.days, [["Answer rate (%)", (g) => Math.round((g.figures.answerRate ?? 0) * 1000) / 10]]),
    outcomes: over(a.outcomes, [["Calls", (g) => g.figures.calls]]),
    costPerDay: over(a.days, [["Cost (USD)", (g) => g.figures.costUsd]]),
    costPerOutcome: over(a.outcomes, [["Cost (USD)", (g) => g.figures.costUsd]]),
    agents: over(a.agents, [
      ["Calls", (g) => g.figures.calls],
      ["Quotes", (g) => g.figures.quotes],
    ]),
    backends: over(
      a.backends,
      [
        ["Calls", (g) => g.figures.calls],
        ["Quotes", (g) => g.figures.quotes],
      ],
      backend,
    ),
    latency: {
      labels: a.latencies.map((l) => backendLabel(l.backend)),
      sets: [
        { name: "p50", values: a.latencies.map((l) => l.p50Ms) },
        { name: "p90", values: a.latencies.map((l) => l.p90Ms) },
        { name: "p99", values: a.latencies.map((l) => l.p99Ms) },
      ],
    },
  };
}
