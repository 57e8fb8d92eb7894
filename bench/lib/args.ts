// Checking the benches' numeric flags: a bench given `--n x` must say so, not run with NaN (and wait out its timeouts).

/** `text` (a flag's value) as a positive integer, or `fallback` when the flag was not given; throws a TypeError naming the flag otherwise. */
export function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${flag} wants a positive integer, not ${JSON.stringify(text)}`);
  return n;
}
