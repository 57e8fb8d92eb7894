// authplane/client's token cache: the shared TokenCache (src/lib/token-cache.ts) keyed per audience
// (and includeEmail) or per scope set.

import { TokenCache, type TokenCacheOptions } from '../lib/token-cache.js';
import { untilAborted } from '../lib/until-aborted.js';
import type { AccessTokenRequest, IdTokenRequest, TokenSource } from './source.js';

export { TokenCache, REFRESH_MARGIN_MS, type TokenCacheOptions } from '../lib/token-cache.js';

/**
 * `source` with its tokens cached per audience (and includeEmail) or per scope set. Concurrent callers share one
 * fetch, which is therefore not tied to any one caller's AbortSignal: a caller whose signal aborts stops waiting
 * (rejected with the signal's reason) while the fetch goes on for the others, within the source's own time limit.
 */
export function cachedSource(source: TokenSource, options: TokenCacheOptions = {}): TokenSource & { readonly cache: TokenCache } {
  const cache = new TokenCache(options);
  return {
    description: source.description,
    cache,
    idToken: (audience: string, request: IdTokenRequest = {}) =>
      untilAborted(
        cache.get(`id\n${request.includeEmail === false ? 0 : 1}\n${audience}`, () => source.idToken(audience, { includeEmail: request.includeEmail !== false })),
        request.signal,
      ),
    accessToken: (scopes: readonly string[], request: AccessTokenRequest = {}) => untilAborted(cache.get(`at\n${[...scopes].sort().join(' ')}`, () => source.accessToken(scopes)), request.signal),
  };
}
