// How every benchmark in bench/ compares things: the compared cases run interleaved (A B A B …) for several
// rounds, so that whatever else the machine does hits each case alike; each figure is printed as the median of
// its rounds with the spread (lowest–highest), and each ratio is taken within a round and then summarised the
// same way. The machine's load average is printed before and after, since a figure means little without it,
// and whether the kernel runs DAMON (whose runs coincided with scheduled-task holds in docs/performance.md).

import { cpus, loadavg } from 'node:os';
import { damonLine } from './damon.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), values: [...values] };
}

/** "0.52 (0.49–0.55)". */
export function fmtSpread(s: Spread, digits = 2): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** Per-round ratios a[i] ÷ b[i]. */
export function ratios(a: readonly number[], b: readonly number[]): Spread {
  return spread(a.map((x, i) => x / b[i]!));
}

/** Per-round differences a[i] − b[i]. */
export function differences(a: readonly number[], b: readonly number[]): Spread {
  return spread(a.map((x, i) => x - b[i]!));
}

/**
 * Runs `run(case, round)` for every case in order, `rounds` times (A B C A B C …), and collects the results per
 * case in round order.
 */
export async function interleaved<K extends string, R>(cases: readonly K[], rounds: number, run: (k: K, round: number) => R | Promise<R>): Promise<Record<K, R[]>> {
  const out = Object.fromEntries(cases.map((k) => [k, [] as R[]])) as Record<K, R[]>;
  for (let r = 0; r < rounds; r++) for (const k of cases) out[k].push(await run(k, r));
  return out;
}

/** "load 0.41 0.77 1.02 (1, 5, 15 min) on 2 cores; kernel DAMON: none seen" (DAMON left out where /proc cannot be read). */
export function machineLoad(): string {
  const [a, b, c] = loadavg();
  const damon = damonLine();
  return `load ${a!.toFixed(2)} ${b!.toFixed(2)} ${c!.toFixed(2)} (1, 5, 15 min) on ${cpus().length} cores${damon ? `; ${damon}` : ''}`;
}

/** One bar line: label, median (spread), the bar, and whether the median meets it. */
export function barLine(label: string, s: Spread, bar: { op: '≥' | '≤'; value: number }, digits = 2, unit = ''): string {
  const ok = bar.op === '≥' ? s.median >= bar.value : s.median <= bar.value;
  return `${label.padEnd(46)} ${fmtSpread(s, digits).padStart(22)}${unit}   bar ${bar.op} ${bar.value}${unit}  ${ok ? 'met' : 'NOT met'}`;
}
