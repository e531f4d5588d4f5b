import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { startSimulator } from '../../src/simulator';
import { workflowBundle } from '../../src/worker';

const DIR = path.join(__dirname, 'histories');

/** Recorded with scripts/record-histories.ts; the file name carries the workflow id. */
function loadHistories() {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => ({
      workflowId: f.replace(/-[0-9a-f]{8}\.bin$/, '').replace(/_/g, '/'),
      history: temporal.api.history.v1.History.decode(readFileSync(path.join(DIR, f))),
    }));
}

/** Every payload in a history, decoded to text. */
function payloadTexts(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) payloadTexts(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) payloadTexts(v, out);
  return out;
}

/**
 * Invariant 5: recorded histories of real runs (continue-as-new, pause/resume/setConcurrency,
 * cancel, a page child) replay against today's workflow code without non-determinism. A change
 * that breaks this needs workflow versioning (patched()), not a re-recording.
 */
test('recorded sync histories replay cleanly with the current workflow code', {
  timeout: 120_000,
}, async () => {
  const histories = loadHistories();
  assert.ok(histories.length >= 5, 'histories are recorded (scripts/record-histories.ts)');
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    assert.equal(r.error, undefined, `replay of ${r.workflowId} failed: ${r.error}`);
    replayed += 1;
  }
  assert.equal(replayed, histories.length);
});

test('recorded histories hold no worker data', async () => {
  // The recordings came from the simulator with seed 7 and 900 workers (the test harness).
  const text = loadHistories()
    .flatMap((h) => payloadTexts(h.history))
    .join('\n');
  const asOf = JSON.parse(/"asOf":(\{[^}]*\})/.exec(text)?.[1] ?? 'null');
  assert.ok(asOf, 'the recorded runs carry their pinned as-of');
  // The simulator's dataset is anchored on its clock start, so rebuild it as it stood when the
  // histories were recorded (a minute before the pinned moment), not as of today.
  const clockStart = new Date(Date.parse(asOf.entryMoment) - 60_000).toISOString();
  const sim = await startSimulator({ workers: 900, seed: 7, clockStart, clockFrozen: true });
  try {
    const workers = sim.admin.workersAsOf(asOf);
    assert.equal(workers.length, 900);
    for (const w of workers) {
      for (const value of [w.personal?.legalName.formatted, w.personal?.workEmail, w.descriptor]) {
        if (value) assert.ok(!text.includes(value), `a worker's data (${w.wid}) is in a recorded history`);
      }
    }
  } finally {
    await sim.close();
  }
});
