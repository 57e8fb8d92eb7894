// isoTime must write exactly what Date.prototype.toISOString writes (the request log's `time`), whatever
// order the times come in: its per-second cache must never leak one second's text into another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoTime } from '../src/lib/iso-time.js';

test('isoTime writes toISOString’s text for times in and across seconds, years and signs', () => {
  const times = [
    Date.UTC(2026, 11, 1, 5, 58, 51, 277), Date.UTC(2026, 11, 1, 5, 58, 51, 5), Date.UTC(2026, 11, 1, 5, 58, 51, 40),
    Date.UTC(2026, 11, 1, 5, 58, 52, 0), Date.UTC(2026, 11, 1, 5, 58, 51, 999), // back into the previous second
    Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1, 0, 0, 0, 0), Date.UTC(2024, 1, 29, 12, 0, 0, 1),
    0, -1, -999, -1000, -1001, 1.9, 999.999, 1796104721000.5, -62198755200000 /* year -0001 */, 253402300800000 /* year 10000 */,
    8.64e15, -8.64e15,
  ];
  for (const t of times) assert.equal(isoTime(t), new Date(t).toISOString(), `time ${t}`);
  // Random times, interleaved so consecutive calls fall in different and in equal seconds.
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const t = i % 3 === 0 ? 1796104721000 + (x % 3000) : (x / 2147483648 - 0.3) * 4e12 + (x % 1000) / 7;
    assert.equal(isoTime(t), new Date(t).toISOString(), `time ${t}`);
  }
});

test('isoTime refuses what toISOString refuses', () => {
  for (const t of [NaN, Infinity, 8.64e15 + 1]) assert.throws(() => isoTime(t), RangeError, `time ${t}`);
});
