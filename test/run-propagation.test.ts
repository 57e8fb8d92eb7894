// A grant made through Cloud Run's setIamPolicy while IAM propagation is configured: refused with
// IAM_NOT_YET_PROPAGATED at first, then intermittently (front ends see the change at different times),
// then allowed everywhere. Propagation { min: 2s, max: 6s } on authplane's injected clock.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

const SA = 'tasks-invoker@demo-project.iam.gserviceaccount.com';

describe('Cloud Run invoker check during IAM propagation', () => {
  let ap: TestAuthplane;
  let upstream: Server;
  // authplane's clock, moved by the test: propagation is judged on it, not on how fast the machine is.
  let now = Date.now();

  before(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    ap = await startTestAuthplane(
      {
        defaultPrincipal: 'user:developer@example.com',
        iam: { propagation: { min: '2s', max: '6s' } },
        serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'update-runtime' }],
        services: [{ name: 'update', port: 0, metadataPort: 0, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, serviceAccount: 'update-runtime' }],
      },
      { clock: () => now },
    );
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
    const refusal = async () =>
      ((await (await ap.api('/admin/v1/requests?code=IAM_NOT_YET_PROPAGATED&limit=1')).json()) as { requests: { explanation: string; evidence: { role: string; visibleAt: string; fullyVisibleAt: string } }[] }).requests[0]!;

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
    const grantedAt = now;
    const afterGet = (await (await ap.api(`${base}:getIamPolicy`)).json()) as { bindings: unknown[] };
    assert.equal(afterGet.bindings.length, 1, 'getIamPolicy shows the change at once (control plane)');

    // Before min, no front end sees the grant; each refusal says when its front end will.
    now = grantedAt + 1_999;
    const visibleAt = new Set<number>();
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(await invoke(), { status: 403, code: 'IAM_NOT_YET_PROPAGATED' }, `request ${i} at +1999 ms`);
      const r = await refusal();
      assert.match(r.explanation, /becomes visible at/);
      assert.equal(r.evidence.role, 'roles/run.invoker');
      visibleAt.add(Date.parse(r.evidence.visibleAt));
    }
    const fully = Date.parse((await refusal()).evidence.fullyVisibleAt);
    assert.ok(fully > grantedAt + 2_000 && fully <= grantedAt + 6_000, `every front end sees it within [min, max]: +${fully - grantedAt} ms`);

    // In the window the answer depends on which front end takes the request: at the earliest front end's
    // time, requests (each to a random front end) meet both answers.
    const earliest = Math.min(...visibleAt);
    assert.ok(earliest < fully, 'the front ends seen so far do not all see it at once');
    now = earliest;
    const answers = new Set<string>();
    for (let i = 0; i < 400 && answers.size < 2; i++) {
      const a = await invoke();
      assert.ok(a.status === 200 || a.code === 'IAM_NOT_YET_PROPAGATED', JSON.stringify(a));
      answers.add(String(a.status));
    }
    assert.deepEqual([...answers].sort(), ['200', '403'], 'intermittent inside the window');

    // From max on, every front end allows.
    now = grantedAt + 6_000;
    for (let i = 0; i < 20; i++) assert.equal((await invoke()).status, 200, `request ${i} at +6000 ms`);
  });
});
