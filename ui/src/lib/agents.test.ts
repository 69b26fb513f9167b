import { describe, expect, it } from "vitest";
import type { AgentConfig } from "./bindings";
import { freshName, templateVariables } from "./agents";

describe("agents", () => {
  it("lists the variables of every text once", () => {
    const config = {
      systemPrompt: "Call {{vendor_name}} about {{ item }}.",
      firstMessage: "Hi {{vendor_name}}",
      greeting: "",
      transferTo: "{{transfer_to}}",
      voicemail: { action: "leave-message", text: "From {{organization}}" },
    } as AgentConfig;
    expect(templateVariables(config)).toEqual(["vendor_name", "item", "transfer_to", "organization"]);
  });

  it("finds a free name for a copy", () => {
    expect(freshName("Quote", [])).toBe("Quote");
    expect(freshName("Quote", ["Quote", "Quote (copy)"])).toBe("Quote (copy 2)");
  });
});
