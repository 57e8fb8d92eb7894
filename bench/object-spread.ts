// bench/object-spread: what an object literal that begins with a spread costs on this Node, for each property it
// adds that its source lacks (`{ ...task, seq, state }`), against the same object written field by field and
// against a spread that only overrides properties the source has. On Node 20 each added property took the slow
// path (1.2–2.6 µs, 2026-12-02), so the hot paths of Cloud Tasks build their records field by field
// (src/store/task-rows.ts newTaskRecord, src/tasks/dispatch-source.ts settle); when a Node release makes the
// first line cheap, that rule can go. Interleaved rounds, medians with their spread (bench/lib/rounds.ts).
//   node dist/bench/object-spread.js [--quick]
import { parseArgs } from 'node:util';
import { fmtSpread, interleaved, machineLoad, spread } from './lib/rounds.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' } } });
const ROUNDS = args.quick ? 5 : 15;
const CALLS = 100_000;

interface Attempt {
  scheduleTime: number;
  dispatchTime: number;
  responseTime: number | null;
  httpStatus: number | null;
  error: string | null;
}

const attemptOf = (i: number): Attempt => ({ scheduleTime: i, dispatchTime: i + 1, responseTime: i + 2, httpStatus: 200, error: null });

// Each case builds a 5-field source and a 13-field result from it, as settle() builds its attempt record.
const cases = {
  'spread, then 8 new properties': (i: number) => ({ ...attemptOf(i), taskSeq: i, queue: 'q', taskId: 't', attempt: 1, latencyMs: 1.5, denial: null, frontDoorRequestId: 'r', worker: 'w' }),
  'spread, then 1 new property': (i: number) => ({ ...attemptOf(i), taskSeq: i }),
  'field by field, 13 properties': (i: number) => {
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
  'spread, then 2 overridden properties': (i: number) => ({ ...attemptOf(i), httpStatus: 503, error: 'e' }),
} as const;
type Case = keyof typeof cases;

/** µs a call of `build`, as CPU time of this process. */
function measure(build: (i: number) => object): number {
  let keep = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) keep += Object.keys(build(i)).length & 1;
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
