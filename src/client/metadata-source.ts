// Tokens of the identity the code runs as, from the metadata server (Cloud Run, Functions, GCE, GKE, or an
// authplane workload's metadata server). Found through GCE_METADATA_IP / GCE_METADATA_HOST, else
// metadata.google.internal.
//
//   ID token:     GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=AUD&format=full
//   access token: GET /computeMetadata/v1/instance/service-accounts/default/token[?scopes=…]
// Both with `Metadata-Flavor: Google`; a response without that header is not the metadata server. As Node's
// gcp-metadata asks (8.x, index.js metadataAccessor and requestTimeout, through gaxios's retry.js): no answer, 408,
// 429 and 5xx are tried again up to 3 times after 100, 500 and 1,500 ms, and each request may take 3 s except on
// Google Cloud, where it waits as long as the server takes.

import { metadataBaseUrl, type Env } from './endpoints.js';
import { TokenFetchError } from './errors.js';
import { onGoogleCloud } from './gcp-residency.js';
import { call, failure, jwtExpiry, pause, type CallResult } from './lib/http.js';
import type { AccessTokenRequest, IdTokenRequest, Token, TokenSource } from './source.js';

export interface MetadataSourceOptions {
  /** host[:port] or a base URL. Default GCE_METADATA_IP, GCE_METADATA_HOST, metadata.google.internal. */
  host?: string;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Per request, milliseconds; 0 = none. Default 3000, or none on Google Cloud (gcp-metadata's rule; see gcp-residency.ts). */
  timeoutMs?: number;
  /** Tries again after no answer, 408, 429 or 5xx, this many times. Default 3 (gcp-metadata). */
  retries?: number;
  /** Environment to read. Default process.env. */
  env?: Env;
  /** Epoch milliseconds (for expiry bookkeeping). Default Date.now. */
  clock?: () => number;
}

const PATH = '/computeMetadata/v1/instance/service-accounts/default/';

/** gaxios's statusCodesToRetry: 1xx, 408, 429, 5xx. */
const RETRIED_STATUS = (s: number): boolean => (s >= 100 && s < 200) || s === 408 || s === 429 || (s >= 500 && s < 600);

/** gaxios's getNextRetryDelay with its defaults (retryDelay 100 ms the first time, multiplier 2): 100, 500, 1,500 ms, … */
const retryDelayMs = (attempt: number): number => (attempt === 0 ? 100 : 0) + ((2 ** attempt - 1) / 2) * 1000;

export function metadataServerSource(options: MetadataSourceOptions = {}): TokenSource {
  const base = metadataBaseUrl(options.host, options.env);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? (onGoogleCloud(env) ? 0 : 3000);
  const retries = options.retries ?? 3;
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 0)) throw new TypeError(`metadataServerSource: timeoutMs must be an integer ≥ 0, got ${String(options.timeoutMs)}`);
  if (!(Number.isInteger(retries) && retries >= 0)) throw new TypeError(`metadataServerSource: retries must be an integer ≥ 0, got ${String(options.retries)}`);
  const clock = options.clock ?? Date.now;
  const description = `metadata server ${base}`;

  const get = async (url: string, signal: AbortSignal | undefined, what: string) => {
    let r: CallResult;
    for (let attempt = 0; ; attempt++) {
      const again = attempt < retries;
      try {
        r = await call(fetchImpl, url, { headers: { 'Metadata-Flavor': 'Google' } }, { unreachable: 'METADATA_UNREACHABLE', what, timeoutMs, signal });
      } catch (e) {
        if (!again || !(e instanceof TokenFetchError)) throw e;
        await pause(retryDelayMs(attempt), signal);
        continue;
      }
      if (!again || !RETRIED_STATUS(r.status)) break;
      await pause(retryDelayMs(attempt), signal);
    }
    if (r.status !== 200) throw failure('METADATA_REFUSED', what, url, r);
    if (r.headers.get('metadata-flavor') !== 'Google') {
      throw new TokenFetchError('INVALID_RESPONSE', `${what}: ${url} answered without "Metadata-Flavor: Google", so it is not a metadata server (check GCE_METADATA_HOST)`, { endpoint: url, status: r.status });
    }
    return r.text;
  };

  return {
    description,
    async idToken(audience: string, request: IdTokenRequest = {}): Promise<Token> {
      if (!audience) throw new TypeError('metadataServerSource: an audience is required');
      // format=full, as google-auth-library asks: the token carries email and email_verified.
      const url = `${base}${PATH}identity?audience=${encodeURIComponent(audience)}&format=full`;
      const token = (await get(url, request.signal, 'ID token from the metadata server')).trim();
      if (token.split('.').length !== 3) throw new TokenFetchError('INVALID_RESPONSE', `ID token from the metadata server: ${url} did not answer with a JWT`, { endpoint: url });
      return { token, expiresAt: jwtExpiry(token, clock() + 3600_000) };
    },
    async accessToken(scopes: readonly string[], request: AccessTokenRequest = {}): Promise<Token> {
      const url = `${base}${PATH}token${scopes.length ? `?scopes=${encodeURIComponent(scopes.join(','))}` : ''}`;
      const text = await get(url, request.signal, 'access token from the metadata server');
      let body: { access_token?: unknown; expires_in?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = {};
      }
      if (typeof body.access_token !== 'string') throw new TokenFetchError('INVALID_RESPONSE', `access token from the metadata server: ${url} answered without access_token`, { endpoint: url });
      return { token: body.access_token, expiresAt: clock() + (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000 };
    },
  };
}
