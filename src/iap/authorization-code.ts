// The authorization code the sign-in page hands back to IAP through the browser. Sealed (see seal.ts),
// short-lived and bound to the OAuth client, the service, the redirect URI and the round trip's `state`,
// so it is useless anywhere but in the browser that started that sign-in.

import { createHash } from 'node:crypto';
import type { Sealer } from './seal.js';

/** Google's codes are valid for minutes; two is plenty for a redirect. */
const CODE_LIFETIME_S = 120;

export interface AuthorizationCode {
  email: string;
  userId: string;
  clientId: string;
  service: string;
  redirectUri: string;
  stateHash: string;
  /** Epoch seconds. */
  exp: number;
}

const hashState = (state: string) => createHash('sha256').update(state).digest('base64url');

export function issueCode(sealer: Sealer, c: Omit<AuthorizationCode, 'stateHash' | 'exp'>, state: string, nowMs: number): string {
  return sealer.seal('code', { ...c, stateHash: hashState(state), exp: Math.floor(nowMs / 1000) + CODE_LIFETIME_S } satisfies AuthorizationCode);
}

export type CodeCheck = { ok: true; code: AuthorizationCode } | { ok: false; reason: string };

export function redeemCode(sealer: Sealer, raw: string | undefined, expect: { clientId: string; service: string; state: string }, nowMs: number): CodeCheck {
  const code = sealer.open<AuthorizationCode>('code', raw);
  if (!code) return { ok: false, reason: 'The sign-in response carried no valid authorization code.' };
  if (code.clientId !== expect.clientId || code.service !== expect.service) return { ok: false, reason: 'The authorization code was issued for another application.' };
  if (code.stateHash !== hashState(expect.state)) return { ok: false, reason: 'The authorization code belongs to another sign-in.' };
  if (code.exp <= nowMs / 1000) return { ok: false, reason: 'The authorization code has expired; sign in again.' };
  return { ok: true, code };
}
