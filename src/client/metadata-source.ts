// Tokens of the identity the code runs as, from the metadata server (Cloud Run, Functions, GCE, GKE, or an
// authplane workload's metadata server). Found through GCE_METADATA_HOST / GCE_METADATA_IP, else
// metadata.google.internal.
//
//   ID token:     GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=AUD&format=full
//   access token: GET /computeMetadata/v1/instance/service-accounts/default/token[?scopes=…]
// Both with `Metadata-Flavor: Google`; a response without that header is not the metadata server.

import { metadataBaseUrl, type Env } from './endpoints.js';
import { TokenFetchError } from './errors.js';
import { call, failure, jwtExpiry } from './lib/http.js';
import type { AccessTokenRequest, IdTokenRequest, Token, TokenSource } from './source.js';

export interface MetadataSourceOptions {
  /** host[:port] or a base URL. Default GCE_METADATA_HOST, GCE_METADATA_IP, metadata.google.internal. */
  host?: string;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Per request, milliseconds. Default 3000. */
  timeoutMs?: number;
  /** Environment to read. Default process.env. */
  env?: Env;
  /** Epoch milliseconds (for expiry bookkeeping). Default Date.now. */
  clock?: () => number;
}

const PATH = '/computeMetadata/v1/instance/service-accounts/default/';

export function metadataServerSource(options: MetadataSourceOptions = {}): TokenSource {
  const base = metadataBaseUrl(options.host, options.env);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 3000;
  const clock = options.clock ?? Date.now;
  const description = `metadata server ${base}`;

  const get = async (url: string, signal: AbortSignal | undefined, what: string) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const r = await call(fetchImpl, url, { headers: { 'Metadata-Flavor': 'Google' }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout }, 'METADATA_UNREACHABLE', what);
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
