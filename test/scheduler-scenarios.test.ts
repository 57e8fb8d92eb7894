// Cloud Scheduler end to end, with @google-cloud/scheduler unchanged (gRPC with insecure credentials, and REST
// fallback): jobs fire on their cron schedule in their time zone — across a daylight-saving change and day
// boundaries — and on RunJob, through the real Cloud Run front door with an OIDC token; retries follow
// retryConfig to the millisecond and stop at the next scheduled run; each attempt shows its own refusal
// (PERMISSION_DENIED, AUDIENCE_MISMATCH with the path hint, IAM_NOT_YET_PROPAGATED — SCENARIOS row 21);
// ACT_AS_DENIED on create; the service agent's role revoked → 403. Time moves only when the test moves it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudSchedulerClient } from '@google-cloud/scheduler';
import { Compute, OAuth2Client } from 'google-auth-library';
import { decodeJwt } from '../src/lib/jwt.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { useMetadataServer } from './support/metadata-env.js';
import { ManualClock } from './support/manual-clock.js';
import { waitFor } from './support/wait.js';

// The grpc that @google-cloud/scheduler's own google-gax uses (a nested copy): credentials from another copy are refused.
const { grpc } = createRequire(require_resolve('@google-cloud/scheduler'))('google-gax') as typeof import('google-gax');
function require_resolve(id: string): string {
  return createRequire(import.meta.url).resolve(id);
}

const PROJECT = 'demo-project';
const PARENT = `projects/${PROJECT}/locations/us-central1`;
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;
const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';
const AGENT = 'serviceAccount:service-123456789012@gcp-sa-cloudscheduler.iam.gserviceaccount.com';

interface Delivery {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Attempt {
  attempt: number;
  scheduleTime: string;
  dispatchTime: string;
  httpStatus: number | null;
  denial: string | null;
  explanation?: string;
  error: string | null;
}

/** The service behind the front door: records every delivery with the test clock's reading; answers `status`. */
async function recordingService(clock: ManualClock): Promise<{ url: string; deliveries: Delivery[]; server: Server; status: Map<string, number> }> {
  const deliveries: Delivery[] = [];
  const status = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      deliveries.push({ at: clock.nowMs, method: req.method!, path: req.url!, headers: req.headers, body });
      res.writeHead(status.get(req.url!) ?? 200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries, server, status };
}

const grpcPort = (ap: TestAuthplane) => Number(ap.platform.grpcHostPort!.split(':').pop());
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('Cloud Scheduler with @google-cloud/scheduler', () => {
  // Saturday 2026-03-28, 00:00 UTC: Paris (UTC+1) moves to summer time (UTC+2) on Sunday at 02:00.
  const T0 = Date.UTC(2026, 2, 28, 0, 0, 0);
  const clock = new ManualClock(T0);
  let ap: TestAuthplane;
  let svc: Awaited<ReturnType<typeof recordingService>>;
  let client: CloudSchedulerClient;
  const deliveriesTo = (path: string) => svc.deliveries.filter((d) => d.path === path);

  async function attempts(job: string): Promise<Attempt[]> {
    const res = await ap.api(`/admin/v1/jobs/${job}/attempts`);
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { attempts: Attempt[] }).attempts;
  }

  before(async () => {
    svc = await recordingService(clock);
    ap = await startTestAuthplane(
      {
        iam: {
          propagation: { min: '20s', max: '120s' },
          bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: ['serviceAccount:job-invoker'] }],
        },
        serviceAccounts: [{ name: 'job-invoker' }, { name: 'job-no-role' }, { name: 'late-invoker' }, { name: 'update-runtime' }, { name: 'job-creator' }],
        services: [{ name: 'update', upstream: svc.url, serviceAccount: 'update-runtime' }],
        workloads: [{ name: 'creator-app', serviceAccount: 'job-creator' }],
      },
      { clock: clock.clock, timers: clock },
    );
    client = new CloudSchedulerClient({ servicePath: '127.0.0.1', port: grpcPort(ap), sslCreds: grpc.credentials.createInsecure() });
  });
  after(async () => {
    await client?.close();
    await ap?.stop();
    await new Promise<void>((r) => svc?.server.close(() => r()));
  });

  test('a job with oidcToken fires at 02:30 Paris time each day: before, across and after the switch to summer time', async () => {
    const [job] = await client.createJob({
      parent: PARENT,
      job: {
        name: `${PARENT}/jobs/paris-nightly`,
        schedule: '30 2 * * *',
        timeZone: 'Europe/Paris',
        httpTarget: { uri: `${SERVICE_URL}/nightly`, httpMethod: 'PUT', body: Buffer.from('{"run":true}'), oidcToken: { serviceAccountEmail: SA('job-invoker'), audience: SERVICE_URL } },
      },
    });
    assert.equal(job.state, 'ENABLED');
    assert.equal(Number(job.attemptDeadline?.seconds), 180, 'attemptDeadline defaults to 3 minutes');
    assert.deepEqual([Number(job.retryConfig?.minBackoffDuration?.seconds), Number(job.retryConfig?.maxBackoffDuration?.seconds), job.retryConfig?.maxDoublings], [5, 3600, 5]);
    // 02:30 CET = 01:30 UTC; on the 29th 02:30 does not exist (02:00 → 03:00): the run comes right after the gap,
    // 03:00 CEST = 01:00 UTC; on the 30th 02:30 CEST = 00:30 UTC.
    const expected = [Date.UTC(2026, 2, 28, 1, 30), Date.UTC(2026, 2, 29, 1, 0), Date.UTC(2026, 2, 30, 0, 30)];
    assert.equal(Number(job.scheduleTime?.seconds) * 1000, expected[0]);
    for (const [i, at] of expected.entries()) {
      // The run waits on the clock for its time: at a millisecond before, the next wake-up is the run's.
      await waitFor(`the wake-up for ${iso(at)}`, () => clock.timerTimes().includes(at));
      await clock.advanceTo(at - 1);
      assert.equal(clock.nextTimerAt(), at, `the next wake-up is the run at ${iso(at)}`);
      assert.equal(deliveriesTo('/nightly').length, i, `no run before ${iso(at)}`);
      await clock.advanceTo(at);
      await waitFor(`the run at ${iso(at)}`, () => deliveriesTo('/nightly').length === i + 1);
      const d = deliveriesTo('/nightly')[i]!;
      assert.equal(d.at, at);
      assert.equal(d.method, 'PUT');
      assert.equal(d.body, '{"run":true}');
      assert.equal(d.headers['user-agent'], 'Google-Cloud-Scheduler');
      assert.equal(d.headers['x-cloudscheduler'], 'true');
      assert.equal(d.headers['x-cloudscheduler-jobname'], 'paris-nightly');
      assert.equal(d.headers['x-cloudscheduler-scheduletime'], iso(at));
      assert.equal(d.headers['content-type'], 'application/octet-stream', 'a body without Content-Type');
      assert.equal(d.headers.host, new URL(SERVICE_URL).host);
      const token = decodeJwt(String(d.headers.authorization).replace(/^Bearer /, ''))!;
      assert.deepEqual([token.claims.aud, token.claims.email], [SERVICE_URL, SA('job-invoker')]);
      await waitFor('the attempt to be recorded', async () => (await attempts('paris-nightly')).length === i + 1);
      const [now] = await client.getJob({ name: job.name });
      assert.equal(Number(now.lastAttemptTime?.seconds) * 1000, at);
      assert.deepEqual(now.status, { code: 0, message: '', details: [] });
      if (expected[i + 1]) assert.equal(Number(now.scheduleTime?.seconds) * 1000, expected[i + 1], 'the next run');
    }
    await client.pauseJob({ name: job.name });
  });

  test('RunJob dispatches now, leaves the schedule where it was, and runs beside an execution in flight', async () => {
    const [job] = await client.createJob({
      parent: PARENT,
      job: { name: `${PARENT}/jobs/yearly`, schedule: '0 0 1 1 *', httpTarget: { uri: `${SERVICE_URL}/yearly`, oidcToken: { serviceAccountEmail: SA('job-invoker'), audience: SERVICE_URL } } },
    });
    const nextRun = Number(job.scheduleTime?.seconds) * 1000;
    assert.equal(nextRun, Date.UTC(2027, 0, 1));
    svc.status.set('/yearly', 500);
    await client.runJob({ name: job.name });
    await waitFor('the RunJob delivery', () => deliveriesTo('/yearly').length === 1);
    assert.equal(deliveriesTo('/yearly')[0]!.at, clock.nowMs);
    assert.equal(deliveriesTo('/yearly')[0]!.headers['x-cloudscheduler-scheduletime'], iso(clock.nowMs));
    await waitFor('the attempt', async () => (await attempts('yearly')).length === 1);
    const [after] = await client.getJob({ name: job.name });
    assert.equal(Number(after.scheduleTime?.seconds) * 1000, nextRun, 'RunJob does not move the next scheduled run');
    assert.equal(after.status?.code, 13, 'HTTP 500 → INTERNAL');
    svc.status.delete('/yearly');
  });

  test('retries follow retryConfig exactly (10 s doubling), then the job waits for its next run', async () => {
    svc.status.set('/flaky', 503);
    const start = clock.nowMs;
    const [job] = await client.createJob({
      parent: PARENT,
      job: {
        name: `${PARENT}/jobs/flaky`,
        schedule: '0 0 1 1 *',
        httpTarget: { uri: `${SERVICE_URL}/flaky`, oidcToken: { serviceAccountEmail: SA('job-invoker'), audience: SERVICE_URL } },
        retryConfig: { retryCount: 3, minBackoffDuration: { seconds: 10 }, maxBackoffDuration: { seconds: 300 }, maxDoublings: 3 },
      },
    });
    await client.runJob({ name: job.name });
    const gaps = [10_000, 20_000, 40_000];
    await waitFor('attempt 1', () => deliveriesTo('/flaky').length === 1);
    for (const [i, gap] of gaps.entries()) {
      const prev = deliveriesTo('/flaky')[i]!.at;
      await waitFor(`the retry wait of ${gap} ms`, () => clock.timerTimes().includes(prev + gap));
      const [j] = await client.getJob({ name: job.name });
      assert.equal(Number(j.scheduleTime?.seconds) * 1000 + Math.floor((j.scheduleTime?.nanos ?? 0) / 1e6), prev + gap, 'scheduleTime shows the pending retry');
      await clock.advanceTo(prev + gap - 1);
      assert.equal(clock.nextTimerAt(), prev + gap, 'a millisecond before, the next wake-up is the retry');
      assert.equal(deliveriesTo('/flaky').length, i + 1);
      await clock.advanceTo(prev + gap);
      await waitFor(`attempt ${i + 2}`, () => deliveriesTo('/flaky').length === i + 2);
      assert.equal(deliveriesTo('/flaky')[i + 1]!.at, prev + gap);
    }
    await waitFor('four attempts recorded', async () => (await attempts('flaky')).length === 4);
    const recorded = await attempts('flaky');
    assert.deepEqual(recorded.map((a) => [a.attempt, a.httpStatus]), [[1, 503], [2, 503], [3, 503], [4, 503]]);
    assert.deepEqual(recorded.map((a) => Date.parse(a.dispatchTime) - start), [0, 10_000, 30_000, 70_000]);
    // No fifth attempt is pending: the job's next time is its schedule's (a retry would show as scheduleTime,
    // as above), whatever the machine's speed; then ten minutes on the clock deliver nothing more.
    const nextTime = async () => {
      const [j] = await client.getJob({ name: job.name });
      return { at: Number(j.scheduleTime?.seconds) * 1000, code: j.status?.code };
    };
    await waitFor('the job back on its schedule', async () => (await nextTime()).at === Date.UTC(2027, 0, 1));
    assert.equal((await nextTime()).code, 14, 'HTTP 503 → UNAVAILABLE');
    await clock.advance(10 * 60_000);
    assert.equal(deliveriesTo('/flaky').length, 4, 'retryCount 3: four attempts in all');
    assert.equal((await nextTime()).at, Date.UTC(2027, 0, 1), 'back to the schedule');
    svc.status.delete('/flaky');
  });

  test('retries never pass the next scheduled run: an every-minute job retries once (20 s), the next retry (+40 s) would meet the next run', async () => {
    svc.status.set('/minutely', 500);
    const [job] = await client.createJob({
      parent: PARENT,
      job: {
        name: `${PARENT}/jobs/minutely`,
        schedule: '* * * * *',
        httpTarget: { uri: `${SERVICE_URL}/minutely`, oidcToken: { serviceAccountEmail: SA('job-invoker'), audience: SERVICE_URL } },
        // maxDoublings 0: the interval grows linearly, 20 s, 40 s, 60 s … (Google's RetryConfig).
        retryConfig: { retryCount: 5, minBackoffDuration: { seconds: 20 }, maxDoublings: 0 },
      },
    });
    const first = Number(job.scheduleTime?.seconds) * 1000;
    await clock.advanceTo(first);
    await waitFor('the first run', () => deliveriesTo('/minutely').length === 1);
    await waitFor('the retry at +20 s', () => clock.timerTimes().includes(first + 20_000));
    await clock.advanceTo(first + 20_000);
    await waitFor('the retry', () => deliveriesTo('/minutely').length === 2);
    // The next retry would be 40 s later, at +60 s: not before the next run, so the run at +60 s is a new execution.
    await waitFor('the next run', () => clock.timerTimes().includes(first + 60_000));
    await clock.advanceTo(first + 59_999);
    assert.equal(clock.nextTimerAt(), first + 60_000, 'a millisecond before, the next wake-up is the run');
    assert.equal(deliveriesTo('/minutely').length, 2);
    await clock.advanceTo(first + 60_000);
    await waitFor('the next run', () => deliveriesTo('/minutely').length === 3);
    const d = deliveriesTo('/minutely');
    assert.deepEqual(d.map((x) => x.at - first), [0, 20_000, 60_000]);
    assert.deepEqual(d.map((x) => x.headers['x-cloudscheduler-scheduletime']), [iso(first), iso(first), iso(first + 60_000)]);
    await waitFor('the attempts', async () => (await attempts('minutely')).length === 3);
    assert.deepEqual((await attempts('minutely')).map((a) => a.attempt), [1, 2, 1], 'a new execution starts at attempt 1');
    await client.deleteJob({ name: job.name });
    svc.status.delete('/minutely');
  });

  test('each attempt shows its refusal: PERMISSION_DENIED without roles/run.invoker, AUDIENCE_MISMATCH with the path hint', async () => {
    const [noRole] = await client.createJob({
      parent: PARENT,
      job: { name: `${PARENT}/jobs/no-role`, schedule: '0 0 1 1 *', httpTarget: { uri: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('job-no-role') } }, retryConfig: { retryCount: 1, minBackoffDuration: { seconds: 5 } } },
    });
    const [withPath] = await client.createJob({
      parent: PARENT,
      job: { name: `${PARENT}/jobs/audience-path`, schedule: '0 0 1 1 *', httpTarget: { uri: `${SERVICE_URL}/reports/daily`, oidcToken: { serviceAccountEmail: SA('job-invoker') } } },
    });
    await client.runJob({ name: noRole.name });
    await client.runJob({ name: withPath.name });
    await waitFor('both attempts', async () => (await attempts('no-role')).length === 1 && (await attempts('audience-path')).length === 1);
    await clock.advance(5_000);
    await waitFor('the retry', async () => (await attempts('no-role')).length === 2);
    for (const a of await attempts('no-role')) {
      assert.deepEqual([a.httpStatus, a.denial], [403, 'PERMISSION_DENIED']);
      assert.match(a.explanation ?? '', /job-no-role@demo-project\.iam\.gserviceaccount\.com does not hold run\.routes\.invoke/);
    }
    const [p] = await attempts('audience-path');
    assert.deepEqual([p!.httpStatus, p!.denial], [401, 'AUDIENCE_MISMATCH']);
    assert.match(p!.explanation ?? '', /plus the path \/reports\/daily/);
    assert.equal(deliveriesTo('/').length + deliveriesTo('/reports/daily').length, 0, 'the service never saw them');
    // The same attempts in the request log (surface 'dispatch'), with the front door's explanation.
    const log = (await (await ap.api('/admin/v1/requests?surface=dispatch&limit=1000')).json()) as {
      requests: { code?: string; explanation?: string; service: string; dispatch: { product: string; resource: string; attempt: number; frontDoorRequestId?: string } }[];
    };
    const entry = log.requests.find((e) => e.dispatch.resource === withPath.name);
    assert.ok(entry);
    assert.deepEqual([entry.service, entry.dispatch.product, entry.code], ['cloudscheduler.googleapis.com', 'cloudscheduler', 'AUDIENCE_MISMATCH']);
    assert.equal(entry.explanation, p!.explanation);
    assert.ok(entry.dispatch.frontDoorRequestId);
  });

  test('row 21: a binding 10 s old under 20–120 s propagation: attempts 403 IAM_NOT_YET_PROPAGATED, then 200 through retryConfig', async () => {
    const granted = clock.nowMs;
    const res = await ap.api(`/v2/${PARENT}/services/update:getIamPolicy`, { method: 'POST', body: '{}' });
    const policy = (await res.json()) as { bindings?: { role: string; members: string[] }[]; etag: string };
    const bindings = (policy.bindings ?? []).map((b) => (b.role === 'roles/run.invoker' ? { ...b, members: [...b.members, `serviceAccount:${SA('late-invoker')}`] } : b));
    const set = await ap.api(`/v2/${PARENT}/services/update:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy: { bindings, etag: policy.etag } }) });
    assert.equal(set.status, 200, await set.clone().text());
    const [job] = await client.createJob({
      parent: PARENT,
      job: {
        name: `${PARENT}/jobs/propagating`,
        schedule: '0 0 1 1 *',
        httpTarget: { uri: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('late-invoker') } },
        retryConfig: { retryCount: 5, minBackoffDuration: { seconds: 30 }, maxDoublings: 0 },
      },
    });
    await clock.advanceTo(granted + 10_000);
    await client.runJob({ name: job.name });
    for (let k = 1; ; k++) {
      await waitFor(`attempt ${k}`, async () => (await attempts('propagating')).length === k);
      const last = (await attempts('propagating')).at(-1)!;
      if (last.httpStatus === 200) break;
      assert.deepEqual([last.httpStatus, last.denial], [403, 'IAM_NOT_YET_PROPAGATED']);
      assert.ok(k < 6, 'every front end sees the binding after 120 s: the retries get there');
      // The retry waits 30 s, 60 s, 90 s … (maxDoublings 0): go to the time GetJob shows.
      await waitFor('the retry to be scheduled', async () => Number((await client.getJob({ name: job.name }))[0].scheduleTime?.seconds) * 1000 > clock.nowMs);
      await clock.advanceTo(Number((await client.getJob({ name: job.name }))[0].scheduleTime?.seconds) * 1000);
    }
    const all = await attempts('propagating');
    assert.deepEqual([all[0]!.httpStatus, all[0]!.denial], [403, 'IAM_NOT_YET_PROPAGATED'], 'at 10 s no front end sees it (min 20 s)');
    assert.match(all[0]!.explanation ?? '', /not yet visible here/);
    assert.equal(all.at(-1)!.httpStatus, 200);
  });

  test('the service agent without its role: no token is attached, so the authenticated target answers 403', async () => {
    const editor = await ap.api(`/v1/projects/${PROJECT}:getIamPolicy`, { method: 'POST', body: '{}' });
    const policy = (await editor.json()) as { bindings: { role: string; members: string[] }[]; etag: string };
    assert.ok(policy.bindings.some((b) => b.role === 'roles/cloudscheduler.serviceAgent' && b.members.includes(AGENT)), 'granted as when the API is enabled');
    const without = policy.bindings.filter((b) => b.role !== 'roles/cloudscheduler.serviceAgent');
    const set = await ap.api(`/v1/projects/${PROJECT}:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy: { bindings: without, etag: policy.etag } }) });
    assert.equal(set.status, 200, await set.clone().text());
    await clock.advance(121_000); // the revocation propagates too
    try {
      const [job] = await client.createJob({
        parent: PARENT,
        job: { name: `${PARENT}/jobs/no-agent`, schedule: '0 0 1 1 *', httpTarget: { uri: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('job-invoker') } } },
      });
      await client.runJob({ name: job.name });
      await waitFor('the attempt', async () => (await attempts('no-agent')).length === 1);
      const [a] = await attempts('no-agent');
      assert.deepEqual([a!.httpStatus, a!.denial], [403, 'TOKEN_MISSING']);
      assert.match(a!.error ?? '', /service agent service-123456789012@gcp-sa-cloudscheduler\.iam\.gserviceaccount\.com lacks iam\.serviceAccounts\.getOpenIdToken/);
    } finally {
      const cur = (await (await ap.api(`/v1/projects/${PROJECT}:getIamPolicy`, { method: 'POST', body: '{}' })).json()) as { etag: string };
      await ap.api(`/v1/projects/${PROJECT}:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy: { bindings: policy.bindings, etag: cur.etag } }) });
      await clock.advance(121_000);
    }
  });

  test('REST fallback: create, get, list, pause, resume, delete; the creator lacks actAs → PERMISSION_DENIED naming it, ACT_AS_DENIED', async () => {
    const api = new URL(ap.apiUrl);
    // The developer's access token, as `gcloud auth print-access-token` would give it under `authplane gcloud`.
    const developer = new OAuth2Client();
    const grant = await ap.platform.identity.mintAccessToken('user:developer@example.com', ['https://www.googleapis.com/auth/cloud-platform']);
    // expiry_date is read against the real clock by google-auth-library.
    developer.setCredentials({ access_token: grant.token, expiry_date: Date.now() + 3_600_000 });
    const rest = new CloudSchedulerClient({ fallback: 'rest', protocol: 'http', servicePath: api.hostname, port: Number(api.port), authClient: developer } as never);
    try {
      const [created] = await rest.createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/rest-job`, schedule: '*/5 * * * *', timeZone: 'utc', httpTarget: { uri: `${SERVICE_URL}/rest`, httpMethod: 'GET' } } });
      assert.equal(created.state, 'ENABLED');
      assert.equal(created.httpTarget?.httpMethod, 'GET');
      const [got] = await rest.getJob({ name: created.name });
      assert.equal(got.schedule, '*/5 * * * *');
      const [jobs] = await rest.listJobs({ parent: PARENT });
      assert.ok(jobs.some((j) => j.name === created.name));
      const [paused] = await rest.pauseJob({ name: created.name });
      assert.equal(paused.state, 'PAUSED');
      const [resumed] = await rest.resumeJob({ name: created.name });
      assert.equal(resumed.state, 'ENABLED');
      const [updated] = await rest.updateJob({ job: { name: created.name, description: 'every five minutes' }, updateMask: { paths: ['description'] } });
      assert.deepEqual([updated.description, updated.schedule], ['every five minutes', '*/5 * * * *']);
      await rest.deleteJob({ name: created.name });
      await assert.rejects(rest.getJob({ name: created.name }), (e: Error & { code?: number }) => /Job not found/.test(e.message));
    } finally {
      await rest.close();
    }
    // The creator workload's own credentials (from its metadata server): it may create jobs, but not as job-invoker.
    const current = await ap.api(`/v1/projects/${PROJECT}:getIamPolicy`, { method: 'POST', body: '{}' });
    const policy = (await current.json()) as { bindings: { role: string; members: string[] }[]; etag: string };
    await ap.api(`/v1/projects/${PROJECT}:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { bindings: [...policy.bindings, { role: 'roles/cloudscheduler.admin', members: [`serviceAccount:${SA('job-creator')}`] }], etag: policy.etag } }),
    });
    await clock.advance(121_000); // past propagation
    const restoreEnv = useMetadataServer(ap.metadataHost('creator-app'));
    const asCreator = new CloudSchedulerClient({ fallback: 'rest', protocol: 'http', servicePath: api.hostname, port: Number(api.port), authClient: new Compute() } as never);
    try {
      const [plain] = await asCreator.createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/by-creator`, schedule: '0 0 1 1 *', httpTarget: { uri: `${SERVICE_URL}/plain` } } });
      assert.ok(plain.name);
      await assert.rejects(
        asCreator.createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/by-creator-as-invoker`, schedule: '0 0 1 1 *', httpTarget: { uri: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('job-invoker') } } } }),
        (e: Error & { code?: number; httpStatusCode?: number; reason?: string }) => {
          assert.deepEqual([e.code, e.httpStatusCode, e.reason], [7, 403, 'IAM_PERMISSION_DENIED']);
          assert.match(e.message, /lacks IAM permission "iam\.serviceAccounts\.actAs" for the resource "job-invoker@/);
          return true;
        },
      );
    } finally {
      await asCreator.close();
      restoreEnv();
    }
    const log = (await (await ap.api('/admin/v1/requests?service=cloudscheduler.googleapis.com&code=ACT_AS_DENIED')).json()) as { requests: { principal?: string; status: number }[] };
    assert.deepEqual(log.requests.map((r) => [r.principal, r.status]), [[`serviceAccount:${SA('job-creator')}`, 403]], 'authplane\'s code for it');
  });

  test('English-like schedules (valid on Google: job.proto "Crontab or English-like") are refused as not emulated, with the unix-cron equivalent', async () => {
    const cases: [schedule: string, fix: RegExp][] = [
      ['every 1 minutes', /Use the unix-cron equivalent "\*\/1 \* \* \* \*"/],
      ['every 15 mins', /Use the unix-cron equivalent "\*\/15 \* \* \* \*"/],
      ['every 2 hours', /Use the unix-cron equivalent "0 \*\/2 \* \* \*"/],
      ['every day 09:30', /Use the unix-cron equivalent "30 9 \* \* \*"/],
      ['every 7 minutes', /Write it as a unix-cron schedule/],
      ['every monday 09:00', /Write it as a unix-cron schedule/],
      ['1st,3rd monday of month 09:00', /Write it as a unix-cron schedule/],
    ];
    for (const [schedule, fix] of cases) {
      await assert.rejects(
        client.createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/english`, schedule, httpTarget: { uri: `${SERVICE_URL}/`, oidcToken: { serviceAccountEmail: SA('job-invoker') } } } }),
        (e: Error & { code?: number }) => {
          assert.equal(e.code, 12, `${schedule}: UNIMPLEMENTED, not INVALID_ARGUMENT`);
          assert.match(e.message, /is an English-like \(App Engine cron\) schedule: Cloud Scheduler accepts it, but authplane does not emulate/);
          assert.doesNotMatch(e.message, /not a valid/);
          assert.match(e.message, fix);
          return true;
        },
      );
    }
    // What is neither stays INVALID_ARGUMENT.
    await assert.rejects(client.createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/english`, schedule: 'often', httpTarget: { uri: `${SERVICE_URL}/` } } }), (e: Error & { code?: number }) => e.code === 3 && /not a valid unix-cron schedule/.test(e.message));
  });

  test('a schedule that never runs (31 February) is INVALID_ARGUMENT on create and update, over gRPC', async () => {
    const never = { schedule: '0 0 31 2 *', httpTarget: { uri: `${SERVICE_URL}/` } };
    await assert.rejects(client.createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/feb-31`, ...never } }), (e: Error & { code?: number }) => {
      assert.equal(e.code, 3, `INVALID_ARGUMENT, not INTERNAL: ${e.message}`);
      assert.match(e.message, /Schedule or time zone is invalid: schedule "0 0 31 2 \*" never runs/);
      return true;
    });
    // 29 February comes every four years: a valid schedule.
    const [leap] = await client.createJob({ parent: PARENT, job: { name: `${PARENT}/jobs/feb-29`, schedule: '0 0 29 2 *', httpTarget: { uri: `${SERVICE_URL}/` } } });
    assert.equal(Number(leap.scheduleTime?.seconds) * 1000, Date.UTC(2028, 1, 29));
    await assert.rejects(client.updateJob({ job: { name: `${PARENT}/jobs/feb-29`, schedule: '0 0 30 2 *' }, updateMask: { paths: ['schedule'] } }), (e: Error & { code?: number }) => e.code === 3 && /never runs/.test(e.message));
    await client.deleteJob({ name: `${PARENT}/jobs/feb-29` });
  });

  test('strict input: unknown fields, wrong types and out-of-range values are INVALID_ARGUMENT naming the field', async () => {
    const create = (job: unknown) => ap.api(`/v1/${PARENT}/jobs`, { method: 'POST', body: JSON.stringify(job) });
    const cases: [unknown, RegExp, string][] = [
      [{ name: `${PARENT}/jobs/x1`, schedule: '* * * * *', httpTarget: { uri: `${SERVICE_URL}/`, oidcTokn: {} } }, /Unknown name "oidcTokn" at 'job.http_target': Cannot find field\./, 'job.http_target'],
      [{ name: `${PARENT}/jobs/x2`, schedule: '* * * * *', httpTarget: { uri: `${SERVICE_URL}/` }, retryConfig: { retryCount: 6 } }, /retry_count must be between 0 and 5/, 'job.retry_config.retry_count'],
      [{ name: `${PARENT}/jobs/x3`, schedule: '61 * * * *', httpTarget: { uri: `${SERVICE_URL}/` } }, /not a valid unix-cron schedule/, 'job.schedule'],
      [{ name: `${PARENT}/jobs/x4`, schedule: '* * * * *', timeZone: 'Mars/Olympus', httpTarget: { uri: `${SERVICE_URL}/` } }, /tz database/, 'job.time_zone'],
      [{ name: `${PARENT}/jobs/x5`, schedule: '* * * * *', httpTarget: { uri: `${SERVICE_URL}/`, httpMethod: 'GET', body: 'eA==' } }, /Body is only allowed/, 'job.http_target.body'],
      [{ name: `${PARENT}/jobs/x6`, schedule: '* * * * *', httpTarget: { uri: `${SERVICE_URL}/` }, attemptDeadline: '5s' }, /attempt_deadline must be in the interval/, 'job.attempt_deadline'],
      [{ name: `${PARENT}/jobs/x7`, schedule: '* * * * *', httpTarget: { uri: 'ftp://x/' } }, /begins with 'http:\/\/' or 'https:\/\/'/, 'job.http_target.uri'],
      [{ name: `${PARENT}/jobs/x8`, schedule: 5, httpTarget: { uri: `${SERVICE_URL}/` } }, /Invalid value at 'job.schedule' \(TYPE_STRING\), 5/, 'job.schedule'],
      // Well-formed, but no date ever matches: refused, not an INTERNAL crash computing the first run.
      [{ name: `${PARENT}/jobs/x9`, schedule: '0 0 31 2 *', httpTarget: { uri: `${SERVICE_URL}/` } }, /^Schedule or time zone is invalid: schedule "0 0 31 2 \*" never runs .*Pick a day of month/, 'job.schedule'],
      [{ name: `${PARENT}/jobs/x10`, schedule: '0 12 31 4,6,9,11 *', httpTarget: { uri: `${SERVICE_URL}/` } }, /never runs/, 'job.schedule'],
    ];
    for (const [job, message, field] of cases) {
      const res = await create(job);
      const body = (await res.json()) as { error: { status: string; message: string; details?: { fieldViolations?: { field: string }[] }[] } };
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.error.status, 'INVALID_ARGUMENT');
      assert.match(body.error.message, message);
      assert.equal(res.headers.get('x-authplane-denial'), 'INVALID_ARGUMENT');
      assert.ok(JSON.stringify(body).includes(field), `names ${field}: ${JSON.stringify(body)}`);
    }
  });
});
