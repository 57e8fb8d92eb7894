// Cloud Tasks CreateTask bench (not part of npm test): authplane's CPU per create over gRPC with 64 in flight,
// on SQLite (or PostgreSQL, --postgres), with @google-cloud/tasks (and the lean grpc-js client bench/tasks.ts also drives), in interleaved rounds.
// With --compare DIR (another checkout, built) that build runs beside this one and the rounds alternate
// between the two (A B A B …), so that a change is measured against its base under the same machine load; on
// a shared 2-core machine the CPU per create is the figure to compare, not the rate. With --together both
// builds are driven at the same time in each round (64 in flight each), so that whatever else the machine
// does in that round hits both alike.
// With --postgres each build runs as two `authplane start` processes on a fresh PostgreSQL database of its
// own (the clients alternate between them), and the CPU per create is both processes' (not PostgreSQL's).
//   node dist/bench/tasks-create.js [--quick] [--rounds N] [--n TASKS] [--postgres] [--compare DIR [--together]]
// Set AUTHPLANE_BENCH_PROFILE=DIR to write a CPU profile of each authplane process into DIR, and
// AUTHPLANE_BENCH_NODE_ARGS="--flag …" to start this build's authplane with more Node flags (a GC setting, say).
import './lib/metadata-sink.js'; // first: before Google's clients look for credentials
import { parseArgs } from 'node:util';
import { cliMainOf } from '../test/support/cli.js';
import { stopPostgres } from '../test/support/postgres.js';
import { fmtSpread, machineLoad, ratios, spread } from './lib/rounds.js';
import { cpuMs } from './lib/processes.js';
import { pool } from './lib/pool.js';
import { positiveInteger } from './lib/args.js';
import { startTasksBuild, type TasksBuild } from './lib/tasks-build.js';
import { INVOKER_SA, LOCATION } from './lib/dispatch-backlog.js';
import { runMain } from './lib/run-main.js';

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, rounds: { type: 'string' }, n: { type: 'string' }, compare: { type: 'string' }, together: { type: 'boolean' }, postgres: { type: 'boolean' } },
});
const ROUNDS = positiveInteger('--rounds', args.rounds, args.quick ? 3 : 5);
const N = positiveInteger('--n', args.n, args.quick ? 2000 : 4000);
const COMPARE = args.compare;
const TOGETHER = args.together === true;
const POSTGRES = args.postgres === true;
const QUEUE = `${LOCATION}/queues/create-bench`;
// The task of bench/tasks.ts's create phase (the queue is paused: nothing is dispatched).
const TASK = { httpRequest: { url: 'http://127.0.0.1:9/sink', oidcToken: { serviceAccountEmail: INVOKER_SA } } };

/** A build with the create queue paused (nothing is dispatched while it is measured). */
async function startBuild(label: string, cliMain?: string): Promise<TasksBuild> {
  const config = { serviceAccounts: [{ name: 'tasks-invoker' }], queues: [{ name: 'create-bench' }] };
  const build = await startTasksBuild(label, config, { postgres: POSTGRES, ...(cliMain ? { cliMain } : {}) });
  try {
    await build.gax[0]!.pauseQueue({ name: QUEUE });
  } catch (e) {
    await build.stop();
    throw e;
  }
  return build;
}

interface Figures {
  rate: number;
  /** authplane's CPU µs per create. */
  authplane: number;
  /** This process's (the client's) CPU µs per create. */
  client: number;
}

async function measure(b: TasksBuild, client: 'gax' | 'lean'): Promise<Figures> {
  const pids = b.aps.map((ap) => ap.pid);
  const ap0 = cpuMs(pids);
  const me0 = process.cpuUsage();
  const k = b.aps.length;
  const create = client === 'gax' ? (i: number) => b.gax[i % k]!.createTask({ parent: QUEUE, task: TASK }) : (i: number) => b.lean[i % k]!.create({ parent: QUEUE, task: TASK });
  const rate = await pool(N, 64, create);
  const me = process.cpuUsage(me0);
  const authplane = ((cpuMs(pids) - ap0) * 1000) / N;
  await b.gax[0]!.purgeQueue({ name: QUEUE }); // every round starts from an empty queue
  return { rate, authplane, client: (me.user + me.system) / N };
}

async function main(): Promise<void> {
  console.log(`bench/tasks-create: ${ROUNDS} rounds of ${N} creates, 64 in flight, ${POSTGRES ? 'PostgreSQL, two processes' : 'SQLite'}${COMPARE ? `, against ${COMPARE}${TOGETHER ? ' (both at once)' : ''}` : ''}; ${new Date().toISOString()}`);
  console.log(`machine before: ${machineLoad()}`);
  const builds: TasksBuild[] = [];
  try {
    builds.push(await startBuild('this build'));
    if (COMPARE) builds.push(await startBuild('compared build', cliMainOf(COMPARE)));
    for (const b of builds) await measure(b, 'gax'); // warm-up: JIT, the descriptors, the first pages of the database
    const results = new Map<string, Figures[]>();
    for (let r = 0; r < ROUNDS; r++) {
      // Which build goes first alternates, so neither always runs right after the other's burst.
      const order = r % 2 ? [...builds].reverse() : builds;
      for (const client of ['gax', 'lean'] as const) {
        const add = (b: TasksBuild, f: Figures) => results.set(`${b.label}, ${client}`, [...(results.get(`${b.label}, ${client}`) ?? []), f]);
        if (TOGETHER) {
          const fs = await Promise.all(order.map((b) => measure(b, client)));
          order.forEach((b, i) => add(b, fs[i]!));
        } else for (const b of order) add(b, await measure(b, client));
      }
    }
    console.log(`\nmedian (lowest–highest) over the rounds${TOGETHER ? "; the client's CPU is both builds' clients'" : ''}`);
    for (const [key, fs] of results) {
      console.log(
        `${key.padEnd(24)} ${fmtSpread(spread(fs.map((f) => f.rate)), 0).padStart(20)} creates/s   authplane ${fmtSpread(spread(fs.map((f) => f.authplane)), 0).padStart(16)} µs   client ${fmtSpread(spread(fs.map((f) => f.client)), 0)} µs`,
      );
    }
    if (COMPARE) {
      for (const client of ['gax', 'lean']) {
        const mine = results.get(`this build, ${client}`)!.map((f) => f.authplane);
        const theirs = results.get(`compared build, ${client}`)!.map((f) => f.authplane);
        console.log(`authplane CPU per create, this ÷ compared (${client}): ${fmtSpread(ratios(mine, theirs))}`);
      }
    }
  } finally {
    for (const b of builds) await b.stop();
    if (POSTGRES) await stopPostgres();
  }
  console.log(`\nmachine after: ${machineLoad()}`);
}

runMain(main);
