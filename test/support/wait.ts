// Waiting in tests: for a condition, checked until it holds or a deadline passes, never for a fixed
// time. The deadline only bounds a failure; a loaded machine makes a passing test slower, not red. The defaults
// are a minute: far above what anything waited for takes on a machine several times slower than this one.
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a wait may take before it fails, unless the caller says otherwise. */
export const DEFAULT_WITHIN_MS = 60_000;

/** Resolves once `cond()` holds; fails naming `what` if it still does not after `within` ms. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, opts: { within?: number; every?: number } = {}): Promise<void> {
  const within = opts.within ?? DEFAULT_WITHIN_MS;
  const deadline = performance.now() + within;
  for (;;) {
    if (await cond()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${within} ms waiting for ${what}`);
    await sleep(opts.every ?? 20);
  }
}

/** Resolves as `p` does; fails naming `what` if it has not settled after `within` ms. */
export async function withDeadline<T>(what: string, p: Promise<T>, within = DEFAULT_WITHIN_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${within} ms waiting for ${what}`)), within)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
