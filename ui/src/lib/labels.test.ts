import { describe, expect, it } from "vitest";
import { backendLabel, campaignKindLabel, fieldLabel, purposeLabel } from "./labels";

describe("labels", () => {
  it("spells internal names in words", () => {
    expect(fieldLabel("targetPrice")).toBe("target price");
    expect(fieldLabel("doNotCall")).toBe("do not call");
    expect(fieldLabel("quantity")).toBe("quantity");
    expect(fieldLabel("po_number")).toBe("po_number");
    expect(purposeLabel("vendor-quote")).toBe("Vendor quote");
    expect(backendLabel("eleven-labs")).toBe("ElevenLabs agent");
    expect(campaignKindLabel("driver-violation")).toBe("Driver violation batch");
  });
});
