import type {
  ActivityDeps,
  AuditPort,
  NotifierPort,
  NotifyEvent,
  RecordEvent,
  WorkdayPort,
} from '../../src/activities/ports';
import { contentHash } from '../../src/sinks/hash';
import { unpackJson } from '../../src/staging/codec';
import type { DeliveryResult, FinalizeContext, Sink } from '../../src/sinks/types';
import { type StagedPageInput, type StagingStore, StagingMissingError } from '../../src/staging/types';
import type { PageKey } from '../../src/domain/page';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import type { RunSummary } from '../../src/workflows/types';

/*
 * In-memory fakes of the activities' ports, shared by the fast workflow tests: the real
 * activities and the real delivery core run over them, so only Workday, staging, the sinks, the
 * audit store and the notifier are stand-ins.
 */

const wid = (i: number) => i.toString(16).padStart(32, '0');

export function fakeWorker(i: number): NormalizedWorker {
  return {
    wid: wid(i + 1),
    workerId: `W${i + 1}`,
    workerType: 'Employee',
    descriptor: `Worker ${i + 1}`,
  } as NormalizedWorker;
}

/** A fault a fetch of `page` throws, or undefined; `attempt` counts calls for that page from 1. */
export type FaultPlan = (page: number, attempt: number) => Error | undefined;

/** A Workday error as the client classifies it (see src/activities/failures.ts). */
export const workdayFault = (kind: 'transient' | 'validation' | 'auth', message: string) =>
  Object.assign(new Error(message), { kind });

export class FakeWorkday implements WorkdayPort {
  readonly calls: { page: number; count: number; at: number }[] = [];
  private readonly attempts = new Map<number, number>();
  /** Fetches of these pages wait until released (to hold pages in flight). */
  private readonly held = new Map<number, { promise: Promise<void>; release: () => void }>();

  /** countWorkers (the one-row request) throws this while set. */
  countFault: Error | undefined;
  /** Each page fetch takes this long, so fetches overlap as on Workday. */
  fetchDelayMs = 0;
  /** Page fetches running now, and the most ever at once. */
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    public total: number,
    public faults: FaultPlan = () => undefined,
  ) {}

  hold(...pages: number[]): void {
    for (const page of pages) {
      let release!: () => void;
      const promise = new Promise<void>((r) => {
        release = r;
      });
      this.held.set(page, { promise, release });
    }
  }

  release(...pages: number[]): void {
    for (const page of pages) this.held.get(page)?.release();
  }

  releaseAll(): void {
    for (const h of this.held.values()) h.release();
  }

  /** Pages whose fetch was called (not countWorkers' one-row request), in order. */
  pagesFetched(): number[] {
    return this.calls.filter((c) => c.count > 1).map((c) => c.page);
  }

  async fetchPage(_spec: unknown, page: number, count: number) {
    this.calls.push({ page, count, at: Date.now() });
    if (count === 1 && page === 1 && this.countFault) throw this.countFault;
    if (count > 1 || page > 1) {
      const attempt = (this.attempts.get(page) ?? 0) + 1;
      this.attempts.set(page, attempt);
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        if (this.fetchDelayMs) await new Promise((r) => setTimeout(r, this.fetchDelayMs));
        await this.held.get(page)?.promise;
      } finally {
        this.inFlight -= 1;
      }
      const fault = this.faults(page, attempt);
      if (fault) throw fault;
    }
    const first = (page - 1) * count;
    const records: NormalizedWorker[] = [];
    for (let i = first; i < Math.min(this.total, first + count); i++) records.push(fakeWorker(i));
    return {
      totalResults: this.total,
      totalPages: Math.ceil(this.total / count),
      records,
      deadLetters: [],
      rows: records.length,
      bytes: records.length * 100,
    };
  }
}

export class MemoryStaging implements StagingStore {
  readonly kind = 'memory';
  readonly pages = new Map<string, StagedPageInput>();
  private k = (key: PageKey) => `${key.runId}#${key.page}`;
  async put(key: PageKey, page: StagedPageInput) {
    this.pages.set(this.k(key), page);
    return { ref: this.k(key), bytes: page.rawGzip.length };
  }
  async has(key: PageKey) {
    return this.pages.has(this.k(key));
  }
  async getRecords(key: PageKey) {
    const p = this.pages.get(this.k(key));
    if (!p) throw new StagingMissingError(key);
    return Array.isArray(p.records) ? p.records : unpackJson<NormalizedWorker[]>(p.records.gzip);
  }
  async getDeadLetters(key: PageKey) {
    return this.pages.get(this.k(key))?.deadLetters ?? [];
  }
  async getRaw(): Promise<Buffer> {
    return Buffer.alloc(0);
  }
  async listRuns() {
    return [];
  }
  async deleteRun() {
    return 0;
  }
  async close() {}
}

/** Calls wait at a held gate until it is released. */
class Gate {
  private closed: Promise<void> | undefined;
  private open = () => {};
  hold(): void {
    this.closed = new Promise((r) => {
      this.open = r;
    });
  }
  release(): void {
    this.open();
    this.closed = undefined;
  }
  passed(): Promise<void> {
    return this.closed ?? Promise.resolve();
  }
}

/** A sink that keeps WID → hash, a ledger of delivered pages, and can be made to fail. */
export class MemorySink implements Sink {
  readonly type = 'memory';
  readonly capabilities = {
    comparesHashes: true,
    keepsUnfetchedSections: false,
    marksRemovals: false,
    ledgerOutlivesRun: true,
    transactional: true,
    batchSize: Number.POSITIVE_INFINITY,
  };
  readonly rows = new Map<string, string>();
  readonly ledger = new Set<string>();
  readonly finalized: FinalizeContext[] = [];
  /** finalizeRun waits while held. */
  private readonly finalizeGate = new Gate();
  holdFinalize(): void {
    this.finalizeGate.hold();
  }
  releaseFinalize(): void {
    this.finalizeGate.release();
  }
  /** Delivery of these pages fails while set. */
  failPages = new Set<number>();
  /** deliverPage waits while held (a sink that hangs); `waiting` counts the calls held there. */
  private readonly deliveryGate = new Gate();
  waiting = 0;
  holdDeliveries(): void {
    this.deliveryGate.hold();
  }
  releaseDeliveries(): void {
    this.deliveryGate.release();
  }

  constructor(readonly name = 'memory') {}
  async init() {}
  async deliverPage(ctx: { key: PageKey }, records: NormalizedWorker[]): Promise<DeliveryResult> {
    this.waiting += 1;
    try {
      await this.deliveryGate.passed();
    } finally {
      this.waiting -= 1;
    }
    if (this.failPages.has(ctx.key.page)) throw new Error(`sink ${this.name} is down`);
    const key = `${ctx.key.runId}#${ctx.key.page}`;
    if (this.ledger.has(key))
      return { alreadyDelivered: true, inserted: 0, updated: 0, unchanged: 0, outcomes: [] };
    const r: DeliveryResult = {
      alreadyDelivered: false,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      outcomes: [],
    };
    for (const rec of records) {
      const hash = contentHash(rec);
      const had = this.rows.get(rec.wid);
      const action = had === undefined ? 'inserted' : had === hash ? 'unchanged' : 'updated';
      r[action] += 1;
      r.outcomes.push({ wid: rec.wid, action, hash });
      this.rows.set(rec.wid, hash);
    }
    this.ledger.add(key);
    return r;
  }
  async finalizeRun(ctx: FinalizeContext) {
    await this.finalizeGate.passed();
    this.finalized.push(ctx);
    return { removed: 0 };
  }
  async close() {}
}

export interface RunRow {
  status: string;
  summary?: RunSummary;
  error?: string;
}

export class MemoryAudit implements AuditPort {
  readonly runs = new Map<string, RunRow>();
  readonly pages: { runId: string; page: number; status: string }[] = [];
  readonly events: RecordEvent[] = [];
  /** recordRunStart throws this while set. */
  startFault: Error | undefined;
  startAttempts = 0;
  async recordRunStart(run: { runId: string }) {
    this.startAttempts += 1;
    if (this.startFault) throw this.startFault;
    this.runs.set(run.runId, { status: 'RUNNING' });
  }
  async getWatermark() {
    return undefined;
  }
  async setWatermark() {}
  async recordRunEnd(runId: string, summary: RunSummary) {
    this.runs.set(runId, { status: summary.status, summary });
  }
  async openRunIds() {
    return [...this.runs].filter(([, r]) => r.status === 'RUNNING').map(([id]) => id);
  }
  async recordRunClosed(runId: string, status: string, error: string, _errorType?: string) {
    this.runs.set(runId, { ...this.runs.get(runId), status, error });
  }
  async recordPage(p: { runId: string; page: number; status: string }) {
    this.pages.push({ runId: p.runId, page: p.page, status: p.status });
  }
  async addDeadLetters() {
    return 0;
  }
  async recordEvents(events: RecordEvent[]) {
    this.events.push(...events);
    return events.map((e) => ({ sink: e.sink, action: e.action, count: 1 }));
  }
  async lastDeliveredHashes() {
    return new Map<string, string>();
  }
}

export class RecordingNotifier implements NotifierPort {
  readonly events: NotifyEvent[] = [];
  async notify(e: NotifyEvent) {
    this.events.push(e);
  }
  ofType(type: NotifyEvent['type']) {
    return this.events.filter((e) => e.type === type);
  }
}

export interface FakePorts {
  workday: FakeWorkday;
  staging: MemoryStaging;
  sink: MemorySink;
  audit: MemoryAudit;
  notifier: RecordingNotifier;
  deps: ActivityDeps;
  /** Lets every held call finish, so workers can shut down after a failed assertion. */
  unblock(): void;
}

export function fakePorts(total: number, faults?: FaultPlan): FakePorts {
  const workday = new FakeWorkday(total, faults);
  const staging = new MemoryStaging();
  const sink = new MemorySink();
  const audit = new MemoryAudit();
  const notifier = new RecordingNotifier();
  return {
    workday,
    staging,
    sink,
    audit,
    notifier,
    deps: { workday, staging, sinks: new Map([[sink.name, sink]]), audit, notifier },
    unblock: () => {
      workday.releaseAll();
      sink.releaseFinalize();
      sink.releaseDeliveries();
    },
  };
}
