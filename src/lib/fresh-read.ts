// A read of state others change (IAM's policy versions, services' settings), shared by callers that ask at the
// same time, and never older than the call: a caller that arrives while a read is under way gets the next one,
// which starts after it, because the one under way may have been answered before the change the caller knows
// of (a front-door worker told of a new policy must not acknowledge it with a read from before it).

/**
 * Wraps `read` so that each call resolves once a read that started at or after the call has finished: with no
 * read under way, a new one starts; with one under way, the call waits for the one queued after it (every caller
 * that arrives meanwhile shares that one). Rejects as that read rejects.
 */
export function freshRead(read: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const start = (): Promise<void> =>
    (running = read().finally(() => {
      running = undefined;
    }));
  return () => {
    if (queued) return queued;
    if (!running) return start();
    return (queued = running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      }));
  };
}
