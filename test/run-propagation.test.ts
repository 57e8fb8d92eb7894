// A grant made through Cloud Run's setIamPolicy while IAM propagation is configured: refused with
// IAM_NOT_YET_PROPAGATED at first, then intermittently (front ends see the change at different times),
// then allowed everywhere. Bounded: propagation { min: 2s, max: 6s }.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

const SA = 'tasks-invoker@demo-project.iam.gserviceaccount.com';

describe('Cloud Run invoker check during IAM propagation', () => {
  let ap: TestAuthplane;
  let upstream: Server;

  before(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    ap = await startTestAuthplane({
      defaultPrincipal: 'user:developer@example.com',
      iam: { propagation: { min: '2s', max: '6s' } },
      serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'update-runtime' }],
      services: [{ name: 'update', port: 0, metadataPort: 0, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, serviceAccount: 'update-runtime' }],
    });
  });
  after(async () => {
    await ap?.stop();
    upstream?.close();
  });

  it('setIamPolicy grant: IAM_NOT_YET_PROPAGATED, then intermittent, then allowed', async () => {
    const entry = ap.platform.directory.get('update')!;
    const rec = await ap.platform.identity.findServiceAccount(SA);
    const token = await ap.platform.identity.mintIdToken(rec!, { audience: entry.urls.deterministic!, includeEmail: true });
    const invoke = async () => {
      const r = await fetch(entry.urls.local!, { headers: { authorization: `Bearer ${token}` } });
      await r.text();
      return { status: r.status, code: r.headers.get('x-authplane-denial') };
    };

    const before = await invoke();
    assert.deepEqual(before, { status: 403, code: 'PERMISSION_DENIED' });

    const base = '/v2/projects/demo-project/locations/us-central1/services/update';
    const policy = (await (await ap.api(`${base}:getIamPolicy`)).json()) as { etag: string };
    const set = await ap.api(`${base}:setIamPolicy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ policy: { etag: policy.etag, bindings: [{ role: 'roles/run.invoker', members: [`serviceAccount:${SA}`] }] } }),
    });
    assert.equal(set.status, 200, await set.clone().text());
    const grantedAt = Date.now();
    const afterGet = (await (await ap.api(`${base}:getIamPolicy`)).json()) as { bindings: unknown[] };
    assert.equal(afterGet.bindings.length, 1, 'getIamPolicy shows the change at once (control plane)');

    const seen: { t: number; status: number; code: string | null }[] = [];
    while (Date.now() - grantedAt < 7_000) {
      seen.push({ t: Date.now() - grantedAt, ...(await invoke()) });
      await new Promise((r) => setTimeout(r, 50));
    }
    const early = seen.filter((s) => s.t < 1_800);
    assert.ok(early.length > 5);
    for (const s of early) assert.deepEqual([s.status, s.code], [403, 'IAM_NOT_YET_PROPAGATED'], `at ${s.t} ms`);
    const middle = seen.filter((s) => s.t >= 2_000 && s.t < 6_000);
    assert.ok(middle.some((s) => s.status === 200) && middle.some((s) => s.code === 'IAM_NOT_YET_PROPAGATED'), `intermittent between 2 s and 6 s: ${JSON.stringify(middle.map((s) => s.status))}`);
    const late = seen.filter((s) => s.t >= 6_100);
    assert.ok(late.length > 3);
    for (const s of late) assert.equal(s.status, 200, `at ${s.t} ms every front end sees the grant`);

    const refusal = ((await (await ap.api('/admin/v1/requests?code=IAM_NOT_YET_PROPAGATED&limit=1')).json()) as { requests: { explanation: string; evidence: Record<string, unknown> }[] }).requests[0]!;
    assert.match(refusal.explanation, /becomes visible at/);
    assert.equal(refusal.evidence.role, 'roles/run.invoker');
  });
});
