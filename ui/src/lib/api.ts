// Typed calls into the Rust side (Tauri commands) and its event stream.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  Agent,
  AgentConfig,
  AgentSuite,
  AgentId,
  Analytics,
  AnalyticsFilter,
  ActionCall,
  AppInfo,
  CampaignCanceled,
  CampaignKind,
  CampaignSpec,
  CampaignView,
  CostSettings,
  LastQuote,
  PastItems,
  LaunchProblem,
  QuoteRequest,
  AudioDevices,
  CallAction,
  CallFilter,
  CallRecord,
  ControlAction,
  ControlOffer,
  ExportFormat,
  ForgetReport,
  HistoryHit,
  HistorySettings,
  OfflineCopy,
  KeysView,
  ListenerInfo,
  CallId,
  CallSummary,
  CommandError,
  ConnectionResult,
  Contact,
  ContactFields,
  ContactId,
  ContactKind,
  EngineEvent,
  FieldError,
  ImportReport,
  Offer,
  PlaybackStatus,
  ListeningStatus,
  RehearsalMode,
  RehearsalModeStatus,
  RehearsalReport,
  ScenarioResult,
  Suite,
  TeamConnection,
  CertificateCheck,
} from "./bindings";
import type { Theme } from "./theme";

/** A command failed; `code` is stable, `message` is for people, `fields` says which inputs. */
export class ApiError extends Error {
  constructor(
    readonly code: CommandError["code"],
    message: string,
    readonly fields: FieldError[] = [],
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
    if (isCommandError(err)) throw new ApiError(err.code, err.message, err.fields ?? []);
    throw err;
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  listAgents: () => call<Agent[]>("list_agents"),
  listContacts: () => call<Contact[]>("list_contacts"),
  listCalls: () => call<CallSummary[]>("list_calls"),
  listOffers: () => call<Offer[]>("list_offers"),
  callDetail: (callId: CallId) => call<CallRecord>("call_detail", { callId }),
  callControls: (callId: CallId) => call<ControlOffer[]>("call_controls", { callId }),
  controlCall: (callId: CallId, action: ControlAction, text: string) =>
    call<CallAction>("control_call", { callId, action, text }),
  historyPage: (filter: CallFilter, before: CallId | null, limit: number) =>
    call<CallSummary[]>("history_page", { filter, before, limit }),
  analyticsFigures: (filter: AnalyticsFilter) => call<Analytics>("analytics_figures", { filter }),
  exportAnalytics: (filter: AnalyticsFilter, format: ExportFormat, path: string) =>
    call<null>("export_analytics", { filter, format, path }),
  historyCount: (filter: CallFilter) => call<number>("history_count", { filter }),
  historySearch: (filter: CallFilter, text: string, limit: number) =>
    call<HistoryHit[]>("history_search", { filter, text, limit }),
  exportHistory: (target: { callId: CallId } | { campaignId: number }, format: ExportFormat, path: string) =>
    call<null>("export_history", { callId: null, campaignId: null, ...target, format, path }),
  contactMemory: (contactId: ContactId) => call<string>("contact_memory_text", { contactId }),
  getHistorySettings: () => call<HistorySettings>("get_history_settings"),
  setHistorySettings: (settings: HistorySettings) => call<number>("set_history_settings", { settings }),
  forgetContact: (contactId: ContactId) => call<ForgetReport>("forget_contact", { contactId }),
  listKeys: () => call<KeysView>("list_keys"),
  listenerInfo: () => call<ListenerInfo | null>("listener_info"),
  setListenerSettings: (port: number, publicUrl: string, fromNumber: string) =>
    call<null>("set_listener_settings", { port, publicUrl, fromNumber }),
  twilioFromNumber: () => call<string>("twilio_from_number"),
  detectNgrok: () => call<string | null>("detect_ngrok"),
  setKey: (id: string, value: string) => call<KeysView>("set_key", { id, value }),
  deleteKey: (id: string) => call<KeysView>("delete_key", { id }),
  testConnection: (provider: string) => call<ConnectionResult>("test_connection", { provider }),
  audioDevices: () => call<AudioDevices>("audio_devices"),
  chooseAudioDevice: (name: string | null) => call<null>("choose_audio_device", { name }),
  playRecording: (callId: CallId, fromMs: number) => call<PlaybackStatus>("play_recording", { callId, fromMs }),
  pauseRecording: () => call<PlaybackStatus>("pause_recording"),
  seekRecording: (positionMs: number) => call<PlaybackStatus>("seek_recording", { positionMs }),
  setPlaybackVolume: (volume: number, muted: boolean) => call<PlaybackStatus>("set_playback_volume", { volume, muted }),
  playbackStatus: () => call<PlaybackStatus>("playback_status"),
  listenToCall: (callId: CallId) => call<ListeningStatus>("listen_to_call", { callId }),
  stopListening: () => call<ListeningStatus>("stop_listening"),
  setListeningVolume: (volume: number, muted: boolean) => call<ListeningStatus>("set_listening_volume", { volume, muted }),
  listeningStatus: () => call<ListeningStatus>("listening_status"),
  storeWritesFailing: () => call<string | null>("store_writes_failing"),
  startCall: (contactId: ContactId, agentId: AgentId, request: QuoteRequest | null = null) =>
    call<CallSummary>("start_call", { contactId, agentId, request }),
  callWithAction: (request: ActionCall) => call<CallSummary>("call_with_action", { call: request }),
  contactCalls: (contactId: ContactId) => call<CallSummary[]>("contact_calls", { contactId }),
  importContacts: (fileName: string, bytes: Uint8Array, sheet: string | null, kind: ContactKind | null, dryRun: boolean) =>
    call<ImportReport>("import_contacts", { fileName, bytes: Array.from(bytes), sheet, kind, dryRun }),
  exportContacts: (path: string, ids: ContactId[]) => call<number>("export_contacts", { path, ids }),
  saveContact: (id: ContactId | null, fields: ContactFields) => call<Contact>("save_contact", { id, fields }),
  listPresets: () => call<AgentConfig[]>("list_presets"),
  saveAgent: (id: AgentId | null, config: AgentConfig) => call<Agent>("save_agent", { id, config }),
  agentSuite: (agentId: AgentId) => call<AgentSuite>("agent_suite", { agentId }),
  saveAgentSuite: (agentId: AgentId, suite: Suite) => call<AgentSuite>("save_agent_suite", { agentId, suite }),
  rehearsalModes: (agentId: AgentId) => call<RehearsalModeStatus[]>("rehearsal_modes", { agentId }),
  rehearseAgent: (agentId: AgentId, mode: RehearsalMode, scenario: string | null, runs: number) =>
    call<ScenarioResult[]>("rehearse_agent", { agentId, mode, scenario, runs }),
  rehearsalReport: (agentId: AgentId) => call<RehearsalReport>("rehearsal_report", { agentId }),
  listCampaigns: () => call<CampaignView[]>("list_campaigns"),
  checkCampaign: (
    kind: CampaignKind,
    agentId: AgentId,
    negotiationAgentId: AgentId | null,
    contacts: ContactId[],
    request: QuoteRequest | null,
  ) => call<LaunchProblem[]>("check_campaign", { kind, agentId, negotiationAgentId, contacts, request }),
  vendorLastQuotes: (item: string) => call<LastQuote[]>("vendor_last_quotes", { item }),
  vendorPastItems: () => call<PastItems[]>("vendor_past_items"),
  estimateVendorFreight: (id: number, contactId: ContactId, amount: number | null) =>
    call<CampaignView>("estimate_vendor_freight", { id, contactId, amount }),
  launchCampaign: (spec: CampaignSpec) => call<CampaignView>("launch_campaign", { spec }),
  setCampaignStatus: (id: number, status: "paused" | "running") =>
    call<CampaignView>("set_campaign_status", { id, status }),
  cancelCampaign: (id: number, endCalls: boolean) => call<CampaignCanceled>("cancel_campaign", { id, endCalls }),
  exportCampaignSummary: (id: number, path: string) => call<null>("export_campaign_summary", { id, path }),
  resolveDriverReview: (id: number, contactId: number, note: string) =>
    call<CampaignView>("resolve_driver_review", { id, contactId, note }),
  getDefaultRegion: () => call<string>("get_default_region"),
  setDefaultRegion: (region: string) => call<string>("set_default_region", { region }),
  getPaymentTermsRate: () => call<number>("get_payment_terms_rate"),
  setPaymentTermsRate: (rate: number) => call<number>("set_payment_terms_rate", { rate }),
  getCostSettings: () => call<CostSettings>("get_cost_settings"),
  setCostSettings: (settings: CostSettings) => call<CostSettings>("set_cost_settings", { settings }),
  setCampaignBudget: (id: number, budgetUsd: number) => call<CampaignView>("set_campaign_budget", { id, budgetUsd }),
  getDispatcherPhone: () => call<string>("get_dispatcher_phone"),
  setDispatcherPhone: (phone: string) => call<string>("set_dispatcher_phone", { phone }),
  teamStatus: () => call<TeamConnection | null>("team_status"),
  teamCertificate: (url: string) => call<CertificateCheck>("team_certificate", { url }),
  /** `fingerprint` pins a certificate the system does not trust; with none, the system's check. */
  teamSignIn: (url: string, name: string, password: string, fingerprint: string | null) =>
    call<TeamConnection>("team_sign_in", { url, name, password, fingerprint }),
  useThisComputer: () => call<null>("use_this_computer"),
  teamOffline: () => call<OfflineCopy | null>("team_offline"),
  getTheme: () => call<Theme>("get_theme"),
  setTheme: (theme: Theme) => call<Theme>("set_theme", { theme }),
};

/** Subscribes to whether History answers from its offline copy (the team server cannot be reached). */
export async function onOfflineCopy(onChange: (copy: OfflineCopy | null) => void): Promise<UnlistenFn> {
  return listen<OfflineCopy | null>("team-offline", (e) => onChange(e.payload));
}

/**
 * Subscribes to engine events; `onResync` runs when events were missed and state must be re-read,
 * `onSessionEnded` when the team server ended this console's session (sign in again).
 */
export async function onEngineEvents(
  onEvent: (event: EngineEvent) => void,
  onResync: () => void,
  onSessionEnded: (err: ApiError) => void,
): Promise<UnlistenFn> {
  const stopEvents = await listen<EngineEvent>("engine-event", (e) => onEvent(e.payload));
  const stopResync = await listen<number>("engine-resync", () => onResync());
  const stopEnded = await listen<CommandError>("team-session-ended", (e) =>
    onSessionEnded(new ApiError(e.payload.code, e.payload.message, e.payload.fields)),
  );
  return () => {
    stopEvents();
    stopResync();
    stopEnded();
  };
}
