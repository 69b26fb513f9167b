// Vendor quotes in the window: unit prices as a buyer reads them, and the builder's vendor filter.
import type { Contact } from "./bindings";

/** Dollars per unit: cents always, fractions of a cent when they matter, at most four decimals. */
export function unitMoney(value: number | null): string {
  if (value === null) return "–";
  const text = value.toFixed(4).replace(/0+$/, "");
  const decimals = text.split(".")[1]?.length ?? 0;
  return decimals < 2 ? `$${value.toFixed(2)}` : `$${text}`;
}

/** What a vendor is found by: name, tags, location and the items past campaigns asked it for. */
function vendorText(contact: Contact, pastItems: string[]): string {
  const details = contact.fields.details;
  const own = details.kind === "vendor" ? [details.location ?? ""] : [];
  return [contact.fields.name, ...contact.fields.tags, ...own, ...pastItems].join(" ").toLowerCase();
}

/** Whether `contact` (asked for `pastItems` before) matches the search words (every word,
 * anywhere) and carries `tag` (any when empty). */
export function vendorMatches(contact: Contact, pastItems: string[], query: string, tag: string): boolean {
  if (tag && !contact.fields.tags.includes(tag)) return false;
  const text = vendorText(contact, pastItems);
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word.length > 0)
    .every((word) => text.includes(word));
}

/** Every tag among `contacts`, sorted. */
export function tagsOf(contacts: Contact[]): string[] {
  return [...new Set(contacts.flatMap((c) => c.fields.tags))].sort();
}
