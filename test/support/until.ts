// Waits for asynchronous work to land — a delivery, a client's batched acknowledgement — polling in real
// time, bounded. Never a wait for the emulated clock: tests move that by hand (manual-clock.ts).
import { DEFAULT_WITHIN_MS } from './wait.js';

/** Resolves with `get()`'s first value other than undefined; fails after `ms` of real time, naming `what`. */
export async function until<T>(get: () => Promise<T | undefined> | T | undefined, what: string, ms = DEFAULT_WITHIN_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
