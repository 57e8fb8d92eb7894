// Where the verifier gets public keys. The lookup is synchronous so a verification with keys at hand
// never waits; sources that fetch (remote.ts) load ahead through `ready()` and `refresh()`.

import { createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { KeyRing } from '../identity/keys.js';
import type { SigningKeyRecord } from '../store/store.js';

/** Signature algorithms the verifier implements. Anything else is refused as ALG_NOT_ALLOWED. */
export type VerifyAlgorithm = 'RS256' | 'ES256';

export const SUPPORTED_ALGORITHMS: readonly VerifyAlgorithm[] = ['RS256', 'ES256'];

export interface KeySource {
  /** Names the source in explanations ("authplane's key ring", a JWKS URL). */
  readonly name: string;
  /** The public key `kid` for `alg`, or undefined when this source has no such key for that algorithm. */
  key(kid: string, alg: VerifyAlgorithm): KeyObject | undefined;
  /**
   * For a kid this source does not trust but knows the owner of: that owner (a service account's email).
   * Lets the verifier say "signed by service account X's own key" (SELF_SIGNED_JWT) instead of KEY_UNKNOWN.
   */
  foreignOwner?(kid: string): string | undefined;
  /**
   * Sources that fetch: resolves once keys are loaded and fresh (per Cache-Control). Returns undefined
   * when nothing needs doing, so a verification with fresh keys stays synchronous.
   */
  ready?(): Promise<void> | undefined;
  /** Sources that fetch: reloads after an unknown kid (rate-limited by the source); true when keys changed. */
  refresh?(): Promise<boolean>;
}

/**
 * authplane's own signing keys, in process, of one owner: by default the platform's (`''`), whose RS256 keys
 * make Google ID tokens and ES256 keys IAP assertions; or one service account's (its email), whose keys sign
 * signJwt results and key-file JWTs. A key verifies while it is published (active or recently retired).
 * Keys of other owners are never trusted: a JWT a service account signed is not a Google ID token, whatever
 * its claims say.
 */
export function keyRingSource(ring: KeyRing, clock: () => number = Date.now, owner = ''): KeySource {
  return publicKeyRingSource(ring, clock, owner);
}

/** What keyRingSource reads of a key ring: identity's KeyRing, or a front-door worker's copy of its public keys. */
export interface PublicKeyRing {
  byId(kid: string): { readonly record: Pick<SigningKeyRecord, 'alg' | 'owner' | 'publishedUntil'>; readonly publicKey: KeyObject } | undefined;
  kids(): string[];
  reload(): Promise<void>;
}

/** keyRingSource over any PublicKeyRing (not part of the library's API). */
export function publicKeyRingSource(ring: PublicKeyRing, clock: () => number = Date.now, owner = ''): KeySource {
  let lastRefresh = 0;
  return {
    name: owner === '' ? "Google's ID-token and IAP keys (authplane's key ring)" : `the published keys of ${owner}`,
    key(kid, alg) {
      const k = ring.byId(kid);
      if (!k || k.record.alg !== alg || k.record.owner !== owner) return undefined;
      const until = k.record.publishedUntil;
      return until === null || until > clock() ? k.publicKey : undefined;
    },
    foreignOwner(kid) {
      const k = ring.byId(kid);
      return k !== undefined && k.record.owner !== owner && k.record.owner !== '' ? k.record.owner : undefined;
    },
    // Another process on the same store may have rotated: re-read the keys (at most once a second).
    async refresh() {
      if (clock() - lastRefresh < 1000) return false;
      lastRefresh = clock();
      const before = ring.kids().join();
      await ring.reload();
      return ring.kids().join() !== before;
    },
  };
}

/** A fixed set of keys (tests, pinned keys). */
export function staticKeySource(keys: ReadonlyMap<string, { alg: VerifyAlgorithm; key: KeyObject }>, name = 'static keys'): KeySource {
  return {
    name,
    key(kid, alg) {
      const k = keys.get(kid);
      return k && k.alg === alg ? k.key : undefined;
    },
  };
}

export interface ParsedKey {
  readonly alg: VerifyAlgorithm;
  readonly key: KeyObject;
}

/**
 * Parses a JWKS document (`{"keys":[…]}`, Google's /oauth2/v3/certs and IAP's public_key-jwk) or a PEM map
 * (`{"kid":"-----BEGIN CERTIFICATE-----…"}`, /oauth2/v1/certs and IAP's public_key). Keys of unsupported
 * types are skipped; a document that is neither shape throws TypeError.
 */
export function parseKeySet(doc: unknown): Map<string, ParsedKey> {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new TypeError('key set is not a JSON object');
  const out = new Map<string, ParsedKey>();
  const jwks = (doc as { keys?: unknown }).keys;
  if (Array.isArray(jwks)) {
    for (const jwk of jwks as (JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown })[]) {
      if (!jwk || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      const alg = jwkAlg(jwk);
      if (!alg) continue;
      try {
        out.set(jwk.kid, { alg, key: createPublicKey({ key: jwk, format: 'jwk' }) });
      } catch {
        // A key this runtime cannot import cannot verify anything: skip it, like jose does.
      }
    }
    return out;
  }
  for (const [kid, pem] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) continue;
    try {
      const key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
      const alg = keyAlg(key);
      if (alg) out.set(kid, { alg, key });
    } catch {
      // as above
    }
  }
  if (out.size === 0 && Object.keys(doc).length > 0) throw new TypeError('key set is neither a JWKS ({"keys":[…]}) nor a PEM map');
  return out;
}

function jwkAlg(jwk: JsonWebKey & { alg?: unknown }): VerifyAlgorithm | undefined {
  if (jwk.alg === 'RS256' || jwk.alg === 'ES256') return jwk.alg;
  if (jwk.alg !== undefined) return undefined;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  return undefined;
}

function keyAlg(key: KeyObject): VerifyAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}
