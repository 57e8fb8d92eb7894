// The benches' load generator: `n` calls with `inFlight` outstanding at a time.

/** Runs fn(0) … fn(n − 1) with `inFlight` of them outstanding at a time; resolves to the calls per second. */
export async function pool(n: number, inFlight: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return n / ((performance.now() - start) / 1000);
}
