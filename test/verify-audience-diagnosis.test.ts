// The audience diagnosis names the nearest accepted audience and the exact difference. Property test: for
// generated projects of services (run.app URLs, functions URLs, custom audiences with and without a path,
// custom domains, IAP client IDs), for every accepted audience and every single mutation of it, the hint is
// exactly that mutation and the expected audience is the one mutated (or, for the host swaps, the one a
// person should use).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseAudience, audienceMatches } from '../src/verify/audience.js';
import type { AudienceHint } from '../src/verify/denial.js';

/** A small seeded PRNG (mulberry32): the same cases every run, many shapes across iterations. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Service {
  name: string;
  audiences: string[];
  domains: string[];
  iapClientId?: string;
}

const REGIONS = ['us-central1', 'europe-west1', 'asia-northeast1', 'us-east4'];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const word = (r: () => number) => pick(r, ['orders', 'billing', 'update', 'report', 'edge', 'api', 'v1', 'jobs', 'hooks']) + Math.floor(r() * 90 + 10);

function project(seed: number): Service[] {
  const r = rng(seed);
  const number = String(100000000000 + Math.floor(r() * 8e11));
  const id = `proj-${Math.floor(r() * 1e6)}`;
  const region = pick(r, REGIONS);
  const names = new Set<string>();
  while (names.size < 3) names.add(word(r));
  return [...names].map((name) => {
    const audiences = [`https://${name}-${number}.${region}.run.app`, `https://${name}-${Math.floor(r() * 1e9).toString(36).padStart(8, 'a')}-uc.a.run.app`];
    if (r() < 0.5) audiences.push(`https://${region}-${id}.cloudfunctions.net/${name}`);
    if (r() < 0.5) audiences.push(`https://api-${name}.example.com/${word(r)}`);
    const domains = r() < 0.7 ? [`${name}.example.org`] : [];
    return { name, audiences, domains, ...(r() < 0.4 ? { iapClientId: `${number}-${name}.apps.googleusercontent.com` } : {}) };
  });
}

const hasPath = (a: string) => new URL(a).pathname.replace(/\/+$/, '') !== '';
const withHost = (a: string, host: string) => {
  const u = new URL(a);
  return `https://${host}${u.pathname === '/' && !a.endsWith('/') ? '' : u.pathname}`;
};

/** Every single mutation of accepted audience `a` of service `s`, with the hint it must get. */
function mutations(s: Service, others: Service[], a: string): [string, string, AudienceHint, string][] {
  const u = new URL(a);
  const out: [string, string, AudienceHint, string][] = [];
  const add = (what: string, claimed: string, hint: AudienceHint, expected = a) => out.push([what, claimed, hint, expected]);
  const bare = a.replace(/\/+$/, '');
  add('a path added', `${bare}/v1/update`, 'path');
  add('a query added', `${bare}${hasPath(a) ? '' : '/'}?x=1`, 'query');
  if (hasPath(a)) {
    add('the path removed', u.origin, 'path-missing');
    add('a trailing slash toggled', a.endsWith('/') ? bare : `${a}/`, 'trailing-slash');
  }
  add('the scheme removed', u.host + (hasPath(a) ? u.pathname : ''), 'scheme');
  add('the scheme replaced by host:443', `${u.host}:443`, 'scheme');
  add('http instead of https', a.replace('https://', 'http://'), 'scheme');
  add('an explicit :443', a.replace(u.host, `${u.host}:443`), 'port');
  add('an explicit :8443', a.replace(u.host, `${u.host}:8443`), 'port');
  add('the host upper-cased', a.replace(u.host, u.host.toUpperCase()), 'case');
  const other = others[0]!;
  add(`the host of service ${other.name}`, withHost(a, new URL(other.audiences[0]!).host), 'another-service', s.audiences[0]!);
  for (const d of s.domains) add(`the custom domain ${d}`, withHost(a, d), 'custom-domain', s.audiences[0]!);
  return out;
}

test('every single mutation of an accepted audience gets exactly its hint', () => {
  let checked = 0;
  const wrong: string[] = [];
  for (let seed = 1; seed <= 60; seed++) {
    const services = project(seed);
    const owner = (aud: string) => {
      let host: string;
      try {
        host = new URL(aud).host;
      } catch {
        return undefined;
      }
      const hit = services.find((x) => x.audiences.some((a) => new URL(a).host === host && !a.includes('cloudfunctions.net')) || x.domains.includes(host));
      return hit ? `service ${hit.name}` : undefined;
    };
    for (const s of services) {
      const others = services.filter((x) => x !== s);
      const context = { audienceOwner: (aud: string) => (owner(aud) === `service ${s.name}` ? undefined : owner(aud)), customDomains: s.domains.map((d) => `https://${d}`) };
      for (const a of s.audiences) {
        for (const [what, claimed, hint, expected] of mutations(s, others, a)) {
          checked++;
          if (audienceMatches(claimed, s.audiences, false)) {
            wrong.push(`seed ${seed} ${s.name}: ${what} (${claimed}) is accepted`);
            continue;
          }
          const d = diagnoseAudience(claimed, s.audiences, 'run', context);
          if (d.hint !== hint || d.expectedAudience !== expected) wrong.push(`seed ${seed} ${s.name}: ${what}: ${claimed} → ${d.hint} / ${d.expectedAudience}; expected ${hint} / ${expected}`);
        }
      }
      if (s.iapClientId) {
        // Behind IAP the client ID is the audience: any of the service's URLs is the classic mistake.
        for (const a of s.audiences.slice(0, 2)) {
          checked++;
          const d = diagnoseAudience(a, [s.iapClientId], 'iap', context);
          if (d.hint !== 'iap-client-id-expected' || d.expectedAudience !== s.iapClientId) wrong.push(`seed ${seed} ${s.name} behind IAP: ${a} → ${d.hint}`);
        }
      }
    }
  }
  assert.ok(checked > 2000, `${checked} cases`);
  assert.deepEqual(wrong.slice(0, 20), []);
});

test('the reported case: a functions URL\'s audience without the function\'s path', () => {
  const fn = 'https://us-central1-demo-project.cloudfunctions.net/report';
  const d = diagnoseAudience('https://us-central1-demo-project.cloudfunctions.net', [fn, 'https://report-123456789012.us-central1.run.app'], 'run');
  assert.equal(d.hint, 'path-missing');
  assert.equal(d.expectedAudience, fn);
  assert.equal(d.audiencePath, '/report');
});
