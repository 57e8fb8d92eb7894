// Cloud Tasks bench (not part of npm test): create rate over gRPC and REST with 64 in flight,
// dispatch rate from a backlog (OIDC through a front door → 2xx), scheduled-task lateness p50/p99;
// on SQLite (one process) and PostgreSQL (two processes), printed against DESIGN.md's bars.
//   node dist/bench/tasks.js [--quick] [--sqlite-only]
// authplane runs as `authplane start` child processes, as users run it; this process holds only the
// clients and the counting target. Everything talks to 127.0.0.1 only and stops by itself.
// Set AUTHPLANE_BENCH_PROFILE=DIR to write a CPU profile of each authplane process into DIR.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { testConfig } from '../test/support/authplane.js';
import { startCli, type StartedCli } from '../test/support/cli.js';
import { freshDatabase, stopPostgres } from '../test/support/postgres.js';
import { lookupType } from '../src/tasks/proto.js';

const quick = process.argv.includes('--quick');
const sqliteOnly = process.argv.includes('--sqlite-only');
const CREATE_N = quick ? 3000 : 20000;
const DISPATCH_N = quick ? 6000 : 30000;
const LATE_N = quick ? 200 : 1000;
const LATE_PER_S = 200; // under the queue's 500/s, so the rate limit delays none of them
const QUEUES = 12; // 12 × Google's 500/s cap: the bar (5,000/s) is 10× one queue
const SA = 'tasks-invoker@demo-project.iam.gserviceaccount.com';
const URL_ = 'https://update-123456789012.us-central1.run.app/';
const LOC = 'projects/demo-project/locations/us-central1';

interface Target {
  server: Server;
  url: string;
  count: number;
  /** Distinct tokens seen: the dispatcher should mint one per service account and audience, then reuse it. */
  tokens: Set<string>;
  lateness: number[];
  onCount?: () => void;
}

async function target(): Promise<Target> {
  const t: Target = { server: undefined as never, url: '', count: 0, tokens: new Set(), lateness: [] };
  t.server = createServer((req, res) => {
    t.count++;
    const auth = req.headers.authorization;
    if (auth !== undefined) t.tokens.add(auth);
    if (req.url?.startsWith('/late')) t.lateness.push(Date.now() - Number(req.headers['x-cloudtasks-tasketa']) * 1000);
    req.resume();
    res.writeHead(200).end();
    t.onCount?.();
  });
  t.server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  t.url = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
  return t;
}

const config = (upstream: string) => ({
  serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'update-runtime' }],
  services: [{ name: 'update', upstream, serviceAccount: 'update-runtime' }],
  iam: { bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA}`] }] },
  queues: [
    { name: 'create-bench', rateLimits: { maxDispatchesPerSecond: 500 } },
    ...Array.from({ length: QUEUES }, (_, i) => ({ name: `backlog-${i}`, rateLimits: { maxDispatchesPerSecond: 500, maxConcurrentDispatches: 1000 } })),
    { name: 'late' },
  ],
});

async function pool(n: number, inFlight: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < n) await fn(next++);
  }));
  return n / ((performance.now() - start) / 1000);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const bar = (v: number, goal: number, higher = true) => `${v.toFixed(0).padStart(7)}  (bar ${higher ? '≥' : '≤'} ${goal}) ${higher ? (v >= goal ? 'ok' : 'BELOW') : v <= goal ? 'ok' : 'ABOVE'}`;

/** CPU milliseconds used so far by the processes `pids` (Linux /proc; clock ticks of 10 ms), NaN elsewhere. */
function cpuMsOf(pids: number[]): number {
  try {
    return pids.reduce((sum, pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime
    }, 0);
  } catch {
    return NaN;
  }
}

/** Where the CPU went during a phase of `n` tasks: authplane's processes and this one (clients, target). */
async function cpuPerTask<T>(aps: StartedCli[], n: number, phase: () => Promise<T>): Promise<{ result: T; line: string }> {
  const pids = aps.map((a) => a.pid);
  const ap0 = cpuMsOf(pids);
  const me0 = process.cpuUsage();
  const result = await phase();
  const me = process.cpuUsage(me0);
  const apUs = ((cpuMsOf(pids) - ap0) * 1000) / n;
  const meUs = (me.user + me.system) / n;
  return { result, line: `    CPU per task: authplane ${apUs.toFixed(0)} µs, bench client and target ${meUs.toFixed(0)} µs` };
}

/**
 * CreateTask over a bare @grpc/grpc-js channel (the copy google-gax uses), without gax's layers: shows
 * authplane's own capacity, since on a 2-core machine the gax client's CPU per call is the larger share.
 */
function leanCreateTask(grpcUrl: string): { create(req: { parent: string; task: object }): Promise<void>; close(): void } {
  const client = new grpc.Client(new URL(grpcUrl).host, grpc.credentials.createInsecure());
  const reqType = lookupType('google.cloud.tasks.v2.CreateTaskRequest');
  const serialize = (r: object) => Buffer.from(reqType.encode(reqType.fromObject(r)).finish());
  const deserialize = (b: Buffer) => b; // the Task is not needed
  return {
    create: (req) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest('/google.cloud.tasks.v2.CloudTasks/CreateTask', serialize, deserialize, req, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => client.close(),
  };
}

/** `authplane start` as `n` child processes on one config (and one database when given). */
async function startInstances(n: number, t: Target, databaseUrl?: string): Promise<{ instances: StartedCli[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-'));
  const file = join(dir, 'authplane.yaml');
  writeFileSync(file, JSON.stringify(testConfig(config(t.url)), null, 2)); // JSON is YAML
  const profile = process.env.AUTHPLANE_BENCH_PROFILE;
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const instances: StartedCli[] = [];
  const stop = async () => {
    for (const i of instances) await i.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      instances.push(await startCli(['--config', file, '--data', join(dir, `data-${i}`), ...(databaseUrl ? ['--database', databaseUrl] : [])], { env: { AUTHPLANE_DATABASE_URL: '' }, nodeArgs }));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { instances, stop };
}

async function run(label: string, aps: StartedCli[], t: Target): Promise<void> {
  console.log(`\n== ${label} (pids ${aps.map((a) => a.pid).join(', ')}) ==`);
  const portOf = (u: string) => Number(new URL(u).port);
  const grpcClients = aps.map((ap) => new CloudTasksClient({ servicePath: '127.0.0.1', port: portOf(ap.url('grpc')), sslCreds: grpc.credentials.createInsecure() }));
  const restClients = aps.map((ap) => new CloudTasksClient({ fallback: 'rest', protocol: 'http', servicePath: '127.0.0.1', port: portOf(ap.url('api')), authClient: { getRequestHeaders: async () => new Headers(), fetch: (u: string, i: RequestInit) => fetch(u, i) } as never }));
  const sink = `${t.url}/sink`;

  // Create rate: paused queue so dispatch does not compete.
  const q = `${LOC}/queues/create-bench`;
  await grpcClients[0]!.pauseQueue({ name: q });
  const task = { httpRequest: { url: sink, oidcToken: { serviceAccountEmail: SA } } };
  const g = await cpuPerTask(aps, CREATE_N, () => pool(CREATE_N, 64, (i) => grpcClients[i % aps.length]!.createTask({ parent: q, task })));
  console.log(`create over gRPC, 64 in flight      ${bar(g.result, 5000)} tasks/s\n${g.line}`);
  const leanClients = aps.map((ap) => leanCreateTask(ap.url('grpc')));
  const l = await cpuPerTask(aps, CREATE_N, () => pool(CREATE_N, 64, (i) => leanClients[i % aps.length]!.create({ parent: q, task })));
  console.log(`create over gRPC, lean client       ${bar(l.result, 5000)} tasks/s\n${l.line}`);
  for (const c of leanClients) c.close();
  const r = await cpuPerTask(aps, CREATE_N, () => pool(CREATE_N, 64, (i) => restClients[i % aps.length]!.createTask({ parent: q, task })));
  console.log(`create over REST, 64 in flight      ${bar(r.result, 5000)} tasks/s\n${r.line}`);
  await grpcClients[0]!.purgeQueue({ name: q });

  // Dispatch from a backlog: fill paused queues, resume all, time deliveries (OIDC via the front door).
  for (let i = 0; i < QUEUES; i++) await grpcClients[0]!.pauseQueue({ name: `${LOC}/queues/backlog-${i}` });
  const oidc = { httpRequest: { url: URL_, oidcToken: { serviceAccountEmail: SA } } };
  await pool(DISPATCH_N, 64, (i) => grpcClients[i % aps.length]!.createTask({ parent: `${LOC}/queues/backlog-${i % QUEUES}`, task: oidc }));
  const before = t.count;
  t.tokens.clear();
  const done = new Promise<void>((resolve) => (t.onCount = () => t.count - before >= DISPATCH_N && resolve()));
  const start = performance.now();
  const d = await cpuPerTask(aps, DISPATCH_N, async () => {
    for (let i = 0; i < QUEUES; i++) await grpcClients[0]!.resumeQueue({ name: `${LOC}/queues/backlog-${i}` });
    await Promise.race([done, new Promise((r2) => setTimeout(r2, 120_000))]);
  });
  const secs = (performance.now() - start) / 1000;
  t.onCount = undefined;
  console.log(`dispatch from backlog, OIDC → 2xx   ${bar((t.count - before) / secs, 5000)} tasks/s (${t.count - before}/${DISPATCH_N} in ${secs.toFixed(1)} s, ${QUEUES} queues × 500/s)\n${d.line}`);
  console.log(`  distinct ID tokens at the target: ${t.tokens.size} (minted once per process, SA and audience, then reused; the front door removes signatures)`);

  // Lateness: tasks spread at LATE_PER_S, the first far enough ahead that all are created before it is due.
  t.lateness = [];
  const lead = 500 + LATE_N;
  const base = Date.now() + lead;
  const createdBy = Date.now();
  await pool(LATE_N, 16, (i) => {
    const at = base + Math.floor((i * 1000) / LATE_PER_S);
    return grpcClients[i % aps.length]!.createTask({ parent: `${LOC}/queues/late`, task: { scheduleTime: { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1e6 }, httpRequest: { url: `${t.url}/late` } } });
  });
  const createMs = Date.now() - createdBy;
  if (createMs > lead) console.log(`  (creating the ${LATE_N} scheduled tasks took ${createMs} ms, past the first one's time: lateness includes that)`);
  const endBy = base + (LATE_N * 1000) / LATE_PER_S + 10_000;
  while (t.lateness.length < LATE_N && Date.now() < endBy) await new Promise((r2) => setTimeout(r2, 50));
  console.log(`scheduled lateness p50             ${bar(pct(t.lateness, 50), 20, false)} ms`);
  console.log(`scheduled lateness p99             ${bar(pct(t.lateness, 99), 20, false)} ms (${t.lateness.length}/${LATE_N} fired)`);
  for (const c of [...grpcClients, ...restClients]) await c.close();
}

async function main(): Promise<void> {
  const t = await target();
  try {
    const sqlite = await startInstances(1, t);
    try {
      await run('SQLite, one process', sqlite.instances, t);
    } finally {
      await sqlite.stop();
    }
    if (!sqliteOnly) {
      const databaseUrl = await freshDatabase();
      try {
        const pg = await startInstances(2, t, databaseUrl);
        try {
          await run('PostgreSQL, two processes', pg.instances, t);
        } finally {
          await pg.stop();
        }
      } finally {
        await stopPostgres();
      }
    }
  } finally {
    t.server.close();
    t.server.closeAllConnections();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
