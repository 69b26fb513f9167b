// The console's view of the engine: loaded from queries, then kept current by engine events.
// It never owns the truth; on a resync it simply re-reads.
import { api, ApiError } from "./api";
import type {
  ActionCall,
  Agent,
  AppInfo,
  CallRecord,
  CampaignView,
  CallId,
  CallSummary,
  Contact,
  EngineEvent,
  FieldError,
  Offer,
  OfflineCopy,
  QuoteRequest,
  TeamConnection,
  TranscriptLine,
} from "./bindings";
import { appendLine, newerCall, upsertCall, upsertOffer } from "./calls";
import { upsertAction } from "./control";

/** How long the Live page keeps saying the audio fell behind after the last report. */
const AUDIO_BEHIND_SHOWN_MS = 30_000;

/** How far an agent's rehearsal has got: the run that last ended, and how many failed so far. */
export type RehearsalProgress = { scenario: string; run: number; passed: boolean; done: number; total: number; failed: number };

export type Section = "agents" | "contacts" | "campaigns" | "live" | "offers" | "history" | "analytics" | "settings";

class ConsoleState {
  section = $state<Section>("live");
  info = $state<AppInfo | null>(null);
  /** The team server this console works on, or none (this computer's engine). */
  team = $state<TeamConnection | null>(null);
  /** While the team server cannot be reached: History shows its offline copy, and from when. */
  offline = $state<OfflineCopy | null>(null);
  agents = $state<Agent[]>([]);
  contacts = $state<Contact[]>([]);
  calls = $state<CallSummary[]>([]);
  offers = $state<Offer[]>([]);
  campaigns = $state<CampaignView[]>([]);
  private campaignRefresh: ReturnType<typeof setTimeout> | null = null;
  /** How many campaign reads were asked for: only the latest one's answer is shown. */
  private campaignReads = 0;
  selectedCallId = $state<CallId | null>(null);
  detail = $state<CallRecord | null>(null);
  /** Vendors ticked in Contacts to ask for quotes: the campaign builder opens with them picked. */
  quoteVendors = $state<number[] | null>(null);
  /** The contact History shows the calls of, when opened from a contact's page. */
  historyContact = $state<{ id: number; name: string } | null>(null);
  /** The call History opens next, at line `seq`, when asked from elsewhere (a driver review). */
  historyCall = $state<{ callId: CallId; seq: number | null } | null>(null);
  error = $state<{ code: string; message: string } | null>(null);
  /** The agents' audio fell behind lately (cleared a while after the last report). */
  audioBehind = $state<{ lateFrames: number; withinSecs: number; campaignsHeldSecs: number } | null>(null);
  private audioBehindClear: ReturnType<typeof setTimeout> | null = null;
  /** Why the database cannot be written now (campaigns are paused meanwhile), while it cannot. */
  storeWritesFailing = $state<string | null>(null);
  /** Counts the events saying whether writes fail, so an older answer to the query never wins. */
  private storeWritesNews = 0;
  /** Each agent's rehearsal under way (or last ended), as its runs end: by agent id. */
  rehearsals = $state<Record<number, RehearsalProgress>>({});
  /** Lines of the selected call that arrived while its detail was loading. */
  private pendingLines: TranscriptLine[] = [];

  /** Whether this console may place calls and run campaigns (a team viewer may not; the server decides). */
  get canDispatch(): boolean {
    return this.team === null || this.team.role !== "viewer";
  }

  async load(): Promise<void> {
    this.team = (await this.attempt("Reading the team server", () => api.teamStatus())) ?? null;
    if (this.team) this.offline = (await this.attempt("Asking whether the team server answers", () => api.teamOffline())) ?? null;
    const info = await this.attempt("Starting the console", () => api.appInfo());
    if (!info) return;
    this.info = info;
    if (this.info.startupError !== null) return;
    await this.reload();
  }

  /** Reads the app's facts again: which backends can place calls follows the saved keys. */
  async refreshInfo(): Promise<void> {
    this.info = (await this.attempt("Reading the app's facts", () => api.appInfo())) ?? this.info;
  }

  async reload(): Promise<void> {
    await Promise.all([this.readStoreWrites(), this.readData()]);
  }

  /** Asks whether the database can be written now: writes may have failed before the window loaded. */
  private async readStoreWrites(): Promise<void> {
    const news = this.storeWritesNews;
    const failing = await this.attempt("Asking whether the database can be written", () => api.storeWritesFailing());
    if (failing !== undefined && news === this.storeWritesNews) this.storeWritesFailing = failing;
  }

  private async readData(): Promise<void> {
    await this.attempt("Reading the console's data", async () => {
      const [agents, contacts, calls, offers, campaigns] = await Promise.all([
        api.listAgents(),
        api.listContacts(),
        api.listCalls(),
        api.listOffers(),
        api.listCampaigns(),
      ]);
      this.agents = agents;
      this.contacts = contacts;
      this.calls = calls;
      this.offers = offers;
      this.campaigns = campaigns;
      const selected = this.selectedCallId ?? calls[0]?.id ?? null;
      if (selected !== null) await this.select(selected);
    });
  }

  apply(event: EngineEvent): void {
    switch (event.type) {
      case "callUpdated":
        this.calls = upsertCall(this.calls, event.call);
        if (this.detail?.call.id === event.call.id) this.detail.call = event.call;
        if (event.call.campaignId !== null) this.refreshCampaigns();
        break;
      case "campaignUpdated":
        this.refreshCampaigns();
        break;
      case "transcriptLine":
        if (this.detail?.call.id === event.callId) {
          this.detail.transcript = appendLine(this.detail.transcript, event.line);
        } else if (this.selectedCallId === event.callId) {
          this.pendingLines = appendLine(this.pendingLines, event.line);
        }
        break;
      case "callActionUpdated":
        if (this.detail?.call.id === event.action.callId) {
          this.detail.actions = upsertAction(this.detail.actions, event.action);
        }
        break;
      case "offerRecorded":
        this.offers = upsertOffer(this.offers, event.offer);
        if (this.detail?.call.id === event.offer.callId) this.detail.offer = event.offer;
        break;
      case "audioFellBehind":
        this.audioBehind = {
          lateFrames: event.lateFrames,
          withinSecs: event.withinSecs,
          campaignsHeldSecs: event.campaignsHeldSecs,
        };
        if (this.audioBehindClear !== null) clearTimeout(this.audioBehindClear);
        this.audioBehindClear = setTimeout(() => (this.audioBehind = null), AUDIO_BEHIND_SHOWN_MS);
        break;
      case "storeWritesFailing":
        this.storeWritesNews += 1;
        this.storeWritesFailing = event.message;
        break;
      case "rehearsalProgress":
        this.rehearsals[event.agentId] = {
          scenario: event.scenario,
          run: event.run,
          passed: event.passed,
          done: event.done,
          total: event.total,
          failed: (event.done === 1 ? 0 : (this.rehearsals[event.agentId]?.failed ?? 0)) + (event.passed ? 0 : 1),
        };
        break;
      case "storeWritesRecovered":
        this.storeWritesNews += 1;
        this.storeWritesFailing = null;
        break;
    }
  }

  /** Re-reads the campaigns, at most a few times a second however many calls change. A slow
   * read answered after a newer one is dropped: it would put back what the newer one replaced. */
  refreshCampaigns(): void {
    if (this.campaignRefresh !== null) return;
    this.campaignRefresh = setTimeout(() => {
      this.campaignRefresh = null;
      void this.reloadCampaigns();
    }, 250);
  }

  /** Re-reads the campaigns now: after a dispatcher's action, what the window shows next
   * already includes it (a failed read is named in the banner). */
  async reloadCampaigns(): Promise<void> {
    const read = ++this.campaignReads;
    try {
      const campaigns = await api.listCampaigns();
      if (read === this.campaignReads) this.campaigns = campaigns;
    } catch (err) {
      this.fail("Reading the campaigns", err);
    }
  }

  async select(callId: CallId): Promise<void> {
    this.selectedCallId = callId;
    this.pendingLines = [];
    await this.attempt(`Opening call ${callId}`, async () => {
      const detail = await api.callDetail(callId);
      if (this.selectedCallId !== callId) return;
      // Events that arrived while the query was in flight are newer than it, or duplicates.
      detail.transcript = this.pendingLines.reduce(appendLine, detail.transcript);
      const listed = this.calls.find((c) => c.id === callId);
      if (listed) detail.call = newerCall(detail.call, listed);
      this.pendingLines = [];
      this.detail = detail;
    });
  }

  /** Places a one-off call and shows it in Live; rejects when it is refused (the form says why). */
  async callWithAction(request: ActionCall): Promise<void> {
    const call = await api.callWithAction(request);
    this.error = null;
    this.calls = upsertCall(this.calls, call);
    this.watch("Reading the contacts", api.listContacts().then((contacts) => (this.contacts = contacts)));
    this.section = "live";
    await this.select(call.id);
  }

  /** Calls a contact (a quote call with its `request`): `null` once placed, else the problems
   *  by field (none when the refusal is not about a field; the banner says why either way). */
  async callContact(contactId: number, agentId: number, request: QuoteRequest | null = null): Promise<FieldError[] | null> {
    const name = this.contacts.find((c) => c.id === contactId)?.fields.name ?? `contact ${contactId}`;
    this.error = null;
    try {
      const call = await api.startCall(contactId, agentId, request);
      this.calls = upsertCall(this.calls, call);
      this.section = "live";
      await this.select(call.id);
      return null;
    } catch (err) {
      this.fail(`Calling ${name}`, err);
      return err instanceof ApiError ? err.fields : [];
    }
  }

  /** Shows in the window's error banner that `what` failed, and the reason (which names where). */
  fail(what: string, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.error = { code: err instanceof ApiError ? err.code : "unexpected", message: `${what}: ${reason}` };
  }

  /** Lets `work` run on while the dispatcher goes on; if it fails, the banner says `what` failed. */
  watch(what: string, work: Promise<unknown>): void {
    work.catch((err: unknown) => this.fail(what, err));
  }

  /** Runs `work`; if it fails, the banner says `what` failed and the result is `undefined`. */
  async attempt<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    this.error = null;
    try {
      return await work();
    } catch (err) {
      this.fail(what, err);
      return undefined;
    }
  }
}

export const consoleState = new ConsoleState();
