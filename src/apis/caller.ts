// Who is calling an API: the principal behind an authplane access token, or the configured
// default principal when the request carries no credentials (so a developer's script works out of
// the box), or UNAUTHENTICATED.

import type { IncomingHttpHeaders } from 'node:http';
import type { Platform } from '../platform.js';
import { unauthenticated } from './errors.js';

/** The IAM member (`user:…` / `serviceAccount:…`) making the call. */
export async function callerOf(platform: Platform, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Promise<string> {
  const auth = headers['authorization'];
  const value = Array.isArray(auth) ? auth[0] : auth;
  if (!value) {
    if (platform.config.defaultPrincipal) return platform.config.defaultPrincipal;
    throw unauthenticated();
  }
  const m = /^Bearer\s+(\S+)$/i.exec(value);
  if (!m) throw unauthenticated();
  const rec = await platform.identity.resolveAccessToken(m[1]!);
  if (!rec) throw unauthenticated();
  return rec.principal;
}
