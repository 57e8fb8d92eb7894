// Cloud Tasks bench (not part of npm test): create rate over gRPC and REST with 64 in flight,
// dispatch rate from a backlog (OIDC through a front door → 2xx), scheduled-task lateness p50/p99;
// on SQLite (one process) and PostgreSQL (two processes), printed against DESIGN.md's bars.
//   node dist/bench/tasks.js [--quick] [--sqlite-only]
// Everything talks to 127.0.0.1 only and stops by itself.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { startTestAuthplane, type TestAuthplane } from '../test/support/authplane.js';
import { freshDatabase, stopPostgres } from '../test/support/postgres.js';
import { tasksDispatcher } from '../src/tasks/product.js';

const quick = process.argv.includes('--quick');
const sqliteOnly = process.argv.includes('--sqlite-only');
const CREATE_N = quick ? 3000 : 20000;
const DISPATCH_N = quick ? 6000 : 30000;
const LATE_N = quick ? 200 : 1000;
const QUEUES = 12; // 12 × Google's 500/s cap: the bar (5,000/s) is 10× one queue
const SA = 'tasks-invoker@demo-project.iam.gserviceaccount.com';
const URL_ = 'https://update-123456789012.us-central1.run.app/';
const LOC = 'projects/demo-project/locations/us-central1';

interface Target {
  server: Server;
  url: string;
  count: number;
  lateness: number[];
  onCount?: () => void;
}

async function target(): Promise<Target> {
  const t: Target = { server: undefined as never, url: '', count: 0, lateness: [] };
  t.server = createServer((req, res) => {
    t.count++;
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

const config = (upstream: string, paused: boolean) => ({
  serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'update-runtime' }],
  services: [{ name: 'update', upstream, serviceAccount: 'update-runtime' }],
  iam: { bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA}`] }] },
  queues: [
    { name: 'create-bench', rateLimits: { maxDispatchesPerSecond: 500 } },
    ...Array.from({ length: QUEUES }, (_, i) => ({ name: `backlog-${i}`, rateLimits: { maxDispatchesPerSecond: 500, maxConcurrentDispatches: 1000 } })),
    { name: 'late' },
  ],
  tasks: paused ? {} : {},
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

async function run(label: string, aps: TestAuthplane[], t: Target): Promise<void> {
  console.log(`\n== ${label} ==`);
  const grpcClients = aps.map((ap) => new CloudTasksClient({ servicePath: '127.0.0.1', port: Number(ap.platform.grpcHostPort!.split(':').pop()), sslCreds: grpc.credentials.createInsecure() }));
  const restClients = aps.map((ap) => new CloudTasksClient({ fallback: 'rest', protocol: 'http', servicePath: '127.0.0.1', port: Number(new URL(ap.apiUrl).port), authClient: { getRequestHeaders: async () => new Headers(), fetch: (u: string, i: RequestInit) => fetch(u, i) } as never }));
  const sink = `${t.url}/sink`;

  // Create rate: paused queue so dispatch does not compete.
  const q = `${LOC}/queues/create-bench`;
  await grpcClients[0]!.pauseQueue({ name: q });
  const task = { httpRequest: { url: sink, oidcToken: { serviceAccountEmail: SA } } };
  const g = await pool(CREATE_N, 64, (i) => grpcClients[i % aps.length]!.createTask({ parent: q, task }));
  console.log(`create over gRPC, 64 in flight      ${bar(g, 5000)} tasks/s`);
  const r = await pool(CREATE_N, 64, (i) => restClients[i % aps.length]!.createTask({ parent: q, task }));
  console.log(`create over REST, 64 in flight      ${bar(r, 5000)} tasks/s`);
  await grpcClients[0]!.purgeQueue({ name: q });

  // Dispatch from a backlog: fill paused queues, resume all, time deliveries (OIDC via the front door).
  for (let i = 0; i < QUEUES; i++) await grpcClients[0]!.pauseQueue({ name: `${LOC}/queues/backlog-${i}` });
  const oidc = { httpRequest: { url: URL_, oidcToken: { serviceAccountEmail: SA } } };
  await pool(DISPATCH_N, 64, (i) => grpcClients[i % aps.length]!.createTask({ parent: `${LOC}/queues/backlog-${i % QUEUES}`, task: oidc }));
  const before = t.count;
  const done = new Promise<void>((resolve) => (t.onCount = () => t.count - before >= DISPATCH_N && resolve()));
  const start = performance.now();
  for (let i = 0; i < QUEUES; i++) await grpcClients[0]!.resumeQueue({ name: `${LOC}/queues/backlog-${i}` });
  await Promise.race([done, new Promise((r2) => setTimeout(r2, 120_000))]);
  const secs = (performance.now() - start) / 1000;
  t.onCount = undefined;
  console.log(`dispatch from backlog, OIDC → 2xx   ${bar((t.count - before) / secs, 5000)} tasks/s (${t.count - before}/${DISPATCH_N} in ${secs.toFixed(1)} s, ${QUEUES} queues × 500/s)`);
  console.log(`  tokens minted: ${aps.map((ap) => tasksDispatcher(ap.platform).tokens.minted).join(' + ')} (reused per SA and audience)`);

  // Lateness: tasks scheduled 300 ms+ ahead, spread over ~1 s.
  t.lateness = [];
  const base = Date.now() + 300;
  await pool(LATE_N, 16, (i) => {
    const at = base + Math.floor((i * 1000) / LATE_N);
    return grpcClients[i % aps.length]!.createTask({ parent: `${LOC}/queues/late`, task: { scheduleTime: { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1e6 }, httpRequest: { url: `${t.url}/late` } } });
  });
  const endBy = Date.now() + 10_000;
  while (t.lateness.length < LATE_N && Date.now() < endBy) await new Promise((r2) => setTimeout(r2, 50));
  console.log(`scheduled lateness p50             ${bar(pct(t.lateness, 50), 20, false)} ms`);
  console.log(`scheduled lateness p99             ${bar(pct(t.lateness, 99), 20, false)} ms (${t.lateness.length}/${LATE_N} fired)`);
  for (const c of [...grpcClients, ...restClients]) await c.close();
}

async function main(): Promise<void> {
  const t = await target();
  const sqlite = await startTestAuthplane(config(t.url, false));
  try {
    await run('SQLite, one process', [sqlite], t);
  } finally {
    await sqlite.stop();
  }
  if (!sqliteOnly) {
    const databaseUrl = await freshDatabase();
    const a = await startTestAuthplane(config(t.url, false), { databaseUrl });
    const b = await startTestAuthplane(config(t.url, false), { databaseUrl });
    try {
      await run('PostgreSQL, two processes', [a, b], t);
    } finally {
      await a.stop();
      await b.stop();
      await stopPostgres();
    }
  }
  t.server.close();
  t.server.closeAllConnections();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
