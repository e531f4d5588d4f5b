// `wdsync simulator` flag parsing: --fault specs, rate shorthands, and clear errors for bad input.
// No simulator is started: the command's action is replaced to capture the parsed flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { optionsFromFlags, parseFaultSpec, registerSimulatorCommand } from '../../src/simulator/command';
import { parseSimulatorOptions } from '../../src/simulator/options';

/** Parses `wdsync simulator <args>` and returns the flags commander hands the action. */
function flagsOf(args: string[]): Parameters<typeof optionsFromFlags>[0] {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  const cmd = registerSimulatorCommand(program)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  let got: unknown;
  cmd.action((flags) => {
    got = flags;
  });
  program.parse(['node', 'wdsync', 'simulator', ...args]);
  return got as Parameters<typeof optionsFromFlags>[0];
}

function commanderError(args: string[]): CommanderError {
  try {
    flagsOf(args);
  } catch (e) {
    assert.ok(e instanceof CommanderError, `expected a CommanderError, got ${e}`);
    return e;
  }
  assert.fail(`accepted ${args.join(' ')}`);
}

describe('simulator command', () => {
  it('parseFaultSpec: type=reset,pages=3+5,next=2,atFraction=0.3', () => {
    assert.deepEqual(parseFaultSpec('type=reset,pages=3+5,next=2,atFraction=0.3'), {
      type: 'reset',
      pages: [3, 5],
      next: 2,
      atFraction: 0.3,
    });
    assert.deepEqual(parseFaultSpec('type=http429,rate=0.25,retryAfterSec=7'), {
      type: 'http429',
      rate: 0.25,
      retryAfterSec: 7,
    });
    assert.deepEqual(parseFaultSpec('type=processing,message=a=b'), {
      type: 'processing',
      message: 'a=b',
    });
  });

  it('parseFaultSpec rejects bad keys and values with a clear message', () => {
    assert.throws(
      () => parseFaultSpec('type=reset,bogus=1'),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /unknown key "bogus"/.test(e.message) &&
        /type, rate, pages, next/.test(e.message),
    );
    assert.throws(() => parseFaultSpec('type=explode'), /type must be one of processing, throttle/);
    assert.throws(() => parseFaultSpec('rate=0.5'), /type= is required/);
    assert.throws(() => parseFaultSpec('type=reset,rate=1.5'), /rate must be a number from 0 to 1/);
    assert.throws(() => parseFaultSpec('type=reset,pages=0'), /pages must be a whole number from 1/);
    assert.throws(() => parseFaultSpec('type=reset,next=0'), /next must be a whole number from 1/);
    assert.throws(() => parseFaultSpec('type=reset,pages'), /expected key=value, got "pages"/);
  });

  it('--fault is repeatable and rate shorthands become rate rules; zero rates add nothing', () => {
    const flags = flagsOf([
      '--port',
      '0',
      '--workers',
      '500',
      '--fault',
      'type=reset,pages=3+5,next=2,atFraction=0.3',
      '--fault',
      'type=hang,next=1',
      '--processing-fault-rate',
      '0.1',
      '--throttle-rate',
      '0.2',
      '--http429-rate',
      '0.3',
      '--http503-rate',
      '0.4',
      '--hang-rate',
      '0',
      '--reset-rate',
      '0.05',
      '--truncate-rate',
      '1',
    ]);
    const opts = optionsFromFlags(flags);
    assert.equal(opts.port, 0);
    assert.equal(opts.workers, 500);
    assert.deepEqual(opts.faults?.rules, [
      { type: 'reset', pages: [3, 5], next: 2, atFraction: 0.3 },
      { type: 'hang', next: 1 },
      { type: 'processing', rate: 0.1 },
      { type: 'throttle', rate: 0.2 },
      { type: 'http429', rate: 0.3 },
      { type: 'http503', rate: 0.4 },
      { type: 'reset', rate: 0.05 },
      { type: 'truncate', rate: 1 },
    ]);
    // What the CLI builds is what the options schema accepts.
    const parsed = parseSimulatorOptions(opts);
    assert.equal(parsed.faults.rules.length, 8);
    assert.equal(parsed.version, 'v44.0');
  });

  it('--response-limit-bytes and --response-limit-mode set the response-size limit', () => {
    const off = parseSimulatorOptions(optionsFromFlags(flagsOf([])));
    assert.equal(off.faults.responseLimit, null);
    const cut = parseSimulatorOptions(
      optionsFromFlags(flagsOf(['--response-limit-bytes', '8000000', '--response-limit-mode', 'reset'])),
    );
    assert.deepEqual(cut.faults.responseLimit, { maxBytes: 8_000_000, mode: 'reset' });
    const fault = parseSimulatorOptions(optionsFromFlags(flagsOf(['--response-limit-bytes', '5000'])));
    assert.deepEqual(fault.faults.responseLimit, { maxBytes: 5000, mode: 'fault' });
    assert.throws(() => flagsOf(['--response-limit-mode', 'explode']));
  });

  it('latency, cap, maintenance, oauth and identity flags map onto the options', () => {
    const opts = optionsFromFlags(
      flagsOf([
        '--tenant',
        'globex',
        '--api-version',
        'v40.0',
        '--latency-base-ms',
        '0',
        '--latency-per-worker-ms',
        '0.5',
        '--slow-tail-rate',
        '0.01',
        '--slow-tail-ms',
        '9000',
        '--concurrency-cap',
        '4',
        '--cap-response',
        'http503',
        '--maintenance',
        '--token-ttl-sec',
        '60',
        '--clock-frozen',
      ]),
    );
    assert.equal(opts.tenant, 'globex');
    assert.equal(opts.version, 'v40.0');
    assert.equal(opts.clockFrozen, true);
    assert.deepEqual(opts.faults?.latency, {
      baseMs: 0,
      perWorkerMs: 0.5,
      slowTailRate: 0.01,
      slowTailMs: 9000,
    });
    assert.equal(opts.faults?.concurrencyCap, 4);
    assert.equal(opts.faults?.capResponse, 'http503');
    assert.deepEqual(opts.faults?.maintenance, { active: true });
    assert.deepEqual(opts.oauth, { accessTokenTtlSec: 60 });
    const parsed = parseSimulatorOptions(opts);
    assert.equal(parsed.username, 'isu_wdsync@globex', 'the default user follows the tenant');
    assert.equal(parsed.faults.latency.jitterMs, 20, 'unset latency fields keep their defaults');
  });

  it('bad flag values are rejected by commander with the rule in the message', () => {
    const bad = commanderError(['--fault', 'type=reset,bogus=1']);
    assert.match(bad.message, /unknown key "bogus"/);
    assert.match(commanderError(['--reset-rate', '2']).message, /--reset-rate must be a number from 0 to 1/);
    assert.match(commanderError(['--port', 'x']).message, /--port must be a whole number from 0 to 65535/);
    assert.match(commanderError(['--cap-response', 'teapot']).message, /throttle, http429, http503/);
  });
});
