import { describe, expect, it } from "vitest";
import type { Contact } from "./bindings";
import { tagsOf, unitMoney, vendorMatches } from "./quotes";

const vendor = (name: string, tags: string[], location: string): Contact => ({
  id: 1,
  phoneE164: "+13125550143",
  phoneExtension: null,
  fields: {
    name,
    phone: "+13125550143",
    tags,
    timeZone: null,
    doNotCall: false,
    custom: {},
    details: { kind: "vendor", email: null, location, notes: null },
  },
});

describe("vendor quotes", () => {
  it("shows cents, and fractions of a cent when they matter", () => {
    expect([unitMoney(0.38), unitMoney(0.3915), unitMoney(12), unitMoney(null)]).toEqual(["$0.38", "$0.3915", "$12.00", "–"]);
  });

  it("finds vendors by name, tag, location and past item, every word", () => {
    const acme = vendor("Acme Fasteners", ["fasteners", "midwest"], "Chicago, IL");
    const past = ["M8 hex nuts", "Washers"];
    expect(vendorMatches(acme, [], "chicago", "")).toBe(true);
    expect(vendorMatches(acme, [], "il acme", "")).toBe(true);
    expect(vendorMatches(acme, [], "midwest", "")).toBe(true);
    expect(vendorMatches(acme, [], "portland", "")).toBe(false);
    expect(vendorMatches(acme, past, "hex nuts", "")).toBe(true);
    expect(vendorMatches(acme, past, "washers chicago", "")).toBe(true);
    expect(vendorMatches(acme, past, "bolts", "")).toBe(false);
    expect(vendorMatches(acme, [], "hex nuts", "")).toBe(false);
    expect(vendorMatches(acme, [], "", "fasteners")).toBe(true);
    expect(vendorMatches(acme, [], "", "west-coast")).toBe(false);
    expect(tagsOf([acme, vendor("B", ["west-coast", "fasteners"], "")])).toEqual(["fasteners", "midwest", "west-coast"]);
  });
});
