// Which OAuth clients a user has already allowed, so the consent screen shows on first use only.
// Google remembers consent per account on its servers; authplane remembers it per browser, in a sealed
// cookie on the sign-in origin (the Store has no general key-value table to keep it server-side).
// docs/iap.md names the difference.

import { createHash } from 'node:crypto';
import { parseCookies, setCookie } from './cookies.js';
import { IAP_COOKIE_PREFIX } from './session.js';
import type { Sealer } from './seal.js';

const CONSENT_COOKIE = `${IAP_COOKIE_PREFIX}SIGNIN_CONSENT`;
const CONSENT_LIFETIME_S = 400 * 24 * 3600; // browsers cap cookies at 400 days
const MAX_GRANTS = 64;

const grantId = (email: string, clientId: string) => createHash('sha256').update(`${email}\n${clientId}`).digest('base64url').slice(0, 22);

export class ConsentCookie {
  constructor(private readonly sealer: Sealer) {}

  private grants(cookieHeader: string | string[] | undefined): string[] {
    const v = this.sealer.open<{ g?: unknown }>('consent', parseCookies(cookieHeader).get(CONSENT_COOKIE));
    return Array.isArray(v?.g) ? v.g.filter((x): x is string => typeof x === 'string') : [];
  }

  has(cookieHeader: string | string[] | undefined, email: string, clientId: string): boolean {
    return this.grants(cookieHeader).includes(grantId(email, clientId));
  }

  /** The Set-Cookie header that records `email`'s consent to `clientId`. */
  grant(cookieHeader: string | string[] | undefined, email: string, clientId: string, secure: boolean): string {
    const id = grantId(email, clientId);
    const g = [id, ...this.grants(cookieHeader).filter((x) => x !== id)].slice(0, MAX_GRANTS);
    return setCookie(CONSENT_COOKIE, this.sealer.seal('consent', { g }), { maxAgeSec: CONSENT_LIFETIME_S, secure });
  }
}
