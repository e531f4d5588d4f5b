import type { AxiosInstance } from 'axios';
import type { Secret } from './config';
import {
  WorkdayAuthError,
  WorkdayConfigError,
  WorkdayTransientError,
  isWorkdayError,
  toWorkdayError,
} from './errors';

export interface OAuthSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: Secret;
  refreshToken: Secret;
}

/** Supplies Bearer tokens; `invalidate` drops a token Workday refused so the next call refreshes. */
export interface TokenProvider {
  getToken(signal?: AbortSignal): Promise<string>;
  invalidate(token: string): void;
}

// Workday access tokens are short-lived; refresh a little early so a page never starts on a
// token that expires in flight.
const EXPIRY_SKEW_MS = 60_000;
const DEFAULT_LIFETIME_S = 900;

/**
 * OAuth 2.0 refresh-token grant (Workday API clients for integrations). One refresh at a time:
 * parallel page fetches share the in-flight request instead of each spending the refresh token.
 */
export function createOAuthTokenProvider(
  settings: OAuthSettings,
  http: AxiosInstance,
  now: () => number = Date.now,
): TokenProvider {
  let cached: { token: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function refresh(signal?: AbortSignal): Promise<string> {
    const basic = Buffer.from(`${settings.clientId}:${settings.clientSecret.reveal()}`).toString('base64');
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: settings.refreshToken.reveal(),
    });
    let res: { status: number; data: unknown };
    try {
      res = await http.post(settings.tokenUrl, form.toString(), {
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${basic}`,
          Accept: 'application/json',
        },
        validateStatus: () => true,
        timeout: 30_000,
        signal,
        maxRedirects: 0,
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      throw toWorkdayError(err, settings.tokenUrl);
    }
    const data = (typeof res.data === 'object' && res.data !== null ? res.data : {}) as Record<
      string,
      unknown
    >;
    if (res.status === 200 && typeof data.access_token === 'string' && data.access_token) {
      const lifetimeS =
        typeof data.expires_in === 'number' ? data.expires_in : Number(data.expires_in) || DEFAULT_LIFETIME_S;
      const lifetimeMs = lifetimeS * 1000;
      cached = {
        token: data.access_token,
        expiresAt: now() + lifetimeMs - Math.min(EXPIRY_SKEW_MS, lifetimeMs / 10),
      };
      return data.access_token;
    }
    const oauthError = typeof data.error === 'string' ? data.error : undefined;
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new WorkdayAuthError(
        `Workday's token endpoint refused the refresh token (HTTP ${res.status}${oauthError ? `, ${oauthError}` : ''}): check the OAuth client id and secret, and issue a new refresh token for the integration user if it was revoked or expired.`,
        { status: res.status, detail: oauthError },
      );
    }
    if (res.status === 404) {
      throw new WorkdayConfigError(
        `No OAuth token endpoint at ${settings.tokenUrl} (HTTP 404); it must look like https://<host>/ccx/oauth2/<tenant>/token.`,
        {
          status: 404,
        },
      );
    }
    throw new WorkdayTransientError(
      `Workday's token endpoint answered HTTP ${res.status}; the request will be retried.`,
      'fault',
      { status: res.status },
    );
  }

  return {
    async getToken(signal) {
      if (cached && cached.expiresAt > now()) return cached.token;
      inflight ??= refresh(signal).finally(() => {
        inflight = undefined;
      });
      try {
        return await inflight;
      } catch (err) {
        throw isWorkdayError(err) || signal?.aborted ? err : toWorkdayError(err, settings.tokenUrl);
      }
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}
