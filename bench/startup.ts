// bench/startup: `authplane start` with the demo config, from spawn to the `authplane ready` line,
// and the idle RSS of the authplane process, against the bars (restart ≤ 500 ms, first start ≤ 800 ms: issue 15;
// idle RSS ≤ 120 MB: DESIGN.md).
// Two cases, because they cost different things:
//   first start  — an empty --data dir: migrations and signing-key generation (RSA 2048 + P-256);
//   restart      — the same --data dir again: keys and IAM are read back from SQLite.
// The two cases run interleaved (restart, first start, restart, …) so the machine's other work hits both alike;
// each is printed as the median with the spread (lowest–highest), with the machine's load before and after.
// Run: npx tsc -p . && node dist/bench/startup.js [--quick]   (or npm run bench -- startup)
// Every run is a real child process on free loopback ports, stopped by pid with SIGTERM.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyDemoProject, startCli } from '../test/support/cli.js';
import { fmtSpread, interleaved, machineLoad, spread } from './lib/rounds.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 10;
const BAR_RESTART_MS = 500;
const BAR_FIRST_MS = 800;
const BAR_RSS_MB = 120;
/** How long the process idles before RSS is read (startup garbage collected, timers settled). */
const IDLE_MS = 1_000;

/** Resident set size of `pid` in MB (Linux /proc, else ps). */
function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux: fall through to ps
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
}

interface Sample {
  readyMs: number;
  rss: number;
}

/** One start: a fresh data directory (first start), or the one the warm-up created (restart). */
async function once(dir: string, config: string, fresh: boolean, i: number): Promise<Sample> {
  const data = fresh ? join(dir, `data-${i}`) : join(dir, 'data');
  const running = await startCli(['--config', config, '--data', data], { cwd: dir });
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rss = rssMb(running.pid);
  const exit = await running.stop();
  if (exit.code !== 0) throw new Error(`${fresh ? 'first start' : 'restart'} ${i} exited with ${exit.code ?? exit.signal}\n${running.stderr()}`);
  return { readyMs: running.readyMs, rss };
}

function report(label: string, r: Sample[]): boolean {
  const ready = spread(r.map((x) => x.readyMs));
  const rss = spread(r.map((x) => x.rss));
  const bar = label === 'restart' ? BAR_RESTART_MS : BAR_FIRST_MS;
  const okReady = ready.median <= bar;
  const okRss = rss.median <= BAR_RSS_MB;
  console.log(
    `${label.padEnd(12)} ready: median ${fmtSpread(ready, 0)} ms ${okReady ? '≤' : '>'} ${bar} ms ${okReady ? 'OK' : 'OVER'}; ` +
      `idle RSS: median ${fmtSpread(rss, 1)} MB ${okRss ? '≤' : '>'} ${BAR_RSS_MB} MB ${okRss ? 'OK' : 'OVER'}`,
  );
  return okReady && okRss;
}

console.log(`bench/startup${quick ? ' (quick)' : ''}: ${RUNS} interleaved rounds of \`authplane start\` with the demo config (spawn → "authplane ready"); ${new Date().toISOString()}`);
console.log(`machine before: ${machineLoad()}`);
const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-'));
let ok = false;
try {
  const { config } = await copyDemoProject(dir);
  // Create the restart's state once, untimed.
  const warm = await startCli(['--config', config, '--data', join(dir, 'data')], { cwd: dir });
  await warm.stop();
  const runs = await interleaved(['restart', 'first start'] as const, RUNS, (k, i) => once(dir, config, k === 'first start', i));
  ok = [report('restart', runs.restart), report('first start', runs['first start'])].every(Boolean);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`machine after: ${machineLoad()}; node ${process.version}, ${process.platform}/${process.arch}`);
process.exitCode = ok ? 0 : 1;
