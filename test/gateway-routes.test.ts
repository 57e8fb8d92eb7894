// Route matching and useTargetUrl, without a network: Apigee's rules in isolation.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveAudience } from '../src/client/index.js';
import { compileRoute, matchRoute } from '../src/gateway/route-match.js';
import { targetFor } from '../src/gateway/target.js';

const routes = [
  compileRoute({ path: '/orders/*', target: 'https://a.example' }, 'r0'),
  compileRoute({ path: '/orders/**', target: 'https://b.example' }, 'r1'),
  compileRoute({ path: '/health', target: 'https://c.example/healthz' }, 'r2'),
  compileRoute({ path: '/**', target: 'https://d.example' }, 'r3'),
];

describe('gateway routes', () => {
  it('first declared match wins; base path stripped, suffix kept', () => {
    const m = (p: string) => {
      const x = matchRoute(routes, p)!;
      return [x.route.config.target, x.suffix];
    };
    assert.deepEqual(m('/orders/7'), ['https://a.example', '/7']);
    assert.deepEqual(m('/orders/7/items'), ['https://b.example', '/7/items']);
    assert.deepEqual(m('/orders'), ['https://b.example', '']);
    assert.deepEqual(m('/health'), ['https://c.example/healthz', '']);
    assert.deepEqual(m('/health/'), ['https://c.example/healthz', '/']);
    assert.deepEqual(m('/healthy'), ['https://d.example', '/healthy']);
    assert.equal(matchRoute(routes.slice(0, 3), '/other'), undefined);
  });

  it('rejects unusable patterns with the config path', () => {
    assert.throws(() => compileRoute({ path: 'orders/**', target: 'https://x' }, 'gateways[0].routes[1]'), /gateways\[0\]\.routes\[1\]\.path/);
    assert.throws(() => compileRoute({ path: '/a/**/b', target: 'https://x' }, 'g'), /last segment/);
    assert.throws(() => compileRoute({ path: '/a*', target: 'https://x' }, 'g'), /whole segment/);
  });

  it('useTargetUrl = target + request path, no query (Apigee); the client library derives the origin', () => {
    const run = 'https://update-123456789012.us-central1.run.app';
    const t = targetFor(run, '/orders/123', '?x=1');
    assert.equal(t.url, `${run}/orders/123?x=1`);
    assert.equal(t.targetUrlAudience, `${run}/orders/123`);
    assert.equal(targetFor(run, '', '').targetUrlAudience, run);
    assert.equal(targetFor('https://xyz.com', '/foobar', '').targetUrlAudience, 'https://xyz.com/foobar', 'REFERENCE §6 example');
    assert.equal(targetFor('https://svc/api/?k=v', '/7', '?q=2').url, 'https://svc/api/7?k=v&q=2');
    assert.equal(deriveAudience(t.url).audience, run);
  });
});
