// wrk as the benchmarks run it: keep-alive connections from one thread, latency percentiles, and the CPU wrk
// itself used (bash's `times` after it exits), so a bench can say how the machine's CPU was shared between
// the client, the thing measured and the upstream.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  requests: number;
  errors: string;
  /** CPU ms wrk used. */
  cpuMs: number;
}

/** Parses wrk's --latency output (latencies in ms) and the `times` line after it. */
export function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const lat = (pct: string) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errs = [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[0], /Socket errors: .*/.exec(out)?.[0]].filter(Boolean).join('; ');
  // `times`: the shell's own user and system time, then its children's ("0m1.234s 0m0.567s").
  const lines = out.trim().split('\n');
  const children = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1]!.trim());
  const cpuMs = children ? (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000 : NaN;
  return { rps, p50: lat('50'), p99: lat('99'), requests, errors: errs, cpuMs };
}

export interface WrkOptions {
  seconds: number;
  connections: number;
  headers?: string[];
  /** Paced: about this many requests/s in all (see pacedScript). */
  rate?: number;
  /** Where to write the pacing script. */
  scratchDir: string;
}

export function wrk(url: string, o: WrkOptions): WrkResult {
  const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency'];
  for (const h of o.headers ?? []) args.push('-H', h);
  if (o.rate !== undefined) args.push('-s', pacedScript(o.scratchDir, o.rate, o.connections));
  args.push(url);
  const r = spawnSync('bash', ['-c', 'wrk "$@" || exit $?; times', 'wrk', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed (${r.status}): ${r.stderr}`);
  return parseWrk(r.stdout);
}

/**
 * A wrk script that paces each of `connections` connections with a delay before every request, drawn uniformly
 * from [0, 2·mean] so they do not fire in lock-step bursts (a fixed delay makes all of them arrive together every
 * period, and p99 then measures the burst, not the server). The mean is set for `rate` in all; the latency of
 * each request adds to its connection's cycle, so the delivered rate is a little lower (printed by the bench).
 */
function pacedScript(dir: string, rate: number, connections: number): string {
  // wrk reads delay() as whole milliseconds.
  const meanMs = Math.max(1, Math.round((connections * 1000) / rate));
  const file = join(dir, `paced-${meanMs}.lua`);
  writeFileSync(file, `function delay()\n  return math.random(0, ${2 * meanMs})\nend\n`);
  return file;
}
