// bench/request-log: what writing DATA_DIR/requests.log costs the event loop. A front door at 5,000 requests/s
// hands the log ≈ 1,000 entries per 200 ms flush; the log serialises them 64 to a turn of the event loop
// (RequestLog.flushChunk) and writes the batch to the file at the end. This bench records such a batch of
// front-door entries (a verified token's summary shared by all, as a cached token gives), then runs the same
// 64-entry flushes the timer would, timing each turn until the next may start (setImmediate): the time per entry
// over all turns, and the longest turn — what a request arriving meanwhile waits behind. The file's own write runs
// on libuv's thread pool and is not counted; its completion callback, on the event loop, is when it falls in a
// turn. With --compare DIR (another checkout, built) that build's RequestLog runs in the same rounds (A B A B …)
// and the bench prints this ÷ that per round.
// Run: npm run build && node dist/bench/request-log.js [--quick] [--rounds N] [--entries N] [--compare DIR]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FLUSH_CHUNK, type RequestLog, type RequestLogEntry, type TokenSummary } from '../src/observe/request-log.js';
import { fmtSpread, interleaved, machineLoad, ratios, spread } from './lib/rounds.js';
import { positiveInteger } from './lib/args.js';

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, rounds: { type: 'string' }, entries: { type: 'string' }, compare: { type: 'string' } },
});
const ROUNDS = positiveInteger('--rounds', args.rounds, args.quick ? 10 : 30);
const ENTRIES = positiveInteger('--entries', args.entries, 1000);
const COMPARE = args.compare;
/** Entries serialised per turn of the event loop, as the log's timer does (both builds are driven alike). */
const PER_TURN = FLUSH_CHUNK;

type RequestLogClass = new (file: string | undefined, capacity?: number) => RequestLog;
const builds: Record<string, RequestLogClass> = {
  'this build': (await import('../src/observe/request-log.js')).RequestLog,
};
if (COMPARE) {
  const url = pathToFileURL(join(resolve(COMPARE), 'dist/src/observe/request-log.js')).href;
  builds['compared build'] = ((await import(url)) as { RequestLog: RequestLogClass }).RequestLog;
}

const token: TokenSummary = {
  header: 'authorization',
  jwtHeader: { alg: 'RS256', kid: '3b81c02f3819376c269777963936bb62efd6a0a7', typ: 'JWT' },
  claims: {
    aud: 'https://hello-auth-123456789012.us-central1.run.app',
    azp: '155091690431820167051',
    email: 'bench-caller@bench-project.iam.gserviceaccount.com',
    email_verified: true,
    exp: 1796211734,
    iat: 1796208134,
    iss: 'https://accounts.google.com',
    sub: '155091690431820167051',
  },
};

/** An entry as the front door records a proxied request with a cached token (src/run/front-door.ts). */
function frontDoorEntry(log: RequestLog, i: number): RequestLogEntry {
  return {
    id: log.newId(),
    time: new Date(1796208134000 + i).toISOString(),
    surface: 'run',
    service: 'hello-auth',
    method: 'GET',
    path: '/',
    source: '127.0.0.1',
    internal: false,
    status: 200,
    outcome: 'proxied',
    googleVisible: true,
    durationMs: 1 + (i % 97) / 10,
    http: { requestSize: 877, protocol: 'HTTP/1.1', responseSize: 11 },
    principal: 'serviceAccount:bench-caller@bench-project.iam.gserviceaccount.com',
    host: '127.0.0.1:18902',
    token,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-request-log-'));

interface Round {
  /** µs per entry: the batch's flush turns, end to end (the thread is busy throughout a turn). */
  usPerEntry: number;
  /** The longest flush turn, ms. */
  longestMs: number;
}

async function batch(Log: RequestLogClass, name: string, round: number): Promise<Round> {
  const log = new Log(join(dir, `${name.replace(/ /g, '-')}-${round}.log`));
  for (let i = 0; i < ENTRIES; i++) log.record(frontDoorEntry(log, i));
  let busy = 0;
  let longest = 0;
  // As flushChunk does: 64 entries a turn, the last turn also handing the batch to the file stream.
  for (let left = ENTRIES; left > 0; left -= PER_TURN) {
    // A turn lasts until the next turn may start: the flush and the microtasks it queued (the stream write).
    const t0 = performance.now();
    void log.flush(PER_TURN);
    await new Promise((r) => setImmediate(r));
    const ms = performance.now() - t0;
    busy += ms;
    longest = Math.max(longest, ms);
  }
  await log.close();
  return { usPerEntry: (1000 * busy) / ENTRIES, longestMs: longest };
}

console.log(`bench/request-log: ${ENTRIES} front-door entries a batch, ${PER_TURN} a turn, ${ROUNDS} interleaved rounds; ${new Date().toISOString()}`);
console.log(`machine before: ${machineLoad()}`);
const names = Object.keys(builds);
// Warm-up: the first few dozen batches run slower (≈ 7.5 against ≈ 3 µs an entry) while V8 optimises the path.
for (let i = 0; i < 40; i++) for (const n of names) await batch(builds[n]!, n, -1 - i);
const runs = await interleaved(names, ROUNDS, (n, r) => batch(builds[n]!, n, r));
for (const n of names) {
  console.log(
    `${n.padEnd(16)} µs an entry ${fmtSpread(spread(runs[n]!.map((r) => r.usPerEntry)))}; longest turn ${fmtSpread(spread(runs[n]!.map((r) => r.longestMs)))} ms`,
  );
}
if (COMPARE) {
  const [a, b] = names.map((n) => runs[n]!);
  console.log(`this ÷ compared: µs an entry ${fmtSpread(ratios(a!.map((r) => r.usPerEntry), b!.map((r) => r.usPerEntry)))}, longest turn ${fmtSpread(ratios(a!.map((r) => r.longestMs), b!.map((r) => r.longestMs)))}`);
}
console.log(`machine after: ${machineLoad()}`);
rmSync(dir, { recursive: true, force: true });
