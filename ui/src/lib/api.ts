// Typed calls into the Rust side (Tauri commands) and its event stream.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  Agent,
  AgentId,
  AppInfo,
  CallDetail,
  CallId,
  CallSummary,
  CommandError,
  Contact,
  ContactId,
  EngineEvent,
  Offer,
} from "./bindings";

/** A command failed; `code` is stable, `message` is for people. */
export class ApiError extends Error {
  constructor(
    readonly code: CommandError["code"],
    message: string,
  ) {
    super(message);
  }
}

function isCommandError(value: unknown): value is CommandError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    if (isCommandError(err)) throw new ApiError(err.code, err.message);
    throw err;
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  listAgents: () => call<Agent[]>("list_agents"),
  listContacts: () => call<Contact[]>("list_contacts"),
  listCalls: () => call<CallSummary[]>("list_calls"),
  listOffers: () => call<Offer[]>("list_offers"),
  callDetail: (callId: CallId) => call<CallDetail>("call_detail", { callId }),
  startCall: (contactId: ContactId, agentId: AgentId) => call<CallSummary>("start_call", { contactId, agentId }),
};

/** Subscribes to engine events; `onResync` runs when events were missed and state must be re-read. */
export async function onEngineEvents(
  onEvent: (event: EngineEvent) => void,
  onResync: () => void,
): Promise<UnlistenFn> {
  const stopEvents = await listen<EngineEvent>("engine-event", (e) => onEvent(e.payload));
  const stopResync = await listen<number>("engine-resync", () => onResync());
  return () => {
    stopEvents();
    stopResync();
  };
}
