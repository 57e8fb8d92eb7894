// Waiting in tests: for a condition, checked until it holds or a deadline passes, never for a fixed
// time. The deadline only bounds a failure; a loaded machine makes a passing test slower, not red.
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves once `cond()` holds; fails naming `what` if it still does not after `within` ms. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, opts: { within?: number; every?: number } = {}): Promise<void> {
  const within = opts.within ?? 30_000;
  const deadline = performance.now() + within;
  for (;;) {
    if (await cond()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${within} ms waiting for ${what}`);
    await sleep(opts.every ?? 20);
  }
}

/** Resolves as `p` does; fails naming `what` if it has not settled after `within` ms. */
export async function withDeadline<T>(what: string, p: Promise<T>, within = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${within} ms waiting for ${what}`)), within)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
