import { type Command, InvalidArgumentError, Option } from 'commander';
import type { FaultRule, SimulatorOptionsInput } from './options';

/**
 * `wdsync simulator`: the Workday simulator as a long-running process. Flags map one-to-one onto
 * SimulatorOptions (validated there); faults can be changed later through POST /__admin/faults.
 */

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
};
/** A commander argument parser for a number in [min, max]. */
export const num =
  (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
const rate = (name: string) => num(name, 0, 1);

/** `--fault type=reset,rate=0.1,pages=3+5,next=2,retryAfterSec=10,atFraction=0.5,message=...` */
export function parseFaultSpec(spec: string): FaultRule {
  // Required here, not on top: the options module loads zod, which `wdsync --help` does without.
  const { FAULT_TYPES }: typeof import('./options') = require('./options');
  const rule: Record<string, unknown> = {};
  for (const part of spec.split(',')) {
    const [k, ...rest] = part.split('=');
    const v = rest.join('=');
    const key = k.trim();
    if (!v) throw new InvalidArgumentError(`--fault: expected key=value, got "${part}"`);
    if (key === 'type') {
      if (!(FAULT_TYPES as readonly string[]).includes(v))
        throw new InvalidArgumentError(`--fault: type must be one of ${FAULT_TYPES.join(', ')}`);
      rule.type = v;
    } else if (key === 'pages') rule.pages = v.split(/[+ ]/).map(int('--fault pages', 1, 1e12));
    else if (key === 'rate' || key === 'atFraction') rule[key] = rate(`--fault ${key}`)(v);
    else if (key === 'next' || key === 'retryAfterSec')
      rule[key] = int(`--fault ${key}`, key === 'next' ? 1 : 0, 1e9)(v);
    else if (key === 'message') rule.message = v;
    else
      throw new InvalidArgumentError(
        `--fault: unknown key "${key}" (type, rate, pages, next, retryAfterSec, atFraction, message)`,
      );
  }
  if (!rule.type) throw new InvalidArgumentError('--fault: type= is required');
  return rule as FaultRule;
}

interface Flags {
  port: number;
  host: string;
  workers?: number;
  seed?: number;
  tenant?: string;
  username?: string;
  password?: string;
  apiVersion?: string;
  timezone?: string;
  clockStart?: string;
  clockFrozen?: boolean;
  churnRate?: number;
  pageResultsQuirk?: boolean;
  universalIds?: 'conversions' | 'every-person';
  latencyBaseMs?: number;
  latencyPerWorkerMs?: number;
  latencyJitterMs?: number;
  slowTailRate?: number;
  slowTailMs?: number;
  concurrencyCap?: number;
  capResponse?: 'throttle' | 'http429' | 'http503';
  maintenance?: boolean;
  maintenanceFrom?: string;
  maintenanceUntil?: string;
  fault: FaultRule[];
  processingFaultRate?: number;
  throttleRate?: number;
  http429Rate?: number;
  http503Rate?: number;
  hangRate?: number;
  resetRate?: number;
  truncateRate?: number;
  responseLimitBytes?: number;
  responseLimitMode?: 'fault' | 'reset' | 'hang';
  oauthClientId?: string;
  oauthClientSecret?: string;
  oauthRefreshToken?: string;
  tokenTtlSec?: number;
  requestLogSize?: number;
}

export function optionsFromFlags(o: Flags): SimulatorOptionsInput {
  const rules: FaultRule[] = [...o.fault];
  const rates: [number | undefined, FaultRule['type']][] = [
    [o.processingFaultRate, 'processing'],
    [o.throttleRate, 'throttle'],
    [o.http429Rate, 'http429'],
    [o.http503Rate, 'http503'],
    [o.hangRate, 'hang'],
    [o.resetRate, 'reset'],
    [o.truncateRate, 'truncate'],
  ];
  for (const [r, type] of rates) if (r !== undefined && r > 0) rules.push({ type, rate: r });
  const latency: Record<string, number> = {};
  if (o.latencyBaseMs !== undefined) latency.baseMs = o.latencyBaseMs;
  if (o.latencyPerWorkerMs !== undefined) latency.perWorkerMs = o.latencyPerWorkerMs;
  if (o.latencyJitterMs !== undefined) latency.jitterMs = o.latencyJitterMs;
  if (o.slowTailRate !== undefined) latency.slowTailRate = o.slowTailRate;
  if (o.slowTailMs !== undefined) latency.slowTailMs = o.slowTailMs;
  const strip = <T extends object>(x: T) =>
    Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;
  return strip({
    port: o.port,
    host: o.host,
    workers: o.workers,
    seed: o.seed,
    tenant: o.tenant,
    username: o.username,
    password: o.password,
    version: o.apiVersion,
    timezone: o.timezone,
    clockStart: o.clockStart,
    clockFrozen: o.clockFrozen,
    churnRate: o.churnRate,
    pageResultsQuirk: o.pageResultsQuirk,
    universalIds: o.universalIds,
    requestLogSize: o.requestLogSize,
    faults: strip({
      rules,
      latency,
      concurrencyCap: o.concurrencyCap,
      capResponse: o.capResponse,
      responseLimit:
        o.responseLimitBytes === undefined
          ? undefined
          : { maxBytes: o.responseLimitBytes, mode: o.responseLimitMode ?? 'fault' },
      maintenance: strip({ active: o.maintenance, from: o.maintenanceFrom, until: o.maintenanceUntil }),
    }),
    oauth: strip({
      clientId: o.oauthClientId,
      clientSecret: o.oauthClientSecret,
      refreshToken: o.oauthRefreshToken,
      accessTokenTtlSec: o.tokenTtlSec,
    }),
  }) as SimulatorOptionsInput;
}

export function registerSimulatorCommand(program: Command): Command {
  return program
    .command('simulator')
    .description('run the Workday simulator (Human_Resources Get_Workers over SOAP) until Ctrl-C')
    .option('--port <n>', 'port to listen on (0 = a free port)', int('--port', 0, 65535), 8080)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--workers <n>',
      'workers in the initial population (default 10000)',
      int('--workers', 0, 5_000_000),
    )
    .option('--seed <n>', 'dataset seed (default 42)', int('--seed', 0, 0xffffffff))
    .option('--tenant <name>', 'tenant name in the endpoint path (default acme)')
    .option('--username <user@tenant>', 'integration user (default isu_wdsync@<tenant>)')
    .option('--password <password>', 'its password (default wdsync)')
    .option(
      '--api-version <vNN.N>',
      "default web service version, advertised and echoed; a request asking for another (path or bsvc:version) is answered in that version's schema (default v44.0)",
    )
    .option('--timezone <±hh:mm>', 'tenant UTC offset for dates and "today" (default -08:00)')
    .option('--clock-start <iso>', 'start the simulator clock at this moment (default: now)')
    .option('--clock-frozen', 'the clock only moves through POST /__admin/clock')
    .option(
      '--churn-rate <perSecond>',
      'background changes per second (default 0)',
      num('--churn-rate', 0, 100_000),
    )
    .option('--page-results-quirk', 'report Page_Results = Count instead of rows returned, like some tenants')
    .addOption(
      new Option(
        '--universal-ids <who>',
        'who carries a Universal_ID: every-person from hire, or conversions (a person with two WIDs) only',
      ).choices(['conversions', 'every-person']),
    )
    .option(
      '--latency-base-ms <ms>',
      'fixed delay before each answer (default 20)',
      num('--latency-base-ms', 0),
    )
    .option(
      '--latency-per-worker-ms <ms>',
      'delay per worker streamed (default 0.05)',
      num('--latency-per-worker-ms', 0),
    )
    .option(
      '--latency-jitter-ms <ms>',
      'random extra delay, 0..ms (default 20)',
      num('--latency-jitter-ms', 0),
    )
    .option(
      '--slow-tail-rate <p>',
      'share of requests in the slow tail (default 0)',
      rate('--slow-tail-rate'),
    )
    .option(
      '--slow-tail-ms <ms>',
      'extra delay of a slow-tail request (default 5000)',
      num('--slow-tail-ms', 0),
    )
    .option(
      '--concurrency-cap <n>',
      'requests in flight per tenant before throttling (default: none)',
      int('--concurrency-cap', 1, 10_000),
    )
    .addOption(
      new Option(
        '--cap-response <how>',
        'answer over the cap: throttle (SOAP 500), http429 or http503',
      ).choices(['throttle', 'http429', 'http503']),
    )
    .option('--maintenance', 'start in a maintenance window (503 with Retry-After)')
    .option('--maintenance-from <iso>', 'maintenance window start (simulator clock)')
    .option('--maintenance-until <iso>', 'maintenance window end (simulator clock)')
    .option(
      '--processing-fault-rate <p>',
      'share of requests answered with a Processing_Fault',
      rate('--processing-fault-rate'),
    )
    .option(
      '--throttle-rate <p>',
      'share answered with a SOAP throttling fault (HTTP 500)',
      rate('--throttle-rate'),
    )
    .option('--http429-rate <p>', 'share answered 429 with Retry-After', rate('--http429-rate'))
    .option('--http503-rate <p>', 'share answered 503 with Retry-After', rate('--http503-rate'))
    .option('--hang-rate <p>', 'share of requests that never answer', rate('--hang-rate'))
    .option('--reset-rate <p>', 'share whose connection is reset mid-body', rate('--reset-rate'))
    .option('--truncate-rate <p>', 'share whose XML ends mid-document', rate('--truncate-rate'))
    .option(
      '--response-limit-bytes <n>',
      'largest Get_Workers response body sent (bytes before gzip); a page over it is refused (default: none)',
      int('--response-limit-bytes', 1, 1e12),
    )
    .addOption(
      new Option(
        '--response-limit-mode <how>',
        'how a page over the limit is refused: fault (a Processing_Fault, the default), reset (cut mid-body) or hang (no answer)',
      ).choices(['fault', 'reset', 'hang']),
    )
    .option(
      '--fault <spec>',
      'a fault rule, repeatable: type=<t>[,rate=p][,pages=1+2][,next=n][,retryAfterSec=s][,atFraction=f][,message=m]',
      (v: string, prev: FaultRule[]) => [...prev, parseFaultSpec(v)],
      [] as FaultRule[],
    )
    .option('--oauth-client-id <id>', 'OAuth client id (default wdsync-client)')
    .option('--oauth-client-secret <secret>', 'OAuth client secret (default wdsync-secret)')
    .option(
      '--oauth-refresh-token <token>',
      'refresh token accepted by the token endpoint (default wdsync-refresh-token)',
    )
    .option(
      '--token-ttl-sec <s>',
      'lifetime of issued Bearer tokens (default 3600)',
      int('--token-ttl-sec', 1, 1e9),
    )
    .option(
      '--request-log-size <n>',
      'requests kept for GET /__admin/requests (default 10000)',
      int('--request-log-size', 0, 1e7),
    )
    .action(async (flags: Flags) => {
      const { startSimulator }: typeof import('./index') = require('./index');
      let sim: Awaited<ReturnType<typeof startSimulator>>;
      try {
        sim = await startSimulator(optionsFromFlags(flags));
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const msg =
          err.code === 'EADDRINUSE' ? `port ${flags.port} is in use; pick another with --port` : err.message;
        process.stderr.write(`wdsync simulator: ${msg}\n`);
        process.exit(2);
      }
      const o = sim.options;
      console.log(`Workday simulator: tenant "${o.tenant}", ${o.workers} workers, seed ${o.seed}`);
      console.log(`  endpoint   ${sim.endpoint}`);
      console.log(`  wsdl       ${sim.endpoint}?wsdl`);
      console.log(`  username   ${sim.credentials.username}`);
      console.log(`  password   ${sim.credentials.password}`);
      console.log(
        `  oauth      ${sim.tokenUrl} (client ${o.oauth.clientId}, refresh token ${o.oauth.refreshToken})`,
      );
      console.log(`  admin      ${sim.adminUrl}/stats`);
      console.log('Ctrl-C to stop.');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sim.close();
    });
}
