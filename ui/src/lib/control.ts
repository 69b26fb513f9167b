// The dispatcher's actions on a call: kept in order as events arrive, and woven into the
// transcript as "dispatcher: …" lines at the moment they were taken (unit-tested).
import type { CallAction, CallSummary, ControlAction, TranscriptLine } from "./bindings";

/** Inserts or replaces an action, oldest first. */
export function upsertAction(actions: CallAction[], action: CallAction): CallAction[] {
  return [...actions.filter((a) => a.id !== action.id), action].sort((a, b) => a.id - b.id);
}

/** How an action reads after "dispatcher: ", with its outcome once known. */
export function describeAction(action: CallAction): string {
  const said: Record<ControlAction, string> = {
    end: "ended the call",
    "take-over": `took the call over on ${action.text}`,
    steer: `note to the agent: ${action.text}`,
    say: `had the agent say: ${action.text}`,
  };
  const text = said[action.action];
  switch (action.status) {
    case "refused":
      return `${text} (refused: ${action.result ?? "no reason given"})`;
    case "pending":
    case "running":
      return `${text} …`;
    default:
      return text;
  }
}

/** One row of a call's transcript: a line, or one of the dispatcher's actions. */
export type TranscriptRow =
  | { kind: "line"; key: string; offsetMs: number; line: TranscriptLine }
  | { kind: "action"; key: string; offsetMs: number; action: CallAction };

/** The call's lines and the dispatcher's actions in call time (an action at the time it was
 * asked for, counted from the answer; before the answer, at the start). */
export function timeline(call: CallSummary, lines: TranscriptLine[], actions: CallAction[]): TranscriptRow[] {
  const start = call.answeredAt ?? call.createdAt;
  const rows: TranscriptRow[] = lines.map((line) => ({ kind: "line", key: `l${line.seq}`, offsetMs: line.offsetMs, line }));
  for (const action of actions) {
    rows.push({ kind: "action", key: `a${action.id}`, offsetMs: Math.max(0, action.requestedAt - start), action });
  }
  // Stable: lines keep their order, an action goes after the lines said before it.
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => a.row.offsetMs - b.row.offsetMs || a.index - b.index)
    .map(({ row }) => row);
}

/** The button's words for each action. */
export const ACTION_LABELS: Record<ControlAction, string> = {
  end: "End call",
  "take-over": "Take over",
  steer: "Steer",
  say: "Say",
};
