import { describe, expect, it } from "vitest";
import type { Contact } from "./bindings";
import { contactSummary, searchText, visibleContacts } from "./contacts";

const vendor = (id: number, name: string, phone: string, tags: string[] = []): Contact => ({
  id,
  phoneE164: phone,
  phoneExtension: null,
  fields: {
    name,
    phone,
    tags,
    timeZone: null,
    doNotCall: false,
    custom: {},
    details: { kind: "vendor", email: null, location: "Chicago", notes: null },
  },
});

const driver = (id: number, name: string): Contact => ({
  id,
  phoneE164: "+13125550100",
  phoneExtension: null,
  fields: {
    name,
    phone: "+13125550100",
    tags: [],
    timeZone: null,
    doNotCall: false,
    custom: { depot: "North" },
    details: {
      kind: "driver",
      driverId: "D-1",
      violations: [{ type: "Speeding", time: null, location: null, severity: "high", details: null }],
      tripId: null,
      trip: { origin: null, destination: null, cargo: null, scheduledArrival: null, currentLocation: null, notes: null },
      dispatcherName: null,
      transferTo: null,
    },
  },
});

describe("contact list", () => {
  const all = [vendor(1, "Zed Supply", "+13125550143", ["east"]), vendor(2, "acme", "+12165550187"), driver(3, "Maria")];
  const index = new Map(all.map((c) => [c.id, searchText(c)]));

  it("matches every word, across fields, ignoring case", () => {
    expect(visibleContacts(all, index, "ZED east", "all", "name").map((c) => c.id)).toEqual([1]);
    expect(visibleContacts(all, index, "speeding north", "all", "name").map((c) => c.id)).toEqual([3]);
    expect(visibleContacts(all, index, "chicago", "driver", "name")).toEqual([]);
  });

  it("sorts by name without regard to case, or by phone", () => {
    expect(visibleContacts(all, index, "", "all", "name").map((c) => c.id)).toEqual([2, 3, 1]);
    expect(visibleContacts(all, index, "", "vendor", "phone").map((c) => c.id)).toEqual([2, 1]);
  });

  it("summarises vendors and drivers", () => {
    expect(contactSummary(all[0]!)).toBe("Chicago");
    expect(contactSummary(all[2]!)).toBe("D-1 · 1 violation");
  });
});
