// The admin routes the dashboard reads, without a browser: the live request stream, each policy's propagation
// per front end on authplane's clock, services with their invokers and their command's output, the static files
// (this origin only, nothing else served), and the IAM edits' refusals that `authplane iam` turns into exit 2.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { ManualClock } from './support/manual-clock.js';
import { until } from './support/until.js';

const NO_ROLE = 'serviceAccount:tasks-no-role@demo-project.iam.gserviceaccount.com';

describe('the dashboard\'s admin routes', () => {
  let ap: TestAuthplane;
  const clock = new ManualClock(Date.now());

  before(async () => {
    ap = await startTestAuthplane(
      {
        iam: { propagation: { min: '5s', max: '10s' }, bindings: [{ resource: 'services/echo', role: 'roles/run.invoker', members: ['serviceAccount:tasks-invoker'] }] },
        serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'tasks-no-role' }, { name: 'runtime' }],
        services: [{ name: 'echo', command: `"${process.execPath}" -e "require('http').createServer((q,s)=>s.end('hi')).listen(process.env.PORT,()=>console.log('echo up on '+process.env.PORT))"`, serviceAccount: 'runtime' }],
      },
      { clock: clock.clock, timers: clock },
    );
  });
  after(() => ap?.stop());

  it('GET /admin/v1/requests:stream sends each new request-log entry as a server-sent event', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${ap.apiUrl}/admin/v1/requests:stream`, { signal: controller.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = stream.body!.getReader();
    const refused = await fetch(`${ap.platform.directory.get('echo')!.urls.local}/x`);
    const id = refused.headers.get('x-authplane-request-id');
    let text = '';
    while (!text.includes(`id: ${id}\n`)) text += new TextDecoder().decode((await reader.read()).value);
    const event = text.slice(text.indexOf('event: request\nid: ' + id));
    const data = JSON.parse(/data: (.*)\n/.exec(event)![1]!) as { id: string; code: string; status: number };
    assert.deepEqual([data.id, data.status, data.code], [id, 403, 'TOKEN_MISSING']);
    controller.abort();
  });

  it('GET /admin/v1/policies: when each front end enforces a change, on authplane\'s clock', async () => {
    const changed = clock.nowMs;
    const r = await ap.api('/admin/v1/iam:addBinding', { method: 'POST', body: JSON.stringify({ resource: 'services/echo', role: 'roles/run.invoker', member: NO_ROLE }) });
    assert.equal(r.status, 200);
    type Policies = { now: number; propagation: { frontEnds: number }; policies: { resource: string; changedAt: number; frontEnds: { frontEnd: number; visibleAt: number }[]; fullyVisibleAt: number; previous?: unknown }[] };
    const body = (await (await ap.api('/admin/v1/policies')).json()) as Policies;
    const p = body.policies.find((x) => x.resource === 'services/echo')!;
    assert.equal(body.now, clock.nowMs);
    assert.equal(p.changedAt, changed);
    // iam.propagation.frontEnds is not set here: authplane's default of 8 (config/load.ts).
    assert.equal(body.propagation.frontEnds, 8);
    assert.equal(p.frontEnds.length, 8);
    for (const f of p.frontEnds) assert.ok(f.visibleAt >= changed + 5000 && f.visibleAt <= changed + 10000, `front end ${f.frontEnd} at +${f.visibleAt - changed} ms`);
    assert.equal(p.fullyVisibleAt, Math.max(...p.frontEnds.map((f) => f.visibleAt)));
    assert.ok(p.previous, 'the version front ends still enforce');
    // Each front end's time is the one its invoker check goes by.
    for (const f of p.frontEnds) {
      const at = async (now: number) => ap.platform.iam.check(NO_ROLE, 'run.routes.invoke', 'services/echo', { frontEnd: f.frontEnd, now }).allowed;
      assert.equal(await at(f.visibleAt - 1), false);
      assert.equal(await at(f.visibleAt), true);
    }
  });

  it('GET /admin/v1/services: audiences, who may invoke (from IAM), and the supervised command with its output', async () => {
    type Services = { services: { name: string; audiences: string[]; invokers: { member: string; role: string; resource: string }[]; process: { state: string; pid: number; output: { line: string }[] } | null }[] };
    const svc = await until(async () => {
      const s = ((await (await ap.api('/admin/v1/services')).json()) as Services).services[0]!;
      return s.process?.output.some((l) => l.line.startsWith('echo up on')) ? s : undefined;
    }, 'the command\'s output');
    assert.equal(svc.name, 'echo');
    assert.ok(svc.audiences.includes('https://echo-123456789012.us-central1.run.app'));
    assert.equal(svc.process!.state, 'running');
    assert.ok(svc.process!.pid > 0);
    const members = svc.invokers.map((i) => `${i.member} ${i.role} ${i.resource}`);
    assert.ok(members.includes('serviceAccount:tasks-invoker@demo-project.iam.gserviceaccount.com roles/run.invoker services/echo'), members.join('\n'));
    assert.ok(members.includes('user:developer@example.com roles/owner projects/demo-project'), 'the project\'s owner may invoke too');
  });

  it('serves the page and its modules from this origin only, and nothing outside ui/ and its three libraries', async () => {
    const page = await fetch(`${ap.apiUrl}/ui`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'sha256-/);
    const html = await page.text();
    for (const m of ['/ui/app.js', '/ui/lib/preact.mjs', '/ui/lib/preact-hooks.mjs', '/ui/lib/htm.mjs', '/ui/views/requests.js']) {
      assert.ok(html.includes(`href="${m}"`), `${m} preloaded`);
      const r = await fetch(ap.apiUrl + m);
      assert.equal(r.status, 200, m);
      assert.match(r.headers.get('content-type') ?? '', /^text\/javascript/);
    }
    assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)/, 'no external URL in the page');
    for (const bad of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/lib/../../package.json', '/ui/nope.js']) assert.equal((await fetch(ap.apiUrl + bad)).status, 404, bad);
  });

  it('IAM edits refuse an unknown resource (404), an undeclared account and a role given as a permission (400)', async () => {
    const post = (path: string, body: object) => ap.api(path, { method: 'POST', body: JSON.stringify(body) });
    const unknown = await post('/admin/v1/iam:addBinding', { resource: 'services/nope', role: 'roles/run.invoker', member: NO_ROLE });
    assert.equal(unknown.status, 404);
    const ghost = await post('/admin/v1/iam:addBinding', { resource: 'services/echo', role: 'roles/run.invoker', member: 'serviceAccount:ghost@demo-project.iam.gserviceaccount.com' });
    assert.equal(ghost.status, 400);
    assert.match(((await ghost.json()) as { error: { message: string } }).error.message, /ghost@demo-project.iam.gserviceaccount.com does not exist/);
    const role = await post('/admin/v1/iam:check', { member: NO_ROLE, permission: 'roles/run.invoker', resource: 'services/echo' });
    assert.equal(role.status, 400);
    assert.match(((await role.json()) as { error: { message: string } }).error.message, /is a role, not a permission/);
    const perm = await post('/admin/v1/iam:addBinding', { resource: 'services/echo', role: 'run.routes.invoke', member: NO_ROLE });
    assert.equal(perm.status, 400);
    assert.equal((await ap.api('/admin/v1/iam/services/nope')).status, 404);
  });
});
