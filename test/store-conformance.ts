// The ONE store conformance suite (STYLE §4: one interface, several implementations, one suite).
// Each backend's test file calls `storeConformance` with a factory for fresh databases; every case
// here must pass on SQLite and on PostgreSQL alike. Races are run across several handles on the
// same database (on PostgreSQL each handle is its own connection pool, so they truly interleave).

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { EMPTY_ETAG, makePolicy, type IamBinding } from '../src/iam/policy.js';
import type { AccessTokenRecord, ServiceAccountRecord, SigningAlg, SigningKeyRecord, Store } from '../src/store/store.js';

/** One fresh, empty database. `open()` may be called several times: each call is a new handle on it. */
export interface FreshDatabase {
  open(): Promise<Store>;
  /** Removes the database (after every handle is closed). */
  dispose?(): Promise<void>;
}

export interface StoreBackend {
  kind: Store['kind'];
  /** A new empty database for one test. */
  fresh(): Promise<FreshDatabase>;
}

let kidCounter = 0;
/** A key record; the store treats PEMs as opaque text, so no real key pair is needed. */
function keyRecord(alg: SigningAlg, owner = '', createdAt = 1_700_000_000_000): SigningKeyRecord {
  const kid = `kid-${process.pid}-${++kidCounter}`;
  return {
    kid,
    alg,
    owner,
    privatePem: `-----BEGIN PRIVATE KEY-----\n${kid}\n-----END PRIVATE KEY-----\n`,
    publicPem: `-----BEGIN PUBLIC KEY-----\n${kid}\n-----END PUBLIC KEY-----\n`,
    createdAt,
    retiredAt: null,
    publishedUntil: null,
  };
}

function serviceAccount(name: string, uniqueId: string): ServiceAccountRecord {
  return {
    email: `${name}@demo-project.iam.gserviceaccount.com`,
    uniqueId,
    projectId: 'demo-project',
    displayName: `The ${name} account`,
    disabled: false,
    createdAt: 1_700_000_000_000,
  };
}

const bindings = (...members: string[]): IamBinding[] => [{ role: 'roles/run.invoker', members }];

export function storeConformance(backend: StoreBackend): void {
  // Every handle a test opens is closed after it, then its database is removed.
  let opened: Store[] = [];
  let databases: FreshDatabase[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((s) => s.close()));
    for (const db of databases) await db.dispose?.();
    opened = [];
    databases = [];
  });
  const freshDb = async (): Promise<{ open(): Promise<Store> }> => {
    const db = await backend.fresh();
    databases.push(db);
    return {
      async open() {
        const s = await db.open();
        opened.push(s);
        return s;
      },
    };
  };
  const freshStore = async (): Promise<Store> => (await freshDb()).open();
  /** `n` handles on one fresh database. */
  const handles = async (n: number): Promise<Store[]> => {
    const db = await freshDb();
    const out: Store[] = [];
    for (let i = 0; i < n; i++) out.push(await db.open());
    return out;
  };

  describe('migrations', () => {
    it('reports its kind', async () => {
      assert.equal((await freshStore()).kind, backend.kind);
    });

    it('are idempotent: the same database opens twice and keeps its data', async () => {
      const db = await freshDb();
      const first = await db.open();
      await first.ensureServiceAccount(serviceAccount('runner', '100000000000000000001'));
      await first.close();
      opened.splice(opened.indexOf(first), 1);
      const second = await db.open();
      const third = await db.open();
      assert.equal((await second.findServiceAccount('100000000000000000001'))?.email, 'runner@demo-project.iam.gserviceaccount.com');
      assert.equal((await third.listServiceAccounts()).length, 1);
    });

    it('agree when several handles open an empty database at the same moment', async () => {
      const db = await freshDb();
      const stores = await Promise.all([db.open(), db.open(), db.open()]);
      await stores[0]!.getOrCreateSetting('k', 'v');
      for (const s of stores) assert.equal(await s.getOrCreateSetting('k', 'other'), 'v');
    });
  });

  describe('signing keys', () => {
    it('ensureActiveSigningKey inserts the first candidate and returns the active key afterwards', async () => {
      const store = await freshStore();
      const first = keyRecord('RS256');
      assert.deepEqual(await store.ensureActiveSigningKey(first), first);
      const again = await store.ensureActiveSigningKey(keyRecord('RS256'));
      assert.deepEqual(again, first, 'a second candidate must not replace the active key');
      assert.deepEqual(await store.listSigningKeys(), [first]);
    });

    it('ensureActiveSigningKey is race-safe: 10 concurrent calls leave exactly one active key', async () => {
      const stores = await handles(3);
      const candidates = Array.from({ length: 10 }, () => keyRecord('RS256'));
      const results = await Promise.all(candidates.map((c, i) => stores[i % stores.length]!.ensureActiveSigningKey(c)));
      const kids = new Set(results.map((k) => k.kid));
      assert.equal(kids.size, 1, `every caller must get the same active key, got ${[...kids].join(', ')}`);
      const active = (await stores[0]!.listSigningKeys()).filter((k) => k.alg === 'RS256' && k.owner === '' && k.retiredAt === null);
      assert.equal(active.length, 1);
      assert.equal(active[0]!.kid, [...kids][0]);
      assert.ok(candidates.some((c) => c.kid === active[0]!.kid), 'the active key is one of the candidates');
    });

    it('keys are per algorithm and per owner: each alg+owner has its own active key', async () => {
      const store = await freshStore();
      const platformRsa = await store.ensureActiveSigningKey(keyRecord('RS256'));
      const platformEc = await store.ensureActiveSigningKey(keyRecord('ES256'));
      const saKey = await store.ensureActiveSigningKey(keyRecord('RS256', 'runner@demo-project.iam.gserviceaccount.com'));
      const otherSaKey = await store.ensureActiveSigningKey(keyRecord('RS256', 'other@demo-project.iam.gserviceaccount.com'));
      assert.equal(new Set([platformRsa.kid, platformEc.kid, saKey.kid, otherSaKey.kid]).size, 4);
      assert.equal((await store.listSigningKeys()).filter((k) => k.retiredAt === null).length, 4);
    });

    it('rotateSigningKey retires the old key with publishedUntil and activates the new one', async () => {
      const store = await freshStore();
      const old = await store.ensureActiveSigningKey(keyRecord('RS256', '', 1_000));
      const ec = await store.ensureActiveSigningKey(keyRecord('ES256', '', 1_000));
      const sa = await store.ensureActiveSigningKey(keyRecord('RS256', 'runner@demo-project.iam.gserviceaccount.com', 1_000));
      const next = keyRecord('RS256', '', 5_000);
      await store.rotateSigningKey(next, 5_000, 5_000 + 12 * 3600_000);

      const byKid = new Map((await store.listSigningKeys()).map((k) => [k.kid, k]));
      assert.deepEqual(byKid.get(old.kid), { ...old, retiredAt: 5_000, publishedUntil: 5_000 + 12 * 3600_000 });
      assert.deepEqual(byKid.get(next.kid), next);
      // Rotation of one alg+owner leaves the others alone.
      assert.deepEqual(byKid.get(ec.kid), ec);
      assert.deepEqual(byKid.get(sa.kid), sa);
      // The rotated key is now what ensure returns.
      assert.equal((await store.ensureActiveSigningKey(keyRecord('RS256'))).kid, next.kid);
    });

    it('rotating an owner that has no key yet simply makes the new key active', async () => {
      const store = await freshStore();
      const next = keyRecord('ES256', 'fresh@demo-project.iam.gserviceaccount.com', 2_000);
      await store.rotateSigningKey(next, 2_000, 3_000);
      assert.deepEqual(await store.listSigningKeys(), [next]);
    });

    it('a rotation on one handle is seen by another handle', async () => {
      const [a, b] = await handles(2);
      const old = await a!.ensureActiveSigningKey(keyRecord('RS256'));
      const next = keyRecord('RS256', '', 9_000);
      await a!.rotateSigningKey(next, 9_000, 10_000);
      const seen = await b!.listSigningKeys();
      assert.deepEqual(seen.map((k) => [k.kid, k.retiredAt]).sort(), [[old.kid, 9_000], [next.kid, null]].sort());
    });
  });

  describe('service accounts', () => {
    it('ensureServiceAccount inserts when absent and never changes the unique id', async () => {
      const store = await freshStore();
      const sa = serviceAccount('runner', '100000000000000000001');
      assert.deepEqual(await store.ensureServiceAccount(sa), sa);
      const again = await store.ensureServiceAccount({ ...sa, uniqueId: '199999999999999999999', displayName: 'renamed' });
      assert.deepEqual(again, sa, 'the stored record wins');
      assert.deepEqual(await store.listServiceAccounts(), [sa]);
    });

    it('concurrent ensures of one email agree on one record', async () => {
      const stores = await handles(3);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => stores[i % 3]!.ensureServiceAccount(serviceAccount('runner', `1000000000000000000${10 + i}`))),
      );
      assert.equal(new Set(results.map((r) => r.uniqueId)).size, 1);
      assert.equal((await stores[0]!.listServiceAccounts()).length, 1);
    });

    it('findServiceAccount finds by email and by unique id, and null otherwise', async () => {
      const store = await freshStore();
      const runner = await store.ensureServiceAccount(serviceAccount('runner', '100000000000000000001'));
      const other = await store.ensureServiceAccount({ ...serviceAccount('other', '100000000000000000002'), disabled: true });
      assert.deepEqual(await store.findServiceAccount(runner.email), runner);
      assert.deepEqual(await store.findServiceAccount('100000000000000000001'), runner);
      assert.deepEqual(await store.findServiceAccount('100000000000000000002'), other);
      assert.equal((await store.findServiceAccount('100000000000000000002'))?.disabled, true);
      assert.equal(await store.findServiceAccount('nobody@demo-project.iam.gserviceaccount.com'), null);
      assert.equal(await store.findServiceAccount('100000000000000000009'), null);
      assert.deepEqual(
        (await store.listServiceAccounts()).map((s) => s.email),
        [other.email, runner.email],
        'listed by email',
      );
    });
  });

  describe('access tokens', () => {
    const token = (hash: string, expiresAt: number): AccessTokenRecord => ({
      tokenHash: hash,
      principal: 'serviceAccount:runner@demo-project.iam.gserviceaccount.com',
      scopes: ['https://www.googleapis.com/auth/cloud-platform', 'openid'],
      issuedAt: expiresAt - 3600_000,
      expiresAt,
    });

    it('put then get returns the same record; unknown hashes are null', async () => {
      const store = await freshStore();
      const t = token('a'.repeat(64), 1_700_003_600_000);
      await store.putAccessToken(t);
      assert.deepEqual(await store.getAccessToken(t.tokenHash), t);
      assert.equal(await store.getAccessToken('b'.repeat(64)), null);
    });

    it('deleteExpiredAccessTokens removes only expired tokens and counts them', async () => {
      const [a, b] = await handles(2);
      await a!.putAccessToken(token('1'.repeat(64), 1_000));
      await a!.putAccessToken(token('2'.repeat(64), 2_000));
      await a!.putAccessToken(token('3'.repeat(64), 9_000));
      assert.equal(await b!.deleteExpiredAccessTokens(5_000), 2);
      assert.equal(await a!.getAccessToken('1'.repeat(64)), null);
      assert.equal(await a!.getAccessToken('2'.repeat(64)), null);
      assert.equal((await a!.getAccessToken('3'.repeat(64)))?.expiresAt, 9_000);
      assert.equal(await b!.deleteExpiredAccessTokens(5_000), 0);
    });
  });

  describe('IAM policies', () => {
    const R = 'services/update';

    it('EMPTY_ETAG matches "no policy yet" and only that', async () => {
      const store = await freshStore();
      const p1 = makePolicy(bindings('user:alice@example.com'), 'p1');
      const first = await store.appendPolicy(R, p1, EMPTY_ETAG, 1_000);
      assert.ok(first.ok);
      assert.deepEqual(first.version.policy, p1);
      assert.equal(first.version.resource, R);
      assert.equal(first.version.createdAt, 1_000);

      const again = await store.appendPolicy(R, makePolicy(bindings('user:bob@example.com'), 'p2'), EMPTY_ETAG, 2_000);
      assert.equal(again.ok, false, 'ACAB no longer matches once a policy exists');
      assert.ok(!again.ok);
      assert.deepEqual(again.current, first.version, 'a conflict returns the current version');
    });

    it('a stale etag conflicts; the current etag appends; null skips the check', async () => {
      const store = await freshStore();
      const v1 = await store.appendPolicy(R, makePolicy(bindings('user:alice@example.com'), 'v1'), null, 1_000);
      assert.ok(v1.ok);
      const v2 = await store.appendPolicy(R, makePolicy(bindings('user:bob@example.com'), 'v2'), v1.version.policy.etag, 2_000);
      assert.ok(v2.ok);
      assert.ok(v2.version.seq > v1.version.seq);

      const stale = await store.appendPolicy(R, makePolicy(bindings('user:carol@example.com'), 'v3'), v1.version.policy.etag, 3_000);
      assert.ok(!stale.ok);
      assert.deepEqual(stale.current, v2.version);

      const unchecked = await store.appendPolicy(R, makePolicy(bindings('user:dave@example.com'), 'v4'), null, 4_000);
      assert.ok(unchecked.ok, 'null etag = no check, as setIamPolicy without an etag');
      assert.deepEqual(unchecked.version.policy.bindings, bindings('user:dave@example.com'));
    });

    it('etags are per resource: a stale etag on one resource does not block another', async () => {
      const store = await freshStore();
      const a = await store.appendPolicy('services/a', makePolicy(bindings('user:alice@example.com'), 'a'), EMPTY_ETAG, 1_000);
      const b = await store.appendPolicy('services/b', makePolicy(bindings('user:bob@example.com'), 'b'), EMPTY_ETAG, 1_000);
      assert.ok(a.ok && b.ok);
      const conflict = await store.appendPolicy('services/a', makePolicy([], 'x'), b.version.policy.etag, 2_000);
      assert.ok(!conflict.ok);
    });

    it('concurrent appends with the same etag: exactly one wins', async () => {
      const stores = await handles(3);
      const base = await stores[0]!.appendPolicy(R, makePolicy(bindings('user:alice@example.com'), 'base'), null, 1_000);
      assert.ok(base.ok);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stores[i % 3]!.appendPolicy(R, makePolicy(bindings(`user:u${i}@example.com`), `race${i}`), base.version.policy.etag, 2_000 + i),
        ),
      );
      assert.equal(results.filter((r) => r.ok).length, 1, 'one writer wins the etag race, the rest conflict');
    });

    it('policyVersionsSince returns every later version, ascending, with the policy as stored', async () => {
      const store = await freshStore();
      const appended = [];
      for (let i = 0; i < 5; i++) {
        const r = await store.appendPolicy(i % 2 ? 'services/a' : 'services/b', makePolicy(bindings(`user:u${i}@example.com`), `s${i}`), null, 1_000 + i);
        assert.ok(r.ok);
        appended.push(r.version);
      }
      assert.deepEqual(await store.policyVersionsSince(0), appended);
      assert.deepEqual(await store.policyVersionsSince(appended[2]!.seq), appended.slice(3));
      assert.deepEqual(await store.policyVersionsSince(appended[4]!.seq), []);
    });

    it('policyVersionsSince never skips a version while appends race (a follower sees every seq)', async () => {
      const stores = await handles(4);
      const follower = stores[3]!;
      let stop = false;
      let lastSeq = 0;
      const seen: number[] = [];
      const follow = (async () => {
        while (!stop) {
          for (const v of await follower.policyVersionsSince(lastSeq)) {
            assert.ok(v.seq > lastSeq, `seq ${v.seq} arrived after ${lastSeq}: not ascending`);
            lastSeq = v.seq;
            seen.push(v.seq);
          }
          await new Promise((r) => setImmediate(r));
        }
      })();
      const writes = Array.from({ length: 60 }, (_, i) =>
        stores[i % 3]!.appendPolicy(`services/s${i % 7}`, makePolicy(bindings(`user:u${i}@example.com`), `c${i}`), null, 1_000 + i),
      );
      let results;
      try {
        results = await Promise.all(writes);
      } finally {
        stop = true;
        await follow;
      }
      assert.ok(results.every((r) => r.ok));
      // Catch up once more, then the follower must hold exactly what the store holds.
      for (const v of await follower.policyVersionsSince(lastSeq)) seen.push(v.seq);
      const all = (await follower.policyVersionsSince(0)).map((v) => v.seq);
      assert.equal(all.length, 60);
      assert.deepEqual(seen, all, 'the follower skipped or repeated a version');
    });
  });

  describe('settings', () => {
    it('getOrCreateSetting stores the first value and returns it ever after', async () => {
      const store = await freshStore();
      assert.equal(await store.getOrCreateSetting('internal-secret', 'first'), 'first');
      assert.equal(await store.getOrCreateSetting('internal-secret', 'second'), 'first');
      assert.equal(await store.getOrCreateSetting('other', 'x'), 'x');
    });

    it('getOrCreateSetting is race-safe: concurrent callers all get one value', async () => {
      const stores = await handles(3);
      const values = await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % 3]!.getOrCreateSetting('internal-secret', `v${i}`)));
      assert.equal(new Set(values).size, 1, `got ${values.join(', ')}`);
    });
  });

  // Task store (src/store/task-store.ts): the Cloud Tasks cases go here, as
  //   describe('tasks', () => { it('…', async () => { const store = await freshStore(); … store.tasks … }) });
  // using the same freshStore()/handles() helpers, so they run on SQLite and PostgreSQL alike.
}
