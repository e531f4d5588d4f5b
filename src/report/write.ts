import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WdsyncConfig } from '../config/config';
import { withStores } from '../deps';
import { STATE_DIR } from '../devserver/temporal-binary';
import { mkdirPrivate, PRIVATE_FILE_MODE } from '../paths/private';
import { inside } from '../paths/inside';
import { loadRunReport } from './data';
import { renderRunReport } from './render';

/** Where a run's report goes unless told otherwise: .wdsync/reports/<runId>.html. */
export function defaultReportFile(runId: string, stateDir = STATE_DIR): string {
  const dir = path.join(stateDir, 'reports');
  return inside(dir, `${encodeURIComponent(runId)}.html`);
}

/**
 * Writes one run's report from the audit store and returns its path. The report quotes
 * dead-letter reasons, which can hold worker data: owner-only, like staging.
 */
export async function writeRunReport(
  cfg: WdsyncConfig,
  runId: string,
  file?: string,
): Promise<{ file: string; status: string }> {
  const data = await withStores(cfg, ({ audit }) => loadRunReport(audit, runId));
  const target = path.resolve(file ?? defaultReportFile(runId));
  if (!file) mkdirPrivate(path.dirname(target));
  writeFileSync(target, renderRunReport(data), { mode: PRIVATE_FILE_MODE });
  return { file: target, status: data.run.status };
}

/** After a run ends in the CLI: say where its report is, never failing the command for it. */
export async function announceRunReport(cfg: WdsyncConfig, runId: string): Promise<void> {
  try {
    const { file } = await writeRunReport(cfg, runId);
    process.stderr.write(`report: ${file}\n`);
  } catch (err) {
    process.stderr.write(`wdsync: no report for ${runId}: ${(err as Error).message}\n`);
  }
}
