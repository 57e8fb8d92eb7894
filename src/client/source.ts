// A token source: somewhere an identity's ID and access tokens come from (metadata server, IAM Credentials
// impersonation, a key file). Sources fetch; caching is `cachedSource`'s job, so every source gets the same
// early refresh and shared in-flight fetches.

export type { Token } from '../lib/token-cache.js';
import type { Token } from '../lib/token-cache.js';

export interface IdTokenRequest {
  /** Add the `email` and `email_verified` claims (IAP needs them). Sources that always add them ignore false. */
  readonly includeEmail?: boolean;
  /** Aborting it rejects the call with its reason. */
  readonly signal?: AbortSignal;
}

export interface AccessTokenRequest {
  /** Aborting it rejects the call with its reason. */
  readonly signal?: AbortSignal;
}

export interface TokenSource {
  /** For messages: where tokens come from, e.g. "metadata server http://metadata.google.internal". */
  readonly description: string;
  /** A Google-signed OpenID Connect ID token for `audience`. */
  idToken(audience: string, request?: IdTokenRequest): Promise<Token>;
  /** An OAuth access token for `scopes` (used as source credentials for impersonation). */
  accessToken(scopes: readonly string[], request?: AccessTokenRequest): Promise<Token>;
}
