/**
 * Counters the admin API reports and the request log engine tests read to check what was sent.
 */

export type Outcome =
  | 'ok'
  | 'auth_fault'
  | 'validation_fault'
  | 'processing_fault'
  | 'throttled'
  | 'throttled_cap'
  | 'http_429'
  | 'http_503'
  | 'maintenance'
  | 'hang'
  | 'reset'
  | 'truncated'
  /** Over the response-size limit: faulted, cut or left hanging (faults.responseLimit). */
  | 'too_large'
  | 'client_aborted';

export interface RequestLogEntry {
  seq: number;
  /** Real time the request arrived (ISO). */
  receivedAt: string;
  tenant: string;
  /** 'usernameToken' | 'bearer' | 'none'. */
  auth: string;
  version?: string;
  page?: number;
  count?: number;
  /** As sent; absent when the request did not pin it. */
  asOfEntryRequested?: string;
  asOfEffectiveRequested?: string;
  /** What the answer used (the simulator clock's now / today when unpinned). */
  asOfEntry?: string;
  asOfEffective?: string;
  transactionLog?: {
    updatedFrom?: string;
    updatedThrough?: string;
    effectiveFrom?: string;
    effectiveThrough?: string;
  }[];
  references?: { type: string; id: string }[];
  skipNonExisting?: boolean;
  criteria?: {
    excludeInactive: boolean;
    excludeEmployees: boolean;
    excludeContingent: boolean;
    organizations: { type: string; id: string }[];
    includeSubordinates: boolean;
  };
  responseGroup?: Record<string, boolean>;
  outcome?: Outcome;
  status?: number;
  totalResults?: number;
  pageResults?: number;
  fault?: string;
}

export interface StatsSnapshot {
  requests: number;
  inFlight: number;
  maxInFlight: number;
  byPage: Record<string, Record<string, number>>;
  byOutcome: Record<string, number>;
  /** Injected faults in total (maintenance and concurrency-cap refusals included). */
  faultsInjected: number;
  faultsByType: Record<string, number>;
  workersSent: number;
  bytesSent: number;
  /**
   * The simulator's own time serving Get_Workers answers, summed over requests (ms): from admission
   * (past auth, validation and the concurrency cap) to the last byte handed to the socket, latency
   * model included, minus time blocked on a slow client (clientStallMs). Divided by a client's
   * concurrency it is the fastest that client could have been served.
   */
  serveMs: number;
  /** Time answers spent waiting for the client to drain them (backpressure), summed (ms). */
  clientStallMs: number;
  /**
   * Wall time (ms) spent at each number of Get_Workers requests in flight, index = requests: how
   * long a client kept Workday's slots full, and how long one stood empty between two pages.
   */
  inFlightMs: number[];
  changes: number;
  since: string;
}

export class Stats {
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  workersSent = 0;
  bytesSent = 0;
  /** Admitted → last byte written, summed; stalls included (snapshot subtracts them). */
  busyMs = 0;
  clientStallMs = 0;
  private byPage: Record<string, Record<string, number>> = {};
  private byOutcome: Record<string, number> = {};
  private faults: Record<string, number> = {};
  private since = new Date();
  private readonly log: RequestLogEntry[] = [];
  private inFlightMs: number[] = [];
  private levelSince = performance.now();

  constructor(private readonly logSize: number) {}

  /** Adds the time since the last change to the current in-flight level. */
  private tally(): void {
    const now = performance.now();
    this.inFlightMs[this.inFlight] = (this.inFlightMs[this.inFlight] ?? 0) + (now - this.levelSince);
    this.levelSince = now;
  }

  enter(): void {
    this.tally();
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  leave(): void {
    this.tally();
    this.inFlight--;
  }

  outcome(entry: RequestLogEntry, outcome: Outcome, status: number): void {
    entry.outcome = outcome;
    entry.status = status;
    const page = String(entry.page ?? 'unknown');
    const p = this.byPage[page] ?? {};
    p[outcome] = (p[outcome] ?? 0) + 1;
    this.byPage[page] = p;
    this.byOutcome[outcome] = (this.byOutcome[outcome] ?? 0) + 1;
  }

  fault(type: string): void {
    this.faults[type] = (this.faults[type] ?? 0) + 1;
  }

  logRequest(entry: RequestLogEntry): void {
    this.requests++;
    if (this.logSize === 0) return;
    this.log.push(entry);
    if (this.log.length > this.logSize) this.log.splice(0, this.log.length - this.logSize);
  }

  requestLog(): RequestLogEntry[] {
    return this.log.map((e) => structuredClone(e));
  }

  snapshot(changes: number): StatsSnapshot {
    this.tally();
    return {
      requests: this.requests,
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      byPage: structuredClone(this.byPage),
      byOutcome: { ...this.byOutcome },
      faultsInjected: Object.values(this.faults).reduce((a, b) => a + b, 0),
      faultsByType: { ...this.faults },
      workersSent: this.workersSent,
      bytesSent: this.bytesSent,
      serveMs: Math.max(0, this.busyMs - this.clientStallMs),
      clientStallMs: this.clientStallMs,
      inFlightMs: Array.from(this.inFlightMs, (ms) => ms ?? 0),
      changes,
      since: this.since.toISOString(),
    };
  }

  /** Clears counters and the log; requests still in flight keep counting. */
  reset(): void {
    this.requests = 0;
    this.maxInFlight = this.inFlight;
    this.workersSent = 0;
    this.bytesSent = 0;
    this.busyMs = 0;
    this.clientStallMs = 0;
    this.inFlightMs = [];
    this.levelSince = performance.now();
    this.byPage = {};
    this.byOutcome = {};
    this.faults = {};
    this.log.length = 0;
    this.since = new Date();
  }
}
