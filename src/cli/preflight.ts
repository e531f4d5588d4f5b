import type { WdsyncConfig } from '../config/config';
import { openDb } from '../db/open';

/**
 * `wdsync start` records nothing itself, but the run's bookkeeping and the default sink use this
 * database: a start that cannot reach it says so now, instead of leaving a run to fail later on a
 * worker. The embedded database is created on first use, so only a server is checked.
 */
export async function checkDatabase(cfg: WdsyncConfig): Promise<void> {
  if (!/^postgres(ql)?:\/\//i.test(cfg.database.url)) return;
  const db = await openDb(cfg.database.url, { max: 1, connectTimeoutMs: 5000 });
  await db.close();
}
