// bench/startup: `authplane start` with the demo config, from spawn to the `authplane ready` line,
// and the idle RSS of the authplane process, against DESIGN.md's bars (≤ 500 ms; ≤ 120 MB).
// Two cases, because they cost different things:
//   first start  — an empty --data dir: migrations and signing-key generation (RSA 2048 + P-256);
//   restart      — the same --data dir again: keys and IAM are read back from SQLite.
// Run: npx tsc -p . && node dist/bench/startup.js [--quick]   (or npm run bench -- startup)
// Every run is a real child process on free loopback ports, stopped by pid with SIGTERM.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyDemoProject, startCli } from '../test/support/cli.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 10;
const BAR_READY_MS = 500;
const BAR_RSS_MB = 120;
/** How long the process idles before RSS is read (startup garbage collected, timers settled). */
const IDLE_MS = 1_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

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

async function measure(label: string, fresh: boolean): Promise<{ readyMs: number[]; rss: number[] }> {
  const readyMs: number[] = [];
  const rss: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-'));
  try {
    const { config } = await copyDemoProject(dir);
    const data = join(dir, 'data');
    if (!fresh) {
      // Create the state once, untimed.
      const warm = await startCli(['--config', config, '--data', data], { cwd: dir });
      await warm.stop();
    }
    for (let i = 0; i < RUNS; i++) {
      const runData = fresh ? join(dir, `data-${i}`) : data;
      const running = await startCli(['--config', config, '--data', runData], { cwd: dir });
      readyMs.push(running.readyMs);
      await new Promise((r) => setTimeout(r, IDLE_MS));
      rss.push(rssMb(running.pid));
      const exit = await running.stop();
      if (exit.code !== 0) throw new Error(`${label}: run ${i} exited with ${exit.code ?? exit.signal}\n${running.stderr()}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { readyMs, rss };
}

function report(label: string, r: { readyMs: number[]; rss: number[] }): boolean {
  const ready = median(r.readyMs);
  const rss = median(r.rss);
  const okReady = ready <= BAR_READY_MS;
  const okRss = rss <= BAR_RSS_MB;
  console.log(
    `${label.padEnd(12)} ready: median ${ready.toFixed(0)} ms (min ${Math.min(...r.readyMs).toFixed(0)}, max ${Math.max(...r.readyMs).toFixed(0)}) ` +
      `${okReady ? '≤' : '>'} ${BAR_READY_MS} ms ${okReady ? 'OK' : 'OVER'}; ` +
      `idle RSS: median ${rss.toFixed(1)} MB ${okRss ? '≤' : '>'} ${BAR_RSS_MB} MB ${okRss ? 'OK' : 'OVER'}`,
  );
  return okReady && okRss;
}

console.log(`bench/startup${quick ? ' (quick)' : ''}: ${RUNS} runs each of \`authplane start\` with the demo config (spawn → "authplane ready")`);
const restart = await measure('restart', false);
const first = await measure('first start', true);
const ok = [report('restart', restart), report('first start', first)].every(Boolean);
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
process.exitCode = ok ? 0 : 1;
