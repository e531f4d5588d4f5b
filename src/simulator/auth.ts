import { randomBytes } from 'node:crypto';
import type { SimClock } from './clock';
import type { OAuthOptions } from './options';

/**
 * Who may call: the one integration user (WS-Security UsernameToken, PasswordText) or a Bearer
 * token from the OAuth 2.0 refresh-token grant. Tokens expire on the simulator clock so tests can
 * make them expire by advancing it.
 */

export interface Credentials {
  username: string;
  password: string;
  tenant: string;
}

export type TokenResult = { status: number; body: Record<string, unknown> };

export class Auth {
  private readonly tokens = new Map<string, { tenant: string; expiresAt: number }>();

  constructor(
    readonly creds: Credentials,
    readonly oauth: OAuthOptions,
    private readonly clock: SimClock,
  ) {}

  /** Username matches case-insensitively (Workday user names do); its @tenant must be the URL's. */
  checkPassword(urlTenant: string, username: string, password: string): boolean {
    if (urlTenant !== this.creds.tenant) return false;
    const at = username.lastIndexOf('@');
    if (at >= 0 && username.slice(at + 1).toLowerCase() !== urlTenant.toLowerCase()) return false;
    return username.toLowerCase() === this.creds.username.toLowerCase() && password === this.creds.password;
  }

  checkBearer(urlTenant: string, token: string): boolean {
    const t = this.tokens.get(token);
    if (!t || t.tenant !== urlTenant) return false;
    if (t.expiresAt <= this.clock.now()) {
      this.tokens.delete(token);
      return false;
    }
    return true;
  }

  /** POST /ccx/oauth2/{tenant}/token with a form body; client credentials in Basic auth or the form. */
  token(urlTenant: string, form: URLSearchParams, authorization: string | undefined): TokenResult {
    let clientId = form.get('client_id') ?? undefined;
    let clientSecret = form.get('client_secret') ?? undefined;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, i));
      clientSecret = decodeURIComponent(decoded.slice(i + 1));
    }
    if (
      urlTenant !== this.creds.tenant ||
      clientId !== this.oauth.clientId ||
      clientSecret !== this.oauth.clientSecret
    ) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Invalid client credentials' },
      };
    }
    if (form.get('grant_type') !== 'refresh_token') {
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Only refresh_token is supported' },
      };
    }
    if (form.get('refresh_token') !== this.oauth.refreshToken) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } };
    }
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, {
      tenant: urlTenant,
      expiresAt: this.clock.now() + this.oauth.accessTokenTtlSec * 1000,
    });
    return {
      status: 200,
      body: { access_token: token, token_type: 'Bearer', expires_in: this.oauth.accessTokenTtlSec },
    };
  }
}
