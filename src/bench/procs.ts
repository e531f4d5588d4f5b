import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The CLI entry, so the bench starts the same processes a user would (`wdsync worker`, ...). */
export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'wdsync.cjs');

/** Linux clock ticks per second for /proc/<pid>/stat; 100 on every mainstream kernel config. */
const CLK_TCK = 100;

export interface MemSample {
  /** Resident set now (MB). */
  rssMb: number;
  /** Peak resident set since start or since the last resetPeak (MB). */
  hwmMb: number;
}

/** VmRSS and VmHWM of a process, from /proc (Linux); undefined elsewhere or once it exited. */
export function memOf(pid: number): MemSample | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)\\s+kB`, 'm').exec(s)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * Resets a process's peak RSS (VmHWM) to its current RSS: writing 5 to /proc/<pid>/clear_refs
 * (Linux ≥ 4.0). Lets the bench report the peak of one scenario, not of start-up.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system) a process has used so far, in ms; NaN when unreadable. */
export function cpuMsOf(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every `everyMs` and keeps the largest value seen. */
export function sampleRss(pid: number, everyMs = 200) {
  let maxMb = 0;
  const tick = () => {
    const m = memOf(pid);
    if (m && m.rssMb > maxMb) maxMb = m.rssMb;
  };
  tick();
  const t = setInterval(tick, everyMs);
  t.unref();
  return {
    stop(): number {
      clearInterval(t);
      tick();
      return maxMb;
    },
  };
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node [nodeArgs] bin/wdsync.cjs <args>` and resolves once its stdout matches `ready`
 * (or rejects with its output if it exits first or does not get ready in time).
 */
export async function startCli(opts: {
  args: string[];
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  nodeArgs?: string[];
  cwd?: string;
  timeoutMs?: number;
}): Promise<CliProcess & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...opts.args], {
    env: opts.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // Keep the head and the most recent output: enough to explain a failure, bounded for long runs.
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = `${out.slice(0, 20_000)}\n…\n${out.slice(-100_000)}`;
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`\`wdsync ${opts.args[0]}\` did not start in time:\n${out}`)),
      opts.timeoutMs ?? 120_000,
    );
    const check = () => {
      const m = opts.ready.exec(out);
      if (m) {
        clearTimeout(t);
        child.stdout!.off('data', check);
        resolve(m);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, sig) => {
      clearTimeout(t);
      reject(new Error(`\`wdsync ${opts.args[0]}\` exited with ${code ?? sig}:\n${out}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    match,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(t);
    },
  };
}
