// IAM propagation: a grant becomes visible to each simulated front end at its own time within
// [min, max], so checks in the window both allow and deny (denials marked as propagating), and
// everything allows after max. Driven through Google's setIamPolicy REST call, on a frozen clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { Iam } from '../src/iam/iam.js';

const MEMBER = 'serviceAccount:invoker@demo-project.iam.gserviceaccount.com';
const PERMISSION = 'run.routes.invoke';
const RESOURCE = 'serviceAccounts/target@demo-project.iam.gserviceaccount.com';

describe('IAM propagation {min: 2s, max: 6s}', () => {
  let ap: TestAuthplane;
  let now = 1_800_000_000_000;

  before(async () => {
    ap = await startTestAuthplane(
      {
        iam: { propagation: { min: '2s', max: '6s', frontEnds: 16 } },
        serviceAccounts: [{ name: 'invoker' }, { name: 'target' }],
      },
      { clock: () => now },
    );
  });
  after(() => ap?.stop());

  const checkAll = async () => {
    const out: { allowed: boolean; propagating?: { visibleAt: number; fullyVisibleAt: number } }[] = [];
    for (let frontEnd = 0; frontEnd < 16; frontEnd++) {
      const r = await ap.api('/admin/v1/iam:check', { method: 'POST', body: JSON.stringify({ member: MEMBER, permission: PERMISSION, resource: RESOURCE, frontEnd }) });
      assert.equal(r.status, 200);
      out.push((await r.json()) as (typeof out)[number]);
    }
    return out;
  };

  test('a grant through setIamPolicy is intermittent inside the window and complete after max', async () => {
    const before = await checkAll();
    assert.ok(before.every((d) => !d.allowed && !d.propagating), 'nothing granted yet, nothing propagating');

    const got = (await (await ap.api(`/v1/projects/-/serviceAccounts/target@demo-project.iam.gserviceaccount.com:getIamPolicy`, { method: 'POST' })).json()) as { etag: string };
    const set = await ap.api(`/v1/projects/-/serviceAccounts/target@demo-project.iam.gserviceaccount.com:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { etag: got.etag, bindings: [{ role: 'roles/run.invoker', members: [MEMBER] }] } }),
    });
    assert.equal(set.status, 200, await set.clone().text());
    const grantedAt = now;

    // Control plane: getIamPolicy shows the new binding at once (only enforcement lags).
    const policy = (await (await ap.api(`/v1/projects/-/serviceAccounts/target@demo-project.iam.gserviceaccount.com:getIamPolicy`, { method: 'POST' })).json()) as { bindings: unknown[] };
    assert.deepEqual(policy.bindings, [{ role: 'roles/run.invoker', members: [MEMBER] }]);

    now = grantedAt + 1_999;
    const early = await checkAll();
    assert.ok(early.every((d) => !d.allowed), 'no front end sees it before min');
    assert.ok(early.every((d) => d.propagating), 'every refusal is marked as propagating');
    const fully = early[0]!.propagating!.fullyVisibleAt;
    assert.ok(fully > grantedAt + 2000 && fully <= grantedAt + 6000, `fully visible within the window (${fully - grantedAt} ms)`);

    now = grantedAt + 4_000;
    const middle = await checkAll();
    const allowed = middle.filter((d) => d.allowed).length;
    assert.ok(allowed > 0 && allowed < 16, `a mix in the window: ${allowed}/16 allow`);
    for (const d of middle.filter((x) => !x.allowed)) {
      assert.ok(d.propagating && d.propagating.visibleAt > now, 'each denial says when its front end will see the grant');
    }

    now = grantedAt + 6_000;
    const late = await checkAll();
    assert.ok(late.every((d) => d.allowed), 'all front ends allow after max');
  });

  test('a stale etag is refused with ABORTED, as Google does', async () => {
    const r = await ap.api(`/v1/projects/-/serviceAccounts/target@demo-project.iam.gserviceaccount.com:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { etag: 'BwXstaleXXY=', bindings: [] } }),
    });
    assert.equal(r.status, 409);
    const body = (await r.json()) as { error: { status: string } };
    assert.equal(body.error.status, 'ABORTED');
  });

  test('setIamPolicy validates roles and members', async () => {
    const bad = await ap.api(`/v1/projects/demo-project:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { bindings: [{ role: 'roles/run.invokr', members: [MEMBER] }] } }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /roles\/run\.invokr is not supported/);
    const ghost = await ap.api(`/v1/projects/demo-project:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { bindings: [{ role: 'roles/run.invoker', members: ['serviceAccount:ghost@demo-project.iam.gserviceaccount.com'] }] } }),
    });
    assert.equal(ghost.status, 400);
    assert.match(((await ghost.json()) as { error: { message: string } }).error.message, /ghost@demo-project.iam.gserviceaccount.com does not exist/);
  });

  test('concurrent addBinding on a resource without a policy keeps both members (etag-checked)', async () => {
    const resource = 'serviceAccounts/invoker@demo-project.iam.gserviceaccount.com';
    const a = 'user:a@example.com';
    const b = 'user:b@example.com';
    await Promise.all([ap.platform.iam.addBinding(resource, 'roles/iam.serviceAccountUser', a), ap.platform.iam.addBinding(resource, 'roles/iam.serviceAccountUser', b)]);
    assert.deepEqual(ap.platform.iam.getPolicy(resource).bindings, [{ role: 'roles/iam.serviceAccountUser', members: [a, b] }]);
  });
});

describe('IAM propagation: each version reaches its front ends at scattered times', () => {
  // REFERENCE §1: "front ends see it at different times, so calls succeed and fail intermittently". A delay
  // that hardly depends on the front end would flip them all at once: no intermittent phase to reproduce.
  test('over 300 versions × 8 front ends, each version spreads over most of [min, max] and the whole window is used', () => {
    const minMs = 20_000;
    const maxMs = 120_000;
    const iam = new Iam({ policyVersionsSince: async () => [], appendPolicy: async () => undefined as never }, 'demo-project', { minMs, maxMs, frontEnds: 8 }, () => 0);
    const spreads: number[] = [];
    const tenths = new Array<number>(10).fill(0);
    for (let seq = 1; seq <= 300; seq++) {
      const rec = { seq, resource: 'services/hello', policy: { version: 1, etag: 'BwX', bindings: [] }, createdAt: 1_800_000_000_000 };
      const at = Array.from({ length: 8 }, (_, f) => iam.visibleAt(rec, f) - rec.createdAt);
      for (const d of at) {
        assert.ok(d >= minMs && d <= maxMs, `delay ${d} ms inside [min, max]`);
        tenths[Math.min(9, Math.floor(((d - minMs) / (maxMs - minMs)) * 10))]!++;
      }
      spreads.push((Math.max(...at) - Math.min(...at)) / (maxMs - minMs));
    }
    spreads.sort((a, b) => a - b);
    // For 8 uniform draws the expected range is 7/9 ≈ 0.78 of the window; the median version must be near it.
    assert.ok(spreads[150]! > 0.6, `median spread of a version's front ends: ${spreads[150]!.toFixed(3)} of the window`);
    assert.ok(spreads[15]! > 0.35, `5th percentile spread: ${spreads[15]!.toFixed(3)}`);
    // 2,400 delays over ten tenths of the window: about 240 each.
    for (const [i, n] of tenths.entries()) assert.ok(n > 160 && n < 320, `tenth ${i} of the window holds ${n} of 2400 delays`);
  });
});
