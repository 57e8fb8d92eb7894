// Which audience to mint an ID token with for a URL, by Google's rules, and whether the target would refuse it.
//
//   run.app (deterministic or hash-style) and any other URL  → the URL's origin: https://host[:port]
//   https://REGION-PROJECT.cloudfunctions.net/FUNCTION/…      → the function's URL (origin + first segment)
//   an audience given by the caller                           → used as given, checked for the classic mistakes
//
// Google's samples: "Cloud Run uses your service's hostname as the audience"; "for Cloud Functions, endpoint and
// audience should be equal". A sub-path under a function keeps the function's URL as the audience, since that is
// the URL the function answers on (docs/client.md).

import { AudienceWarning } from './errors.js';

export type AudienceRule = 'custom' | 'origin' | 'function-url';

export interface DerivedAudience {
  readonly audience: string;
  readonly rule: AudienceRule;
  /** Reasons the target would refuse `audience`; empty when it looks right. */
  readonly warnings: readonly AudienceWarning[];
}

const isFunctionsHost = (host: string) => host.endsWith('.cloudfunctions.net');
const isRunHost = (host: string) => host.endsWith('.run.app');
const hasExplicitPort = (s: string) => /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:\d+/i.test(s);

function parseTarget(url: string | URL): URL {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new TypeError(`authplane/client: ${String(url)} is not an absolute URL; give the full URL you call (https://SERVICE-NUMBER.REGION.run.app/path)`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError(`authplane/client: ${u.href} is not an http(s) URL`);
  return u;
}

/** The host an audience without a scheme would name (`host`, `host:443`, `host/path`), lower-case; undefined when none. */
function hostOf(audience: string): string | undefined {
  try {
    return new URL(`https://${audience}`).hostname;
  } catch {
    return undefined;
  }
}

/** The function's URL for a cloudfunctions.net URL: origin plus the first path segment. */
function functionUrl(u: URL): string {
  const first = u.pathname.split('/').find((s) => s !== '');
  return first ? `${u.origin}/${first}` : u.origin;
}

/** The audience Google's rules derive from `url` (no custom audience). */
export function audienceForUrl(url: string | URL): string {
  const u = parseTarget(url);
  return isFunctionsHost(u.hostname) ? functionUrl(u) : u.origin;
}

/**
 * The audience for a call to `url`: `audience` when given, else derived by Google's rules; with warnings when
 * the target would refuse it.
 */
export function deriveAudience(url: string | URL, audience?: string): DerivedAudience {
  const u = parseTarget(url);
  if (audience === undefined || audience === '') {
    return isFunctionsHost(u.hostname)
      ? { audience: functionUrl(u), rule: 'function-url', warnings: [] }
      : { audience: u.origin, rule: 'origin', warnings: [] };
  }
  if (typeof audience !== 'string') throw new TypeError('authplane/client: audience must be a string');
  return { audience, rule: 'custom', warnings: checkAudience(u, audience) };
}

/** The mistakes in `audience` for a call to `u` that Cloud Run would answer with 401. */
function checkAudience(u: URL, audience: string): AudienceWarning[] {
  const href = u.href;
  const expected = isFunctionsHost(u.hostname) ? functionUrl(u) : u.origin;
  const warn = (code: AudienceWarning['code'], hint: AudienceWarning['hint'], message: string, suggested = expected) =>
    new AudienceWarning(code, `${message} Use ${suggested} as the audience (or list ${audience} in the service's custom audiences).`, href, audience, hint, suggested);

  if (!audience.includes('://')) {
    // The classic slip is the target's own host without the scheme (often as host:443). Anything else without a
    // scheme is a custom audience the service may list: an IAP OAuth client ID, a name of the owner's choosing.
    return hostOf(audience) === u.hostname ? [warn('AUDIENCE_NO_SCHEME', 'scheme', `The audience ${audience} has no https:// scheme; an audience is a whole URL, compared as a string.`)] : [];
  }
  let a: URL;
  try {
    a = new URL(audience);
  } catch {
    return [warn('AUDIENCE_NO_SCHEME', 'other', `The audience ${audience} is not a URL.`)];
  }
  const out: AudienceWarning[] = [];
  const wellKnown = isRunHost(a.hostname) || isFunctionsHost(a.hostname);
  if (isFunctionsHost(u.hostname) !== isFunctionsHost(a.hostname) && (isRunHost(u.hostname) || isRunHost(a.hostname))) {
    out.push(
      warn(
        'AUDIENCE_URL_FAMILY',
        'functions-vs-run',
        `The call goes to ${u.host} but the audience ${audience} is a ${isFunctionsHost(a.hostname) ? 'cloudfunctions.net' : 'run.app'} URL: the audience must be the URL you call (a cloudfunctions.net URL as a whole, a run.app URL's origin).`,
      ),
    );
    return out;
  }
  if (wellKnown && hasExplicitPort(audience)) {
    out.push(warn('AUDIENCE_HAS_PORT', 'port', `The audience ${audience} names a port; ${a.hostname}'s URL has none and audiences are compared as strings.`));
  }
  if (a.search !== '' || a.hash !== '') {
    out.push(warn('AUDIENCE_HAS_QUERY', 'query', `The audience ${audience} carries a query or fragment.`));
  }
  if (isFunctionsHost(a.hostname)) {
    if (a.hostname === u.hostname && audience.replace(/\/+$/, '') !== expected && a.search === '') {
      out.push(warn('AUDIENCE_HAS_PATH', 'path', `Calls to ${u.host} need the function's URL ${expected} as the audience, not ${audience}.`));
    }
  } else if (a.pathname !== '/' && a.search === '' && (isRunHost(a.hostname) || a.origin === u.origin)) {
    // run.app: always refused (Google compares with the service URL); other hosts: refused unless it is a custom audience.
    out.push(
      warn(
        'AUDIENCE_HAS_PATH',
        'path',
        `The audience ${audience} carries the path ${a.pathname}; Cloud Run compares the audience with the service URL as a whole, so a path makes it a different audience.`,
        a.origin,
      ),
    );
  }
  return out;
}
