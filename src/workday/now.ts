import { causeCode } from '../errors/causes';

/** An HTTP Date header counts whole seconds: a moment within this much of it is not in the future. */
export const DATE_HEADER_RESOLUTION_MS = 1000;

export class WorkdayUnreachableError extends Error {
  override name = 'WorkdayUnreachableError';
}

/**
 * Workday's now, from the Date header of its answer to a HEAD request on the endpoint (any status
 * carries one; nothing is authenticated or fetched). The tenant's clock, not this machine's, is what
 * an as-of moment must not pass.
 */
export async function workdayNow(endpoint: string, timeoutMs = 10_000): Promise<Date> {
  let res: Response;
  try {
    res = await fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const code = causeCode(err) ?? (err as Error).name;
    throw new WorkdayUnreachableError(
      `cannot reach Workday at ${new URL(endpoint).host} (${code}); check WORKDAY_ENDPOINT and the network, or start the simulator with \`wdsync simulator\``,
    );
  }
  await res.body?.cancel();
  const date = Date.parse(res.headers.get('date') ?? '');
  if (Number.isNaN(date)) {
    throw new WorkdayUnreachableError(
      `Workday at ${new URL(endpoint).host} sent no Date header, so its clock is unknown; leave --as-of out to pin Workday's now`,
    );
  }
  return new Date(date);
}
