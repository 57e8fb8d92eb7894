// bench/tasks-claim: Cloud Tasks' claim on PostgreSQL as one server-side call (sql/postgres/000007_claim_tasks.sql,
// what authplane runs) against the same statements sent from the client in a transaction (six round trips, the
// queue row locked across them; kept here as the baseline). Two store handles — two processes of one emulator —
// claim one queue whose tasks fall due every 5 ms, each sleeping until the queue is next due, as dispatchers do;
// lateness is when a task was claimed minus when it was due. Rounds alternate the two (A B A B …), a fresh queue
// each; medians of the rounds' p50 and p99 with their spread.
//   node dist/bench/tasks-claim.js [--quick]
// Loopback only (embedded PostgreSQL, test/support/postgres.ts); stops by itself.

import type pg from 'pg';
import { PostgresStore } from '../src/store/postgres.js';
import { newQueueRecord } from '../src/tasks/queue-model.js';
import { LEASE_GRACE_MS } from '../src/tasks/dispatch-source.js';
import { openBucket, claimable, newLeaseId, nextWake, queueFromRow, taskFromRow } from '../src/store/task-rows.js';
import type { Row } from '../src/store/core-rows.js';
import type { Claim, TaskRecord } from '../src/store/task-store.js';
import { freshDatabase, stopPostgres } from '../test/support/postgres.js';
import { fmtSpread, interleaved, machineLoad, spread } from './lib/rounds.js';
import { runMain } from './lib/run-main.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const TASKS = quick ? 200 : 600;
const EVERY_MS = 5;

type Claimer = (store: PostgresStore, queue: string, now: number) => Promise<Claim>;

/** What authplane runs. */
const oneCall: Claimer = (store, queue, now) => store.tasks.claim(queue, now, 200, LEASE_GRACE_MS);

/** The baseline: the claim's statements from the client, in one transaction (authplane's claim before the function). */
const fromClient: Claimer = (store, queue, now) =>
  store.tx(async (c: pg.PoolClient): Promise<Claim> => {
    const qr = (await c.query('SELECT * FROM task_queues WHERE id = $1 FOR UPDATE', [queue])).rows[0] as Row | undefined;
    if (!qr || qr.deleted_at !== null || qr.state !== 'RUNNING') return { queue: qr ? queueFromRow(qr) : null, tasks: [], wakeAt: null, saturated: false };
    const bucket = openBucket(qr, now);
    const inFlight = Number(((await c.query("SELECT count(*) AS n FROM tasks WHERE queue = $1 AND state = 'queued' AND lease_id IS NOT NULL AND next_at > $2", [queue, now])).rows[0] as Row).n);
    const n = claimable(bucket, inFlight, 200);
    let tasks: TaskRecord[] = [];
    if (n > 0) {
      const r = await c.query(
        `WITH due AS (SELECT seq FROM tasks WHERE queue = $1 AND state = 'queued' AND next_at <= $2 ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE tasks t SET lease_id = $4, next_at = $2 + t.dispatch_deadline_ms + $5, dispatch_count = t.dispatch_count + 1, first_attempt_at = coalesce(t.first_attempt_at, $2)
         FROM due WHERE t.seq = due.seq RETURNING t.*`,
        [queue, now, n, newLeaseId(store.leaseOwner), LEASE_GRACE_MS],
      );
      tasks = r.rows.map(taskFromRow).sort((a, b) => a.scheduleTime - b.scheduleTime);
    }
    bucket.tokens -= tasks.length;
    const next = ((await c.query("UPDATE task_queues SET tokens = $1, tokens_at = $2 WHERE id = $3 RETURNING (SELECT min(next_at) FROM tasks WHERE queue = $3 AND state = 'queued') AS t", [bucket.tokens, bucket.at, queue])).rows[0] as Row).t;
    return { queue: queueFromRow(qr), tasks, ...nextWake(bucket, now, inFlight, tasks.length, next) };
  });

interface RoundResult {
  p50: number;
  p99: number;
  claimP99: number;
}

let roundNo = 0;

async function round(stores: PostgresStore[], claim: Claimer): Promise<RoundResult> {
  const queue = `claim-${++roundNo}`;
  await stores[0]!.tasks.createQueue(newQueueRecord({ project: 'bench', location: 'us-central1', queue }, Date.now()), Date.now(), 0);
  const start = Date.now() + 300;
  for (let i = 0; i < TASKS; i++) {
    const at = start + i * EVERY_MS;
    await stores[0]!.tasks.insertTask({ queue, id: `t${i}`, named: true, httpRequest: { url: 'http://127.0.0.1:9/', httpMethod: 'POST', headers: {}, body: null }, scheduleTime: at, createTime: Date.now(), dispatchDeadlineMs: 10_000 }, Date.now(), 0);
  }
  const late: number[] = [];
  const claimMs: number[] = [];
  let claimed = 0;
  const seen = new Map<string, string>();
  const end = start + TASKS * EVERY_MS + 5_000;
  // Each handle: claim when the queue is due, sleep until it is next due (the dispatcher's timer), repeat.
  await Promise.all(
    stores.map(async (store) => {
      let wakeAt: number | null = start;
      while (claimed < TASKS && Date.now() < end) {
        const wait = (wakeAt ?? Date.now() + 20) - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, end - Date.now())));
        // Asleep until a lease runs out while the other handle claimed the rest: the round is over. (Claiming
        // then would take back the expired leases, as a dispatcher rightly does, and count tasks twice.)
        if (claimed >= TASKS || Date.now() >= end) break;
        const t0 = performance.now();
        const c = await claim(store, queue, Date.now());
        claimMs.push(performance.now() - t0);
        const now = Date.now();
        for (const t of c.tasks) {
          late.push(now - t.scheduleTime);
          // A task leased twice would be delivered twice: the bench stops on it rather than count it.
          if (seen.has(t.id)) throw new Error(`${claim === oneCall ? 'oneCall' : 'fromClient'}: task ${t.id} claimed twice (${seen.get(t.id)}, then ${c.tasks.length} more at ${now})`);
          seen.set(t.id, `${c.tasks.length} at ${now}`);
        }
        claimed += c.tasks.length;
        wakeAt = c.wakeAt;
      }
    }),
  );
  if (claimed !== TASKS) throw new Error(`claimed ${claimed} of ${TASKS}`);
  const s = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  return { p50: s(late, 50), p99: s(late, 99), claimP99: s(claimMs, 99) };
}

async function main(): Promise<void> {
  console.log(`bench/tasks-claim${quick ? ' (quick)' : ''}: two store handles on one PostgreSQL, ${TASKS} tasks due every ${EVERY_MS} ms, ${ROUNDS} interleaved rounds; ${new Date().toISOString()}`);
  console.log(`machine before: ${machineLoad()}`);
  const url = await freshDatabase();
  const stores = [await PostgresStore.connect(url), await PostgresStore.connect(url)];
  try {
    const out = await interleaved(['one call (authplane)', 'from the client (6 round trips)'] as const, ROUNDS, (k) => round(stores, k === 'one call (authplane)' ? oneCall : fromClient));
    for (const [k, rs] of Object.entries(out)) {
      console.log(
        `${k.padEnd(34)} lateness at claim p50 ${fmtSpread(spread(rs.map((r) => r.p50)), 0)} ms, p99 ${fmtSpread(spread(rs.map((r) => r.p99)), 0)} ms; claim call p99 ${fmtSpread(spread(rs.map((r) => r.claimP99)), 1)} ms`,
      );
    }
  } finally {
    for (const s of stores) await s.close();
    await stopPostgres();
  }
  console.log(`machine after: ${machineLoad()}`);
}

runMain(main);
