import { describe, expect, it } from "vitest";
import type { RehearsalReport, RehearsalRun, ScenarioResult } from "./bindings";
import { errorsUnder, expectationList, fieldRows, fromPairs, lines, newScenario, passRate, rehearsalWarning, rowsToFields } from "./rehearsals";

function run(passed: boolean[]): RehearsalRun {
  return {
    scenario: "s",
    mode: "simulator",
    agentVersion: "abc",
    rehearsed: { transcript: [], fields: {}, ending: { by: "callee" }, doNotCall: false, providerVerdict: null },
    checks: passed.map((p, i) => ({ expectation: `e${i}`, passed: p, reason: "why" })),
    judged: [],
  };
}

const result = (scenario: string, runs: boolean[][]): ScenarioResult => ({ scenario, runs: runs.map(run) });
const report = (results: ScenarioResult[], earlier: RehearsalReport["earlier"] = null): RehearsalReport => ({
  agentVersion: "abc123",
  results,
  earlier,
});

describe("rehearsals", () => {
  it("counts the runs that passed every check", () => {
    expect(passRate(undefined)).toBe("not rehearsed");
    expect(passRate(result("a", [[true, true], [true, false], [true]]))).toBe("2 of 3 runs passed");
    expect(passRate(result("a", [[true]]))).toBe("1 of 1 run passed");
  });

  it("warns of a version never rehearsed or changed since, a failed scenario and one not rehearsed, and not of a pass", () => {
    expect(rehearsalWarning("Quotes", report([result("a", []), result("b", [])]))).toBe(
      "Quotes (version abc123) has never been rehearsed.",
    );
    const earlier = { agentVersion: "0ld", startedAt: Date.UTC(2026, 11, 6, 15, 4) };
    expect(rehearsalWarning("Quotes", report([result("a", []), result("b", [])], earlier), "en-US")).toBe(
      `Quotes changed since its last rehearsal (version 0ld, ${new Date(earlier.startedAt).toLocaleString("en-US")}); version abc123 has not been rehearsed.`,
    );
    expect(rehearsalWarning("Quotes", report([result("a", [[true], [false]]), result("b", [])]))).toBe(
      "Quotes (version abc123) failed a (1 of 2 runs passed); has not rehearsed b.",
    );
    expect(rehearsalWarning("Quotes", report([result("a", [[true]]), result("b", [[true, true]])]))).toBeNull();
  });

  it("reads the field rows back, and names a row it cannot read", () => {
    const fields = { moq: "collected" as const, terms: { equals: "Net 30" }, unit_price: { range: { min: 3, max: 5 } } };
    const problems: Record<string, string> = {};
    expect(rowsToFields(fieldRows(fields), problems, "expect.fields")).toEqual(fields);
    expect(problems).toEqual({});
    const rows = [...fieldRows(fields), { key: " moq ", kind: "collected" as const, equals: "", min: null, max: null }];
    rows.push({ key: "lead", kind: "range", equals: "", min: 1, max: null }, { key: "", kind: "collected", equals: "", min: null, max: null });
    rowsToFields(rows, problems, "expect.fields");
    expect(problems).toEqual({
      "expect.fields.3": "the field moq is expected twice",
      "expect.fields.4": "give the range of lead both ends",
      "expect.fields.5": "a field needs its key",
    });
  });

  it("reads what the callee knows, one line a phrase, and the problems under a path", () => {
    const problems: Record<string, string> = {};
    expect(fromPairs([{ key: "digit", value: "2" }, { key: " ", value: "x" }], problems, "callee.knows")).toEqual({ digit: "2" });
    expect(Object.keys(problems)).toEqual(["callee.knows.1"]);
    expect(lines(" call us back \n\n  312 555 0100")).toEqual(["call us back", "312 555 0100"]);
    const errors = { "scenarios.1.name": "taken", "scenarios.1": "whole", "scenarios.10.name": "other", agent: "x" };
    expect(errorsUnder(errors, "scenarios.1")).toEqual({ name: "taken", "": "whole" });
  });

  it("lists a scenario's expectations and names a new one freely", () => {
    const scenario = newScenario(["New scenario"]);
    expect(scenario.name).toBe("New scenario 2");
    scenario.expect.mustNotSay = ["Great Lakes"];
    scenario.expect.maxTurns = 8;
    expect(expectationList(scenario.expect)).toEqual(["never says “Great Lakes”", "within 8 turns", "ends politely"]);
  });
});
