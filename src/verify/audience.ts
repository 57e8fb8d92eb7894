// Audience matching (hot path) and, when it fails, the diagnosis a person would make (slow path).
//
// Rule (REFERENCE §1): `aud` must equal one accepted audience as a string. Google's samples add a trailing
// slash to the service URL, so for a root URL `https://x.run.app` and `https://x.run.app/` are the same.
// An audience that carries a path is refused unless `allowAudiencePath` is set: Google never documents
// that case, but its samples derive the audience from the origin and a reported case failed with a path.

import type { AudienceHint, Evidence } from './denial.js';
import type { Surface } from './codes.js';

/** True when `s` is `scheme://authority/` — a root URL with its trailing slash. */
function isRootWithSlash(s: string): boolean {
  if (s.charCodeAt(s.length - 1) !== 47 /* / */) return false;
  const scheme = s.indexOf('://');
  return scheme > 0 && s.indexOf('/', scheme + 3) === s.length - 1;
}

function isRootWithoutSlash(s: string): boolean {
  const scheme = s.indexOf('://');
  return scheme > 0 && s.indexOf('/', scheme + 3) === -1 && s.indexOf('?', scheme + 3) === -1 && s.indexOf('#', scheme + 3) === -1;
}

function matchOne(aud: string, audiences: readonly string[], allowPath: boolean): boolean {
  for (let i = 0; i < audiences.length; i++) if (audiences[i] === aud) return true;
  // Trailing-slash tolerance, for root URLs only.
  if (isRootWithSlash(aud)) {
    const bare = aud.slice(0, -1);
    for (let i = 0; i < audiences.length; i++) if (audiences[i] === bare) return true;
  } else if (isRootWithoutSlash(aud)) {
    const slashed = `${aud}/`;
    for (let i = 0; i < audiences.length; i++) if (audiences[i] === slashed) return true;
  }
  if (allowPath) {
    const u = parseUrl(aud);
    if (u && u.pathname !== '/' && !hasExplicitPort(aud)) {
      const origin = u.origin;
      for (let i = 0; i < audiences.length; i++) {
        const a = audiences[i]!;
        if (a === origin || a === `${origin}/`) return true;
      }
    }
  }
  return false;
}

/** Whether the `aud` claim names an accepted audience. Only a string can: Google issues one audience per token. */
export function audienceMatches(aud: unknown, audiences: readonly string[], allowPath: boolean): boolean {
  return typeof aud === 'string' && matchOne(aud, audiences, allowPath);
}

/** Says which service an audience belongs to, when the caller knows (the front door knows every service's URLs). */
export type AudienceOwnerLookup = (aud: string) => string | undefined;

export interface AudienceDiagnosis {
  hint: AudienceHint;
  /** The audience the caller should have used. */
  expectedAudience: string | undefined;
  audiencePath?: string;
  audienceOwner?: string;
}

function parseUrl(s: string): URL | undefined {
  if (!s.includes('://')) return undefined;
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

function hasExplicitPort(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:\d+/i.test(s);
}

function isRootUrl(u: URL): boolean {
  return u.pathname === '/' && u.search === '' && u.hash === '';
}

const family = (host: string): 'functions' | 'run' | undefined =>
  host.endsWith('.cloudfunctions.net') ? 'functions' : host.endsWith('.run.app') ? 'run' : undefined;

/** Why `aud` is not accepted, and what it should have been. Only called on refusal. */
export function diagnoseAudience(
  aud: unknown,
  audiences: readonly string[],
  surface: Surface,
  audienceOwner?: AudienceOwnerLookup,
): AudienceDiagnosis {
  const first = audiences[0];
  const claimed = typeof aud === 'string' ? aud : Array.isArray(aud) ? aud.find((a): a is string => typeof a === 'string') : undefined;
  if (claimed === undefined || claimed === '') return { hint: 'missing', expectedAudience: first };

  const accepted = audiences.map((a) => ({ a, u: parseUrl(a) }));
  const roots = accepted.filter((x): x is { a: string; u: URL } => x.u !== undefined && isRootUrl(x.u));

  // No scheme: "update-123.us-central1.run.app" or "update-123.us-central1.run.app:443".
  if (!claimed.includes('://')) {
    const u = parseUrl(`https://${claimed}`);
    const hit = u && roots.find((r) => r.u.hostname === u.hostname);
    if (hit) return { hint: 'scheme', expectedAudience: hit.a };
  }

  const u = parseUrl(claimed);
  if (u) {
    for (const r of roots) {
      if (r.u.hostname !== u.hostname) continue;
      if (r.u.protocol !== u.protocol) return { hint: 'scheme', expectedAudience: r.a };
      if (hasExplicitPort(claimed) && !hasExplicitPort(r.a)) return { hint: 'port', expectedAudience: r.a };
      if (!isRootUrl(u)) {
        return { hint: u.pathname.replace(/\/+$/, '') === '' && u.search === '' ? 'trailing-slash' : 'path', expectedAudience: r.a, audiencePath: u.pathname + u.search };
      }
      return { hint: 'trailing-slash', expectedAudience: r.a };
    }
    // Accepted audiences with a path (custom audiences, functions URLs): slash or extra path.
    for (const { a } of accepted) {
      const bareA = a.replace(/\/+$/, '');
      const bareC = claimed.replace(/\/+$/, '');
      if (bareA === bareC) return { hint: 'trailing-slash', expectedAudience: a };
      if (claimed.startsWith(`${bareA}/`) || claimed.startsWith(`${bareA}?`)) {
        return { hint: 'path', expectedAudience: a, audiencePath: claimed.slice(bareA.length) };
      }
    }
  }

  const owner = audienceOwner?.(claimed) ?? (u ? audienceOwner?.(u.origin) : undefined);
  if (owner !== undefined) return { hint: 'another-service', expectedAudience: first, audienceOwner: owner };

  if (u) {
    const fam = family(u.hostname);
    if (fam) {
      const other = accepted.find((x) => x.u !== undefined && family(x.u.hostname) !== undefined && family(x.u.hostname) !== fam);
      if (other) return { hint: 'functions-vs-run', expectedAudience: other.a };
    }
    if (surface === 'iap') {
      const clientId = audiences.find((a) => a.endsWith('.apps.googleusercontent.com'));
      if (clientId) return { hint: 'iap-client-id-expected', expectedAudience: clientId };
    }
  }
  return { hint: 'other', expectedAudience: first };
}

/** The evidence fields of an audience diagnosis, without undefined values. */
export function audienceEvidence(d: AudienceDiagnosis): Evidence {
  const e: Evidence = { hint: d.hint, expectedAudience: d.expectedAudience };
  if (d.audiencePath !== undefined) e['audiencePath'] = d.audiencePath;
  if (d.audienceOwner !== undefined) e['audienceOwner'] = d.audienceOwner;
  return e;
}
