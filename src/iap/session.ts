// IAP's browser session: after sign-in, a cookie named like Google's (GCP_IAP_AUTH_TOKEN_…) holds a
// sealed record of who signed in, for which OAuth client and service, and until when. It is opaque to
// the browser and the app (AES-GCM, see seal.ts) and valid on every authplane process sharing the store.
//
// Browsers do not isolate cookies by port, so every front door on 127.0.0.1 receives every IAP cookie:
// the names carry a hash of client ID + service, and a session only counts for the service it names.

import { createHash, randomBytes } from 'node:crypto';
import { clearCookie, parseCookies, setCookie } from './cookies.js';
import type { Sealer } from './seal.js';

/** How long a browser session lasts before IAP signs the user in again (Google's default: 1 hour). */
const SESSION_LIFETIME_S = 3600;
/** How long a sign-in round trip may take (the XSRF nonce cookie's lifetime). */
export const SIGNIN_WINDOW_S = 600;

/** Every IAP cookie starts with this; IAP removes them from the request it passes to the app. */
export const IAP_COOKIE_PREFIX = 'GCP_IAP_';

export interface IapSession {
  /** The signed-in user's email. */
  email: string;
  /** The user's numeric account id. */
  userId: string;
  clientId: string;
  service: string;
  /** Epoch seconds. */
  iat: number;
  exp: number;
}

/** What the sign-in round trip carries in `state`: which XSRF cookie proves it is this browser's, and where to return. */
export interface SigninState {
  /** Suffix of the XSRF nonce cookie's name. */
  id: string;
  /** The nonce that cookie must hold. */
  nonce: string;
  service: string;
  /** Path + query on the service to return to (always relative: no open redirect). */
  target: string;
}

const suffix = (clientId: string, service: string) =>
  createHash('sha256').update(`${clientId}/${service}`).digest('hex').slice(0, 16).toUpperCase();

export function sessionCookieName(clientId: string, service: string): string {
  return `${IAP_COOKIE_PREFIX}AUTH_TOKEN_${suffix(clientId, service)}`;
}

export function xsrfCookieName(id: string): string {
  return `${IAP_COOKIE_PREFIX}XSRF_NONCE_${id}`;
}

export type SessionLookup =
  | { kind: 'none' }
  | { kind: 'valid'; session: IapSession }
  | { kind: 'expired'; session: IapSession }
  /** A cookie of that name that this emulator did not seal (another emulator's, or altered). */
  | { kind: 'invalid' };

export class SessionCookies {
  constructor(
    private readonly sealer: Sealer,
    private readonly clock: () => number,
  ) {}

  read(cookieHeader: string | string[] | undefined, clientId: string, service: string): SessionLookup {
    const raw = parseCookies(cookieHeader).get(sessionCookieName(clientId, service));
    if (raw === undefined || raw === '') return { kind: 'none' };
    const session = this.sealer.open<IapSession>('session', raw);
    if (!session || session.clientId !== clientId || session.service !== service || typeof session.email !== 'string') return { kind: 'invalid' };
    return session.exp > this.clock() / 1000 ? { kind: 'valid', session } : { kind: 'expired', session };
  }

  /** A new session for `email`, and its Set-Cookie header. */
  issue(email: string, userId: string, clientId: string, service: string, secure: boolean): { session: IapSession; setCookie: string } {
    const iat = Math.floor(this.clock() / 1000);
    const session: IapSession = { email, userId, clientId, service, iat, exp: iat + SESSION_LIFETIME_S };
    return { session, setCookie: setCookie(sessionCookieName(clientId, service), this.sealer.seal('session', session), { maxAgeSec: SESSION_LIFETIME_S, secure }) };
  }

  clear(clientId: string, service: string, secure: boolean): string {
    return clearCookie(sessionCookieName(clientId, service), secure);
  }

  /** Starts a sign-in round trip: the sealed `state` parameter and the XSRF nonce cookie that goes with it. */
  beginSignin(service: string, target: string, secure: boolean): { state: string; setCookie: string } {
    const s: SigninState = { id: randomBytes(6).toString('hex').toUpperCase(), nonce: randomBytes(16).toString('base64url'), service, target };
    return { state: this.sealer.seal('xsrf', s), setCookie: setCookie(xsrfCookieName(s.id), s.nonce, { maxAgeSec: SIGNIN_WINDOW_S, secure }) };
  }

  /** The round trip's state when this browser holds its XSRF nonce; undefined otherwise (forged or replayed elsewhere). */
  finishSignin(state: string | undefined, cookieHeader: string | string[] | undefined, service: string): SigninState | undefined {
    const s = this.sealer.open<SigninState>('xsrf', state);
    if (!s || s.service !== service || !/^[0-9A-F]{12}$/.test(s.id)) return undefined;
    return parseCookies(cookieHeader).get(xsrfCookieName(s.id)) === s.nonce ? s : undefined;
  }
}
