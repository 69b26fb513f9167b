// Pure helpers for the contact list: search, filter, sort, and labels (unit-tested).
import type { Contact, ContactKind } from "./bindings";

export type SortKey = "name" | "phone" | "kind" | "tags";
export type KindFilter = ContactKind | "all";

/** Everything a search matches against, lower-cased once per contact. */
export function searchText(c: Contact): string {
  const f = c.fields;
  const d = f.details;
  const parts = [f.name, f.phone, c.phoneE164 ?? "", ...f.tags, f.timeZone ?? "", ...Object.values(f.custom)];
  if (d.kind === "vendor") parts.push(d.location ?? "", d.email ?? "", d.notes ?? "");
  else if (d.kind === "driver") parts.push(d.driverId ?? "", d.tripId ?? "", d.dispatcherName ?? "", ...d.violations.map((v) => v.type));
  else parts.push(d.organization ?? "", d.notes ?? "");
  return parts.join(" ").toLowerCase();
}

/** The contacts matching every word of `query` and the kind filter, sorted by `sort`. */
export function visibleContacts(
  contacts: Contact[],
  index: Map<number, string>,
  query: string,
  kind: KindFilter,
  sort: SortKey,
): Contact[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = contacts.filter((c) => {
    if (kind !== "all" && c.fields.details.kind !== kind) return false;
    const text = index.get(c.id) ?? searchText(c);
    return words.every((w) => text.includes(w));
  });
  const key = (c: Contact): string => {
    switch (sort) {
      case "phone":
        return c.phoneE164 ?? c.fields.phone;
      case "kind":
        return c.fields.details.kind + " " + c.fields.name.toLowerCase();
      case "tags":
        return c.fields.tags.join(",") || "\uffff";
      default:
        return c.fields.name.toLowerCase();
    }
  };
  return shown.sort((a, b) => key(a).localeCompare(key(b)) || a.id - b.id);
}

/** A one-line summary of what the contact is about. */
export function contactSummary(c: Contact): string {
  const d = c.fields.details;
  if (d.kind === "vendor") return d.location ?? "";
  if (d.kind === "person") return d.organization ?? "";
  const n = d.violations.length;
  return `${d.driverId ?? "driver"} · ${n} violation${n === 1 ? "" : "s"}`;
}
