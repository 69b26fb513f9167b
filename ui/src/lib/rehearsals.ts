// Rehearsals in words: behaviours, endings, pass rates, what a scenario expects, whether an
// agent version has passed its suite, and the editable form of a scenario's expectations.
import type {
  Behaviour,
  Expectations,
  FieldExpectation,
  RehearsalEnding,
  RehearsalMode,
  RehearsalReport,
  Scenario,
  ScenarioResult,
} from "./bindings";

export const BEHAVIOURS: [Behaviour, string][] = [
  ["cooperative", "Cooperative"],
  ["haggler", "Haggler (concedes only under pressure)"],
  ["evasive", "Evasive"],
  ["wrong-person", "Wrong person"],
  ["call-back", "Asks to be called back"],
  ["hostile", "Hostile"],
  ["silent", "Silent"],
  ["talks-over", "Talks over the agent"],
  ["voicemail", "Voicemail greeting"],
  ["ivr", "Phone menu (wants a digit)"],
  ["asks-for-person", "Asks for a person"],
  ["opts-out", "Asks to be taken off the list"],
];

export const MODES: [RehearsalMode, string][] = [
  ["simulator", "Simulator"],
  ["text", "Text (the agent's model)"],
  ["audio", "Audio (the realtime pipeline)"],
  ["provider", "At the provider"],
];

export const behaviourLabel = (b: Behaviour): string => BEHAVIOURS.find(([v]) => v === b)?.[1] ?? b;
export const modeLabel = (m: RehearsalMode): string => MODES.find(([v]) => v === m)?.[1] ?? m;

/** How a rehearsed call ended, in words. */
export function endingLabel(ending: RehearsalEnding): string {
  switch (ending.by) {
    case "agent":
      return `the agent ended it (${ending.reason})`;
    case "transferred":
      return `transferred (${ending.reason})`;
    case "callee":
      return "the callee hung up";
    case "turn-limit":
      return "cut off at the turn limit";
    case "failed":
      return `broke off: ${ending.reason}`;
  }
}

/** "3 of 5 runs passed", or "not rehearsed" for a scenario with no runs. */
export function passRate(result: ScenarioResult | undefined): string {
  const runs = result?.runs ?? [];
  if (!runs.length) return "not rehearsed";
  const passed = runs.filter(runPassed).length;
  return `${passed} of ${runs.length} ${runs.length === 1 ? "run" : "runs"} passed`;
}

export const runPassed = (run: ScenarioResult["runs"][number]): boolean =>
  run.checks.every((c) => c.passed) && run.judged.every((j) => j.passed);

/** Whether the scenario was rehearsed and every run passed. */
export const scenarioPassed = (result: ScenarioResult | undefined): boolean =>
  !!result && result.runs.length > 0 && result.runs.every(runPassed);

/** Every expectation of a scenario, in a few words each. */
export function expectationList(expect: Expectations): string[] {
  const list = Object.entries(expect.fields).map(([key, wanted]) => `collects ${key}${fieldWanted(wanted)}`);
  if (expect.noFields) list.push("collects nothing");
  list.push(...expect.mustSay.map((p) => `says “${p}”`));
  list.push(...expect.mustNotSay.map((p) => `never says “${p}”`));
  if (expect.maxTurns !== null) list.push(`within ${expect.maxTurns} turns`);
  if (expect.endsPolitely) list.push("ends politely");
  if (expect.transfers) list.push("transfers");
  if (expect.priceAtMost !== null) list.push(`asks for $${expect.priceAtMost} or less`);
  if (expect.respectsDoNotCall) list.push("respects “take me off your list”");
  list.push(...expect.judged.map((j) => `judged: ${j}`));
  return list;
}

function fieldWanted(wanted: FieldExpectation): string {
  if (wanted === "collected") return "";
  if ("equals" in wanted) return ` = ${wanted.equals}`;
  return ` in ${wanted.range.min} to ${wanted.range.max}`;
}

/** Why launching `agent` now is not backed by a passing rehearsal of its current version (never
 * rehearsed, changed since, failed or partly rehearsed), or `null` when every scenario of its
 * suite passed every run; times in `locale` (the system's by default). */
export function rehearsalWarning(agent: string, report: RehearsalReport, locale?: string): string | null {
  const results = report.results;
  if (results.every((r) => !r.runs.length)) {
    const earlier = report.earlier;
    if (!earlier) return `${agent} (version ${report.agentVersion}) has never been rehearsed.`;
    const when = new Date(earlier.startedAt).toLocaleString(locale);
    return `${agent} changed since its last rehearsal (version ${earlier.agentVersion}, ${when}); version ${report.agentVersion} has not been rehearsed.`;
  }
  const failed = results.filter((r) => r.runs.length && !scenarioPassed(r)).map((r) => `${r.scenario} (${passRate(r)})`);
  const missing = results.filter((r) => !r.runs.length).map((r) => r.scenario);
  const parts = [];
  if (failed.length) parts.push(`failed ${failed.join(", ")}`);
  if (missing.length) parts.push(`has not rehearsed ${missing.join(", ")}`);
  return parts.length ? `${agent} (version ${report.agentVersion}) ${parts.join("; ")}.` : null;
}

/** A collected field's expectation as the editor holds it. */
export type FieldRow = { key: string; kind: "collected" | "equals" | "range"; equals: string; min: number | null; max: number | null };

export function fieldRows(fields: Expectations["fields"]): FieldRow[] {
  return Object.entries(fields).map(([key, wanted]) => {
    if (wanted === "collected") return { key, kind: "collected", equals: "", min: null, max: null };
    if ("equals" in wanted) return { key, kind: "equals", equals: wanted.equals, min: null, max: null };
    return { key, kind: "range", equals: "", min: wanted.range.min, max: wanted.range.max };
  });
}

/** The rows back as the suite's fields; `problems` gets what cannot be read, by row. */
export function rowsToFields(rows: FieldRow[], problems: Record<string, string>, at: string): Expectations["fields"] {
  const fields: Expectations["fields"] = {};
  rows.forEach((row, i) => {
    const key = row.key.trim();
    if (!key) problems[`${at}.${i}`] = "a field needs its key";
    else if (key in fields) problems[`${at}.${i}`] = `the field ${key} is expected twice`;
    else if (row.kind === "collected") fields[key] = "collected";
    else if (row.kind === "equals") fields[key] = { equals: row.equals };
    else {
      const [min, max] = [numberOrNull(row.min), numberOrNull(row.max)];
      if (min === null || max === null) problems[`${at}.${i}`] = `give the range of ${key} both ends`;
      else fields[key] = { range: { min, max } };
    }
  });
  return fields;
}

/** A number input's value: `null` when empty (Svelte gives `null`, `undefined` or ""). */
export function numberOrNull(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || String(value).trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** One phrase per line, blank lines left out. */
export const lines = (text: string): string[] =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");

/** A new scenario to fill in: a cooperative callee who must end politely. */
export function newScenario(taken: string[]): Scenario {
  let name = "New scenario";
  for (let n = 2; taken.includes(name); n += 1) name = `New scenario ${n}`;
  return {
    name,
    callee: { who: "", knows: {}, behaviour: "cooperative" },
    variables: {},
    expect: {
      fields: {},
      noFields: false,
      mustSay: [],
      mustNotSay: [],
      maxTurns: null,
      endsPolitely: true,
      transfers: false,
      priceAtMost: null,
      respectsDoNotCall: false,
      judged: [],
    },
  };
}

/** The problems whose path is `prefix` or under it, by the rest of the path. */
export function errorsUnder(errors: Record<string, string>, prefix: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors)) {
    if (field === prefix) found[""] = message;
    else if (field.startsWith(`${prefix}.`)) found[field.slice(prefix.length + 1)] = message;
  }
  return found;
}

/** A map of words (what the callee knows) as the editor's rows. */
export type Pair = { key: string; value: string };

export const toPairs = (map: { [key in string]: string }): Pair[] => Object.entries(map).map(([key, value]) => ({ key, value }));

/** The rows back as a map; `problems` gets an empty or repeated key, by row. */
export function fromPairs(rows: Pair[], problems: Record<string, string>, at: string): { [key in string]: string } {
  const map: { [key in string]: string } = {};
  rows.forEach((row, i) => {
    const key = row.key.trim();
    if (!key) problems[`${at}.${i}`] = "give what they know a name (e.g. unit_price)";
    else if (key in map) problems[`${at}.${i}`] = `${key} is given twice`;
    else map[key] = row.value;
  });
  return map;
}
