// The library's front: verify a Google ID token or an IAP assertion in production code, against Google's
// published keys by default and authplane's when AUTHPLANE_URL (or a URL option) says so. Same verifier,
// same refusal codes, evidence and remedies as authplane's front door; refusals are thrown as DenialError.

import { DenialError } from './denial.js';
import type { KeySource } from './keys.js';
import { RemoteKeySource, resolveKeyUrl } from './remote.js';
import { DEFAULT_CLOCK_SKEW_SEC, DEFAULT_MAX_LIFETIME_SEC, GOOGLE_ISSUERS, IAP_ISSUER, Verifier, type VerifiedToken, type VerifierOptions, type VerifyCall } from './verifier.js';
import type { AudienceOwnerLookup } from './audience.js';
import { SERVICE_ACCOUNT_JWT_MAX_LIFETIME_SEC, serviceAccountJwtDenial, serviceAccountJwtHorizonSec } from './service-account-jwt.js';

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

/** Key sources by URL and verifiers by URL and settings, per fetch function (globalThis.fetch unless given). */
const byFetch = new WeakMap<typeof globalThis.fetch, { sources: Map<string, RemoteKeySource>; verifiers: Map<string, Verifier> }>();
const verifiersByKeys = new WeakMap<KeySource, Map<string, Verifier>>();

/**
 * The shared Verifier for these settings: one per key URL and settings (and per custom `fetch`), so keys and
 * verified tokens are cached across calls.
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
  // A custom fetch gets key sources and verifiers of its own, kept as long as the function is.
  const fetchFn = options.fetch ?? globalThis.fetch;
  let cached = byFetch.get(fetchFn);
  if (!cached) byFetch.set(fetchFn, (cached = { sources: new Map(), verifiers: new Map() }));
  const key = `${url}\n${settingsKey}`;
  let v = cached.verifiers.get(key);
  if (!v) {
    let source = cached.sources.get(url);
    if (!source) cached.sources.set(url, (source = new RemoteKeySource({ url, ...(options.fetch ? { fetch: options.fetch } : {}) })));
    cached.verifiers.set(key, (v = new Verifier({ keys: source, ...settings })));
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
  /**
   * Longest `exp` − `iat` accepted, seconds. Default 3600, as IAP and Google's samples use. `clockSkewSec` more
   * is allowed on it, and on `exp` − now: signJwt fills in `exp` from Google's clock, the signer `iat` from its own.
   */
  maxLifetimeSec?: number;
}

/**
 * Verifies a JWT that the service account `options.serviceAccount` signed with its own key (IAM Credentials
 * signJwt, or a key file), in the form Google documents for IAP's programmatic access and Cloud Endpoints:
 * `iss` = `sub` = the account's email, `aud` one of `options.audience`, `exp` ≤ `iat` + 1 h (REFERENCE §12).
 * An explicit opt-in: such a JWT is never a Google ID token, and `verifyGoogleIdToken` refuses it
 * (SELF_SIGNED_JWT). Keys come from the account's published JWKS. Rejects with DenialError, KeySourceError or
 * TypeError as `verifyGoogleIdToken` does; another account's JWT is SELF_SIGNED_JWT with hint
 * `another-service-account`, any other issuer ISSUER_UNTRUSTED with hint `service-account-jwt`.
 */
export async function verifyServiceAccountJwt(token: string | undefined | null, options: VerifyServiceAccountJwtOptions): Promise<VerifiedToken> {
  const email = options?.serviceAccount;
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/.test(email)) {
    throw new TypeError('verifyServiceAccountJwt: options.serviceAccount must be a service account email (NAME@PROJECT.iam.gserviceaccount.com)');
  }
  const maxLifetimeSec = options.maxLifetimeSec ?? SERVICE_ACCOUNT_JWT_MAX_LIFETIME_SEC;
  const clockSkewSec = options.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC;
  const base = process.env['AUTHPLANE_URL'];
  const keysUrl = options.keysUrl ?? (base ? `${base.replace(/\/+$/, '')}/service_accounts/v1/jwk/${encodeURIComponent(email)}` : SERVICE_ACCOUNT_JWKS_URL + encodeURIComponent(email));
  const verifier = verifierFor('id-token', {
    issuers: [email],
    maxLifetimeSec: serviceAccountJwtHorizonSec(maxLifetimeSec, clockSkewSec),
    clockSkewSec,
    keysUrl,
    ...(options.keys ? { keys: options.keys } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const call = verifyCallOf({ audience: options.audience, ...(options.now !== undefined ? { now: options.now } : {}) }, 'verifyServiceAccountJwt: ');
  const result = await verifier.verifyAsync(token, call);
  if (!result.ok) throw new DenialError(result.denial);
  const denial = serviceAccountJwtDenial(result, { email, audiences: call.audiences, maxLifetimeSec, clockSkewSec, surface: 'library' });
  if (denial) throw new DenialError(denial);
  return result;
}
