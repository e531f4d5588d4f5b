import { readFileSync } from 'node:fs';
import type { Connection } from 'jsforce';
import { z } from 'zod';
import { ErrorType, TypedError } from '../errors/types';

/** jsforce, loaded on first use: most commands never talk to Salesforce. */
const jsforce = (): typeof import('jsforce') => require('jsforce');

/**
 * How the Salesforce sink logs in: OAuth 2.0 client credentials (consumer key and secret, with a
 * run-as user on the connected app), or the JWT bearer flow (consumer key, the integration user's
 * username and the private key whose certificate the connected app holds). A session is made on
 * first use and made again when Salesforce says it expired.
 */

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Salesforce accepts an assertion whose exp is at most a few minutes away. */
const ASSERTION_LIFETIME_SEC = 180;

const required = (message: string) => z.string({ error: message }).min(1, message);

export const SalesforceCredentials = z.object({
  loginUrl: z.url('SALESFORCE_LOGIN_URL must be a URL: your My Domain, e.g. https://acme.my.salesforce.com'),
  clientId: required('SALESFORCE_CLIENT_ID is required: the connected app’s consumer key'),
  clientSecret: z.string().min(1).optional(),
  /** JWT bearer flow: the user the session runs as, and the PEM private key that signs assertions. */
  username: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  /** The assertion's aud; Salesforce wants the login URL (login/test.salesforce.com or My Domain). */
  audience: z.url('SALESFORCE_JWT_AUDIENCE must be a URL, e.g. https://login.salesforce.com').optional(),
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/, 'SALESFORCE_API_VERSION looks like 62.0')
    .default('62.0'),
});
export type SalesforceCredentials = z.infer<typeof SalesforceCredentials>;

/** What the chosen login flow still lacks: JWT bearer when a key or username is set, else client credentials. */
function flowIssues(c: { clientSecret?: string; username?: string; privateKey?: string }): string[] {
  if (c.privateKey || c.username)
    return [
      ...(c.privateKey
        ? []
        : [
            'SALESFORCE_PRIVATE_KEY_FILE is required for the JWT bearer flow: the PEM key of the connected app’s certificate',
          ]),
      ...(c.username
        ? []
        : ['SALESFORCE_USERNAME is required for the JWT bearer flow: the integration user’s username']),
    ];
  return c.clientSecret
    ? []
    : [
        'SALESFORCE_CLIENT_SECRET is required: the connected app’s consumer secret (or set SALESFORCE_USERNAME and SALESFORCE_PRIVATE_KEY_FILE for the JWT bearer flow)',
      ];
}

export interface SalesforceCredentialSettings {
  loginUrl?: string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  privateKeyFile?: string;
  audience?: string;
  apiVersion?: string;
}

/** The credentials from the sink's config entry, else from SALESFORCE_* variables. */
export function salesforceCredentials(
  fromConfig: SalesforceCredentialSettings,
  env: NodeJS.ProcessEnv = process.env,
): SalesforceCredentials {
  const keyFile = fromConfig.privateKeyFile ?? env.SALESFORCE_PRIVATE_KEY_FILE;
  let privateKey: string | undefined;
  if (keyFile) {
    try {
      privateKey = readFileSync(keyFile, 'utf8');
    } catch (e) {
      throw new TypedError(
        ErrorType.Config,
        `cannot read the Salesforce private key ${keyFile}: ${(e as Error).message}; check SALESFORCE_PRIVATE_KEY_FILE`,
      );
    }
  }
  const input = {
    loginUrl: fromConfig.loginUrl ?? env.SALESFORCE_LOGIN_URL,
    clientId: fromConfig.clientId ?? env.SALESFORCE_CLIENT_ID,
    clientSecret: fromConfig.clientSecret ?? env.SALESFORCE_CLIENT_SECRET,
    username: fromConfig.username ?? env.SALESFORCE_USERNAME,
    privateKey,
    audience: fromConfig.audience ?? env.SALESFORCE_JWT_AUDIENCE,
    apiVersion: fromConfig.apiVersion ?? env.SALESFORCE_API_VERSION,
  };
  const r = SalesforceCredentials.safeParse(input);
  const issues = [...(r.success ? [] : r.error.issues.map((i) => i.message)), ...flowIssues(input)];
  if (!r.success || issues.length) throw new TypedError(ErrorType.Config, issues.join('; '));
  return r.data;
}

export interface SalesforceSession {
  /** The current session, logging in when there is none. */
  connection(): Promise<Connection>;
  /** Forgets the session (Salesforce said it expired); the next call logs in again. */
  invalidate(): void;
  readonly flow: 'client credentials' | 'JWT bearer';
}

export function createSalesforceSession(credentials: SalesforceCredentials): SalesforceSession {
  const jwt = Boolean(credentials.privateKey);
  const flow = jwt ? 'JWT bearer' : 'client credentials';
  let conn: Connection | undefined;
  let pending: Promise<Connection> | undefined;

  async function assertion(): Promise<string> {
    const { SignJWT, importPKCS8 } = await import('jose');
    const key = await importPKCS8(credentials.privateKey!, 'RS256').catch(() => {
      throw new TypedError(
        ErrorType.Config,
        'the Salesforce private key is not a PKCS#8 PEM RSA key (-----BEGIN PRIVATE KEY-----); convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem',
      );
    });
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(credentials.clientId)
      .setSubject(credentials.username!)
      .setAudience(credentials.audience ?? credentials.loginUrl)
      .setExpirationTime(Math.floor(Date.now() / 1000) + ASSERTION_LIFETIME_SEC)
      .sign(key);
  }

  async function login(): Promise<Connection> {
    const { OAuth2, Connection } = jsforce();
    const oauth2 = new OAuth2({
      loginUrl: credentials.loginUrl,
      clientId: credentials.clientId,
      ...(jwt ? {} : { clientSecret: credentials.clientSecret }),
    });
    let token: { instance_url: string; access_token: string };
    try {
      token = (await oauth2.requestToken(
        jwt ? { grant_type: JWT_GRANT, assertion: await assertion() } : { grant_type: 'client_credentials' },
      )) as typeof token;
    } catch (e) {
      if (e instanceof TypedError) throw e;
      const hint = jwt
        ? 'check SALESFORCE_CLIENT_ID, SALESFORCE_USERNAME, that the connected app holds the certificate of SALESFORCE_PRIVATE_KEY_FILE and that the user is pre-authorized (admin-approved users, or a permission set on the app)'
        : 'check SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET and that the connected app allows the client credentials flow with a run-as user';
      throw new TypedError(
        ErrorType.SalesforceAuth,
        `Salesforce refused the ${flow} login at ${credentials.loginUrl}: ${(e as Error).message}; ${hint}`,
      );
    }
    return new Connection({
      instanceUrl: token.instance_url,
      accessToken: token.access_token,
      version: credentials.apiVersion,
    });
  }

  return {
    flow,
    async connection() {
      if (conn) return conn;
      // Concurrent callers share one login.
      pending ??= login().finally(() => {
        pending = undefined;
      });
      conn = await pending;
      return conn;
    },
    invalidate() {
      conn = undefined;
    },
  };
}
