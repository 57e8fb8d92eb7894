// What every framework adapter does: pick the credential, verify it, and either hand back the identity or
// Google's answer for the refusal. Adapters only translate their framework's request and response.

import { pickCredential, type CredentialHeader, type CredentialKind, type HeaderGetter } from '../credential.js';
import { deny, type Denial } from '../denial.js';
import { verifierFor, verifyCallOf, type VerifyTokenOptions } from '../google.js';
import { denialResponse, type DenialResponse } from '../response.js';
import type { VerifiedToken } from '../verifier.js';

export interface AuthOptions extends Omit<VerifyTokenOptions, 'now'> {
  /**
   * 'id-token' (default): `X-Serverless-Authorization`, else `Authorization: Bearer …`, like Cloud Run.
   * 'iap-assertion': IAP's `x-goog-iap-jwt-assertion`, for apps behind IAP.
   */
  credential?: CredentialKind;
}

/** What an adapter attaches to the request (`req.authplane`, `c.get('authplane')`). */
export interface AuthplaneIdentity extends VerifiedToken {
  /** The header the credential came from. */
  readonly credentialHeader: CredentialHeader;
}

export const IDENTITY_KEY = 'authplane';

export type AuthOutcome = { readonly ok: true; readonly identity: AuthplaneIdentity } | { readonly ok: false; readonly denial: Denial; readonly response: DenialResponse };

/** Checks options once, when the middleware is built (a caller's mistake is a TypeError, not a 500 later). */
export function authenticator(options: AuthOptions): (get: HeaderGetter, path: string) => Promise<AuthOutcome> {
  const call = verifyCallOf(options, 'authplane/verify middleware: ');
  const kind = options.credential ?? 'id-token';
  if (kind !== 'id-token' && kind !== 'iap-assertion') throw new TypeError(`authplane/verify middleware: unknown credential kind ${String(kind)}`);
  const verifier = verifierFor(kind === 'iap-assertion' ? 'iap' : 'id-token', options);
  const surface = call.surface ?? 'library';
  const { audiences } = call;
  return async (get, path) => {
    const cred = pickCredential(get, kind);
    if (!cred.ok) {
      const denial = deny(cred.code, surface, { ...cred.evidence, audiences, expectedAudience: audiences[0] });
      return { ok: false, denial, response: denialResponse(denial, { path }) };
    }
    const result = await verifier.verifyAsync(cred.token, call);
    if (!result.ok) return { ok: false, denial: result.denial, response: denialResponse(result.denial, { path }) };
    return { ok: true, identity: { ...result, credentialHeader: cred.header } };
  };
}
