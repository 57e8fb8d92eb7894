// Modules `authplane start` does not need before "authplane ready" (a request handler's implementation, a
// library only some requests use), and files a handler reads (the dashboard's): loaded on first use, or by loadDeferredModules() right after ready,
// whichever comes first — so the start does not pay for them and the first request rarely waits for them.

export interface LazyModule<T> {
  /** The module, loaded now if it is not yet (once: every caller gets the same promise). */
  load(): Promise<T>;
  /** The module once loaded, for a hot path that must not wait a turn when it is. */
  readonly loaded: T | undefined;
}

const deferred: LazyModule<unknown>[] = [];

/** `load` is a dynamic import (e.g. `() => import('./list-entries.js')`), or reads what a handler serves. */
export function lazyModule<T>(load: () => Promise<T>): LazyModule<T> {
  let loading: Promise<T> | undefined;
  const m: { loaded: T | undefined; load(): Promise<T> } = {
    loaded: undefined,
    // A failure is not kept: the next use tries again (files put back, say).
    load: () =>
      (loading ??= load().then(
        (x) => (m.loaded = x),
        (e: unknown) => {
          loading = undefined;
          throw e;
        },
      )),
  };
  deferred.push(m);
  return m;
}

/**
 * Loads every lazy module not loaded yet, one after another (requests interleave between them). A module
 * that fails to load fails its first use instead, where the error has a request to answer.
 */
export async function loadDeferredModules(): Promise<void> {
  for (const m of deferred) await m.load().catch(() => undefined);
}
