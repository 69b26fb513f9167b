// Pure helpers for agents (unit-tested).
import type { AgentConfig } from "./bindings";

const VARIABLE = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

/** Every `{{variable}}` the agent's texts use, in order of first use (as the engine reads them). */
export function templateVariables(config: AgentConfig): string[] {
  const voicemail = config.voicemail.action === "leave-message" ? config.voicemail.text : "";
  const names: string[] = [];
  for (const text of [config.systemPrompt, config.firstMessage, config.greeting, config.transferTo, voicemail]) {
    for (const match of text.matchAll(VARIABLE)) {
      if (!names.includes(match[1]!)) names.push(match[1]!);
    }
  }
  return names;
}

/** A name not yet taken: "Vendor quote", then "Vendor quote (copy)", "Vendor quote (copy 2)", … */
export function freshName(name: string, taken: string[]): string {
  if (!taken.includes(name)) return name;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${name} (copy)` : `${name} (copy ${n})`;
    if (!taken.includes(candidate)) return candidate;
  }
}
