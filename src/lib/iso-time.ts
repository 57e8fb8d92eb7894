// ISO 8601 timestamps (Date.prototype.toISOString's exact text) for the request log's `time`, which every
// request writes: `new Date(ms).toISOString()` costs ≈ 1 µs and a Date each time, while requests in the same
// second share everything but the milliseconds, so the text up to the second is made once a second.

/** ECMAScript's time value limit (±100,000,000 days). */
const MAX_TIME = 8.64e15;
let cachedSecond = NaN;
/** "2026-12-01T05:58:51." for cachedSecond. */
let cachedPrefix = '';

/** `new Date(ms).toISOString()`, for any ms a Date holds. */
export function isoTime(ms: number): string {
  // A Date keeps whole milliseconds, truncated toward zero (ECMAScript TimeClip).
  const t = Math.trunc(ms);
  // Outside a Date's range (or NaN): toISOString's RangeError.
  if (!(t <= MAX_TIME && t >= -MAX_TIME)) return new Date(NaN).toISOString();
  const second = Math.floor(t / 1000);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString();
    cachedPrefix = iso.slice(0, -4); // without "000Z"
    cachedSecond = second;
  }
  const milli = t - second * 1000;
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** When a request that `started` (performance.now()) arrived, as the request log writes it. */
export function arrivalTime(started: number): string {
  return isoTime(Date.now() - (performance.now() - started));
}
