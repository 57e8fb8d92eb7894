// Long waits on the platform's clock. Node's setTimeout holds a signed 32-bit delay: anything above 2^31−1 ms
// (~24.8 days) is "set to 1" with a TimeoutOverflowWarning, so a task due 29 days ahead (Cloud Tasks allows 30)
// or a yearly cron job used to wake the dispatcher every millisecond until it was deleted. clockTimers takes a
// long wait in steps of at most 2^31−1 ms; these tests move an injected clock and a setTimeout that behaves
// as Node's does, so days pass without sleeping.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clockTimers, MAX_TIMEOUT_MS } from '../src/dispatch/timers.js';
import { schedulerProduct } from '../src/scheduler/product.js';
import { tasksProduct } from '../src/tasks/product.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { ManualClock } from './support/manual-clock.js';
import { waitFor } from './support/wait.js';

const DAY = 86_400_000;

/**
 * A stand-in for the global setTimeout that keeps Node's rule (a delay above 2^31−1 or below 1 becomes 1 ms)
 * and fires only when the test moves `now` past a timer's time.
 */
class FakeSetTimeout {
  now = 0;
  armed: number[] = [];
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  private saved: Pick<typeof globalThis, 'setTimeout' | 'clearTimeout'> | undefined;

  install(): void {
    this.saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
    const fake = (fn: () => void, delay = 0) => {
      this.armed.push(delay);
      const effective = delay > MAX_TIMEOUT_MS || !(delay >= 1) ? 1 : delay;
      const t = { at: this.now + effective, fn, live: true };
      this.timers.push(t);
      return { unref: () => undefined, t };
    };
    globalThis.setTimeout = fake as unknown as typeof setTimeout;
    globalThis.clearTimeout = ((h: { t?: { live: boolean } } | undefined) => void (h?.t && (h.t.live = false))) as typeof clearTimeout;
  }

  restore(): void {
    if (this.saved) Object.assign(globalThis, this.saved);
    this.saved = undefined;
  }

  /** Moves time to `t`, firing due timers in order; returns how many fired. */
  advanceTo(t: number): number {
    let fired = 0;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= t).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.now = Math.max(this.now, due.at);
      due.fn();
      if (++fired > 10_000) throw new Error('timers re-arm in a loop');
    }
    this.now = Math.max(this.now, t);
    return fired;
  }
}

describe('clockTimers: waits longer than setTimeout can hold', () => {
  const fake = new FakeSetTimeout();
  afterEach(() => fake.restore());

  test('a wait of 29 days neither fires early nor spins, and fires when due', () => {
    fake.install();
    fake.now = Date.UTC(2026, 0, 5);
    const due = fake.now + 29 * DAY;
    let calls = 0;
    clockTimers(() => fake.now).at(due, () => calls++);
    assert.ok(Math.max(...fake.armed) <= MAX_TIMEOUT_MS, `every setTimeout delay fits in 32 bits (asked: ${fake.armed.join(', ')})`);

    // A millisecond later, and a day later: no spin, no call.
    assert.equal(fake.advanceTo(fake.now + 1), 0, 'nothing re-arms after 1 ms');
    assert.equal(fake.advanceTo(fake.now + DAY), 0);
    // Past the first 2^31−1 ms step (~24.8 days) the wait re-arms once for the rest; still not due.
    fake.advanceTo(due - 1);
    assert.equal(calls, 0, 'not a millisecond early');
    assert.ok(fake.armed.length <= 3, `armed ${fake.armed.length} times for one 29-day wait`);
    assert.ok(Math.max(...fake.armed) <= MAX_TIMEOUT_MS);
    fake.advanceTo(due);
    assert.equal(calls, 1, 'fires when due');
  });

  test('a wait of a year (a yearly cron job) takes a handful of steps', () => {
    fake.install();
    fake.now = Date.UTC(2026, 0, 2);
    const due = Date.UTC(2027, 0, 1);
    let calls = 0;
    clockTimers(() => fake.now).at(due, () => calls++, { unref: true });
    fake.advanceTo(due - 1);
    assert.equal(calls, 0);
    fake.advanceTo(due);
    assert.equal(calls, 1);
    assert.ok(fake.armed.length <= Math.ceil((due - Date.UTC(2026, 0, 2)) / MAX_TIMEOUT_MS) + 2, `armed ${fake.armed.length} times`);
  });

  test('cancel() stops a long wait between its steps', () => {
    fake.install();
    fake.now = 0;
    let calls = 0;
    const h = clockTimers(() => fake.now).at(29 * DAY, () => calls++);
    fake.advanceTo(MAX_TIMEOUT_MS + 1);
    h.cancel();
    fake.advanceTo(30 * DAY);
    assert.equal(calls, 0);
  });
});

describe('a task 29 days ahead and a yearly job, on the platform timers (injected clock)', () => {
  const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
  let now = T0;
  let ap: TestAuthplane;
  const warnings: string[] = [];
  const onWarning = (w: Error) => void (w.name === 'TimeoutOverflowWarning' && warnings.push(w.message));

  before(async () => {
    process.on('warning', onWarning);
    // No test timers: the platform builds clockTimers on this clock, as in production.
    ap = await startTestAuthplane({ queues: [{ name: 'later' }] }, { products: [tasksProduct, schedulerProduct], clock: () => now });
  });
  after(async () => {
    process.off('warning', onWarning);
    await ap?.stop();
  });

  test('creating them arms no overflowing timeout', async () => {
    const scheduleTime = new Date(T0 + 29 * DAY).toISOString();
    const res = await ap.api('/v2/projects/demo-project/locations/us-central1/queues/later/tasks', {
      method: 'POST',
      body: JSON.stringify({ task: { name: 'projects/demo-project/locations/us-central1/queues/later/tasks/far', scheduleTime, httpRequest: { url: 'http://127.0.0.1:9/never' } } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const job = await ap.api('/v1/projects/demo-project/locations/us-central1/jobs', {
      method: 'POST',
      body: JSON.stringify({ name: 'projects/demo-project/locations/us-central1/jobs/new-year', schedule: '0 0 1 1 *', httpTarget: { uri: 'http://127.0.0.1:9/never' } }),
    });
    assert.equal(job.status, 200, await job.clone().text());
    // The dispatchers have armed their waits once the task and the job are read back (they wake on create).
    const task = (await (await ap.api('/v2/projects/demo-project/locations/us-central1/queues/later/tasks/far')).json()) as { scheduleTime: string; dispatchCount?: number };
    assert.equal(task.scheduleTime, scheduleTime);
    assert.equal(task.dispatchCount ?? 0, 0);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings, [], 'no setTimeout delay overflowed (it would fire every millisecond)');
  });
});

describe('a task 29 days ahead on a hand-moved clock', () => {
  const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
  const clock = new ManualClock(T0);
  let ap: TestAuthplane;
  let server: Server;
  const hits: number[] = [];

  before(async () => {
    server = createServer((req, res) => {
      hits.push(clock.nowMs);
      req.resume();
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ap = await startTestAuthplane({ queues: [{ name: 'later' }] }, { products: [tasksProduct], clock: clock.clock, timers: clock });
  });
  after(async () => {
    await ap?.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('it is not sent a millisecond early and is sent when due', async () => {
    const due = T0 + 29 * DAY;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/later`;
    const res = await ap.api('/v2/projects/demo-project/locations/us-central1/queues/later/tasks', {
      method: 'POST',
      body: JSON.stringify({ task: { scheduleTime: new Date(due).toISOString(), httpRequest: { url } } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await waitFor('the wait for the due time', () => clock.timerTimes().includes(due));
    await clock.advanceTo(due - 1);
    assert.deepEqual(hits, []);
    await clock.advanceTo(due);
    await waitFor('the delivery', () => hits.length === 1);
    assert.equal(hits[0], due);
  });
});
