// The ONE store conformance suite (STYLE §4: one interface, several implementations, one suite).
// Each backend's test file calls `storeConformance` with a factory for fresh databases; every case
// here must pass on SQLite and on PostgreSQL alike. Races are run across several handles on the
// same database (on PostgreSQL each handle is its own connection pool, so they truly interleave).

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { EMPTY_ETAG, makePolicy, type IamBinding } from '../src/iam/policy.js';
import type { AccessTokenRecord, RefreshTokenRecord, ServiceAccountRecord, ServiceVersionRecord, SigningAlg, SigningKeyRecord, Store } from '../src/store/store.js';
import { pubsubConformance } from './store-conformance-pubsub.js';
import type { AttemptSummary, Completion, NewTask, QueueRecord, TaskRecord, TaskStore } from '../src/store/task-store.js';
import type { JobCompletion, JobRecord, SchedulerStore } from '../src/store/scheduler-store.js';
import type { DispatchAttemptRecord } from '../src/store/dispatch-attempts.js';
import { waitFor } from './support/wait.js';

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

// Task store fixtures. Times are epoch ms around T0; every claim passes GRACE, every task has
// DEADLINE, so a lease taken at `t` lasts until t + LEASE.
const T0 = 1_700_000_000_000;
const DEADLINE = 10_000;
const GRACE = 500;
const LEASE = DEADLINE + GRACE;
/** The name-reuse window the cases pass to insertTask. */
const REUSE = 3_600_000;

function queueRecord(id: string, over: Partial<QueueRecord> = {}): QueueRecord {
  return {
    id,
    project: 'demo-project',
    location: 'us-central1',
    state: 'RUNNING',
    maxDispatchesPerSecond: 500,
    maxBurstSize: 100,
    maxConcurrentDispatches: 1000,
    maxAttempts: 100,
    maxRetryDurationMs: 0,
    minBackoffMs: 100,
    maxBackoffMs: 3_600_000,
    maxDoublings: 16,
    purgeTime: null,
    loggingSamplingRatio: null,
    fromConfig: false,
    createdAt: T0,
    deletedAt: null,
    ...over,
  };
}

function newTask(queue: string, id: string, scheduleTime = T0, over: Partial<NewTask> = {}): NewTask {
  return {
    queue,
    id,
    named: true,
    httpRequest: {
      url: `https://worker.example.com/tasks/${id}`,
      httpMethod: 'POST',
      headers: { 'content-type': 'application/json', 'x-trace': id },
      body: Buffer.from(JSON.stringify({ id })).toString('base64'),
      oidcToken: { serviceAccountEmail: 'runner@demo-project.iam.gserviceaccount.com', audience: 'https://worker.example.com' },
    },
    scheduleTime,
    createTime: T0,
    dispatchDeadlineMs: DEADLINE,
    ...over,
  };
}

/** What a fresh insert of `t` must read back as. */
const inserted = (t: NewTask, seq: number): TaskRecord => ({
  ...t,
  seq,
  dispatchCount: 0,
  responseCount: 0,
  executionCount: 0,
  firstAttemptAt: null,
  lastAttempt: null,
  state: 'queued',
  leaseId: null,
  nextAt: t.scheduleTime,
  finishedAt: null,
});

/** `t` leased by a claim at `at` (the lease ID is the store's, taken from `claimed`). */
const leasedAt = (t: TaskRecord, at: number, claimed: TaskRecord): TaskRecord => ({
  ...t,
  leaseId: claimed.leaseId,
  nextAt: at + LEASE,
  dispatchCount: t.dispatchCount + 1,
  firstAttemptAt: t.firstAttemptAt ?? at,
});

interface AttemptResult {
  dispatchTime: number;
  /** null: no response (timeout, connection refused). */
  httpStatus: number | null;
  latencyMs: number;
  /** For a retry: when it is due again. */
  nextAt?: number;
  denial?: string | null;
  frontDoorRequestId?: string | null;
  error?: string | null;
}

/** The completion of claimed task `t`, built the way the dispatcher builds it. */
function completion(t: TaskRecord, outcome: Completion['outcome'], a: AttemptResult): Completion {
  const responded = a.httpStatus !== null;
  const lastAttempt: AttemptSummary = {
    scheduleTime: t.scheduleTime,
    dispatchTime: a.dispatchTime,
    responseTime: responded ? a.dispatchTime + Math.round(a.latencyMs) : null,
    httpStatus: a.httpStatus,
    error: a.error ?? null,
  };
  return {
    seq: t.seq,
    leaseId: t.leaseId ?? assert.fail(`task ${t.id} is not leased`),
    outcome,
    nextAt: a.nextAt ?? lastAttempt.responseTime ?? a.dispatchTime,
    responseCount: t.responseCount + (responded ? 1 : 0),
    executionCount: t.executionCount + (responded && a.httpStatus! < 500 ? 1 : 0),
    lastAttempt,
    attempt: {
      ...lastAttempt,
      taskSeq: t.seq,
      queue: t.queue,
      taskId: t.id,
      attempt: t.dispatchCount,
      latencyMs: a.latencyMs,
      denial: a.denial ?? null,
      frontDoorRequestId: a.frontDoorRequestId ?? null,
      worker: 'worker-host:4242:a1b2c3',
    },
  };
}

async function insertOk(tasks: TaskStore, t: NewTask, now = t.createTime): Promise<TaskRecord> {
  const r = await tasks.insertTask(t, now, REUSE);
  assert.ok(r.ok, `insert ${t.queue}/${t.id} was refused`);
  return r.task;
}

async function claimNowOk(tasks: TaskStore, queue: string, id: string, now: number): Promise<TaskRecord> {
  const r = await tasks.claimNow(queue, id, now, GRACE);
  assert.ok(typeof r === 'object', `claimNow ${queue}/${id}: ${String(r)}`);
  return r;
}

const ids = (ts: TaskRecord[]): string[] => ts.map((t) => t.id);

// Scheduler fixtures: a job due at T0 + MINUTE, attempts with an attempt deadline of DEADLINE.
const MINUTE = 60_000;

function jobRecord(id: string, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    project: 'demo-project',
    location: 'us-central1',
    description: `the ${id} job`,
    httpTarget: { url: `https://worker.example.com/jobs/${id}`, httpMethod: 'PUT', headers: { 'content-type': 'application/json' }, body: 'e30=', oidcToken: { serviceAccountEmail: 'runner@demo-project.iam.gserviceaccount.com', audience: '' } },
    schedule: '* * * * *',
    timeZone: 'Europe/Paris',
    retryCount: 2,
    maxRetryDurationMs: 0,
    minBackoffMs: 5_000,
    maxBackoffMs: 3_600_000,
    maxDoublings: 5,
    attemptDeadlineMs: DEADLINE,
    state: 'ENABLED',
    fromConfig: false,
    createdAt: T0,
    userUpdateTime: T0,
    version: 1,
    scheduleTime: T0 + MINUTE,
    retryAt: null,
    execution: null,
    leaseId: null,
    nextAt: T0 + MINUTE,
    lastAttemptTime: null,
    status: null,
    ...over,
  };
}

function jobAttempt(j: JobRecord, httpStatus: number | null, dispatchTime: number, over: Partial<DispatchAttemptRecord> = {}): DispatchAttemptRecord {
  return {
    product: 'cloudscheduler',
    resource: j.id,
    item: String(j.execution?.scheduleTime ?? 0),
    attempt: j.execution?.attempts ?? 1,
    scheduleTime: j.execution?.dueAt ?? dispatchTime,
    dispatchTime,
    responseTime: httpStatus === null ? null : dispatchTime + 3,
    httpStatus,
    latencyMs: 3.25,
    denial: httpStatus === 403 ? 'PERMISSION_DENIED' : null,
    frontDoorRequestId: httpStatus === 403 ? 'mk2x9-7' : null,
    error: httpStatus === null ? 'DEADLINE_EXCEEDED: no response' : null,
    worker: 'worker-host:4242:a1b2c3',
    ...over,
  };
}

/** The completion of claimed job `j` at `at`: a retry at `retryAt`, or back to the schedule at `next`. */
function jobCompletion(j: JobRecord, httpStatus: number | null, at: number, next: { retryAt?: number; scheduleTime: number }): JobCompletion {
  const retryAt = next.retryAt ?? null;
  return {
    id: j.id,
    leaseId: j.leaseId,
    version: j.version,
    lastAttemptTime: at,
    status: { code: httpStatus === 200 ? 0 : 7 },
    scheduleTime: next.scheduleTime,
    retryAt,
    execution: retryAt === null ? null : j.execution,
    nextAt: retryAt ?? next.scheduleTime,
    attempt: jobAttempt(j, httpStatus, at),
  };
}

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

  pubsubConformance(freshStore, handles);

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
      // A description (projects.serviceAccounts.create) is kept; none stays absent.
      const described = { ...serviceAccount('described', '100000000000000000002'), description: 'made through the API' };
      assert.deepEqual(await store.ensureServiceAccount(described), described);
      assert.deepEqual(await store.findServiceAccount(described.email), described);
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

  describe('user-managed keys', () => {
    const owner = 'runner@demo-project.iam.gserviceaccount.com';

    it('addUserManagedKey stores a published key that is never the active one', async () => {
      const store = await freshStore();
      const system = await store.ensureActiveSigningKey(keyRecord('RS256', owner, 1_000));
      const user = keyRecord('RS256', owner, 2_000);
      await store.addUserManagedKey(user);
      const byKid = new Map((await store.listSigningKeys()).map((k) => [k.kid, k]));
      assert.deepEqual(byKid.get(user.kid), { ...user, retiredAt: 2_000, publishedUntil: null, userManaged: true });
      assert.deepEqual(byKid.get(system.kid), system, 'the system-managed key stays active and unmarked');
      assert.equal((await store.ensureActiveSigningKey(keyRecord('RS256', owner))).kid, system.kid);
    });

    it('deleteSigningKey unpublishes from now on, keeps an earlier retirement, and says whether the kid exists', async () => {
      const store = await freshStore();
      const user = keyRecord('RS256', owner, 2_000);
      await store.addUserManagedKey(user);
      const system = await store.ensureActiveSigningKey(keyRecord('RS256', owner, 1_000));
      assert.equal(await store.deleteSigningKey(user.kid, 7_000), true);
      assert.equal(await store.deleteSigningKey(system.kid, 8_000), true);
      assert.equal(await store.deleteSigningKey('no-such-kid', 8_000), false);
      const byKid = new Map((await store.listSigningKeys()).map((k) => [k.kid, k]));
      assert.deepEqual(byKid.get(user.kid), { ...user, retiredAt: 2_000, publishedUntil: 7_000, userManaged: true });
      assert.deepEqual(byKid.get(system.kid), { ...system, retiredAt: 8_000, publishedUntil: 8_000 });
    });
  });

  describe('refresh tokens', () => {
    const token = (hash: string): RefreshTokenRecord => ({
      tokenHash: hash,
      principal: 'user:developer@example.com',
      clientId: '32555940559.apps.googleusercontent.com',
      scopes: ['openid', 'https://www.googleapis.com/auth/cloud-platform'],
      createdAt: 1_700_000_000_000,
    });

    it('put then get returns the same record on any handle; unknown hashes are null', async () => {
      const [a, b] = await handles(2);
      await a!.putRefreshToken(token('h1'));
      assert.deepEqual(await b!.getRefreshToken('h1'), token('h1'));
      assert.equal(await b!.getRefreshToken('h2'), null);
    });
  });

  describe('service versions', () => {
    const version = (service: string, generation: number, ingress: 'all' | 'internal' = 'internal'): ServiceVersionRecord => ({
      service,
      generation,
      settings: { ingress, invokerIamCheck: generation % 2 === 0, customAudiences: [`https://aud-${generation}.example`] },
      configFingerprint: 'fp-1',
      modifier: 'user:developer@example.com',
      createdAt: 1_700_000_000_000 + generation,
    });

    it('latestServiceVersions returns the newest version of each service, as written', async () => {
      const store = await freshStore();
      assert.deepEqual(await store.latestServiceVersions(), []);
      for (const v of [version('update', 2), version('update', 3, 'all'), version('report', 2)]) assert.equal(await store.appendServiceVersion(v), true);
      assert.deepEqual(await store.latestServiceVersions(), [version('report', 2), version('update', 3, 'all')]);
    });

    it('a generation is taken once: concurrent appends of one generation on several handles, exactly one wins', async () => {
      const stores = await handles(3);
      const results = await Promise.all(Array.from({ length: 9 }, (_, i) => stores[i % 3]!.appendServiceVersion({ ...version('update', 2), modifier: `user:u${i}@example.com` })));
      assert.equal(results.filter(Boolean).length, 1);
      const [latest] = await stores[0]!.latestServiceVersions();
      assert.equal(latest!.modifier, `user:u${results.indexOf(true)}@example.com`);
    });
  });

  // The Cloud Tasks store (src/store/task-store.ts): what the tasks service and the dispatcher rely on.
  describe('tasks', () => {
    /** The task store of a fresh database holding running queue 'q' (created at T0). */
    const withQueue = async (over: Partial<QueueRecord> = {}): Promise<TaskStore> => {
      const { tasks } = await freshStore();
      assert.equal(await tasks.createQueue(queueRecord('q', over), T0, 0), 'created');
      return tasks;
    };

    describe('queues', () => {
      it('createQueue inserts once; getQueue reads it back as written; listQueues lists live queues by ID', async () => {
        const { tasks } = await freshStore();
        const b = queueRecord('b', {
          state: 'PAUSED',
          maxDispatchesPerSecond: 0.5,
          maxBurstSize: 1,
          maxAttempts: -1,
          purgeTime: T0 - 5,
          loggingSamplingRatio: 0.25,
          fromConfig: true,
        });
        const a = queueRecord('a');
        assert.equal(await tasks.createQueue(b, T0, 0), 'created');
        assert.equal(await tasks.createQueue(a, T0, 0), 'created');
        assert.equal(await tasks.createQueue({ ...a, state: 'PAUSED' }, T0 + 1, 0), 'exists');
        assert.deepEqual(await tasks.getQueue('b'), b);
        assert.deepEqual(await tasks.getQueue('a'), a, 'a second create changes nothing');
        assert.equal(await tasks.getQueue('c'), null);
        assert.deepEqual((await tasks.listQueues()).map((q) => q.id), ['a', 'b']);
      });

      it('concurrent creates of one queue on several handles: exactly one is created', async () => {
        const stores = await handles(3);
        const results = await Promise.all(
          Array.from({ length: 9 }, (_, i) => stores[i % 3]!.tasks.createQueue(queueRecord('race', { maxBurstSize: i + 1 }), T0, 0)),
        );
        assert.deepEqual([...results].sort(), ['created', ...Array<string>(8).fill('exists')]);
        assert.equal((await stores[1]!.tasks.getQueue('race'))?.maxBurstSize, results.indexOf('created') + 1, 'the winner is stored');
      });

      it('updateQueue replaces the settings and state of a live queue; null for a missing or deleted one', async () => {
        const tasks = await withQueue();
        const changed = queueRecord('q', {
          state: 'PAUSED',
          maxDispatchesPerSecond: 2.5,
          maxBurstSize: 3,
          maxConcurrentDispatches: 7,
          maxAttempts: 5,
          maxRetryDurationMs: 60_000,
          minBackoffMs: 1_000,
          maxBackoffMs: 9_000,
          maxDoublings: 2,
          loggingSamplingRatio: 0.5,
        });
        assert.deepEqual(await tasks.updateQueue(changed), changed);
        assert.deepEqual(await tasks.getQueue('q'), changed);
        assert.equal(await tasks.updateQueue(queueRecord('nope')), null);
        assert.equal(await tasks.getQueue('nope'), null, 'an update does not create');
        assert.equal(await tasks.deleteQueue('q', T0 + 10), true);
        assert.equal(await tasks.updateQueue(queueRecord('q')), null);
        assert.equal((await tasks.getQueue('q'))?.deletedAt, T0 + 10, 'an update does not revive');
      });

      it('deleteQueue tombstones the queue and takes its tasks with it; the ID stays blocked for reuseBlockMs', async () => {
        const tasks = await withQueue();
        await tasks.createQueue(queueRecord('other'), T0, 0);
        await insertOk(tasks, newTask('q', 'a'));
        await insertOk(tasks, newTask('q', 'b'));
        const kept = await insertOk(tasks, newTask('other', 'a'));

        assert.equal(await tasks.deleteQueue('q', T0 + 100), true);
        assert.equal(await tasks.deleteQueue('q', T0 + 200), false, 'already deleted');
        assert.equal(await tasks.deleteQueue('nope', T0 + 200), false);
        assert.deepEqual(await tasks.getQueue('q'), queueRecord('q', { deletedAt: T0 + 100 }));
        assert.deepEqual((await tasks.listQueues()).map((q) => q.id), ['other']);
        assert.equal(await tasks.getTask('q', 'a'), null);
        assert.equal(await tasks.getTask('q', 'b'), null);
        assert.deepEqual(await tasks.listTasks('q', 0, 10), []);
        assert.deepEqual(await tasks.getTask('other', 'a'), kept, "another queue's tasks stay");

        const BLOCK = 1_000;
        assert.equal(await tasks.createQueue(queueRecord('q'), T0 + 100 + BLOCK - 1, BLOCK), 'recently-deleted');
        const again = queueRecord('q', { createdAt: T0 + 100 + BLOCK, maxBurstSize: 9 });
        assert.equal(await tasks.createQueue(again, T0 + 100 + BLOCK, BLOCK), 'created');
        assert.deepEqual(await tasks.getQueue('q'), again);
        assert.deepEqual(await tasks.listTasks('q', 0, 10), [], 'the old tasks do not come back');
      });

      it("upsertConfigQueue inserts, refreshes the settings but keeps the user's state, and revives a deleted queue", async () => {
        const stores = await handles(3);
        const tasks = stores[0]!.tasks;
        const declared = queueRecord('cfg', { fromConfig: true, maxDispatchesPerSecond: 5, maxBurstSize: 5 });
        // Processes starting together each apply the config.
        await Promise.all(stores.map((s) => s.tasks.upsertConfigQueue(declared)));
        assert.deepEqual(await tasks.listQueues(), [declared]);

        await tasks.updateQueue({ ...declared, state: 'PAUSED' });
        const redeclared = { ...declared, maxDispatchesPerSecond: 20, maxBurstSize: 20, maxAttempts: 3, createdAt: T0 + 5_000 };
        await stores[1]!.tasks.upsertConfigQueue(redeclared);
        assert.deepEqual(await tasks.getQueue('cfg'), { ...redeclared, state: 'PAUSED', createdAt: T0 });

        await tasks.deleteQueue('cfg', T0 + 6_000);
        await stores[2]!.tasks.upsertConfigQueue({ ...redeclared, createdAt: T0 + 7_000 });
        assert.deepEqual(await tasks.getQueue('cfg'), { ...redeclared, createdAt: T0 + 7_000 });
      });

      it('purgeQueue tombstones the queued tasks created up to now and records purgeTime', async () => {
        const tasks = await withQueue();
        await tasks.createQueue(queueRecord('other'), T0, 0);
        const first = await insertOk(tasks, newTask('q', 'first', T0, { createTime: T0 }));
        await insertOk(tasks, newTask('q', 'second', T0 + 50_000, { createTime: T0 + 2_000 }));
        const late = await insertOk(tasks, newTask('q', 'late', T0, { createTime: T0 + 2_001 }));
        const elsewhere = await insertOk(tasks, newTask('other', 'first'));

        assert.equal(await tasks.purgeQueue('q', T0 + 2_000), 2);
        assert.equal((await tasks.getQueue('q'))?.purgeTime, T0 + 2_000);
        assert.deepEqual(await tasks.getTask('q', 'first'), { ...first, state: 'deleted', finishedAt: T0 + 2_000 });
        assert.equal((await tasks.getTask('q', 'second'))?.state, 'deleted');
        assert.deepEqual(await tasks.listTasks('q', 0, 10), [late]);
        assert.deepEqual(await tasks.getTask('other', 'first'), elsewhere);
        const reuse = await tasks.insertTask(newTask('q', 'first'), T0 + 2_001, REUSE);
        assert.ok(!reuse.ok, 'a purged name is a tombstone: still reserved');
        assert.equal(await tasks.purgeQueue('q', T0 + 2_000), 0);
      });
    });

    describe('task rows', () => {
      it('insertTask returns the record getTask reads back, with a store-wide increasing seq', async () => {
        const tasks = await withQueue();
        await tasks.createQueue(queueRecord('other'), T0, 0);
        const newA = newTask('q', 'a', T0 + 1_000);
        const newOtherA = newTask('other', 'a');
        const newGenerated = newTask('q', '0123456789', T0, {
          named: false,
          httpRequest: {
            url: 'https://worker.example.com/poll?x=1',
            httpMethod: 'GET',
            headers: {},
            body: null,
            oauthToken: { serviceAccountEmail: 'runner@demo-project.iam.gserviceaccount.com', scope: 'https://www.googleapis.com/auth/cloud-platform' },
          },
          dispatchDeadlineMs: 1_800_000,
        });
        const a = await insertOk(tasks, newA);
        const otherA = await insertOk(tasks, newOtherA);
        const generated = await insertOk(tasks, newGenerated);
        assert.ok(a.seq < otherA.seq && otherA.seq < generated.seq, `seqs ${a.seq}, ${otherA.seq}, ${generated.seq}`);
        assert.deepEqual(a, inserted(newA, a.seq));
        assert.deepEqual(generated, inserted(newGenerated, generated.seq));
        assert.deepEqual(await tasks.getTask('q', 'a'), a);
        assert.deepEqual(await tasks.getTask('other', 'a'), otherA);
        assert.deepEqual(await tasks.getTask('q', '0123456789'), generated);
        assert.equal(await tasks.getTask('q', 'b'), null);
        assert.equal(await tasks.getTask('nope', 'a'), null);
      });

      it('with queueLocation a task goes in only while its queue is live in that location, generated and named alike', async () => {
        const tasks = await withQueue();
        const missing = { ok: false, queueMissing: true };
        for (const named of [false, true]) {
          const t = (queue: string, id: string) => newTask(queue, `${id}-${named}`, T0, { named });
          assert.deepEqual(await tasks.insertTask(t('q', 'elsewhere'), T0, REUSE, 'europe-west1'), missing, 'another location');
          assert.deepEqual(await tasks.insertTask(t('nope', 'nowhere'), T0, REUSE, 'us-central1'), missing, 'no such queue');
          const here = t('q', 'here');
          const r = await tasks.insertTask(here, T0, REUSE, 'us-central1');
          assert.ok(r.ok, 'the queue is live there');
          assert.deepEqual(await tasks.getTask('q', here.id), inserted(here, r.task.seq));
          assert.equal(await tasks.getTask('q', `elsewhere-${named}`), null, 'nothing was written for a refused insert');
        }
        // Concurrent creates of one turn share a commit: each is checked on its own.
        const batch = await Promise.all([
          tasks.insertTask(newTask('q', 'x', T0, { named: false }), T0, REUSE, 'us-central1'),
          tasks.insertTask(newTask('nope', 'y', T0, { named: false }), T0, REUSE, 'us-central1'),
        ]);
        assert.ok(batch[0]!.ok);
        assert.deepEqual(batch[1], missing);
        assert.equal(await tasks.deleteQueue('q', T0 + 1), true);
        assert.deepEqual(await tasks.insertTask(newTask('q', 'after', T0, { named: false }), T0 + 2, REUSE, 'us-central1'), missing, 'a deleted queue');
      });

      it('a name is taken while its task is queued and while its tombstone is younger than the reuse window', async () => {
        const tasks = await withQueue();
        const first = await insertOk(tasks, newTask('q', 'n'));
        assert.deepEqual(await tasks.insertTask(newTask('q', 'n', T0 + 9), T0 + 1, REUSE), { ok: false, existing: first });

        assert.equal(await tasks.deleteTask('q', 'n', T0 + 100), 'deleted');
        const held = await tasks.insertTask(newTask('q', 'n'), T0 + 100 + REUSE - 1, REUSE);
        assert.ok(!held.ok, 'the tombstone still holds the name');
        assert.deepEqual(held.existing, { ...first, state: 'deleted', finishedAt: T0 + 100 });

        const second = newTask('q', 'n', T0 + 100 + REUSE, { createTime: T0 + 100 + REUSE });
        const reused = await tasks.insertTask(second, T0 + 100 + REUSE, REUSE);
        assert.ok(reused.ok, 'the window has passed');
        assert.ok(reused.task.seq > first.seq, 'a new row');
        assert.deepEqual(reused.task, inserted(second, reused.task.seq));
        assert.deepEqual(await tasks.getTask('q', 'n'), reused.task, 'the new task replaced the tombstone');
      });

      it('concurrent inserts of one name on several handles: exactly one wins, the others get it back', async () => {
        const stores = await handles(3);
        await stores[0]!.tasks.createQueue(queueRecord('q'), T0, 0);
        const race = async (now: number): Promise<TaskRecord> => {
          const results = await Promise.all(Array.from({ length: 9 }, (_, i) => stores[i % 3]!.tasks.insertTask(newTask('q', 'same', now + i, { createTime: now }), now, REUSE)));
          const winners = results.flatMap((r) => (r.ok ? [r.task] : []));
          assert.equal(winners.length, 1, `${winners.length} inserts of one name succeeded`);
          for (const r of results) if (!r.ok) assert.deepEqual(r.existing, winners[0]);
          assert.deepEqual(await stores[2]!.tasks.getTask('q', 'same'), winners[0]);
          return winners[0]!;
        };
        const first = await race(T0);
        assert.equal(await stores[1]!.tasks.deleteTask('q', 'same', T0 + 1), 'deleted');
        // Past the window every racer finds the old tombstone and tries to replace it.
        const second = await race(T0 + 1 + REUSE);
        assert.ok(second.seq > first.seq);
      });

      it('listTasks pages through the queued tasks of one queue by seq', async () => {
        const tasks = await withQueue();
        await tasks.createQueue(queueRecord('other'), T0, 0);
        const made: TaskRecord[] = [];
        for (let i = 0; i < 8; i++) {
          // Scheduled in reverse, so seq order is not due order.
          made.push(await insertOk(tasks, newTask('q', `t${i}`, T0 + (8 - i) * 1_000)));
          if (i === 2) await insertOk(tasks, newTask('other', 'x'));
        }
        assert.equal(await tasks.deleteTask('q', 't3', T0), 'deleted');
        const [leased] = (await tasks.claim('q', T0 + 1_000, 1, GRACE)).tasks;
        assert.equal(leased?.id, 't7');
        const live = made.filter((t) => t.id !== 't3').map((t) => (t.id === 't7' ? leased : t));

        const page1 = await tasks.listTasks('q', 0, 3);
        assert.deepEqual(page1, live.slice(0, 3));
        const page2 = await tasks.listTasks('q', page1[2]!.seq, 3);
        assert.deepEqual(page2, live.slice(3, 6), 'a tombstone is skipped, the other queue is not listed');
        const page3 = await tasks.listTasks('q', page2[2]!.seq, 3);
        assert.deepEqual(page3, live.slice(6), 'a leased task is still listed, with its lease');
        assert.deepEqual(await tasks.listTasks('q', page3[0]!.seq, 3), []);
        assert.deepEqual(await tasks.listTasks('nope', 0, 3), []);
      });

      it('deleteTask tombstones a queued task (dropping its lease), and says tombstone or missing otherwise', async () => {
        const tasks = await withQueue();
        await insertOk(tasks, newTask('q', 'a'));
        const [leased] = (await tasks.claim('q', T0, 10, GRACE)).tasks;
        assert.ok(leased);
        assert.equal(await tasks.deleteTask('q', 'a', T0 + 50), 'deleted');
        assert.deepEqual(await tasks.getTask('q', 'a'), { ...leased, state: 'deleted', leaseId: null, finishedAt: T0 + 50 });
        assert.equal(await tasks.deleteTask('q', 'a', T0 + 60), 'tombstone');
        assert.equal(await tasks.deleteTask('q', 'zzz', T0), 'missing');
        assert.equal(await tasks.deleteTask('nope', 'a', T0), 'missing');
        assert.deepEqual(await tasks.listTasks('q', 0, 10), []);

        // The deleted attempt's result arrives: the tombstone stays, the attempt is recorded.
        const late = completion(leased, 'done', { dispatchTime: T0, httpStatus: 200, latencyMs: 80 });
        await tasks.complete([late]);
        assert.equal((await tasks.getTask('q', 'a'))?.state, 'deleted');
        assert.deepEqual(await tasks.listAttempts('q', 'a'), [late.attempt]);
        assert.deepEqual((await tasks.claim('q', T0 + 10 * LEASE, 10, GRACE)).tasks, [], 'never claimed again');
      });
    });

    describe('claims', () => {
      it('claim leases the due tasks, earliest first, up to max', async () => {
        const tasks = await withQueue();
        const made = new Map<string, TaskRecord>();
        for (const [id, at] of [['c', T0 + 300], ['a', T0 + 100], ['later', T0 + 10_000], ['b', T0 + 200]] as const) made.set(id, await insertOk(tasks, newTask('q', id, at)));

        const first = await tasks.claim('q', T0 + 300, 2, GRACE);
        assert.deepEqual(ids(first.tasks), ['a', 'b']);
        for (const t of first.tasks) {
          assert.equal(typeof t.leaseId, 'string');
          assert.deepEqual(t, leasedAt(made.get(t.id)!, T0 + 300, t));
          assert.deepEqual(await tasks.getTask('q', t.id), t, 'the lease is in the row');
        }
        assert.deepEqual(first.queue, queueRecord('q'));
        assert.equal(first.saturated, false);
        assert.equal(first.wakeAt, T0 + 300, 'c is due now: claim again at once');

        const second = await tasks.claim('q', T0 + 300, 10, GRACE);
        assert.deepEqual(ids(second.tasks), ['c']);
        assert.equal(second.wakeAt, T0 + 10_000, 'next: the later task (before any lease expires)');

        await tasks.createQueue(queueRecord('empty'), T0, 0);
        assert.deepEqual(await tasks.claim('empty', T0, 10, GRACE), { queue: queueRecord('empty'), tasks: [], saturated: false, wakeAt: null });
      });

      it('a leased task is not claimable again until its lease expires; then the old lease is lost', async () => {
        const tasks = await withQueue();
        const made = await insertOk(tasks, newTask('q', 'a'));
        const [first] = (await tasks.claim('q', T0, 10, GRACE)).tasks;
        assert.ok(first);
        assert.deepEqual(first, leasedAt(made, T0, first));

        const during = await tasks.claim('q', T0 + LEASE - 1, 10, GRACE);
        assert.deepEqual(during.tasks, []);
        assert.equal(during.wakeAt, T0 + LEASE, 'due again when the lease expires');
        assert.equal(await tasks.claimNow('q', 'a', T0 + LEASE - 1, GRACE), 'in-flight');

        const [second] = (await tasks.claim('q', T0 + LEASE, 10, GRACE)).tasks;
        assert.ok(second);
        assert.deepEqual(second, leasedAt(first, T0 + LEASE, second), 'dispatchCount 2, firstAttemptAt kept');
        assert.notEqual(second.leaseId, first.leaseId);

        // The first attempt's result arrives late: its lease is lost, the row is untouched…
        const late = completion(first, 'done', { dispatchTime: T0, httpStatus: 200, latencyMs: 10_400 });
        await tasks.complete([late]);
        assert.deepEqual(await tasks.getTask('q', 'a'), second);
        // …but the attempt is recorded. The current lease's completion lands.
        const current = completion(second, 'done', { dispatchTime: T0 + LEASE, httpStatus: 204, latencyMs: 3 });
        await tasks.complete([current]);
        assert.equal((await tasks.getTask('q', 'a'))?.state, 'done');
        assert.deepEqual(await tasks.listAttempts('q', 'a'), [late.attempt, current.attempt]);
      });

      it('concurrent claims on several handles never hand out a task twice, nor more than the limits allow', async () => {
        const stores = await handles(3);
        const tasks = stores[0]!.tasks;
        // Limits far above the backlog; a bucket of 10 tokens (refilling at 1/s); 6 dispatch slots.
        await tasks.createQueue(queueRecord('open'), T0, 0);
        await tasks.createQueue(queueRecord('rate', { maxDispatchesPerSecond: 1, maxBurstSize: 10 }), T0, 0);
        await tasks.createQueue(queueRecord('slots', { maxConcurrentDispatches: 6 }), T0, 0);
        const queues = ['open', 'rate', 'slots'];
        await Promise.all(queues.flatMap((q, n) => Array.from({ length: 24 }, (_, i) => insertOk(stores[(n + i) % 3]!.tasks, newTask(q, `t${i}`, T0 + i)))));

        const claims = await Promise.all(Array.from({ length: 27 }, (_, i) => stores[i % 3]!.tasks.claim(queues[Math.floor(i / 3) % 3]!, T0 + 100, 4, GRACE)));
        const claimed = claims.flatMap((c) => c.tasks);
        const seqs = claimed.map((t) => t.seq);
        assert.equal(new Set(seqs).size, seqs.length, 'a task was handed out twice');
        const count = (q: string) => claimed.filter((t) => t.queue === q).length;
        assert.equal(count('open'), 24, 'every due task was claimed');
        assert.equal(count('rate'), 10, 'the burst, no more');
        assert.equal(count('slots'), 6, 'maxConcurrentDispatches, no more');
        for (const t of claimed) {
          const row = await stores[1]!.tasks.getTask(t.queue, t.id);
          assert.equal(row?.dispatchCount, 1, `${t.queue}/${t.id} leased more than once`);
          assert.equal(row?.leaseId, t.leaseId, `${t.queue}/${t.id}: the row holds another lease`);
        }
      });

      it('the token bucket is one state shared by every handle: burst, refill at the rate, capped at the burst', async () => {
        const [a, b] = await handles(2);
        await a!.tasks.createQueue(queueRecord('q', { maxDispatchesPerSecond: 10, maxBurstSize: 5 }), T0, 0);
        for (let i = 0; i < 20; i++) await insertOk(a!.tasks, newTask('q', `t${i}`));
        const take = (s: Store, at: number) => s.tasks.claim('q', at, 100, GRACE);

        assert.equal((await take(a!, T0)).tasks.length, 5, 'a new queue starts with a full bucket');
        const dry = await take(b!, T0);
        assert.equal(dry.tasks.length, 0, 'the other handle finds the bucket empty');
        assert.equal(dry.saturated, false);
        assert.equal(dry.wakeAt, T0 + 100, 'one token refills in 1/10 s');
        assert.equal((await take(b!, T0 + 250)).tasks.length, 2, '2.5 tokens: two whole ones');
        assert.equal((await take(a!, T0 + 300)).tasks.length, 1, 'the half token left plus 50 ms of refill');
        // A claim whose clock read is older than the last refill (it waited for the lock) must not
        // move the bucket's clock back, or the next claim would be credited that time twice.
        const behind = await take(b!, T0 + 200);
        assert.equal(behind.tasks.length, 0);
        assert.equal(behind.wakeAt, T0 + 300);
        assert.equal((await take(a!, T0 + 300)).tasks.length, 0, 'no time credited twice');
        assert.equal((await take(b!, T0 + 60_000)).tasks.length, 5, 'a long idle refills to the burst, no further');
        assert.equal((await a!.tasks.listTasks('q', 0, 100)).filter((t) => t.leaseId === null).length, 7);
      });

      it('maxConcurrentDispatches counts the leases of every handle; a completion or an expired lease frees a slot', async () => {
        const [a, b] = await handles(2);
        await a!.tasks.createQueue(queueRecord('q', { maxConcurrentDispatches: 2 }), T0, 0);
        for (let i = 0; i < 5; i++) await insertOk(a!.tasks, newTask('q', `t${i}`, T0 + i));

        const full = await a!.tasks.claim('q', T0 + 10, 10, GRACE);
        assert.deepEqual(ids(full.tasks), ['t0', 't1']);
        assert.equal(full.saturated, true);
        assert.equal(full.wakeAt, null, 'a completion wakes the queue, not a timer');
        const none = await b!.tasks.claim('q', T0 + 10, 10, GRACE);
        assert.deepEqual(none.tasks, []);
        assert.equal(none.saturated, true);

        await b!.tasks.complete([completion(full.tasks[0]!, 'done', { dispatchTime: T0 + 10, httpStatus: 200, latencyMs: 5 })]);
        const freed = await b!.tasks.claim('q', T0 + 20, 10, GRACE);
        assert.deepEqual(ids(freed.tasks), ['t2']);
        assert.equal(freed.saturated, true);

        // t1 (leased at T0 + 10) and t2 are in flight until t1's lease expires.
        assert.deepEqual((await a!.tasks.claim('q', T0 + 10 + LEASE - 1, 10, GRACE)).tasks, []);
        assert.deepEqual(ids((await a!.tasks.claim('q', T0 + 10 + LEASE, 10, GRACE)).tasks), ['t3']);
      });

      it('a paused, deleted or missing queue hands out nothing; claimNow runs a task regardless', async () => {
        const tasks = await withQueue({ state: 'PAUSED' });
        const a = await insertOk(tasks, newTask('q', 'a'));
        const later = await insertOk(tasks, newTask('q', 'later', T0 + 3_600_000));
        assert.deepEqual(await tasks.claim('q', T0, 10, GRACE), { queue: queueRecord('q', { state: 'PAUSED' }), tasks: [], saturated: false, wakeAt: null });
        assert.deepEqual(await tasks.claim('nope', T0, 10, GRACE), { queue: null, tasks: [], saturated: false, wakeAt: null });

        const run = await claimNowOk(tasks, 'q', 'a', T0 + 5);
        assert.deepEqual(run, leasedAt(a, T0 + 5, run));
        assert.deepEqual(await tasks.getTask('q', 'a'), run);
        assert.equal(await tasks.claimNow('q', 'a', T0 + 6, GRACE), 'in-flight');
        assert.equal(await tasks.claimNow('q', 'zzz', T0 + 6, GRACE), 'missing');
        const early = await claimNowOk(tasks, 'q', 'later', T0 + 6);
        assert.deepEqual(early, leasedAt(later, T0 + 6, early), 'before its scheduleTime');

        await tasks.complete([completion(run, 'done', { dispatchTime: T0 + 5, httpStatus: 200, latencyMs: 1 })]);
        assert.equal(await tasks.claimNow('q', 'a', T0 + 10, GRACE), 'missing', 'a tombstone is not runnable');

        await tasks.deleteQueue('q', T0 + 20);
        const gone = await tasks.claim('q', T0 + 30, 10, GRACE);
        assert.equal(gone.queue?.deletedAt, T0 + 20);
        assert.deepEqual([gone.tasks, gone.wakeAt], [[], null]);
        assert.equal(await tasks.claimNow('q', 'later', T0 + 30 + LEASE, GRACE), 'missing');
      });

      it("releaseOrphanedLeases makes a closed handle's leases due now, never a live handle's", async () => {
        const db = await freshDb();
        const [a, b] = [await db.open(), await db.open()];
        await a.tasks.createQueue(queueRecord('q'), T0, 0);
        const x = await insertOk(a.tasks, newTask('q', 'x'));
        const y = await insertOk(a.tasks, newTask('q', 'y', T0 + 1));
        const waiting = await insertOk(a.tasks, newTask('q', 'waiting', T0 + 60_000));
        const [byA] = (await a.tasks.claim('q', T0, 1, GRACE)).tasks;
        const [byB] = (await b.tasks.claim('q', T0 + 1, 1, GRACE)).tasks;
        assert.deepEqual([byA?.id, byB?.id], ['x', 'y']);

        // Both handles live: a process starting beside them releases nothing (PostgreSQL: a second
        // authplane; SQLite: a second handle in the process that owns the file).
        const c = await db.open();
        assert.equal(await c.tasks.releaseOrphanedLeases(T0 + 50), 0);
        assert.equal(await b.tasks.releaseOrphanedLeases(T0 + 50), 0, 'nor its own leases');
        assert.deepEqual(await c.tasks.getTask('q', 'x'), leasedAt(x, T0, byA!));

        // a is gone: its lease, and only its, is due now; the attempt count stays.
        await a.close();
        opened.splice(opened.indexOf(a), 1);
        assert.equal(await c.tasks.releaseOrphanedLeases(T0 + 50), 1);
        assert.deepEqual(await c.tasks.getTask('q', 'x'), { ...leasedAt(x, T0, byA!), leaseId: null, nextAt: T0 + 50 });
        assert.deepEqual(await c.tasks.getTask('q', 'y'), leasedAt(y, T0 + 1, byB!));
        assert.deepEqual(await c.tasks.getTask('q', 'waiting'), waiting);
        assert.equal(await c.tasks.releaseOrphanedLeases(T0 + 60), 0, 'released once');
        const [again] = (await c.tasks.claim('q', T0 + 50, 10, GRACE)).tasks;
        assert.deepEqual([again?.id, again?.dispatchCount], ['x', 2]);
        // a's late completion finds its lease gone: the row keeps c's lease.
        await c.tasks.complete([completion(byA!, 'done', { dispatchTime: T0, httpStatus: 200, latencyMs: 5 })]);
        assert.equal((await c.tasks.getTask('q', 'x'))?.leaseId, again!.leaseId);
      });

      it('subscribe (PostgreSQL only, where processes share queues) hears on one handle what another creates or resumes', async () => {
        const [a, b] = await handles(2);
        assert.equal(typeof b!.tasks.subscribe, backend.kind === 'postgres' ? 'function' : 'undefined');
        if (!b!.tasks.subscribe) return;
        const heard: Array<[string, number, string]> = [];
        const unsubscribe = await b!.tasks.subscribe((queue, at, news) => heard.push([queue, at, news]));
        try {
          await a!.tasks.createQueue(queueRecord('q', { state: 'PAUSED' }), T0, 0);
          await insertOk(a!.tasks, newTask('q', 'x', T0 + 1_234));
          await waitFor('the create notification', () => heard.length >= 1);
          assert.deepEqual(heard[0], ['q', T0 + 1_234, 'task']);
          await a!.tasks.updateQueue(queueRecord('q'));
          await waitFor('the resume notification', () => heard.length >= 2);
          assert.deepEqual([heard[1]![0], heard[1]![2]], ['q', 'running']);
        } finally {
          await unsubscribe();
        }
      });
    });

    describe('completions and attempts', () => {
      it('complete writes each outcome: done and failed become tombstones, retry is due again at nextAt', async () => {
        const tasks = await withQueue();
        for (const id of ['ok', 'bad', 'flaky', 'lost']) await insertOk(tasks, newTask('q', id));
        const byId = new Map((await tasks.claim('q', T0, 10, GRACE)).tasks.map((t) => [t.id, t]));
        const claimed = (id: string) => byId.get(id) ?? assert.fail(`${id} not claimed`);
        const done = completion(claimed('ok'), 'done', { dispatchTime: T0, httpStatus: 200, latencyMs: 12.345 });
        const failed = completion(claimed('bad'), 'failed', { dispatchTime: T0, httpStatus: null, latencyMs: 10_000, error: 'timeout' });
        const retry = completion(claimed('flaky'), 'retry', { dispatchTime: T0, httpStatus: 503, latencyMs: 3.25, nextAt: T0 + 2_000 });
        const lost = { ...completion(claimed('lost'), 'done', { dispatchTime: T0, httpStatus: 200, latencyMs: 1 }), leaseId: 'not-the-lease' };
        await tasks.complete([done, failed, retry, lost]);

        assert.deepEqual(await tasks.getTask('q', 'ok'), {
          ...claimed('ok'),
          state: 'done',
          leaseId: null,
          nextAt: T0 + 12,
          scheduleTime: T0 + 12,
          responseCount: 1,
          executionCount: 1,
          lastAttempt: done.lastAttempt,
          finishedAt: T0 + 12,
        });
        assert.deepEqual(await tasks.getTask('q', 'bad'), {
          ...claimed('bad'),
          state: 'failed',
          leaseId: null,
          nextAt: T0,
          scheduleTime: T0,
          lastAttempt: failed.lastAttempt,
          finishedAt: T0,
        });
        assert.deepEqual(await tasks.getTask('q', 'flaky'), {
          ...claimed('flaky'),
          leaseId: null,
          nextAt: T0 + 2_000,
          scheduleTime: T0 + 2_000,
          responseCount: 1,
          executionCount: 0,
          lastAttempt: retry.lastAttempt,
        });
        assert.deepEqual(await tasks.getTask('q', 'lost'), claimed('lost'), 'a completion without the lease changes nothing');
        assert.deepEqual(await tasks.listAttempts('q', 'lost'), [lost.attempt], 'but its attempt is recorded');
        assert.deepEqual(ids(await tasks.listTasks('q', 0, 10)), ['flaky', 'lost']);
        for (const id of ['ok', 'bad']) assert.ok(!(await tasks.insertTask(newTask('q', id), T0 + 100, REUSE)).ok, `${id}: the tombstone holds the name`);

        const early = await tasks.claim('q', T0 + 1_999, 10, GRACE);
        assert.deepEqual([early.tasks, early.wakeAt], [[], T0 + 2_000]);
        const [again] = (await tasks.claim('q', T0 + 2_000, 10, GRACE)).tasks;
        assert.deepEqual([again?.id, again?.dispatchCount, again?.firstAttemptAt], ['flaky', 2, T0]);
      });

      it('listAttempts reads back every attempt of a name, every generation, oldest first, as written', async () => {
        const tasks = await withQueue();
        await tasks.createQueue(queueRecord('other'), T0, 0);
        await insertOk(tasks, newTask('q', 'a'));
        await insertOk(tasks, newTask('q', 'b'));
        await insertOk(tasks, newTask('other', 'a'));
        const written: Completion[] = [];
        const attempt = async (queue: string, at: number, results: Array<[string, Completion['outcome'], AttemptResult]>) => {
          const claimed = new Map((await tasks.claim(queue, at, 10, GRACE)).tasks.map((t) => [t.id, t]));
          const batch = results.map(([id, outcome, r]) => completion(claimed.get(id) ?? assert.fail(`${queue}/${id} not claimed at ${at}`), outcome, r));
          await tasks.complete(batch);
          written.push(...batch);
          return batch;
        };
        // One batch over two tasks: a refusal by the front door (with its code), and a success.
        const [a1] = await attempt('q', T0, [
          ['a', 'retry', { dispatchTime: T0, httpStatus: 403, latencyMs: 4.125, denial: 'AUDIENCE_MISMATCH', frontDoorRequestId: 'mk2x9-4f', nextAt: T0 + 1_000 }],
          ['b', 'done', { dispatchTime: T0, httpStatus: 200, latencyMs: 7 }],
        ]);
        await attempt('other', T0, [['a', 'done', { dispatchTime: T0, httpStatus: 200, latencyMs: 2 }]]);
        const [a2] = await attempt('q', T0 + 1_000, [['a', 'retry', { dispatchTime: T0 + 1_000, httpStatus: null, latencyMs: 10_000.5, error: 'deadline exceeded', nextAt: T0 + 30_000 }]]);
        const [a3] = await attempt('q', T0 + 30_000, [['a', 'done', { dispatchTime: T0 + 30_000, httpStatus: 201, latencyMs: 12.345 }]]);
        // The name again, after the reuse window: its attempts follow the first generation's.
        const reusedAt = (a3!.lastAttempt.responseTime ?? 0) + REUSE;
        const reused = await insertOk(tasks, newTask('q', 'a', reusedAt, { createTime: reusedAt }), reusedAt);
        const [a4] = await attempt('q', reusedAt, [['a', 'failed', { dispatchTime: reusedAt, httpStatus: 500, latencyMs: 0.5 }]]);

        const got = await tasks.listAttempts('q', 'a');
        assert.deepEqual(got, [a1!.attempt, a2!.attempt, a3!.attempt, a4!.attempt]);
        assert.deepEqual(got.map((x) => [x.taskSeq, x.attempt]), [[a1!.seq, 1], [a1!.seq, 2], [a1!.seq, 3], [reused.seq, 1]]);
        assert.deepEqual(await tasks.listAttempts('other', 'a'), [written[2]!.attempt]);
        assert.deepEqual(await tasks.listAttempts('q', 'b'), [written[1]!.attempt]);
        assert.deepEqual(await tasks.listAttempts('q', 'nobody'), []);
      });
    });

    describe('housekeeping', () => {
      it('sweep drops old tombstones, expires old queued tasks and attempts, and forgets old queue tombstones', async () => {
        const WINDOW = 10_000;
        const RETAIN = 100_000;
        const QUEUE_TOMBSTONE = 50_000;
        const NOW = T0 + 200_000;
        const tasks = await withQueue();
        const run = async (id: string, at: number, httpStatus: number, outcome: Completion['outcome']) => {
          const c = completion(await claimNowOk(tasks, 'q', id, at), outcome, { dispatchTime: at, httpStatus, latencyMs: 0, nextAt: outcome === 'retry' ? T0 + 1_000_000 : undefined });
          await tasks.complete([c]);
          return c;
        };
        // Finished (and attempted) just before the window / retention: both go.
        await insertOk(tasks, newTask('q', 'old-done'));
        await run('old-done', NOW - RETAIN - 1, 200, 'done');
        await insertOk(tasks, newTask('q', 'old-deleted'));
        await tasks.deleteTask('q', 'old-deleted', NOW - WINDOW - 1);
        // Attempted exactly at the retention edge, deleted exactly at the window edge: both stay.
        await insertOk(tasks, newTask('q', 'young-deleted', NOW - RETAIN, { createTime: NOW - RETAIN }));
        const youngAttempt = await run('young-deleted', NOW - RETAIN, 503, 'retry');
        await tasks.deleteTask('q', 'young-deleted', NOW - WINDOW);
        // Queued past retention (Google's task TTL): deleted; at the edge: kept.
        const stale = await insertOk(tasks, newTask('q', 'stale', T0 + 1_000_000, { createTime: NOW - RETAIN - 1 }));
        const fresh = await insertOk(tasks, newTask('q', 'fresh', T0 + 1_000_000, { createTime: NOW - RETAIN }));
        for (const id of ['gone-old', 'gone-young']) await tasks.createQueue(queueRecord(id), T0, 0);
        await tasks.deleteQueue('gone-old', NOW - QUEUE_TOMBSTONE - 1);
        await tasks.deleteQueue('gone-young', NOW - QUEUE_TOMBSTONE);

        await tasks.sweep(NOW, WINDOW, RETAIN, QUEUE_TOMBSTONE);

        assert.equal(await tasks.getTask('q', 'old-done'), null);
        assert.equal(await tasks.getTask('q', 'old-deleted'), null);
        assert.deepEqual(await tasks.listAttempts('q', 'old-done'), []);
        assert.deepEqual([(await tasks.getTask('q', 'young-deleted'))?.state, (await tasks.getTask('q', 'young-deleted'))?.finishedAt], ['deleted', NOW - WINDOW]);
        assert.deepEqual(await tasks.listAttempts('q', 'young-deleted'), [youngAttempt.attempt]);
        assert.deepEqual(await tasks.getTask('q', 'stale'), { ...stale, state: 'deleted', finishedAt: NOW });
        assert.deepEqual(await tasks.getTask('q', 'fresh'), fresh);
        assert.equal(await tasks.getQueue('gone-old'), null);
        assert.equal((await tasks.getQueue('gone-young'))?.deletedAt, NOW - QUEUE_TOMBSTONE);
        assert.deepEqual(await tasks.getQueue('q'), queueRecord('q'));
        // Their names are free again.
        assert.equal(await tasks.createQueue(queueRecord('gone-old'), NOW, 100 * QUEUE_TOMBSTONE), 'created');
        assert.ok((await tasks.insertTask(newTask('q', 'old-done'), NOW, WINDOW)).ok);
        // The expired task is now a tombstone like any other: gone one window later.
        await tasks.sweep(NOW + WINDOW + 1, WINDOW, RETAIN, QUEUE_TOMBSTONE);
        assert.equal(await tasks.getTask('q', 'stale'), null);
      });
    });
  });

  // The Cloud Scheduler store (src/store/scheduler-store.ts): what the scheduler service and its dispatcher rely on.
  describe('scheduler', () => {
    const withJob = async (over: Partial<JobRecord> = {}): Promise<SchedulerStore> => {
      const { scheduler } = await freshStore();
      assert.equal(await scheduler.createJob(jobRecord('j', over)), 'created');
      return scheduler;
    };
    const claimOne = async (s: SchedulerStore, at: number): Promise<JobRecord> => {
      const c = await s.claim(at, 10, GRACE);
      assert.equal(c.jobs.length, 1, `one job claimed at ${at}`);
      return c.jobs[0]!;
    };

    it('createJob inserts once; getJob reads it back as written; listJobs lists every job by ID', async () => {
      const { scheduler } = await freshStore();
      const b = jobRecord('b', { state: 'PAUSED', fromConfig: true, timeZone: '', httpTarget: { url: 'http://x/', httpMethod: 'POST', headers: {}, body: null, oauthToken: { serviceAccountEmail: 'a@demo-project.iam.gserviceaccount.com', scope: 's' } } });
      const a = jobRecord('a', { status: { code: 13 }, lastAttemptTime: T0 - 5 });
      assert.equal(await scheduler.createJob(b), 'created');
      assert.equal(await scheduler.createJob(a), 'created');
      assert.equal(await scheduler.createJob(jobRecord('a', { description: 'other' })), 'exists');
      assert.deepEqual(await scheduler.getJob('b'), b);
      assert.deepEqual(await scheduler.getJob('a'), a);
      assert.equal(await scheduler.getJob('nobody'), null);
      assert.deepEqual((await scheduler.listJobs()).map((j) => j.id), ['a', 'b']);
      assert.equal(await scheduler.deleteJob('a'), true);
      assert.equal(await scheduler.deleteJob('a'), false);
      assert.deepEqual((await scheduler.listJobs()).map((j) => j.id), ['b']);
    });

    it('claim leases due enabled jobs with a new execution; not before they are due, never paused ones, never twice', async () => {
      const s = await withJob();
      await s.createJob(jobRecord('paused', { state: 'PAUSED' }));
      await s.createJob(jobRecord('later', { scheduleTime: T0 + 2 * MINUTE, nextAt: T0 + 2 * MINUTE }));
      const early = await s.claim(T0 + MINUTE - 1, 10, GRACE);
      assert.deepEqual([early.jobs, early.wakeAt], [[], T0 + MINUTE]);
      const at = T0 + MINUTE + 7;
      const j = await claimOne(s, at);
      assert.ok(j.leaseId);
      assert.deepEqual(j, { ...jobRecord('j'), leaseId: j.leaseId, nextAt: at + LEASE, execution: { scheduleTime: T0 + MINUTE, dueAt: T0 + MINUTE, firstAttemptAt: at, attempts: 1, forced: false } });
      assert.deepEqual(await s.getJob('j'), j);
      const again = await s.claim(at, 10, GRACE);
      assert.deepEqual([again.jobs, again.wakeAt], [[], at + LEASE], 'leased: not due until its lease expires (the earliest wake)');
      const expired = await claimOne(s, at + LEASE);
      assert.equal(expired.id, 'j', 'a lease that expired (a dead process) makes the job due again');
      assert.deepEqual(expired.execution, { ...j.execution!, dueAt: at + LEASE, attempts: 2 }, 'the same execution, one more attempt');
    });

    it('complete under the lease writes the retry or the next run; every attempt is recorded, oldest first', async () => {
      const s = await withJob();
      const at = T0 + MINUTE;
      const first = await claimOne(s, at);
      await s.complete([jobCompletion(first, 403, at, { retryAt: at + 5_000, scheduleTime: at + MINUTE })]);
      const waiting = await s.getJob('j');
      assert.deepEqual(waiting, { ...first, leaseId: null, retryAt: at + 5_000, nextAt: at + 5_000, scheduleTime: at + MINUTE, lastAttemptTime: at, status: { code: 7 } });
      const retry = await claimOne(s, at + 5_000);
      assert.deepEqual(retry.execution, { ...first.execution!, dueAt: at + 5_000, attempts: 2 });
      assert.equal(retry.retryAt, null);
      await s.complete([jobCompletion(retry, 200, at + 5_000, { scheduleTime: at + MINUTE })]);
      assert.deepEqual(await s.getJob('j'), { ...retry, leaseId: null, execution: null, nextAt: at + MINUTE, lastAttemptTime: at + 5_000, status: { code: 0 } });
      assert.deepEqual(await s.listAttempts('j'), [jobAttempt(first, 403, at), jobAttempt(retry, 200, at + 5_000)]);
      assert.deepEqual(await s.listAttempts('nobody'), []);
    });

    it('a due run wins over a pending retry: retries stop at the next scheduled run', async () => {
      const s = await withJob();
      const at = T0 + MINUTE;
      const first = await claimOne(s, at);
      // A retry at +70 s was recorded, but the next run (+60 s) comes first when the claim is late.
      await s.complete([jobCompletion(first, 500, at, { retryAt: at + 70_000, scheduleTime: at + MINUTE })]);
      const next = await claimOne(s, at + 80_000);
      assert.deepEqual(next.execution, { scheduleTime: at + MINUTE, dueAt: at + MINUTE, firstAttemptAt: at + 80_000, attempts: 1, forced: false });
    });

    it('a user change during an attempt keeps the lease, and the attempt\'s completion keeps the change\'s schedule', async () => {
      const s = await withJob();
      const at = T0 + MINUTE;
      const claimed = await claimOne(s, at);
      const changed = { ...jobRecord('j', { schedule: '0 * * * *' }), version: 2, userUpdateTime: at + 1, scheduleTime: T0 + 60 * MINUTE, nextAt: T0 + 60 * MINUTE };
      const updated = await s.updateJob(changed);
      assert.deepEqual(updated, { ...changed, leaseId: claimed.leaseId, nextAt: claimed.nextAt }, 'settings written, lease kept');
      assert.deepEqual((await s.claim(at + 2, 10, GRACE)).jobs, [], 'still in flight');
      await s.complete([jobCompletion(claimed, 500, at, { retryAt: at + 5_000, scheduleTime: at + MINUTE })]);
      const after = await s.getJob('j');
      assert.deepEqual(
        [after?.leaseId, after?.retryAt, after?.execution, after?.scheduleTime, after?.nextAt, after?.status],
        [null, null, null, T0 + 60 * MINUTE, T0 + 60 * MINUTE, { code: 7 }],
        'the old version\'s retry is dropped; its attempt still counts',
      );
      assert.equal((await s.listAttempts('j')).length, 1);
      assert.equal(await s.updateJob(jobRecord('nobody')), null);
    });

    it('claimNow (RunJob) leases with a forced execution now, whatever the schedule; in flight → in-flight; a completion without the lease changes no schedule', async () => {
      const s = await withJob({ state: 'PAUSED' });
      assert.equal(await s.claimNow('nobody', T0, GRACE), 'missing');
      const forced = await s.claimNow('j', T0 + 5, GRACE);
      assert.ok(typeof forced === 'object');
      assert.deepEqual(forced.execution, { scheduleTime: T0 + 5, dueAt: T0 + 5, firstAttemptAt: T0 + 5, attempts: 1, forced: true });
      assert.equal(forced.nextAt, T0 + 5 + LEASE);
      assert.equal(await s.claimNow('j', T0 + 6, GRACE), 'in-flight');
      // The attempt sent beside it (no lease): recorded, status written, schedule untouched.
      const beside = { ...jobCompletion({ ...forced, leaseId: null }, 200, T0 + 6, { scheduleTime: T0 + 999 }), leaseId: null };
      await s.complete([beside]);
      const j = await s.getJob('j');
      assert.deepEqual([j?.leaseId, j?.scheduleTime, j?.lastAttemptTime, j?.status], [forced.leaseId, T0 + MINUTE, T0 + 6, { code: 0 }]);
      assert.equal((await s.listAttempts('j')).length, 1);
    });

    it('concurrent claims from several handles take each due job exactly once', async () => {
      const [a, b, c] = await handles(3);
      for (let i = 0; i < 30; i++) await a!.scheduler.createJob(jobRecord(`j${String(i).padStart(2, '0')}`));
      const at = T0 + MINUTE;
      const claims = await Promise.all([a, b, c, a, b, c].map((h) => h!.scheduler.claim(at, 7, GRACE)));
      const got = claims.flatMap((x) => x.jobs.map((j) => j.id)).sort();
      assert.equal(new Set(got).size, got.length, 'no job claimed twice');
      const rest = await a!.scheduler.claim(at, 100, GRACE);
      assert.equal(got.length + rest.jobs.length, 30, 'and none lost');
    });

    it('sweep drops attempts older than the retention period', async () => {
      const s = await withJob();
      const old = await claimOne(s, T0 + MINUTE);
      await s.complete([jobCompletion(old, 200, T0 + MINUTE, { scheduleTime: T0 + 2 * MINUTE })]);
      const young = await claimOne(s, T0 + 2 * MINUTE);
      await s.complete([jobCompletion(young, 200, T0 + 2 * MINUTE, { scheduleTime: T0 + 3 * MINUTE })]);
      await s.sweep(T0 + 2 * MINUTE + 10_000, 10_000);
      assert.deepEqual((await s.listAttempts('j')).map((x) => x.dispatchTime), [T0 + 2 * MINUTE]);
    });
  });

}
