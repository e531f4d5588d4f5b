import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NormalizedWorker } from '../../src/domain/worker-record';
import { createHarness, type Harness, sinkRows } from '../helpers/harness';
import { assertValidEvents, readCommitted, startTestBroker, type TestBroker } from '../helpers/kafka';
import { assertSinksHoldSnapshot, pinSimNow, runPinned, terminateOne } from '../helpers/snapshot';

/**
 * Issue 16 item 3: the HR cases real integrations trip on, entered in the simulator through its
 * admin API, synced by real delta runs, checked in PostgreSQL and in the change events on Kafka.
 */

const DAY_MS = 86_400_000;
const TOPIC = 'wd.hr';

interface Event {
  type: string;
  subject: string;
  data: { changes?: { path: string; from: unknown; to: unknown }[]; record?: NormalizedWorker };
}

describe('HR cases through deltas: leave, concurrent positions, conversion, rescinded hire, back-dated change, termination look-ahead, rehire (issue 16)', {
  timeout: 300_000,
}, () => {
  let h: Harness;
  let kafka: TestBroker;

  before(async () => {
    kafka = await startTestBroker();
    await kafka.createTopics(TOPIC, `${TOPIC}.wdsync-delivered`);
    h = await createHarness({
      workers: 300,
      simulator: {
        clockFrozen: true,
        clockStart: '2026-11-20T18:00:00.000Z',
        faults: { latency: { baseMs: 2, perWorkerMs: 0, jitterMs: 2 } },
      },
      config: {
        sinks: [
          { name: 'postgres', type: 'postgres' },
          { name: 'events', type: 'kafka', brokers: [kafka.bootstrap], topic: TOPIC },
        ],
      },
    });
    await h.startInProcessWorkers();
  });
  after(async () => {
    await h?.close();
    await kafka?.close();
  });

  async function run(opts: Parameters<typeof runPinned>[1]) {
    const summary = await runPinned(h, opts);
    assert.equal(summary.status, 'COMPLETED');
    await assertSinksHoldSnapshot(h, summary, { jsonl: false });
    return summary;
  }
  const pinNow = () => pinSimNow(h);

  const stored = async (wid: string) => (await sinkRows(h.schema)).get(wid)?.record as NormalizedWorker;
  const eventsOf = async (wid: string) =>
    (await readCommitted(kafka.bootstrap, TOPIC))
      .map((e) => e.value as unknown as Event)
      .filter((e) => e.subject === wid);

  let onLeave: string;
  let twoJobs: string;

  test('a leave of absence and an additional job reach the sinks on the next delta, with their events', async () => {
    await run({ mode: 'full' });
    const active = h.sim.admin
      .workersAsOf(pinNow())
      .filter((w) => w.employment?.active && !w.employment.terminated);
    onLeave = active[3]!.wid;
    twoJobs = active[4]!.wid;
    assert.equal((await stored(onLeave)).employment?.onLeave, undefined, 'never on leave: no leave fields');

    h.sim.admin.clock.advance(600_000);
    h.sim.admin.hrCase({ case: 'leave', wid: onLeave });
    h.sim.admin.hrCase({ case: 'additional-job', wid: twoJobs });
    const today = pinNow().effectiveDate;
    const delta = await run({ mode: 'delta' });
    assert.equal(delta.totalResults, 2, 'both HR events are in the transaction log');

    const away = (await stored(onLeave)).employment!;
    assert.equal(away.onLeave, true);
    assert.equal(away.active, true, 'a worker on leave stays active');
    assert.equal(away.leave?.startDate, today);
    assert.ok(away.leave?.estimatedEndDate && away.leave.estimatedEndDate > today);
    assert.equal(away.leave?.endDate, undefined);
    assert.equal(away.leave?.typeId, 'Personal_Leave');

    const jobs = (await stored(twoJobs)).employment!;
    assert.equal(jobs.positions?.length, 2, 'the record keeps both jobs');
    assert.deepEqual(
      jobs.positions.map((p) => p.primary),
      [true, false],
      'the primary job first, and marked',
    );
    assert.equal(jobs.positions[0]!.positionId, jobs.positionId, 'the top-level fields stay the primary job');
    assert.equal(jobs.positions[1]!.positionId, `${jobs.positionId}-1`);

    const leaveEvents = await eventsOf(onLeave);
    assert.deepEqual(
      leaveEvents.map((e) => e.type),
      ['com.wdsync.worker.created', 'com.wdsync.worker.on_leave'],
    );
    assert.ok(leaveEvents[1]!.data.changes?.some((c) => c.path === 'employment.onLeave' && c.to === true));
    const jobEvents = await eventsOf(twoJobs);
    assert.equal(jobEvents.at(-1)!.type, 'com.wdsync.worker.updated');
    assert.ok(jobEvents.at(-1)!.data.changes?.some((c) => c.path.startsWith('employment.positions')));
  });

  test('coming back from leave is an event of its own, with the leave end date', async () => {
    h.sim.admin.clock.advance(3 * DAY_MS);
    h.sim.admin.hrCase({ case: 'return', wid: onLeave });
    const today = pinNow().effectiveDate;
    await run({ mode: 'delta' });
    const back = (await stored(onLeave)).employment!;
    assert.equal(back.onLeave, false);
    assert.ok(back.leave?.endDate && back.leave.endDate < today, 'the last day of leave is before today');
    const events = await eventsOf(onLeave);
    assert.equal(events.at(-1)!.type, 'com.wdsync.worker.returned_from_leave');
  });

  test('a contingent worker converted to an employee: two WIDs, one personId; the events say terminated and converted', async () => {
    const contingent = h.sim.admin
      .workersAsOf(pinNow())
      .find((w) => w.workerType === 'Contingent_Worker' && w.employment?.active)!.wid;
    h.sim.admin.clock.advance(600_000);
    const { wid: employee } = h.sim.admin.hrCase({ case: 'convert', wid: contingent });
    await run({ mode: 'delta' });
    const before = await stored(contingent);
    const after = await stored(employee);
    assert.equal(after.workerType, 'Employee');
    assert.equal(after.employment?.converted, true);
    assert.equal(before.employment?.terminated, true);
    assert.ok(after.personId);
    assert.equal(before.personId, after.personId, 'the sink can link the two WIDs of one person');
    assert.equal((await eventsOf(contingent)).at(-1)!.type, 'com.wdsync.worker.terminated');
    const made = await eventsOf(employee);
    assert.deepEqual(
      made.map((e) => e.type),
      ['com.wdsync.worker.converted'],
    );
    assert.equal(made[0]!.data.record?.personId, before.personId);
    assertValidEvents(await readCommitted(kafka.bootstrap, TOPIC));
  });
  test('a rescinded hire and a back-dated leave reach the sinks on the next delta; the rescinded worker is deactivated', async () => {
    h.sim.admin.clock.advance(600_000);
    const hired = h.sim.admin.churn(30);
    await run({ mode: 'delta' });
    const rows = await sinkRows(h.schema);
    const newHire = hired.find((w) => {
      const e = (rows.get(w)?.record as NormalizedWorker | undefined)?.employment;
      return (
        e?.active &&
        !e.terminated &&
        (rows.get(w)!.record as NormalizedWorker).employment!.hireDate === pinNow().effectiveDate
      );
    });
    assert.ok(newHire, 'a worker hired today among the churn');
    const earlier = h.sim.admin
      .workersAsOf(pinNow())
      .find(
        (w) => w.employment?.active && !w.employment.onLeave && !hired.includes(w.wid) && w.wid !== twoJobs,
      )!.wid;
    const tenDaysAgo = new Date(Date.parse(`${pinNow().effectiveDate}T00:00:00Z`) - 10 * DAY_MS)
      .toISOString()
      .slice(0, 10);

    h.sim.admin.clock.advance(600_000);
    h.sim.admin.hrCase({ case: 'rescind', wid: newHire });
    h.sim.admin.hrCase({ case: 'leave', wid: earlier, effectiveDate: tenDaysAgo });
    const delta = await run({ mode: 'delta' });
    assert.equal(delta.totalResults, 2);

    const rescinded = (await stored(newHire)).employment!;
    assert.equal(rescinded.hireRescinded, true);
    assert.equal(rescinded.active, false, 'deactivated in the sink');
    assert.equal((await eventsOf(newHire)).at(-1)!.type, 'com.wdsync.worker.rescinded');
    const backDated = (await stored(earlier)).employment!;
    assert.equal(backDated.onLeave, true);
    assert.equal(backDated.leave?.startDate, tenDaysAgo, 'the leave began in a period synced already');
    assert.equal((await eventsOf(earlier)).at(-1)!.type, 'com.wdsync.worker.on_leave');
    assertValidEvents(await readCommitted(kafka.bootstrap, TOPIC));
  });
  test('a termination due tomorrow, entered late in the tenant day: deltas act on it now only with --termination-lookahead', async () => {
    // 23:30 in the tenant's zone (-08:00): the termination's day begins in half an hour.
    const today = pinNow().effectiveDate;
    h.sim.admin.clock.set(`${today}T23:30:00-08:00`, { frozen: true });
    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    const leaving = terminateOne(
      h,
      (w) => w.employment?.active && !w.employment.onLeave && w.employment.positions === undefined,
      tomorrow,
    );

    await run({ mode: 'delta' });
    assert.equal(
      (await stored(leaving)).employment?.terminated,
      false,
      'without a look-ahead: still active today',
    );

    const ahead = await runPinned(h, { mode: 'delta', terminationLookaheadMs: 24 * 3_600_000 });
    assert.equal(ahead.status, 'COMPLETED');
    const early = (await stored(leaving)).employment!;
    assert.equal(early.terminated, true, 'the look-ahead delivers the termination now');
    assert.equal(early.active, false);
    assert.equal(early.terminationDate, tomorrow);
    assert.equal((await eventsOf(leaving)).at(-1)!.type, 'com.wdsync.worker.terminated');
    // Only the termination is taken early: the rest of the record is today's.
    const truth = h.sim.admin.workersAsOf(ahead.asOf).find((w) => w.wid === leaving)!;
    assert.deepEqual(
      { ...early, active: true, terminated: false, terminationDate: undefined },
      { ...truth.employment, terminationDate: undefined },
    );

    // Past midnight the tenant agrees: the worker is not written again, and no second event.
    const events = (await eventsOf(leaving)).length;
    h.sim.admin.clock.advance(3_600_000);
    await run({ mode: 'delta', terminationLookaheadMs: 24 * 3_600_000 });
    assert.deepEqual((await stored(leaving)).employment, early);
    assert.equal((await eventsOf(leaving)).length, events);
  });

  test('a worker terminated and rehired keeps its WID: the same row is active again, and the event says rehired', async () => {
    h.sim.admin.clock.advance(600_000);
    const worker = terminateOne(
      h,
      (w) => w.employment?.active && !w.employment.onLeave && w.employment.positions === undefined,
    );
    await run({ mode: 'delta' });
    assert.equal((await stored(worker)).employment?.terminated, true);
    assert.equal((await eventsOf(worker)).at(-1)!.type, 'com.wdsync.worker.terminated');

    h.sim.admin.clock.advance(3 * DAY_MS);
    const { wid } = h.sim.admin.hrCase({ case: 'rehire', wid: worker });
    assert.equal(wid, worker, 'a rehire keeps the WID');
    await run({ mode: 'delta' });
    const back = (await stored(worker)).employment!;
    assert.equal(back.terminated, false);
    assert.equal(back.active, true);
    assert.equal(back.terminationDate, undefined);
    assert.equal(back.hireDate, pinNow().effectiveDate, 'hired again today');
    const events = await eventsOf(worker);
    assert.equal(events.at(-1)!.type, 'com.wdsync.worker.rehired');
    assert.ok(events.at(-1)!.data.changes?.some((c) => c.path === 'employment.terminated' && c.to === false));
    assert.equal((await sinkRows(h.schema)).get(worker)?.removed, false, 'the same row, never removed');
    assertValidEvents(await readCommitted(kafka.bootstrap, TOPIC));
  });
});
