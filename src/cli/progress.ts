import cliProgress from 'cli-progress';
import { inFlightSplit } from '../workflows/run-rules';
import type { DestructiveOutcome, RunProgress, RunSummary } from '../workflows/types';

/**
 * Live progress for `--wait` and `status --watch`: a bar on a terminal, one line every few seconds
 * when output goes to a file or CI log. Written to stderr so stdout stays clean for --json.
 */
export function createProgressRenderer(opts: { tty?: boolean } = {}) {
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  const eta = (p: RunProgress) => {
    if (!p.workersPerSecond || !p.totalResults) return '?';
    const s = Math.max(0, Math.round((p.totalResults - p.workersFetched) / p.workersPerSecond));
    return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
  };
  const announced = new Set<string>();
  return {
    update(p: RunProgress) {
      // A sink waiting for approval says once what to run; the bar alone would only show the state.
      for (const a of p.awaitingApproval ?? []) {
        if (announced.has(a.sink)) continue;
        announced.add(a.sink);
        bar?.stop();
        bar = undefined;
        process.stderr.write(
          `wdsync: ${awaitingLines({ ...p, awaitingApproval: [a] })
            .join('\n')
            .trim()}\n`,
        );
      }
      const fields = {
        pages: `${p.pagesDone}/${p.pagesTotal}`,
        inflight: `${p.pagesInFlight} in flight${inFlightSplit(p)}`,
        failed: p.pagesFailed,
        workers: `${p.workersFetched}/${p.totalResults}`,
        rate: p.workersPerSecond,
        eta: eta(p),
        state: p.state,
      };
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format:
                '{bar} {percentage}% | pages {pages} ({inflight}, {failed} failed) | workers {workers} | {rate}/s | ETA {eta} | {state}',
              stream: process.stderr,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, p.pagesTotal), p.pagesDone, fields);
        }
        bar.setTotal(Math.max(1, p.pagesTotal));
        bar.update(p.pagesDone, fields);
      } else if (Date.now() - lastLine > 5000 || p.pagesDone === p.pagesTotal) {
        lastLine = Date.now();
        process.stderr.write(
          `[${p.state}] pages ${fields.pages} (${fields.inflight}, ${fields.failed} failed), workers ${fields.workers}, ${fields.rate}/s, ETA ${fields.eta}\n`,
        );
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

/** Human summary of a finished run. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    `Run ${s.runId}: ${s.status} in ${(s.durationMs / 1000).toFixed(1)}s`,
    `  snapshot      as of ${s.asOf.entryMoment} (effective ${s.asOf.effectiveDate})`,
    `  pages         ${s.pagesDone}/${s.pagesTotal} done, ${s.pagesFailed} failed${s.failedPages.length ? ` (${s.failedPages.join(', ')})` : ''}`,
    `  workers       ${s.workersFetched} fetched of ${s.totalResults}, ${s.deadLettered} dead-lettered`,
  ];
  for (const [sink, t] of Object.entries(s.perSink)) {
    lines.push(
      `  sink ${sink.padEnd(8)} ${t.inserted} inserted, ${t.updated} updated, ${t.unchanged} unchanged (skipped)${t.refused ? `, ${t.refused} refused (\`wdsync dead-letters list --sink ${sink}\`)` : ''}`,
    );
  }
  for (const d of Object.values(s.destructive ?? {})) lines.push(`  ${destructiveLine(d)}`);
  for (const [sink, pages] of Object.entries(s.sinkFailures)) {
    if (pages.length) lines.push(`  sink ${sink} failed pages ${pages.join(', ')}`);
  }
  if (s.drift) {
    lines.push(`  reconcile     ${s.drift.total} changes the deltas had missed, now repaired`);
    for (const [sink, d] of Object.entries(s.drift.perSink)) {
      lines.push(`  drift ${sink.padEnd(7)} ${d.added} added, ${d.changed} changed, ${d.removed} removed`);
    }
  }
  if (!s.reconciliation.ok) {
    lines.push(
      `  reconciliation MISMATCH: expected ${s.reconciliation.expected}, accounted ${s.reconciliation.accounted}`,
    );
  }
  for (const m of s.totalsMismatch) lines.push(`  totals mismatch: ${m}`);
  if (s.status === 'COMPLETED_WITH_FAILURES') lines.push(`  recover with: wdsync replay ${s.runId} --failed`);
  return lines.join('\n');
}

/** The machine-readable line printed last with --json. */
export function summaryJson(s: RunSummary) {
  return {
    runId: s.runId,
    status: s.status,
    pagesTotal: s.pagesTotal,
    pagesDone: s.pagesDone,
    pagesFailed: s.pagesFailed,
    failedPages: s.failedPages,
    totalResults: s.totalResults,
    workersFetched: s.workersFetched,
    deadLettered: s.deadLettered,
    delivered: s.delivered,
    skippedUnchanged: s.skippedUnchanged,
    perSink: s.perSink,
    reconciliation: s.reconciliation,
    ...(s.drift ? { drift: s.drift } : {}),
    asOf: s.asOf,
    durationMs: s.durationMs,
    ...(s.destructive ? { destructive: s.destructive } : {}),
  };
}

/** What a run did with one sink's held deactivations and deletions. */
export function destructiveLine(d: DestructiveOutcome): string {
  const what = `${d.deactivate} deactivations, ${d.delete} deletions`;
  if (d.decision === 'rejected') return `sink ${d.sink} ${what} rejected by ${d.by}: ${d.rejected} skipped`;
  const how = d.decision === 'approved' ? `approved by ${d.by}` : 'under the limits';
  if (d.error) return `sink ${d.sink} ${what} ${how}, but not applied: ${d.error}`;
  return `sink ${d.sink} ${what} ${how}: ${d.applied} applied${d.failed ? `, ${d.failed} refused by the target` : ''}`;
}

/** The lines `wdsync status` prints for sinks waiting for approval. */
export function awaitingLines(p: RunProgress): string[] {
  return (p.awaitingApproval ?? []).flatMap((a) => [
    `  sink ${a.sink} awaiting approval: ${a.reason}; nothing of it applied yet`,
    `    approve: ${a.approve}`,
    `    reject:  ${a.reject}`,
  ]);
}
