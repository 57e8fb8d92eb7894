// Tokens of another service account, minted by the IAM Credentials API on behalf of the source credentials
// (what `gcloud … --impersonate-service-account` and google-auth-library's Impersonated client do):
//
//   POST {endpoint}/v1/projects/-/serviceAccounts/{SA}:generateIdToken      {delegates, audience, includeEmail}
//   POST {endpoint}/v1/projects/-/serviceAccounts/{SA}:generateAccessToken  {delegates, scope, lifetime}
//
// authorised by the source's access token. Each delegate must hold Token Creator on the next one in the chain.

import { CLOUD_PLATFORM_SCOPE, iamCredentialsBaseUrl, type Env } from './endpoints.js';
import { TokenFetchError } from './errors.js';
import { call, failure, jwtExpiry, requestTimeoutMs } from './lib/http.js';
import type { AccessTokenRequest, IdTokenRequest, Token, TokenSource } from './source.js';

export interface ImpersonatedSourceOptions {
  /** The service account to mint for (email or unique id). */
  targetServiceAccount: string;
  /** Delegation chain, emails (or `projects/-/serviceAccounts/EMAIL`), caller first. */
  delegates?: readonly string[];
  /** Who asks: a token source (its cloud-platform access token is used) or a fixed access token. */
  sourceCredentials: TokenSource | { readonly accessToken: string };
  /** IAM Credentials base URL. Default AUTHPLANE_URL, else https://iamcredentials.googleapis.com. */
  endpoint?: string;
  /** Access-token lifetime requested from generateAccessToken, seconds (≤ 3600). Default 3600. */
  lifetimeSec?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Each call's limit, milliseconds; 0 = none. Default 120,000 (Python google-auth's requests transport: Node's sets none). */
  timeoutMs?: number;
  env?: Env;
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
}

const delegateName = (d: string) => (d.startsWith('projects/') ? d : `projects/-/serviceAccounts/${d}`);

export function impersonatedSource(options: ImpersonatedSourceOptions): TokenSource {
  const target = options.targetServiceAccount;
  if (typeof target !== 'string' || target === '') throw new TypeError('impersonatedSource: targetServiceAccount is required');
  if (!options.sourceCredentials) throw new TypeError('impersonatedSource: sourceCredentials is required (a token source or { accessToken })');
  const lifetimeSec = options.lifetimeSec ?? 3600;
  if (!Number.isInteger(lifetimeSec) || lifetimeSec < 1 || lifetimeSec > 3600) throw new TypeError('impersonatedSource: lifetimeSec must be an integer from 1 to 3600');
  const base = iamCredentialsBaseUrl(options.endpoint, options.env);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = requestTimeoutMs('impersonatedSource', options.timeoutMs);
  const clock = options.clock ?? Date.now;
  const delegates = (options.delegates ?? []).map(delegateName);
  const creds = options.sourceCredentials;
  const sourceToken = async (signal?: AbortSignal) =>
    'accessToken' in creds && typeof creds.accessToken === 'string' ? creds.accessToken : (await (creds as TokenSource).accessToken([CLOUD_PLATFORM_SCOPE], signal ? { signal } : {})).token;

  const post = async (method: string, body: object, signal: AbortSignal | undefined) => {
    const url = `${base}/v1/projects/-/serviceAccounts/${encodeURIComponent(target)}:${method}`;
    const what = `${method} for ${target}`;
    const r = await call(
      fetchImpl,
      url,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${await sourceToken(signal)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      { unreachable: 'IMPERSONATION_FAILED', what, timeoutMs, signal },
    );
    if (r.status !== 200) throw failure('IMPERSONATION_FAILED', what, url, r);
    try {
      return { url, body: JSON.parse(r.text) as Record<string, unknown> };
    } catch {
      throw new TokenFetchError('INVALID_RESPONSE', `${what}: ${url} did not answer with JSON`, { endpoint: url, status: r.status });
    }
  };

  return {
    description: `IAM Credentials ${base} impersonating ${target}${delegates.length ? ` via ${delegates.length} delegate(s)` : ''}`,
    async idToken(audience: string, request: IdTokenRequest = {}): Promise<Token> {
      if (!audience) throw new TypeError('impersonatedSource: an audience is required');
      const { url, body } = await post('generateIdToken', { delegates, audience, includeEmail: request.includeEmail !== false }, request.signal);
      if (typeof body.token !== 'string') throw new TokenFetchError('INVALID_RESPONSE', `generateIdToken: ${url} answered without token`, { endpoint: url });
      return { token: body.token, expiresAt: jwtExpiry(body.token, clock() + 3600_000) };
    },
    async accessToken(scopes: readonly string[], request: AccessTokenRequest = {}): Promise<Token> {
      const scope = scopes.length ? [...scopes] : [CLOUD_PLATFORM_SCOPE];
      const { url, body } = await post('generateAccessToken', { delegates, scope, lifetime: `${lifetimeSec}s` }, request.signal);
      if (typeof body.accessToken !== 'string') throw new TokenFetchError('INVALID_RESPONSE', `generateAccessToken: ${url} answered without accessToken`, { endpoint: url });
      const exp = typeof body.expireTime === 'string' ? Date.parse(body.expireTime) : NaN;
      return { token: body.accessToken, expiresAt: Number.isFinite(exp) ? exp : clock() + lifetimeSec * 1000 };
    },
  };
}
