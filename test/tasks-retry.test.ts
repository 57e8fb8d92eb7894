// Retry timing: the documented schedule exactly (10, 20, 40, 80, 160, 240, 300, 300 s for
// min 10 s, max 300 s, maxDoublings 3), the stop rule, 429/503 + Retry-After; then the same
// schedule live at 1/200 scale (50 ms … 1.5 s) against a target that always answers 500, on a clock
// the test moves by hand: each retry is asserted at its exact millisecond.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backoffMs, nextDelayMs, retriesExhausted, retryAfterMs, type RetryPolicy } from '../src/tasks/retry.js';
import { tasksProduct } from '../src/tasks/product.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { ManualClock } from './support/manual-clock.js';
import { waitFor } from './support/wait.js';

const DOC: RetryPolicy = { maxAttempts: 100, maxRetryDurationMs: 0, minBackoffMs: 10_000, maxBackoffMs: 300_000, maxDoublings: 3 };

describe('retry schedule', () => {
  test("Google's documented example: 10, 20, 40, 80, 160, 240, 300, 300 s", () => {
    assert.deepEqual(
      Array.from({ length: 8 }, (_, i) => backoffMs(DOC, i + 1) / 1000),
      [10, 20, 40, 80, 160, 240, 300, 300],
    );
  });

  test('maxAttempts and maxRetryDuration must both be exhausted; −1 = unlimited', () => {
    const p = { ...DOC, maxAttempts: 3, maxRetryDurationMs: 60_000 };
    assert.equal(retriesExhausted(p, 3, 0, 59_000), false, 'duration not yet exhausted');
    assert.equal(retriesExhausted(p, 2, 0, 61_000), false, 'attempts not yet exhausted');
    assert.equal(retriesExhausted(p, 3, 0, 61_000), true);
    assert.equal(retriesExhausted({ ...DOC, maxAttempts: 3 }, 3, 0, 1), true, 'no duration limit');
    assert.equal(retriesExhausted({ ...DOC, maxAttempts: -1 }, 10_000, 0, 1e12), false);
  });

  test('429 and 503 back off harder and honour Retry-After', () => {
    assert.equal(nextDelayMs(DOC, 1, 500, undefined), 10_000);
    assert.equal(nextDelayMs(DOC, 1, 503, undefined), 20_000);
    assert.equal(nextDelayMs(DOC, 8, 429, undefined), 300_000, 'still capped at maxBackoff');
    assert.equal(nextDelayMs(DOC, 1, 429, retryAfterMs('120', 0)), 120_000);
    assert.equal(retryAfterMs(new Date(90_000).toUTCString(), 30_000), 60_000);
  });
});

describe('retry schedule, live at 1/200 scale, on a hand-moved clock', () => {
  let ap: TestAuthplane;
  let server: Server;
  const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
  const clock = new ManualClock(T0);
  /** The clock's reading when each attempt reached the target. */
  const hits: number[] = [];

  before(async () => {
    server = createServer((req, res) => {
      hits.push(clock.nowMs);
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ap = await startTestAuthplane(
      { queues: [{ name: 'scaled', retryConfig: { maxAttempts: 9, minBackoff: '50ms', maxBackoff: '1500ms', maxDoublings: 3 } }] },
      { products: [tasksProduct], clock: clock.clock, timers: clock },
    );
  });
  after(async () => {
    await ap?.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const attempts = async () =>
    (await (await ap.api('/admin/v1/queues/scaled/tasks/always-500/attempts')).json()) as { task: { state: string }; attempts: { httpStatus: number; dispatchTime: string }[] };

  test('attempts come exactly 50, 100, 200, 400, 800, 1200, 1500, 1500 ms apart; then the task is dropped', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fail`;
    const res = await ap.api('/v2/projects/demo-project/locations/us-central1/queues/scaled/tasks', { method: 'POST', body: JSON.stringify({ task: { name: 'projects/demo-project/locations/us-central1/queues/scaled/tasks/always-500', httpRequest: { url } } }) });
    assert.equal(res.status, 200, await res.clone().text());
    const expected = [50, 100, 200, 400, 800, 1200, 1500, 1500];
    for (let k = 1; k <= 9; k++) {
      await waitFor(`attempt ${k} to be recorded`, async () => (await attempts()).attempts.length === k);
      if (k === 9) break;
      // The retry waits on the clock at exactly its time: nothing fires a millisecond earlier.
      const retryAt = hits[k - 1]! + expected[k - 1]!;
      assert.ok(clock.timerTimes().includes(retryAt), `a wake-up at +${expected[k - 1]} ms (timers: ${clock.timerTimes().map((t) => t - hits[k - 1]!).join(', ')})`);
      await clock.advanceTo(retryAt - 1);
      assert.equal(clock.nextTimerAt(), retryAt, 'a millisecond before, the next wake-up is the retry');
      assert.equal(hits.length, k, 'no attempt before its time');
      await clock.advanceTo(retryAt);
      await waitFor(`attempt ${k + 1} to be sent`, () => hits.length === k + 1);
    }
    const r = await attempts();
    const sent = r.attempts.map((a) => Date.parse(a.dispatchTime));
    assert.deepEqual(sent.slice(1).map((t, i) => t - sent[i]!), expected, 'recorded dispatch times');
    assert.deepEqual(hits.slice(1).map((t, i) => t - hits[i]!), expected, 'arrivals at the target');
    assert.equal(sent[0], T0, 'the first attempt at the task\'s schedule time');
    await waitFor('the task to be dropped after maxAttempts', async () => (await attempts()).task.state === 'failed');
    assert.ok(r.attempts.every((a) => a.httpStatus === 500));
    assert.deepEqual(clock.timerTimes().filter((t) => t > clock.nowMs && t <= sent[8]! + 1500), [], 'no retry is left waiting');
  });
});

