// The library's front: verify a Google ID token or an IAP assertion in production code, against Google's
// published keys by default and authplane's when AUTHPLANE_URL (or a URL option) says so. Same verifier,
// same refusal codes, evidence and remedies as authplane's front door; refusals are thrown as DenialError.

import { deny, DenialError } from './denial.js';
import type { KeySource } from './keys.js';
import { RemoteKeySource, resolveKeyUrl } from './remote.js';
import { DEFAULT_CLOCK_SKEW_SEC, DEFAULT_MAX_LIFETIME_SEC, GOOGLE_ISSUERS, IAP_ISSUER, Verifier, type VerifiedToken, type VerifierOptions, type VerifyCall } from './verifier.js';
import type { AudienceOwnerLookup } from './audience.js';

/** The Verifier's own options (documented there), with IAP's defaults for assertions. */
type SharedOptions = Pick<VerifierOptions, 'issuers' | 'algorithms' | 'clockSkewSec' | 'maxLifetimeSec' | 'requireEmail' | 'allowAudiencePath' | 'surface'>;

export interface VerifyTokenOptions extends SharedOptions {
  /** The audience(s) your service accepts: its URL(s) or custom audience(s). Required. */
  audience: string | readonly string[];
  /** Epoch milliseconds to verify at. Default now. */
  now?: number;
  audienceOwner?: AudienceOwnerLookup;
  /**
   * JWKS or PEM-map URL. Default: AUTHPLANE_JWKS_URL / AUTHPLANE_IAP_JWKS_URL, else AUTHPLANE_URL + authplane's
   * path, else Google's (https://www.googleapis.com/oauth2/v3/certs, https://www.gstatic.com/iap/verify/public_key-jwk).
   */
  keysUrl?: string;
  /** Keys to use instead of fetching (e.g. `keyRingSource`). */
  keys?: KeySource;
  /** fetch used for keys. Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
}

type Kind = 'id-token' | 'iap';

const sources = new Map<string, RemoteKeySource>();
const verifiers = new Map<string, Verifier>();
const verifiersByKeys = new WeakMap<KeySource, Map<string, Verifier>>();

/**
 * The shared Verifier for these settings: one per key URL and settings, so keys and verified tokens are
 * cached across calls. A custom `fetch` gets its own key source.
 */
export function verifierFor(kind: Kind, options: Omit<VerifyTokenOptions, 'audience'>): Verifier {
  const settings = {
    issuers: options.issuers ?? (kind === 'iap' ? [IAP_ISSUER] : GOOGLE_ISSUERS),
    algorithms: options.algorithms ?? (kind === 'iap' ? (['ES256'] as const) : (['RS256'] as const)),
    clockSkewSec: options.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC,
    maxLifetimeSec: options.maxLifetimeSec ?? DEFAULT_MAX_LIFETIME_SEC,
  };
  const settingsKey = JSON.stringify(settings);
  if (options.keys !== undefined) {
    let byKeys = verifiersByKeys.get(options.keys);
    if (!byKeys) verifiersByKeys.set(options.keys, (byKeys = new Map()));
    let v = byKeys.get(settingsKey);
    if (!v) byKeys.set(settingsKey, (v = new Verifier({ keys: options.keys, ...settings })));
    return v;
  }
  const url = resolveKeyUrl(kind, options.keysUrl);
  if (options.fetch !== undefined) {
    return new Verifier({ keys: new RemoteKeySource({ url, fetch: options.fetch }), ...settings });
  }
  const key = `${url}\n${settingsKey}`;
  let v = verifiers.get(key);
  if (!v) {
    let source = sources.get(url);
    if (!source) sources.set(url, (source = new RemoteKeySource({ url })));
    verifiers.set(key, (v = new Verifier({ keys: source, ...settings })));
  }
  return v;
}

/**
 * The per-call half of the options as a VerifyCall (fields set only when given), checked: a caller's
 * mistake is a TypeError. `who` prefixes the messages ('' for the library functions).
 */
export function verifyCallOf(options: VerifyTokenOptions, who = ''): VerifyCall {
  if (!options || options.audience === undefined) throw new TypeError(`${who}options.audience is required: the audience(s) your service accepts`);
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
    throw new TypeError(`${who}options.audience must be a non-empty string or a non-empty list of them`);
  }
  return {
    audiences: [...audiences], // a copy: the caller's list may change after a middleware is built
    ...(options.requireEmail !== undefined && { requireEmail: options.requireEmail }),
    ...(options.allowAudiencePath !== undefined && { allowAudiencePath: options.allowAudiencePath }),
    ...(options.surface !== undefined && { surface: options.surface }),
    ...(options.now !== undefined && { now: options.now }),
    ...(options.audienceOwner !== undefined && { audienceOwner: options.audienceOwner }),
  };
}

async function verifyKind(kind: Kind, token: string | undefined | null, options: VerifyTokenOptions): Promise<VerifiedToken> {
  const call = verifyCallOf(options);
  const result = await verifierFor(kind, options).verifyAsync(token, call);
  if (!result.ok) throw new DenialError(result.denial);
  return result;
}

/**
 * Verifies a Google-signed OpenID Connect ID token (the bare JWT, without "Bearer ") for a service
 * accepting `options.audience`. Resolves to the verified token; rejects with DenialError (a refusal, with
 * code, evidence and remedy), KeySourceError (keys could not be fetched) or TypeError (bad options).
 */
export function verifyGoogleIdToken(token: string | undefined | null, options: VerifyTokenOptions): Promise<VerifiedToken> {
  return verifyKind('id-token', token, options);
}

/**
 * Verifies IAP's signed header `x-goog-iap-jwt-assertion` (ES256, iss https://cloud.google.com/iap) for
 * `options.audience`: `/projects/NUMBER/global/backendServices/ID`, `/projects/NUMBER/apps/PROJECT_ID` or
 * `/projects/NUMBER/locations/REGION/services/SERVICE`.
 */
export function verifyIapAssertion(assertion: string | undefined | null, options: VerifyTokenOptions): Promise<VerifiedToken> {
  return verifyKind('iap', assertion, options);
}

/** Where Google publishes a service account's own public keys (JWKS): what signJwt and its key files sign with. */
export const SERVICE_ACCOUNT_JWKS_URL = 'https://www.googleapis.com/service_accounts/v1/jwk/';

export interface VerifyServiceAccountJwtOptions extends Pick<VerifyTokenOptions, 'audience' | 'now' | 'clockSkewSec' | 'fetch' | 'keys'> {
  /** The one service account whose own JWTs you trust (its email): `iss` and `sub` must both be it. Required. */
  serviceAccount: string;
  /**
   * The account's JWKS. Default: `AUTHPLANE_URL` + `/service_accounts/v1/jwk/EMAIL` when set, else
   * https://www.googleapis.com/service_accounts/v1/jwk/EMAIL.
   */
  keysUrl?: string;
  /** Longest `exp` − `iat` accepted, seconds. Default 3600, as IAP and Google's samples use. */
  maxLifetimeSec?: number;
}

/**
 * Verifies a JWT that the service account `options.serviceAccount` signed with its own key (IAM Credentials
 * signJwt, or a key file), in the form Google documents for IAP's programmatic access and Cloud Endpoints:
 * `iss` = `sub` = the account's email, `aud` one of `options.audience`, `exp` ≤ `iat` + 1 h (REFERENCE §12).
 * An explicit opt-in: such a JWT is never a Google ID token, and `verifyGoogleIdToken` refuses it
 * (SELF_SIGNED_JWT). Keys come from the account's published JWKS. Rejects with DenialError, KeySourceError or
 * TypeError as `verifyGoogleIdToken` does.
 */
export async function verifyServiceAccountJwt(token: string | undefined | null, options: VerifyServiceAccountJwtOptions): Promise<VerifiedToken> {
  const email = options?.serviceAccount;
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/.test(email)) {
    throw new TypeError('verifyServiceAccountJwt: options.serviceAccount must be a service account email (NAME@PROJECT.iam.gserviceaccount.com)');
  }
  const maxLifetimeSec = options.maxLifetimeSec ?? 3600;
  const base = process.env['AUTHPLANE_URL'];
  const keysUrl = options.keysUrl ?? (base ? `${base.replace(/\/+$/, '')}/service_accounts/v1/jwk/${encodeURIComponent(email)}` : SERVICE_ACCOUNT_JWKS_URL + encodeURIComponent(email));
  // The verifier's lifetime bound is on exp − now; the extra second admits a just-minted hour-long JWT.
  const verifier = verifierFor('id-token', { issuers: [email], maxLifetimeSec: maxLifetimeSec + 1, keysUrl, ...(options.keys ? { keys: options.keys } : {}), ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.clockSkewSec !== undefined ? { clockSkewSec: options.clockSkewSec } : {}) });
  const call = verifyCallOf({ audience: options.audience, ...(options.now !== undefined ? { now: options.now } : {}) }, 'verifyServiceAccountJwt: ');
  const result = await verifier.verifyAsync(token, call);
  if (!result.ok) throw new DenialError(result.denial);
  const { claims } = result;
  const evidence = { iss: claims.iss, sub: claims.sub, iat: claims.iat, exp: claims.exp, audiences: call.audiences, expectedAudience: call.audiences[0] };
  if (claims.sub !== email) throw new DenialError(deny('TOKEN_MALFORMED', 'library', { ...evidence, reason: `a service account's own JWT has sub = iss = ${email}; its sub is ${claims.sub}` }));
  if (claims.exp - claims.iat > maxLifetimeSec) {
    throw new DenialError(deny('TOKEN_MALFORMED', 'library', { ...evidence, reason: `its exp is ${claims.exp - claims.iat} s after iat; at most ${maxLifetimeSec} s is accepted` }));
  }
  return result;
}
