// A front door's request timeouts (src/run/deadlines.ts): one wait on the platform's timers for the earliest
// deadline, each deadline firing exactly when the clock reaches it, cancelled ones never; on the test clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineQueue } from '../src/run/deadlines.js';
import { ManualClock } from './support/manual-clock.js';

describe('DeadlineQueue', () => {
  test('each deadline fires when the clock reaches it, in order, with one wait armed at a time', async () => {
    const clock = new ManualClock(1_000);
    const q = new DeadlineQueue(clock, clock.clock);
    const fired: [string, number][] = [];
    for (const [name, at] of [['a', 1_500], ['b', 1_600], ['c', 1_700]] as const) q.at(at, () => fired.push([name, clock.nowMs]));
    assert.deepEqual(clock.timerTimes(), [1_500]);
    await clock.advanceTo(1_599);
    assert.deepEqual(fired, [['a', 1_500]]);
    assert.deepEqual(clock.timerTimes(), [1_600]);
    await clock.advanceTo(2_000);
    assert.deepEqual(fired, [['a', 1_500], ['b', 1_600], ['c', 1_700]]);
    assert.deepEqual(clock.timerTimes(), []);
  });

  test('a cancelled deadline never fires; finished heads do not keep the wait on them', async () => {
    const clock = new ManualClock(0);
    const q = new DeadlineQueue(clock, clock.clock);
    const fired: number[] = [];
    const handles = [100, 200, 300].map((at) => q.at(at, () => fired.push(at)));
    handles[0]!.cancel();
    handles[1]!.cancel();
    await clock.advanceTo(250);
    assert.deepEqual(fired, []);
    await clock.advanceTo(300);
    assert.deepEqual(fired, [300]);
    handles[2]!.cancel(); // after it fired: harmless
  });

  test('an earlier deadline added later is not delayed behind the armed one', async () => {
    const clock = new ManualClock(0);
    const q = new DeadlineQueue(clock, clock.clock);
    const fired: number[] = [];
    q.at(500, () => fired.push(500));
    q.at(200, () => fired.push(200));
    await clock.advanceTo(200);
    assert.deepEqual(fired, [200]);
    await clock.advanceTo(500);
    assert.deepEqual(fired, [200, 500]);
  });

  test('a slow request at the head: thousands finishing behind it, the ones still waiting fire on time', async () => {
    const clock = new ManualClock(0);
    const q = new DeadlineQueue(clock, clock.clock);
    const fired: number[] = [];
    q.at(10_000, () => fired.push(10_000));
    for (let i = 1; i <= 20_000; i++) {
      const h = q.at(10_000 + i, () => fired.push(10_000 + i));
      if (i % 1000 !== 0) h.cancel();
    }
    await clock.advanceTo(40_000);
    assert.deepEqual(fired, [10_000, ...Array.from({ length: 20 }, (_, k) => 10_000 + (k + 1) * 1000)]);
  });
});
