import { randomUUID } from 'node:crypto';
import type { MessageToProduce } from '@platformatic/kafka';
import { kafkaLib } from '../kafka/lib';
import { quoteSchema } from '../db/ident';
import type { Db, Queryable } from '../db/types';
import {
  checkTopics,
  clientOptions,
  type KafkaConnection,
  kafkaFailure,
  NEW_PRODUCER,
} from '../kafka/client';
import type { NormalizedWorker } from '../domain/worker-record';
import {
  ceHeaders,
  changeEvent,
  type DeliveredState,
  type Payload,
  type WorkerChangeEvent,
} from './change-events';
import { contentHash } from './hash';
import { mergeUnfetched, unfetchedSections } from './merge';
import type {
  DeliveryContext,
  DeliveryResult,
  FinalizeContext,
  FinalizeResult,
  RecordAction,
  RecordOutcome,
  Sink,
} from './types';
import { newDeliveryResult } from './types';
import { firstMissing } from '../domain/page';
import { ACTION_CODE, CODE_ACTION } from './ledger-codes';

export interface KafkaEventSinkOptions {
  name: string;
  /** The wdsync database: this sink's ledger and its last delivered record per worker live there. */
  db: Db;
  schema: string;
  tenant: string;
  connection: KafkaConnection;
  topic: string;
  markerTopic?: string;
  payload: Payload;
  /** Events per produce request inside a page's transaction (keeps each batch under the broker's 1 MB). */
  batchSize?: number;
  /**
   * Crash-test hook, called at two points of a page's delivery: after its events are produced but
   * not committed, and after the commit before the database learns of it. The crash tests SIGKILL
   * the process there; in-process tests throw, leaving the transaction open as a crash would.
   */
  crashPoint?: (point: CrashPoint, page: number) => void;
}

export type CrashPoint = 'produced' | 'committed';

/** Ledger page of a run's removals (finalize), beside its real pages 1..n. */
const REMOVALS_PAGE = 0;
const READ_COMMITTED = 1;
/**
 * How long a retry waits for the marker topic's open transactions to be decided. wdsync's
 * producers ask a 5 s transaction timeout (the client's default), and the coordinator aborts
 * expired ones on its next scan (every 10 s by default).
 */
const STABLE_WAIT_MS = 60_000;

/** The client's close() returns a promise without a callback, whatever its overloads say. */
async function closeQuietly(close: () => unknown) {
  try {
    await (close() as Promise<void> | undefined);
  } catch {
    // Closing after a failure: the failure is what gets reported.
  }
}

/** Where a sink's page-delivered markers go unless it names a topic. */
export const markerTopicOf = (topic: string, markerTopic?: string) =>
  markerTopic ?? `${topic}.wdsync-delivered`;

interface StateRow {
  wid: string;
  worker_id: string;
  content_hash: string;
  record: NormalizedWorker | string;
  removed: boolean;
  newer: boolean;
}

interface LedgerRow {
  status: 'pending' | 'delivered';
  marker_offset: string;
  wids: string[] | null;
  actions: string | null;
}

/** What the marker message of a delivered page says, enough to finish a delivery after a crash. */
interface Marker {
  sink: string;
  runId: string;
  page: number;
  wids: string[];
  actions: string;
  events: number;
}

/**
 * Kafka event sink: every record that changed for this sink becomes one CloudEvents 1.0 event
 * (structured JSON, key = WID, ce_* headers), with a field-level diff against what the sink last
 * delivered for that worker. A page's events and a page-delivered marker are one Kafka
 * transaction under a transactional id of that page, so a retried delivery fences any earlier
 * attempt still in flight and then finds the marker (committed: nothing to send) or not (send
 * again): read_committed consumers see each event once.
 */
export function createKafkaEventSink(o: KafkaEventSinkOptions): Sink {
  const s = quoteSchema(o.schema);
  const markerTopic = markerTopicOf(o.topic, o.markerTopic);
  const batchSize = o.batchSize ?? 250;
  const what = `sink ${o.name}`;
  const client = clientOptions(o.connection);
  const markerKey = (runId: string, page: number) => `${o.name}/${runId}/${page}`;
  let checked = false;
  /** Once per process: a missing topic or refused credentials fail with their own line, not a produce error. */
  async function reachable() {
    if (checked) return;
    await checkTopics(o.connection, [o.topic, markerTopic], what);
    checked = true;
  }

  async function ensureTables() {
    await o.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wdsync.kafka-sink:${o.schema}`]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      // The last record this sink delivered per worker: the base of the next diff. JSON as text:
      // only this sink reads it, whole, so PostgreSQL need not parse it into jsonb.
      await tx.query(`CREATE TABLE IF NOT EXISTS ${s}.event_sink_state (
        sink text NOT NULL,
        wid text NOT NULL,
        worker_id text NOT NULL,
        content_hash text NOT NULL,
        record text NOT NULL,
        as_of_entry timestamptz NOT NULL,
        removed boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sink, wid)
      )`);
      // pending: a transaction for the page may have been committed; marker_offset is where its
      // marker can be found at the earliest. delivered: the database knows what it did.
      await tx.query(`CREATE TABLE IF NOT EXISTS ${s}.event_sink_ledger (
        sink text NOT NULL,
        run_id text NOT NULL,
        page int NOT NULL,
        status text NOT NULL,
        marker_offset bigint NOT NULL,
        as_of_entry timestamptz NOT NULL,
        wids text[],
        actions text,
        started_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        PRIMARY KEY (sink, run_id, page)
      )`);
    });
  }

  const ledgerRow = async (q: Queryable, runId: string, page: number) =>
    (
      await q.query<LedgerRow>(
        `SELECT status, marker_offset::text AS marker_offset, wids, actions FROM ${s}.event_sink_ledger WHERE sink = $1 AND run_id = $2 AND page = $3`,
        [o.name, runId, page],
      )
    ).rows[0];

  async function loadState(
    wids: string[],
    asOfEntry: string,
  ): Promise<Map<string, DeliveredState & StateRow>> {
    if (!wids.length) return new Map();
    const { rows } = await o.db.query<StateRow>(
      `SELECT wid, worker_id, content_hash, record, removed, as_of_entry > $3::timestamptz AS newer
       FROM ${s}.event_sink_state WHERE sink = $1 AND wid = ANY($2::text[])`,
      [o.name, wids, asOfEntry],
    );
    return new Map(
      rows.map((r) => {
        const record = (typeof r.record === 'string' ? JSON.parse(r.record) : r.record) as NormalizedWorker;
        return [r.wid, { ...r, hash: r.content_hash, record }];
      }),
    );
  }

  /** The marker partition's end now: a marker written after this moment is at or past it. */
  async function markerEnd(isolationLevel = 0): Promise<bigint> {
    const c = new (kafkaLib().Consumer)({ ...client, groupId: `wdsync-probe-${randomUUID()}` });
    try {
      const offsets = await c.listOffsets({ topics: [markerTopic], isolationLevel });
      return offsets.get(markerTopic)?.[0] ?? 0n;
    } finally {
      await c.close().catch(() => {});
    }
  }

  /**
   * Waits until every transaction begun on the marker topic before `end` is decided. An open one
   * (a killed worker's, until a retry fences it or the coordinator times it out) holds the last
   * stable offset below the markers committed after it, and read_committed cannot see those yet:
   * looking then would take a committed page for an undelivered one, and send it twice.
   */
  async function untilStable(end: bigint, heartbeat?: () => void) {
    const deadline = Date.now() + STABLE_WAIT_MS;
    for (;;) {
      const stable = await markerEnd(READ_COMMITTED);
      if (stable >= end) return;
      if (Date.now() > deadline)
        throw new Error(
          `${what}: a transaction on ${markerTopic} has stayed open since offset ${stable} for over ${STABLE_WAIT_MS / 1000} s, so whether this page was delivered cannot be read yet; the delivery is retried (check the broker's transaction coordinator if this persists)`,
        );
      heartbeat?.();
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The committed marker of this page at or after `from`, if any (read_committed). */
  async function findMarker(from: bigint, key: string, heartbeat?: () => void): Promise<Marker | undefined> {
    const end = await markerEnd();
    if (from >= end) return undefined;
    await untilStable(end, heartbeat);
    const c = new (kafkaLib().Consumer)({
      ...client,
      groupId: `wdsync-marker-${randomUUID()}`,
      deserializers: kafkaLib().stringDeserializers,
    });
    try {
      const stream = await c.consume({
        topics: [markerTopic],
        mode: 'manual',
        offsets: [{ topic: markerTopic, partition: 0, offset: from }],
        isolationLevel: READ_COMMITTED,
        autocommit: false,
        maxWaitTime: 200,
        // Bounded: the partition's last records can be an aborted attempt and its abort marker,
        // which a read_committed consumer never yields, so "reached the end" may never be seen.
        // Markers are ~200 bytes; ten fetches cover far more than a crash leaves behind.
        maxFetches: 10,
      });
      try {
        for await (const m of stream) {
          if (m.key === key) return JSON.parse(m.value) as Marker;
          if (m.offset >= end - 1n) return undefined;
        }
      } finally {
        await closeQuietly(() => stream.close());
      }
      return undefined;
    } finally {
      await closeQuietly(() => c.close(true));
    }
  }

  /**
   * Sends the events and the marker in one transaction, unless a transaction of this key already
   * committed them (found after fencing the earlier attempt). Returns that earlier marker then.
   */
  async function transact(
    runId: string,
    page: number,
    events: WorkerChangeEvent[],
    marker: Marker,
    asOfEntry: string,
    heartbeat?: () => void,
  ): Promise<Marker | undefined> {
    const key = markerKey(runId, page);
    const prior = await ledgerRow(o.db, runId, page);
    if (!prior) {
      const from = await markerEnd();
      await o.db.query(
        `INSERT INTO ${s}.event_sink_ledger (sink, run_id, page, status, marker_offset, as_of_entry)
         VALUES ($1, $2, $3, 'pending', $4, $5) ON CONFLICT (sink, run_id, page) DO NOTHING`,
        [o.name, runId, page, from.toString(), asOfEntry],
      );
    }
    const producer = new (kafkaLib().Producer)({
      ...client,
      // One transactional id per page: a retry fences the attempt before it (a killed worker's
      // open transaction is aborted, a live zombie's commit is refused).
      transactionalId: `wdsync.${o.name}.${runId}.${page}`,
      ...NEW_PRODUCER,
      idempotent: true,
      acks: -1,
      serializers: kafkaLib().stringSerializers,
    });
    try {
      const tx = await producer.beginTransaction();
      if (prior?.status === 'pending') {
        const found = await findMarker(BigInt(prior.marker_offset), key, heartbeat);
        if (found) {
          // Nothing was sent in it: dropped locally (an EndTxn on an empty transaction is refused).
          await tx.cancel();
          return found;
        }
      }
      for (let i = 0; i < events.length; i += batchSize) {
        const messages: MessageToProduce<string, string, string, string>[] = events
          .slice(i, i + batchSize)
          .map((e) => ({ topic: o.topic, key: e.subject, value: JSON.stringify(e), headers: ceHeaders(e) }));
        await tx.send({ messages });
        heartbeat?.();
      }
      await tx.send({ messages: [{ topic: markerTopic, partition: 0, key, value: JSON.stringify(marker) }] });
      o.crashPoint?.('produced', page);
      await tx.commit();
      o.crashPoint?.('committed', page);
      return undefined;
    } catch (err) {
      throw kafkaFailure(err, o.connection, what);
    } finally {
      await closeQuietly(() => producer.close(true));
    }
  }

  /** Moves unchanged workers' snapshot marker forward (never back); their record and hash stay. */
  async function confirmSnapshot(wids: string[], asOfEntry: string) {
    await o.db.query(
      `UPDATE ${s}.event_sink_state SET as_of_entry = $3::timestamptz
       WHERE sink = $1 AND wid = ANY($2::text[]) AND as_of_entry < $3::timestamptz`,
      [o.name, wids, asOfEntry],
    );
  }

  /** After the transaction: the sink's state and ledger learn what was delivered, in one database transaction. */
  async function recordDelivered(
    runId: string,
    page: number,
    marker: Marker,
    asOfEntry: string,
    written: { wid: string; workerId: string; hash: string; record: NormalizedWorker | null }[],
  ) {
    await o.db.transaction(async (tx) => {
      if (written.length) {
        await tx.query(
          `INSERT INTO ${s}.event_sink_state AS st (sink, wid, worker_id, content_hash, record, as_of_entry, removed)
           SELECT $1, u.wid, u.worker_id, u.hash, COALESCE(u.record, 'null'), $5::timestamptz, u.record IS NULL
           FROM unnest($2::text[], $3::text[], $4::text[], $6::text[]) AS u(wid, worker_id, hash, record)
           ON CONFLICT (sink, wid) DO UPDATE SET worker_id = excluded.worker_id,
             content_hash = CASE WHEN excluded.removed THEN st.content_hash ELSE excluded.content_hash END,
             record = CASE WHEN excluded.removed THEN st.record ELSE excluded.record END,
             as_of_entry = excluded.as_of_entry, removed = excluded.removed, updated_at = now()`,
          [
            o.name,
            written.map((w) => w.wid),
            written.map((w) => w.workerId),
            written.map((w) => w.hash),
            asOfEntry,
            written.map((w) => (w.record ? JSON.stringify(w.record) : null)),
          ],
        );
      }
      await tx.query(
        `UPDATE ${s}.event_sink_ledger SET status = 'delivered', wids = $4::text[], actions = $5, delivered_at = now()
         WHERE sink = $1 AND run_id = $2 AND page = $3`,
        [o.name, runId, page, marker.wids, marker.actions],
      );
    });
  }

  const previous = (row: Pick<LedgerRow, 'wids' | 'actions'>, hashOf: Map<string, string>): RecordOutcome[] =>
    (row.wids ?? []).map((wid, i) => ({
      wid,
      action: CODE_ACTION[row.actions?.[i] ?? 'n'] ?? 'unchanged',
      hash: hashOf.get(wid) ?? '',
    }));

  async function deliverPage(ctx: DeliveryContext, fetched: NormalizedWorker[]): Promise<DeliveryResult> {
    const { runId, page } = ctx.key;
    const done = await ledgerRow(o.db, runId, page);
    const state = await loadState([...new Set(fetched.map((r) => r.wid))], ctx.asOfEntry);
    const unfetched = unfetchedSections(ctx.responseGroups);
    const records = fetched.map((r) => mergeUnfetched(r, state.get(r.wid)?.record, unfetched));
    const hashes = records.map((r) => contentHash(r));
    const hashOf = new Map(records.map((r, i) => [r.wid, hashes[i]!]));
    // A page already delivered writes nothing and reports what its delivery did.
    const deliveredBefore = (row: Parameters<typeof previous>[0]): DeliveryResult => ({
      alreadyDelivered: true,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      outcomes: [],
      previousOutcomes: previous(row, hashOf),
    });
    if (done?.status === 'delivered') return deliveredBefore(done);

    // Last occurrence of a WID wins; an earlier duplicate in the same page counts as unchanged.
    const last = new Map<string, number>();
    records.forEach((r, i) => {
      last.set(r.wid, i);
    });
    const eventCtx = {
      tenant: o.tenant,
      runId: ctx.sourceRunId ?? runId,
      page,
      asOfEntry: ctx.asOfEntry,
      effectiveDate: ctx.asOfEffective,
      payload: o.payload,
    };
    const events: WorkerChangeEvent[] = [];
    const written: { wid: string; workerId: string; hash: string; record: NormalizedWorker }[] = [];
    const result = newDeliveryResult();
    // Unchanged workers this (newer) snapshot confirms: their state's snapshot moves up to it, so a
    // late page of an older run cannot publish a stale event after it (README, newest-snapshot rule).
    const confirmed: string[] = [];
    records.forEach((r, i) => {
      const prev = state.get(r.wid);
      const changed =
        last.get(r.wid) === i && !prev?.newer && (!prev || prev.removed || prev.hash !== hashes[i]);
      if (!changed && prev && !prev.newer && !prev.removed && prev.hash === hashes[i]) confirmed.push(r.wid);
      let action: RecordAction = 'unchanged';
      if (changed) {
        action = !prev || prev.removed ? 'inserted' : 'updated';
        events.push(changeEvent(eventCtx, r.wid, r.workerId, prev, { record: r, hash: hashes[i]! }));
        written.push({ wid: r.wid, workerId: r.workerId, hash: hashes[i]!, record: r });
      }
      result[action]++;
      result.outcomes.push({ wid: r.wid, action, hash: hashes[i]! });
    });
    const marker: Marker = {
      sink: o.name,
      runId,
      page,
      wids: result.outcomes.map((x) => x.wid),
      actions: result.outcomes.map((x) => ACTION_CODE[x.action]).join(''),
      events: events.length,
    };
    const earlier = await transact(runId, page, events, marker, ctx.asOfEntry, ctx.heartbeat);
    if (earlier) {
      // The first attempt committed and then died: finish its bookkeeping, report what it did.
      const codes = new Map(earlier.wids.map((w, i) => [w, earlier.actions[i]]));
      await recordDelivered(
        runId,
        page,
        earlier,
        ctx.asOfEntry,
        written.filter((w) => codes.get(w.wid) !== 'n'),
      );
      return deliveredBefore(earlier);
    }
    await recordDelivered(runId, page, marker, ctx.asOfEntry, written);
    if (confirmed.length) await confirmSnapshot(confirmed, ctx.asOfEntry);
    return result;
  }

  async function finalize(ctx: FinalizeContext): Promise<FinalizeResult> {
    if (!ctx.complete || ctx.mode !== 'full') return { removed: 0, removedWids: [] };
    await reachable();
    const done = await ledgerRow(o.db, ctx.runId, REMOVALS_PAGE);
    if (done?.status === 'delivered') return { removed: done.wids?.length ?? 0, removedWids: [] };
    const { rows } = await o.db.query<{ page: number }>(
      `SELECT page FROM ${s}.event_sink_ledger WHERE sink = $1 AND run_id = $2 AND status = 'delivered' AND page > 0`,
      [o.name, ctx.runId],
    );
    const delivered = new Set(rows.map((r) => Number(r.page)));
    const missing = await firstMissing(ctx.pages, (p) => delivered.has(p));
    if (missing.length > 0) {
      throw new Error(
        `sink ${o.name}: cannot send removals for run ${ctx.runId}, pages ${missing.join(', ')} were never delivered to it; deliver them first (wdsync replay)`,
      );
    }
    // Absent = delivered before, not removed, not seen in any page of this run, not from a newer snapshot.
    const gone = await o.db.query<{
      wid: string;
      worker_id: string;
      content_hash: string;
      record: NormalizedWorker | string;
    }>(
      `WITH seen AS (SELECT DISTINCT unnest(wids) AS wid FROM ${s}.event_sink_ledger WHERE sink = $1 AND run_id = $2 AND page > 0)
       SELECT st.wid, st.worker_id, st.content_hash, st.record FROM ${s}.event_sink_state st
       WHERE st.sink = $1 AND NOT st.removed AND st.as_of_entry < $3::timestamptz
         AND NOT EXISTS (SELECT 1 FROM seen WHERE seen.wid = st.wid)
       ORDER BY st.wid`,
      [o.name, ctx.runId, ctx.asOfEntry],
    );
    const eventCtx = {
      tenant: o.tenant,
      runId: ctx.runId,
      page: REMOVALS_PAGE,
      asOfEntry: ctx.asOfEntry,
      payload: o.payload,
    };
    const events = gone.rows.map((r) =>
      changeEvent(
        eventCtx,
        r.wid,
        r.worker_id,
        {
          hash: r.content_hash,
          record: (typeof r.record === 'string' ? JSON.parse(r.record) : r.record) as NormalizedWorker,
          removed: false,
        },
        undefined,
      ),
    );
    const wids = gone.rows.map((r) => r.wid);
    const marker: Marker = {
      sink: o.name,
      runId: ctx.runId,
      page: REMOVALS_PAGE,
      wids,
      actions: 'u'.repeat(wids.length),
      events: events.length,
    };
    const earlier = await transact(ctx.runId, REMOVALS_PAGE, events, marker, ctx.asOfEntry);
    const removals = (earlier ?? marker).wids;
    const rowOf = new Map(gone.rows.map((r) => [r.wid, r]));
    await recordDelivered(
      ctx.runId,
      REMOVALS_PAGE,
      earlier ?? marker,
      ctx.asOfEntry,
      removals.map((wid) => ({ wid, workerId: rowOf.get(wid)?.worker_id ?? '', hash: '', record: null })),
    );
    return { removed: removals.length, removedWids: removals };
  }

  return {
    name: o.name,
    type: 'kafka',
    capabilities: {
      comparesHashes: true,
      keepsUnfetchedSections: true,
      marksRemovals: true,
      ledgerOutlivesRun: true,
      transactional: true,
      batchSize,
    },
    // Tables only: a worker starts while the broker is down (the other sinks go on); `wdsync
    // start` checks the broker, credentials and topics before a run (preflightSinks).
    async init() {
      await ensureTables();
    },
    async deliverPage(ctx, records) {
      await reachable();
      return deliverPage(ctx, records);
    },
    // Reachability only when there are removals to send: a run whose event-sink pages failed
    // (complete = false) must still end, with the broker down.
    finalizeRun: finalize,
    async close() {},
  };
}
