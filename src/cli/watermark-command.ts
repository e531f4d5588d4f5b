import type { Command } from 'commander';
import type { WdsyncConfig } from '../config/config';
import { action } from './action';
import { UserError } from './errors';
import { addScopeOptions, type ScopeFlags, scopeFromFlags } from './scope-options';

export interface WatermarkResetReport {
  tenant: string;
  scopeKey: string;
  workdayNow: string;
  watermark: { was?: string; now?: string };
  sinks: { sink: string; records?: number; snapshotWas?: string; limit: string; supported: boolean }[];
}

/**
 * Repairs what a run pinned in the future left behind: the delta watermark of one tenant and scope
 * (removed, or set to --to), and every sink's snapshot markers later than --to or Workday's now.
 */
export async function resetWatermark(
  cfg: WdsyncConfig,
  o: { to?: string; scope: ReturnType<typeof scopeFromFlags> },
): Promise<WatermarkResetReport> {
  // Required here, not on top, so `wdsync --help` does not load them (issue 17).
  const { scopeKey }: typeof import('../activities/scope-key') = require('../activities/scope-key');
  const { createAuditStore }: typeof import('../audit/store') = require('../audit/store');
  const { tenantOf }: typeof import('../workday/config') = require('../workday/config');
  const { openDb }: typeof import('../db/open') = require('../db/open');
  const { buildSink }: typeof import('../sinks/registry') = require('../sinks/registry');
  const {
    DATE_HEADER_RESOLUTION_MS,
    workdayNow,
  }: typeof import('../workday/now') = require('../workday/now');
  const { parseMoment }: typeof import('./as-of') = require('./as-of');
  const now = await workdayNow(cfg.workday.endpoint);
  const to = o.to === undefined ? undefined : parseMoment(o.to, '--to').toISOString();
  if (to && Date.parse(to) > now.getTime() + DATE_HEADER_RESOLUTION_MS) {
    throw new UserError(
      `--to ${to} is later than Workday's now (${now.toISOString()}); give a moment up to now`,
    );
  }
  const limit = to ?? now.toISOString();
  const tenant = tenantOf(cfg.workday);
  const key = scopeKey(o.scope);
  const db = await openDb(cfg.database.url);
  try {
    const audit = createAuditStore(db, cfg.database.schema);
    await audit.init();
    const was = await audit.resetWatermark(tenant, key, to, 'wdsync watermark reset');
    const sinks: WatermarkResetReport['sinks'] = [];
    for (const s of cfg.sinks) {
      const sink = await buildSink(s, { cfg, db });
      try {
        await sink.init();
        if (!sink.resetMarkers) {
          sinks.push({ sink: s.name, limit, supported: false });
          continue;
        }
        sinks.push({ sink: s.name, limit, supported: true, ...(await sink.resetMarkers(limit)) });
      } finally {
        await sink.close();
      }
    }
    return {
      tenant,
      scopeKey: key,
      workdayNow: now.toISOString(),
      watermark: { was: was?.updatedThrough.toISOString(), now: to },
      sinks,
    };
  } finally {
    await db.close();
  }
}

function formatReport(r: WatermarkResetReport): string {
  const lines = [
    `watermark ${r.tenant}/${r.scopeKey}: ${r.watermark.was ?? 'none'} -> ${
      r.watermark.now ?? 'none (the next delta run needs a full run first, or --full-if-no-watermark)'
    }`,
  ];
  for (const s of r.sinks) {
    if (!s.supported) {
      lines.push(`sink ${s.sink}: keeps no snapshot marker wdsync can reset`);
      continue;
    }
    const parts = [
      s.snapshotWas ? `snapshot marker ${s.snapshotWas} -> ${s.limit}` : 'snapshot marker not in the future',
      s.records !== undefined ? `${s.records} record markers moved back to ${s.limit}` : undefined,
    ].filter(Boolean);
    lines.push(`sink ${s.sink}: ${parts.join('; ')}`);
  }
  return lines.join('\n');
}

export function registerWatermarkCommands(program: Command) {
  const wm = program
    .command('watermark')
    .description("repair the delta watermark and the sinks' snapshot markers (see `watermark reset --help`)");
  addScopeOptions(
    wm
      .command('reset')
      .description(
        "remove the delta watermark of the tenant and scope (or set it with --to), and bring every sink's snapshot markers later than --to or Workday's now back to it; repairs a run pinned in the future",
      )
      .option(
        '--to <moment>',
        "set the watermark to this moment (ISO-8601 with offset, not after Workday's now)",
      )
      .option('--json', 'print one JSON object'),
  ).action(
    action(async (cfg, o: ScopeFlags & { to?: string; json?: boolean }) => {
      const report = await resetWatermark(cfg, { to: o.to, scope: scopeFromFlags(o) });
      console.log(o.json ? JSON.stringify(report) : formatReport(report));
    }),
  );
}
