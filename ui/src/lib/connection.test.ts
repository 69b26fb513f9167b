import { describe, expect, it } from "vitest";
import type { ConnectionResult, KeyStatus } from "./bindings";
import { byProvider, connectionText } from "./connection";

const key = (id: string, provider: string): KeyStatus => ({ id, label: "API key", provider, source: null, env: id.toUpperCase() });

describe("byProvider", () => {
  it("groups keys by provider in the order providers first appear", () => {
    const groups = byProvider([
      key("twilio_account_sid", "Twilio"),
      key("twilio_auth_token", "Twilio"),
      key("vapi_api_key", "Vapi"),
      key("vapi_webhook_secret", "Vapi"),
    ]);
    expect(groups.map((g) => [g.provider, g.keys.map((k) => k.id)])).toEqual([
      ["Twilio", ["twilio_account_sid", "twilio_auth_token"]],
      ["Vapi", ["vapi_api_key", "vapi_webhook_secret"]],
    ]);
    expect(byProvider([])).toEqual([]);
  });
});

describe("connectionText", () => {
  const result = (outcome: ConnectionResult["outcome"], message: string): ConnectionResult => ({ provider: "Vapi", outcome, message });

  it("says connected, or why not with the provider's words", () => {
    expect(connectionText(result("connected", "Connected to Vapi."))).toBe("Connected");
    expect(connectionText(result("key-refused", "Vapi answered HTTP 401: bad key"))).toBe("Key refused: Vapi answered HTTP 401: bad key");
    expect(connectionText(result("unreachable", "could not reach Vapi: connection refused"))).toBe(
      "Unreachable: could not reach Vapi: connection refused",
    );
    expect(connectionText(result("not-configured", "No Vapi API key is set."))).toBe("Not configured: No Vapi API key is set.");
  });
});
