import { ErrorType, TypedError } from '../errors/types';

/**
 * The sinks a command or activity works on: those asked for, or every configured one. Refuses a
 * name that is not configured, naming the ones that are.
 */
export function selectSinks(
  configured: Iterable<string>,
  asked?: readonly string[],
  where: 'config' | 'worker' = 'config',
): string[] {
  const all = [...configured];
  if (!asked?.length) return all;
  const unknown = asked.filter((s) => !all.includes(s));
  if (unknown.length) {
    const hint = where === 'worker' ? 'every worker needs the same WDSYNC_SINKS' : 'see WDSYNC_SINKS';
    throw new TypedError(
      ErrorType.SinkNotConfigured,
      `unknown sink ${unknown.join(', ')}; configured sinks: ${all.join(', ') || 'none'} (${hint})`,
    );
  }
  return [...new Set(asked)];
}
