import { describe, expect, it } from "vitest";
import { itemUse, priceText, usd } from "./costs";

describe("costs", () => {
  it("shows amounts to the hundredth of a cent and marks estimates", () => {
    expect(usd(0.04200001)).toBe("$0.0420");
    expect(priceText({ totalUsd: 0.16925, estimate: true, items: [] })).toBe("$0.1693 (estimate)");
    expect(priceText({ totalUsd: 0.1, estimate: false, items: [] })).toBe("$0.1000");
  });

  it("says what an item used at what rate", () => {
    const item = { item: "Twilio minutes", quantity: 3, unit: "min", rateUsd: 0.014, amountUsd: 0.042 };
    expect(itemUse(item)).toBe("3 min × $0.014");
  });
});
