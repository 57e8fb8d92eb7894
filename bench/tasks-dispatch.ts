// Cloud Tasks dispatch bench (not part of npm test): a backlog of --n tasks in 12 queues of 500/s each
// (bench/lib/dispatch-backlog.ts), resumed at once and delivered with OIDC through the front door's checks to a
// counting target in this process; the rate delivered and authplane's CPU per task, in interleaved rounds.
// With --compare DIR (another checkout, built) that build runs beside this one and the rounds alternate
// between the two (A B A B …, which goes first alternating too), so that a change is measured against its
// base under the same machine load. With --postgres each build runs as two `authplane start` processes on a
// fresh PostgreSQL database of its own, and the CPU per task is both processes' (not PostgreSQL's).
//   node dist/bench/tasks-dispatch.js [--quick] [--rounds N] [--n TASKS] [--postgres] [--compare DIR]
// Set AUTHPLANE_BENCH_PROFILE=DIR to write a CPU profile of each authplane process into DIR, and
// AUTHPLANE_BENCH_NODE_ARGS="--flag …" to start this build's authplane with more Node flags.
// Everything talks to 127.0.0.1 only and stops by itself.
import './lib/metadata-sink.js'; // first: before Google's clients look for credentials
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { cliMainOf } from '../test/support/cli.js';
import { stopPostgres } from '../test/support/postgres.js';
import { fmtSpread, machineLoad, ratios, spread } from './lib/rounds.js';
import { cpuMs } from './lib/processes.js';
import { positiveInteger } from './lib/args.js';
import { startTasksBuild, type TasksBuild } from './lib/tasks-build.js';
import { BACKLOG_QUEUES, BACKLOG_RATE, BACKLOG_TASK, backlogConfig, backlogQueue, deliverBacklog, fillBacklog, type DeliveryCounter } from './lib/dispatch-backlog.js';
import { runMain } from './lib/run-main.js';

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, rounds: { type: 'string' }, n: { type: 'string' }, compare: { type: 'string' }, postgres: { type: 'boolean' } },
});
const ROUNDS = positiveInteger('--rounds', args.rounds, args.quick ? 2 : 5);
const N = positiveInteger('--n', args.n, args.quick ? 4800 : 12000);
const COMPARE = args.compare;
const POSTGRES = args.postgres === true;
const DELIVERY_TIMEOUT_MS = 120_000;
/** How long the outcomes of a round may take to be written once every task was delivered. */
const DRAIN_TIMEOUT_MS = 30_000;

/** The counting target: every request the front door passes on. */
const target: DeliveryCounter = { count: 0 };
const server = createServer((req, res) => {
  target.count++;
  req.resume();
  res.writeHead(200).end();
  target.onCount?.();
});
server.keepAliveTimeout = 60_000;

interface Figures {
  /** Tasks delivered a second, from the resumes to the last delivery. */
  rate: number;
  /** authplane's CPU µs per task over that time. */
  authplane: number;
  /** This process's (the target's) CPU µs per task. */
  target: number;
}

async function queuesEmpty(b: TasksBuild): Promise<boolean> {
  for (let i = 0; i < BACKLOG_QUEUES; i++) {
    const [tasks] = await b.gax[0]!.listTasks({ parent: backlogQueue(i), pageSize: 1 }, { autoPaginate: false });
    if (tasks.length > 0) return false;
  }
  return true;
}

async function measure(b: TasksBuild, n: number): Promise<Figures> {
  await fillBacklog(b.gax[0]!, n, (parent, i) => b.lean[i % b.lean.length]!.create({ parent, task: BACKLOG_TASK }));
  const pids = b.aps.map((ap) => ap.pid);
  const ap0 = cpuMs(pids);
  const me0 = process.cpuUsage();
  const start = performance.now();
  const got = await deliverBacklog(b.gax[0]!, target, n, DELIVERY_TIMEOUT_MS);
  const secs = (performance.now() - start) / 1000;
  const me = process.cpuUsage(me0);
  const authplane = ((cpuMs(pids) - ap0) * 1000) / n;
  // A round that did not deliver everything measured something else (refusals, retries): the run stops.
  if (got < n) throw new Error(`${b.label}: only ${got} of ${n} tasks delivered within ${DELIVERY_TIMEOUT_MS / 1000} s`);
  // The next round starts once every outcome is written (no task left queued), not while they still are.
  const drainBy = performance.now() + DRAIN_TIMEOUT_MS;
  while (!(await queuesEmpty(b))) {
    if (performance.now() > drainBy) throw new Error(`${b.label}: tasks still queued ${DRAIN_TIMEOUT_MS / 1000} s after all ${n} were delivered`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { rate: n / secs, authplane, target: (me.user + me.system) / n };
}

async function main(): Promise<void> {
  const cap = BACKLOG_QUEUES * BACKLOG_RATE;
  console.log(
    `bench/tasks-dispatch: ${ROUNDS} rounds of ${N} tasks in ${BACKLOG_QUEUES} queues × ${BACKLOG_RATE}/s (cap ${cap}/s), ${POSTGRES ? 'PostgreSQL, two processes' : 'SQLite'}${COMPARE ? `, against ${COMPARE}` : ''}; ${new Date().toISOString()}`,
  );
  console.log(`machine before: ${machineLoad()}`);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const builds: TasksBuild[] = [];
  try {
    builds.push(await startTasksBuild('this build', backlogConfig(upstream), { postgres: POSTGRES }));
    if (COMPARE) builds.push(await startTasksBuild('compared build', backlogConfig(upstream), { postgres: POSTGRES, cliMain: cliMainOf(COMPARE) }));
    for (const b of builds) await measure(b, Math.min(N, 2400)); // warm-up: JIT, the token, the database's first pages
    const results = new Map<string, Figures[]>(builds.map((b) => [b.label, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 ? [...builds].reverse() : builds;
      for (const b of order) results.get(b.label)!.push(await measure(b, N));
    }
    console.log('\nmedian (lowest–highest) over the rounds');
    for (const [label, fs] of results) {
      console.log(
        `${label.padEnd(16)} ${fmtSpread(spread(fs.map((f) => f.rate)), 0).padStart(20)} tasks/s   authplane ${fmtSpread(spread(fs.map((f) => f.authplane)), 0).padStart(16)} µs a task   target ${fmtSpread(spread(fs.map((f) => f.target)), 0)} µs`,
      );
    }
    if (COMPARE) {
      const [mine, theirs] = [results.get('this build')!, results.get('compared build')!];
      console.log(`rate, this ÷ compared:                       ${fmtSpread(ratios(mine.map((f) => f.rate), theirs.map((f) => f.rate)))}`);
      console.log(`authplane CPU per task, this ÷ compared:     ${fmtSpread(ratios(mine.map((f) => f.authplane), theirs.map((f) => f.authplane)))}`);
    }
  } finally {
    for (const b of builds) await b.stop();
    if (POSTGRES) await stopPostgres();
    server.close();
  }
  console.log(`\nmachine after: ${machineLoad()}`);
}

runMain(main);
