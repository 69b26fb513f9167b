// Provider keys grouped for Settings, and how a connection test's result reads.
import type { ConnectionResult, KeyStatus } from "./bindings";

/** One provider's keys, in the order the keys list gives them. */
export type ProviderKeys = { provider: string; keys: KeyStatus[] };

/** The keys grouped by provider, providers in order of their first key. */
export function byProvider(keys: KeyStatus[]): ProviderKeys[] {
  const groups: ProviderKeys[] = [];
  for (const key of keys) {
    const group = groups.find((g) => g.provider === key.provider);
    if (group) group.keys.push(key);
    else groups.push({ provider: key.provider, keys: [key] });
  }
  return groups;
}

/** The line shown beside a provider's Test connection button. */
export function connectionText(result: ConnectionResult): string {
  switch (result.outcome) {
    case "connected":
      return "Connected";
    case "key-refused":
      return `Key refused: ${result.message}`;
    case "unreachable":
      return `Unreachable: ${result.message}`;
    case "not-configured":
      return `Not configured: ${result.message}`;
  }
}
