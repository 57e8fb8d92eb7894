// Where the sign-in round trip may send a browser. No open redirect: the OAuth redirect_uri must be the
// IAP callback on one of the origins of a service protected by that OAuth client, and the final hop
// after sign-in is a path on the same origin (never a URL).

import type { ServiceDirectory, ServiceEntry } from '../services/directory.js';

/** Where the sign-in page sends the browser back with a code, on the service's own origin. */
export const IAP_CALLBACK_PATH = '/_gcp_gatekeeper/authenticate';

const MAX_TARGET_LENGTH = 4096;

/** The service origins a browser may use (http://127.0.0.1:PORT, and the run.app URLs). */
export function serviceOrigins(service: ServiceEntry): string[] {
  return [service.urls.local, service.urls.deterministic, service.urls.hashed].filter((u): u is string => !!u).map((u) => new URL(u).origin);
}

export type RedirectCheck = { ok: true; service: ServiceEntry; redirectUri: string } | { ok: false; error: string; detail: string };

/** Checks an OAuth request from IAP: a known client ID and its registered redirect URI. */
export function checkRedirect(directory: ServiceDirectory, clientId: string | null, redirectUri: string | null): RedirectCheck {
  if (!clientId) return { ok: false, error: 'invalid_request', detail: 'Missing required parameter: client_id' };
  const clients = directory.all().filter((s) => s.config.iap.enabled && s.config.iap.oauthClientId === clientId);
  if (clients.length === 0) return { ok: false, error: 'invalid_client', detail: `The OAuth client was not found: ${clientId} is not the oauthClientId of any IAP-enabled service.` };
  if (!redirectUri) return { ok: false, error: 'invalid_request', detail: 'Missing required parameter: redirect_uri' };
  let u: URL;
  try {
    u = new URL(redirectUri);
  } catch {
    return { ok: false, error: 'redirect_uri_mismatch', detail: `redirect_uri ${redirectUri} is not a URL.` };
  }
  const service = clients.find((s) => serviceOrigins(s).includes(u.origin) || ((u.protocol === 'http:' || u.protocol === 'https:') && directory.lookup(u) === s));
  if (!service || u.pathname !== IAP_CALLBACK_PATH || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') {
    const registered = clients.flatMap((s) => serviceOrigins(s).map((o) => o + IAP_CALLBACK_PATH));
    return { ok: false, error: 'redirect_uri_mismatch', detail: `redirect_uri ${redirectUri} is not registered for ${clientId}; registered: ${registered.join(', ')}.` };
  }
  return { ok: true, service, redirectUri: u.origin + IAP_CALLBACK_PATH };
}

/** A path + query to return to after sign-in, or '/' when `target` is anything else (a URL, //host, \\host). */
export function safeTarget(target: string | undefined): string {
  if (!target || target.length > MAX_TARGET_LENGTH) return '/';
  if (!target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\') || /[\u0000-\u001f\\]/.test(target)) return '/';
  // Parsing against a dummy origin must keep it on that origin.
  try {
    const u = new URL(target, 'http://iap.invalid');
    return u.origin === 'http://iap.invalid' ? u.pathname + u.search : '/';
  } catch {
    return '/';
  }
}
