// bench/object-spread: what an object literal that begins with a spread costs on this Node for each property it
// adds that its source lacks (`{ ...task, seq, state }`), against the same object written field by field and
// against a spread that only overrides properties the source has; and the Cloud Tasks record that was built the
// first way, `newTaskRecord` (src/store/task-rows.ts), against that first way (kept here as the baseline). On
// Node 20 each added property took V8's slow path, so the hot paths build their records field by field; when a
// Node release makes the first case cheap, that rule can go. Interleaved rounds, medians with their spread.
//   node dist/bench/object-spread.js [--quick]
import { parseArgs } from 'node:util';
import { newTaskRecord } from '../src/store/task-rows.js';
import type { AttemptSummary, NewTask, TaskRecord } from '../src/store/task-store.js';
import { fmtSpread, interleaved, machineLoad, spread } from './lib/rounds.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' } } });
const ROUNDS = args.quick ? 5 : 15;
const CALLS = 100_000;

const attemptOf = (i: number): AttemptSummary => ({ scheduleTime: i, dispatchTime: i + 1, responseTime: i + 2, httpStatus: 200, error: null });
const newTask = (i: number): NewTask => ({
  queue: 'backlog-1',
  id: String(i),
  named: false,
  httpRequest: { url: 'https://update-123456789012.us-central1.run.app/', httpMethod: 'POST', headers: {}, body: null },
  scheduleTime: i,
  createTime: i,
  dispatchDeadlineMs: 600_000,
});

/** newTaskRecord as it was written before: a leading spread that adds ten properties. */
const newTaskRecordBySpread = (t: NewTask, seq: number): TaskRecord => ({
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

// Each case builds one object a call from a fresh source, and every object has a scheduleTime (read to keep it).
const cases = {
  '5 fields spread, then 8 new': (i: number) => ({ ...attemptOf(i), taskSeq: i, queue: 'q', taskId: 't', attempt: 1, latencyMs: 1.5, denial: null, frontDoorRequestId: 'r', worker: 'w' }),
  '5 fields spread, then 1 new': (i: number) => ({ ...attemptOf(i), taskSeq: i }),
  'the 13 fields written out': (i: number) => {
    const a = attemptOf(i);
    return {
      scheduleTime: a.scheduleTime,
      dispatchTime: a.dispatchTime,
      responseTime: a.responseTime,
      httpStatus: a.httpStatus,
      error: a.error,
      taskSeq: i,
      queue: 'q',
      taskId: 't',
      attempt: 1,
      latencyMs: 1.5,
      denial: null,
      frontDoorRequestId: 'r',
      worker: 'w',
    };
  },
  '5 fields spread, 2 of them overridden': (i: number) => ({ ...attemptOf(i), httpStatus: 503, error: 'e' }),
  'newTaskRecord (written out)': (i: number) => newTaskRecord(newTask(i), i),
  'newTaskRecord from a spread (before)': (i: number) => newTaskRecordBySpread(newTask(i), i),
} as const;
type Case = keyof typeof cases;

/** µs a call of `build`, as CPU time of this process. */
function measure(build: (i: number) => { scheduleTime: number }): number {
  let keep = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) keep += build(i).scheduleTime & 1;
  const c = process.cpuUsage(c0);
  if (keep < 0) console.log(keep); // keeps the objects observable
  return (c.user + c.system) / CALLS;
}

console.log(`bench/object-spread: ${ROUNDS} interleaved rounds of ${CALLS} objects a case; node ${process.version}; ${new Date().toISOString()}`);
console.log(`machine before: ${machineLoad()}`);
for (const build of Object.values(cases)) measure(build); // warm-up: every case optimised before the rounds
const results = await interleaved(Object.keys(cases) as Case[], ROUNDS, (k) => measure(cases[k]));
console.log('\nµs an object, median (lowest–highest)');
for (const k of Object.keys(cases) as Case[]) console.log(`${k.padEnd(40)} ${fmtSpread(spread(results[k]), 3)}`);
console.log(`\nmachine after: ${machineLoad()}`);
