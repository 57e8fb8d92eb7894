// Cloud Tasks bench (not part of npm test): create rate over gRPC and REST with 64 in flight,
// dispatch rate from a backlog (OIDC through a front door → 2xx), scheduled-task lateness p50/p99;
// on SQLite (one process) and PostgreSQL (two processes), in rounds that alternate the two (A B A B …), printed
// as medians with their spread against DESIGN.md's bars, with the machine's load before and after.
//   node dist/bench/tasks.js [--quick] [--sqlite-only]
// authplane runs as `authplane start` child processes, as users run it; this process holds only the
// clients and the counting target. Everything talks to 127.0.0.1 only and stops by itself.
// Under the lateness lines it prints which processes outside the bench used CPU meanwhile, and in its header
// whether the kernel runs DAMON (bench/lib/damon.ts), whose runs coincide with the holds (docs/performance.md).
// Set AUTHPLANE_BENCH_PROFILE=DIR to write a CPU profile of each authplane process into DIR.
import './lib/metadata-sink.js'; // first: before Google's clients look for credentials
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTasksClient } from '@google-cloud/tasks';
import type { StartedCli } from '../test/support/cli.js';
import { freshDatabase, stopPostgres } from '../test/support/postgres.js';
import { fmtSpread, machineLoad, spread } from './lib/rounds.js';
import { busiestOthers, cpuByProcess, cpuMs, topByName } from './lib/processes.js';
import { pool } from './lib/pool.js';
import { startInstances } from './lib/instances.js';
import { BACKLOG_QUEUES, BACKLOG_RATE, BACKLOG_TASK, backlogConfig, deliverBacklog, fillBacklog, INVOKER_SA, LOCATION } from './lib/dispatch-backlog.js';
import { gaxTasksClient, leanCreateTask } from './lib/tasks-clients.js';
import { runMain } from './lib/run-main.js';

const quick = process.argv.includes('--quick');
const sqliteOnly = process.argv.includes('--sqlite-only');
const ROUNDS = quick ? 2 : 3;
const CREATE_N = quick ? 2000 : 10000;
const DISPATCH_N = quick ? 4000 : 20000;
const LATE_N = quick ? 200 : 600;
const CREATE_BAR = 5000;
const DISPATCH_BAR = 5000;
const LATE_BAR_MS = 20;
const LATE_PER_S = 200; // under the queue's 500/s (Google's default), so the rate limit delays none of them

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

const config = (upstream: string) => backlogConfig(upstream, [{ name: 'create-bench', rateLimits: { maxDispatchesPerSecond: 500 } }, { name: 'late' }]);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/** Where the CPU went during a phase of `n` tasks: authplane's processes and this one (clients, target), µs a task. */
async function cpuPerTask<T>(aps: StartedCli[], n: number, phase: () => Promise<T>): Promise<{ result: T; cpu: Cpu }> {
  const pids = aps.map((a) => a.pid);
  const ap0 = cpuMs(pids);
  const me0 = process.cpuUsage();
  const result = await phase();
  const me = process.cpuUsage(me0);
  return { result, cpu: { authplane: ((cpuMs(pids) - ap0) * 1000) / n, client: (me.user + me.system) / n } };
}

interface Cpu {
  authplane: number;
  client: number;
}

/** One round's figures for one setup. */
interface RoundFigures {
  createGax: number;
  createLean: number;
  createRest: number;
  dispatch: number;
  lateP50: number;
  lateP99: number;
  /** CPU used outside this bench's processes while the scheduled tasks fired (the window, ms), by process. */
  lateOthers: { window: number; used: { name: string; ms: number }[] };
  cpu: { createGax: Cpu; createLean: Cpu; createRest: Cpu; dispatch: Cpu };
  tokensSeen: number;
}

interface Setup {
  label: string;
  aps: StartedCli[];
  grpcClients: CloudTasksClient[];
  restClients: CloudTasksClient[];
}

function setupOf(label: string, aps: StartedCli[]): Setup {
  const portOf = (u: string) => Number(new URL(u).port);
  return {
    label,
    aps,
    grpcClients: aps.map((ap) => gaxTasksClient(ap.url('grpc'))),
    restClients: aps.map((ap) => new CloudTasksClient({ fallback: 'rest', protocol: 'http', servicePath: '127.0.0.1', port: portOf(ap.url('api')), authClient: { getRequestHeaders: async () => new Headers(), fetch: (u: string, i: RequestInit) => fetch(u, i) } as never })),
  };
}

async function round(s: Setup, t: Target): Promise<RoundFigures> {
  const { aps, grpcClients, restClients } = s;
  const sink = `${t.url}/sink`;

  // Create rate: paused queue so dispatch does not compete.
  const q = `${LOCATION}/queues/create-bench`;
  await grpcClients[0]!.pauseQueue({ name: q });
  const task = { httpRequest: { url: sink, oidcToken: { serviceAccountEmail: INVOKER_SA } } };
  const g = await cpuPerTask(aps, CREATE_N, () => pool(CREATE_N, 64, (i) => grpcClients[i % aps.length]!.createTask({ parent: q, task })));
  const leanClients = aps.map((ap) => leanCreateTask(ap.url('grpc')));
  const l = await cpuPerTask(aps, CREATE_N, () => pool(CREATE_N, 64, (i) => leanClients[i % aps.length]!.create({ parent: q, task })));
  for (const c of leanClients) c.close();
  const r = await cpuPerTask(aps, CREATE_N, () => pool(CREATE_N, 64, (i) => restClients[i % aps.length]!.createTask({ parent: q, task })));
  await grpcClients[0]!.purgeQueue({ name: q });

  // Dispatch from a backlog: fill paused queues, resume all, time deliveries (OIDC via the front door).
  await fillBacklog(grpcClients[0]!, DISPATCH_N, (parent, i) => grpcClients[i % aps.length]!.createTask({ parent, task: BACKLOG_TASK }));
  t.tokens.clear();
  const start = performance.now();
  const d = await cpuPerTask(aps, DISPATCH_N, () => deliverBacklog(grpcClients[0]!, t, DISPATCH_N, 120_000));
  const secs = (performance.now() - start) / 1000;
  const delivered = d.result;
  if (delivered < DISPATCH_N) console.log(`  (${s.label}: only ${delivered} of ${DISPATCH_N} delivered within 120 s)`);

  // Lateness: tasks spread at LATE_PER_S, the first far enough ahead that all are created before it is due.
  t.lateness = [];
  const lead = 500 + LATE_N;
  const base = Date.now() + lead;
  const createdBy = Date.now();
  await pool(LATE_N, 16, (i) => {
    const at = base + Math.floor((i * 1000) / LATE_PER_S);
    return grpcClients[i % aps.length]!.createTask({ parent: `${LOCATION}/queues/late`, task: { scheduleTime: { seconds: Math.floor(at / 1000), nanos: (at % 1000) * 1e6 }, httpRequest: { url: `${t.url}/late` } } });
  });
  const createMs = Date.now() - createdBy;
  if (createMs > lead) console.log(`  (${s.label}: creating the ${LATE_N} scheduled tasks took ${createMs} ms, past the first one's time: lateness includes that)`);
  const endBy = base + (LATE_N * 1000) / LATE_PER_S + 10_000;
  // Read before the first task is due (the lead above), so that this scan of /proc does not delay the target.
  const others0 = cpuByProcess();
  const othersFrom = performance.now();
  while (t.lateness.length < LATE_N && Date.now() < endBy) await new Promise((r2) => setTimeout(r2, 50));
  if (t.lateness.length < LATE_N) console.log(`  (${s.label}: ${t.lateness.length}/${LATE_N} scheduled tasks fired)`);
  const lateOthers = { window: performance.now() - othersFrom, used: busiestOthers(others0, cpuByProcess()) };
  return {
    createGax: g.result,
    createLean: l.result,
    createRest: r.result,
    dispatch: delivered / secs,
    lateP50: pct(t.lateness, 50),
    lateP99: pct(t.lateness, 99),
    lateOthers,
    cpu: { createGax: g.cpu, createLean: l.cpu, createRest: r.cpu, dispatch: d.cpu },
    tokensSeen: t.tokens.size,
  };
}

function report(s: Setup, rs: RoundFigures[]): void {
  console.log(`\n== ${s.label} (pids ${s.aps.map((a) => a.pid).join(', ')}), ${rs.length} rounds: median (spread) ==`);
  const line = (label: string, f: (r: RoundFigures) => number, goal: number, higher: boolean, unit: string, cpu?: (r: RoundFigures) => Cpu) => {
    const sp = spread(rs.map(f));
    const ok = higher ? sp.median >= goal : sp.median <= goal;
    console.log(`${label.padEnd(36)} ${fmtSpread(sp, 0).padStart(20)} ${unit}  (bar ${higher ? '≥' : '≤'} ${goal}) ${ok ? 'ok' : higher ? 'BELOW' : 'ABOVE'}`);
    if (cpu) {
      const a = spread(rs.map((r) => cpu(r).authplane)).median;
      const c = spread(rs.map((r) => cpu(r).client)).median;
      console.log(`    CPU per task: authplane ${a.toFixed(0)} µs, bench client and target ${c.toFixed(0)} µs`);
    }
  };
  const perProcess = s.aps.length > 1 ? ` (${s.aps.length} processes)` : '';
  line(`create over gRPC, 64 in flight${perProcess}`, (r) => r.createGax, CREATE_BAR, true, 'tasks/s', (r) => r.cpu.createGax);
  line('create over gRPC, lean client', (r) => r.createLean, CREATE_BAR, true, 'tasks/s', (r) => r.cpu.createLean);
  line('create over REST, 64 in flight', (r) => r.createRest, CREATE_BAR, true, 'tasks/s', (r) => r.cpu.createRest);
  line(`dispatch from backlog, OIDC → 2xx`, (r) => r.dispatch, DISPATCH_BAR, true, `tasks/s (${BACKLOG_QUEUES} queues × ${BACKLOG_RATE}/s)`, (r) => r.cpu.dispatch);
  console.log(`  distinct ID tokens at the target per round: ${rs.map((r) => r.tokensSeen).join(', ')} (minted once per process, SA and audience, then reused)`);
  line('scheduled lateness p50', (r) => r.lateP50, LATE_BAR_MS, false, 'ms');
  line('scheduled lateness p99', (r) => r.lateP99, LATE_BAR_MS, false, 'ms');
  othersLine(rs.map((r) => r.lateOthers));
}

/** The three process names outside this bench that used the most CPU over the rounds' windows, per round ('–': under 10 ms). */
function othersLine(rounds: RoundFigures['lateOthers'][]): void {
  const top = topByName(rounds.map((r) => r.used), (o) => o.ms, 3);
  const windows = rounds.map((r) => (r.window / 1000).toFixed(1)).join('/');
  const cells = top.map((t) => `${t.name} ${t.perRound.map((ms) => ms || '–').join('/')} ms`);
  console.log(`    CPU outside this bench's processes from just before the first was due to the last (${windows} s), by name: ${cells.join(', ') || 'none ≥ 10 ms'}`);
}

async function main(): Promise<void> {
  console.log(`bench/tasks${quick ? ' (quick)' : ''}: ${ROUNDS} rounds, ${sqliteOnly ? 'SQLite only' : 'SQLite and PostgreSQL interleaved'}; ${new Date().toISOString()}`);
  console.log(`machine before: ${machineLoad()}`);
  const t = await target();
  const stops: (() => Promise<void>)[] = [];
  try {
    const sqlite = await startInstances(config(t.url), { processes: 1 });
    stops.push(sqlite.stop);
    const setups = [setupOf('SQLite, one process', sqlite.aps)];
    if (!sqliteOnly) {
      const databaseUrl = await freshDatabase();
      stops.push(stopPostgres);
      const pg = await startInstances(config(t.url), { processes: 2, databaseUrl });
      stops.push(pg.stop);
      setups.push(setupOf('PostgreSQL, two processes', pg.aps));
    }
    const results = new Map<Setup, RoundFigures[]>(setups.map((s) => [s, []]));
    for (let r = 0; r < ROUNDS; r++) for (const s of setups) results.get(s)!.push(await round(s, t));
    for (const [s, rs] of results) report(s, rs);
    for (const s of setups) for (const c of [...s.grpcClients, ...s.restClients]) await c.close();
  } finally {
    for (const stop of stops.reverse()) await stop();
    t.server.close();
    t.server.closeAllConnections();
  }
  console.log(`\nmachine after: ${machineLoad()}`);
}

runMain(main);
