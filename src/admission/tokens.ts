// The token checks an admission runs, through the one verifier (src/verify/): Google ID tokens, verified
// only with Google's ID-token keys; and, for IAP's programmatic access, JWTs a service account signed for
// itself, verified only with that account's own keys. Live checks use the key ring; offline checks (explain
// --offline, with no keys at hand) make every check but the signature.

import { publicKeyRingSource, staticKeySource, type KeySource, type PublicKeyRing } from '../verify/keys.js';
import { Verifier, type VerifyCall, type VerifyResult } from '../verify/verifier.js';

export interface TokenChecks {
  /** False when signatures cannot be checked (offline): an admission then says so instead of admitting. */
  readonly signaturesChecked: boolean;
  /** A Google ID token for `call` (synchronous when the keys are at hand, as on the hot path). */
  idToken(token: string, call: VerifyCall): VerifyResult | Promise<VerifyResult>;
  /** A JWT `email` signed with its own key, issuer = that email (IAP's service-account JWTs). */
  serviceAccountJwt(token: string, email: string, call: VerifyCall, maxLifetimeSec: number): Promise<VerifyResult>;
}

export interface LiveTokenChecksOptions {
  clock: () => number;
  /** Verified tokens remembered until they expire; 0 disables (see Verifier). */
  cacheSize?: number;
}

/** Checks against authplane's key ring (or a front-door worker's copy of its public keys), re-reading it (≤ 1/s) when a kid is unknown: another process may have rotated. */
export function liveTokenChecks(ring: PublicKeyRing, options: LiveTokenChecksOptions): TokenChecks {
  const { clock } = options;
  let lastReload = 0;
  const reloading = (source: KeySource): KeySource => ({
    name: source.name,
    key: (kid, alg) => source.key(kid, alg),
    foreignOwner: (kid) => source.foreignOwner?.(kid),
    async refresh() {
      if (clock() - lastReload < 1000) return false;
      lastReload = clock();
      const before = ring.kids().join();
      await ring.reload();
      return ring.kids().join() !== before;
    },
  });
  const google = new Verifier({ keys: reloading(publicKeyRingSource(ring, clock)), clock, surface: 'run', ...(options.cacheSize !== undefined ? { cacheSize: options.cacheSize } : {}) });
  const byAccount = new Map<string, Verifier>();
  const accountVerifier = (email: string, maxLifetimeSec: number): Verifier => {
    const key = `${email}\n${maxLifetimeSec}`;
    let v = byAccount.get(key);
    if (!v) {
      if (byAccount.size > 1000) byAccount.clear();
      v = new Verifier({ keys: reloading(publicKeyRingSource(ring, clock, email)), issuers: [email], clock, maxLifetimeSec, surface: 'iap' });
      byAccount.set(key, v);
    }
    return v;
  };
  return {
    signaturesChecked: true,
    idToken(token, call) {
      const r = google.verify(token, call);
      // A kid nobody here knows may come from a rotation by another process on the same store.
      if (!r.ok && r.denial.code === 'KEY_UNKNOWN') return google.retryWithFreshKeys(token, call, r);
      return r;
    },
    serviceAccountJwt(token, email, call, maxLifetimeSec) {
      return accountVerifier(email, maxLifetimeSec).verifyAsync(token, call);
    },
  };
}

/** Every check but the key and the signature: for `explain --offline`. Never admits a request on its own. */
export function offlineTokenChecks(clock: () => number): TokenChecks {
  const none = staticKeySource(new Map(), 'no keys (offline: the signature was not checked)');
  const google = new Verifier({ keys: none, clock, cacheSize: 0 });
  return {
    signaturesChecked: false,
    idToken: (token, call) => google.diagnoseUnsigned(token, call),
    async serviceAccountJwt(token, email, call, maxLifetimeSec) {
      return new Verifier({ keys: none, issuers: [email], clock, maxLifetimeSec, cacheSize: 0, surface: 'iap' }).diagnoseUnsigned(token, call);
    },
  };
}
