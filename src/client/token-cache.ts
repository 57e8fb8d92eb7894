// authplane/client's token cache: the shared TokenCache (src/lib/token-cache.ts) keyed per audience
// (and includeEmail) or per scope set.

import { TokenCache, type TokenCacheOptions } from '../lib/token-cache.js';
import type { AccessTokenRequest, IdTokenRequest, TokenSource } from './source.js';

export { TokenCache, REFRESH_MARGIN_MS, type TokenCacheOptions } from '../lib/token-cache.js';

/** `source` with its tokens cached per audience (and includeEmail) or per scope set. */
export function cachedSource(source: TokenSource, options: TokenCacheOptions = {}): TokenSource & { readonly cache: TokenCache } {
  const cache = new TokenCache(options);
  return {
    description: source.description,
    cache,
    idToken: (audience: string, request: IdTokenRequest = {}) =>
      // The shared fetch is not tied to one caller's AbortSignal: another caller may still want it.
      cache.get(`id\n${request.includeEmail === false ? 0 : 1}\n${audience}`, () => source.idToken(audience, { includeEmail: request.includeEmail !== false })),
    accessToken: (scopes: readonly string[], _request?: AccessTokenRequest) =>
      cache.get(`at\n${[...scopes].sort().join(' ')}`, () => source.accessToken(scopes)),
  };
}
