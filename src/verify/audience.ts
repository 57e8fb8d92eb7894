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

const family = (host: string): 'functions' | 'run' | undefined =>
  host.endsWith('.cloudfunctions.net') ? 'functions' : host.endsWith('.run.app') ? 'run' : undefined;

export interface AudienceContext {
  /** Names the service an audience belongs to, when it is another service's (front doors know every URL). */
  audienceOwner?: AudienceOwnerLookup;
  /** This service's custom domains (https://HOST), which route to it but are not audiences unless listed as custom audiences. */
  customDomains?: readonly string[];
}

/** The host as audiences are compared: lowercase, the scheme's default port dropped. */
const hostOf = (u: URL): string => u.host.toLowerCase();

/**
 * How a claimed audience that shares its host with accepted audience `a` differs from it, as one named
 * mutation; undefined when they differ otherwise (another function on a shared cloudfunctions.net host).
 */
function differenceOnSameHost(claimed: string, c: URL, a: string, au: URL): AudienceDiagnosis | undefined {
  if (c.protocol !== au.protocol) return { hint: 'scheme', expectedAudience: a };
  if (hasExplicitPort(claimed) !== hasExplicitPort(a)) return { hint: 'port', expectedAudience: a };
  const cPath = c.pathname.replace(/\/+$/, '');
  const aPath = au.pathname.replace(/\/+$/, '');
  if (cPath === aPath) {
    if (c.search !== au.search) return { hint: 'query', expectedAudience: a, audiencePath: c.search };
    return { hint: 'trailing-slash', expectedAudience: a };
  }
  if (cPath.startsWith(`${aPath}/`)) return { hint: 'path', expectedAudience: a, audiencePath: c.pathname.slice(aPath.length) + c.search };
  if (aPath.startsWith(`${cPath}/`) || cPath === '') return { hint: 'path-missing', expectedAudience: a, audiencePath: au.pathname.slice(cPath.length) };
  return undefined;
}

/**
 * Why `aud` is not accepted: the accepted audience nearest to it and the exact difference — path added or
 * missing, query, scheme, port, trailing slash, another service's URL, the service's custom domain, the other
 * URL family, IAP's client ID expected. Only called on refusal.
 */
export function diagnoseAudience(aud: unknown, audiences: readonly string[], surface: Surface, context: AudienceContext | AudienceOwnerLookup = {}): AudienceDiagnosis {
  const ctx: AudienceContext = typeof context === 'function' ? { audienceOwner: context } : context;
  const first = audiences[0];
  const claimed = typeof aud === 'string' ? aud : Array.isArray(aud) ? aud.find((a): a is string => typeof a === 'string') : undefined;
  if (claimed === undefined || claimed === '') return { hint: 'missing', expectedAudience: first };

  const accepted = audiences.flatMap((a) => {
    const u = parseUrl(a);
    return u ? [{ a, u }] : [];
  });
  const schemeless = !claimed.includes('://');
  // "update-123.us-central1.run.app" or "update-123.us-central1.run.app:443": an accepted host without its scheme.
  if (schemeless) {
    const u = parseUrl(`https://${claimed}`);
    const hit = u && accepted.find((x) => x.u.hostname === u.hostname.toLowerCase());
    if (hit) return { hint: 'scheme', expectedAudience: hit.a };
  }
  // Only upper and lower case differ (a host, a path): audiences are exact strings.
  const bare = (x: string) => x.replace(/\/+$/, '');
  const folded = accepted.find((x) => bare(x.a) !== bare(claimed) && bare(x.a).toLowerCase() === bare(claimed).toLowerCase());
  if (folded) return { hint: 'case', expectedAudience: folded.a };
  const c = parseUrl(claimed);
  if (c) {
    for (const { a, u } of accepted) {
      if (hostOf(u) !== hostOf(c) && !(hasExplicitPort(claimed) && u.hostname === c.hostname.toLowerCase())) continue;
      const d = differenceOnSameHost(claimed, c, a, u);
      if (d) return d;
    }
  }

  const owner = ctx.audienceOwner?.(claimed) ?? (c ? ctx.audienceOwner?.(c.origin) : undefined);
  if (owner !== undefined) return { hint: 'another-service', expectedAudience: first, audienceOwner: owner };
  if (c && ctx.customDomains?.some((d) => parseUrl(d)?.hostname === c.hostname.toLowerCase())) return { hint: 'custom-domain', expectedAudience: first };

  if (c) {
    const fam = family(c.hostname);
    if (fam) {
      const other = accepted.find((x) => family(x.u.hostname) !== undefined && family(x.u.hostname) !== fam);
      if (other) return { hint: 'functions-vs-run', expectedAudience: other.a };
    }
  }
  if (surface === 'iap' && (c || schemeless)) {
    const clientId = audiences.find((a) => a.endsWith('.apps.googleusercontent.com'));
    if (clientId) return { hint: 'iap-client-id-expected', expectedAudience: clientId };
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
