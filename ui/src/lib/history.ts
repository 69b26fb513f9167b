// Pure helpers of History: highlighted snippets, clock times, and the filter from the form.
import type { AudioPacing, CallFilter, CallState, HeardLatency } from "./bindings";

/** A piece of a search hit: plain text, or a matched word. */
export type SnippetPart = { text: string; hit: boolean };

const START = "\u0002";
const END = "\u0003";

/** Splits a hit's snippet at the match markers the search puts around each matched word. */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let rest = snippet;
  while (rest.length > 0) {
    const open = rest.indexOf(START);
    if (open === -1) {
      parts.push({ text: rest, hit: false });
      break;
    }
    if (open > 0) parts.push({ text: rest.slice(0, open), hit: false });
    const close = rest.indexOf(END, open + 1);
    const stop = close === -1 ? rest.length : close;
    parts.push({ text: rest.slice(open + 1, stop), hit: true });
    rest = close === -1 ? "" : rest.slice(close + 1);
  }
  return parts;
}

/** One line on how well a call's agent audio kept time (20 ms frames; late = over 40 ms apart). */
export function pacingSummary(pacing: AudioPacing): string {
  const sent = `${clock(pacing.frames * 20)} of agent audio`;
  if (pacing.late === 0) return `${sent}, every frame on time (longest gap ${pacing.worstGapMs} ms)`;
  const frames = pacing.late === 1 ? "1 frame" : `${pacing.late} frames`;
  return `${sent}, ${frames} late (longest gap ${pacing.worstGapMs} ms): the caller may have heard a break`;
}

/** One line on what the callee heard, read from the recording: first words after the answer, replies after they spoke. */
export function heardSummary(heard: HeardLatency): string {
  const first = heard.firstWordsMs === null ? "the agent never spoke" : `first words ${heard.firstWordsMs} ms after the answer`;
  if (heard.replies === 0 || heard.replyMedianMs === null) return `Heard by the callee: ${first}; no reply measured`;
  const replies = heard.replies === 1 ? "1 reply" : `${heard.replies} replies`;
  return `Heard by the callee: ${first}; replies ${heard.replyMedianMs} ms after they stopped speaking (median of ${replies}, worst ${heard.replyWorstMs} ms)`;
}

/** `m:ss` for a time in a call. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** What the History form holds. Dates are typed `yyyy-mm-dd`, in local time (empty: any). */
export type FilterForm = {
  campaignId: string;
  contactText: string;
  agentId: string;
  backend: string;
  outcome: string;
  from: string;
  to: string;
};

export const emptyForm = (): FilterForm => ({
  campaignId: "",
  contactText: "",
  agentId: "",
  backend: "",
  outcome: "",
  from: "",
  to: "",
});

/** Whether `text` is a day written `yyyy-mm-dd` (a filter date that is not is left out). */
export function isDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(y, m - 1, d);
  return date.getFullYear() === y && date.getMonth() === m - 1 && date.getDate() === d;
}

/** The filter the form describes; the `to` day is included whole. */
export function filterOf(form: FilterForm, contactId: number | null = null): CallFilter {
  const day = (text: string, plusDays = 0) => {
    if (!isDate(text)) return null;
    const [y, m, d] = text.trim().split("-").map(Number);
    return new Date(y!, m! - 1, d! + plusDays).getTime();
  };
  return {
    campaignId: form.campaignId ? Number(form.campaignId) : null,
    contactId,
    contactText: form.contactText.trim() || null,
    agentId: form.agentId ? Number(form.agentId) : null,
    backend: (form.backend || null) as CallFilter["backend"],
    outcomes: form.outcome ? [form.outcome as CallState] : [],
    from: day(form.from),
    to: day(form.to, 1),
  };
}

/** The line a transcript follows along to: the last one started at or before `positionMs`. */
export function lineAt(offsets: number[], positionMs: number): number {
  let found = -1;
  for (let i = 0; i < offsets.length; i++) {
    if (offsets[i]! <= positionMs) found = i;
    else break;
  }
  return found;
}
