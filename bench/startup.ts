// bench/startup: `authplane start` with the demo config, from spawn to the `authplane ready` line,
// and the idle RSS of the authplane process, against the bars (restart ≤ 500 ms, first start ≤ 800 ms: issue 15;
// idle RSS ≤ 120 MB: DESIGN.md).
// Two cases, because they cost different things:
//   first start  — an empty --data dir: migrations and signing-key generation (RSA 2048 + P-256);
//   restart      — the same --data dir again: keys and IAM are read back from SQLite.
// The two cases run interleaved (restart, first start, restart, …) so the machine's other work hits both alike;
// each is printed as the median with the spread (lowest–highest), with the machine's load before and after.
// Each start also reports its phases (src/lib/start-phases.ts, read by bench/lib/start-phases.ts): the median
// time of each phase per case, so a figure over its bar says where the time went.
// With --compare DIR (another checkout, built), that build's `authplane start` runs in the same rounds, interleaved
// with this one's (restart and first start each), and the ratio of the two is printed per round.
// Run: npx tsc -p . && node dist/bench/startup.js [--quick] [--compare DIR]   (or npm run bench -- startup)
// Every run is a real child process on free loopback ports, stopped by pid with SIGTERM.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMainOf, copyDemoProject, startCli } from '../test/support/cli.js';
import { fmtSpread, interleaved, machineLoad, median, ratios, spread } from './lib/rounds.js';
import { cpuMs, processTree } from './lib/processes.js';
import { START_PHASES_DIR_ENV, startPhasesNodeArgs, type StartPhases } from './lib/start-phases.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 10;
const BAR_RESTART_MS = 500;
const BAR_FIRST_MS = 800;
const BAR_RSS_MB = 120;
const compareArg = process.argv.indexOf('--compare');
const COMPARE = compareArg > 0 ? process.argv[compareArg + 1] : undefined;
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
  /** authplane's own CPU time (user + system) from its start to "authplane ready", ms. */
  cpuMs: number;
  /** The supervised commands' CPU (all processes below authplane), read with the RSS: what shared the cores. */
  commandsCpuMs: number;
  /** Phase → its wall and CPU time (ms): Node's bootstrap, each mark since the previous one, and ready → the bench reading the line. */
  phases: Map<string, { wall: number; cpu: number }>;
}

/** Durations between consecutive marks, from the process's start; the rest of spawn → ready is the pipe and spawn. */
function phasesOf(report: StartPhases, readyMs: number): Map<string, { wall: number; cpu: number }> {
  const first = report.marks[0]!;
  // Node's bootstrap has no CPU reading of its own: the CPU before the first mark is counted with the first phase.
  const out = new Map([['node bootstrap', { wall: report.nodeBootstrapMs, cpu: NaN }]]);
  let last = { at: report.nodeBootstrapMs, cpuMs: 0 };
  for (const m of report.marks) {
    out.set(m === first ? `${m.phase} (with bootstrap CPU)` : m.phase, { wall: m.at - last.at, cpu: m.cpuMs - last.cpuMs });
    last = m;
  }
  out.set('spawn + stdout (outside the process)', { wall: readyMs - last.at, cpu: NaN });
  return out;
}

/** One start: a fresh data directory (first start), or the one the warm-up created (restart). */
async function once(dir: string, config: string, fresh: boolean, i: number, cliMain?: string): Promise<Sample> {
  const data = fresh ? join(dir, `data-${i}${cliMain ? '-compared' : ''}`) : join(dir, cliMain ? 'data-compared' : 'data');
  const running = await startCli(['--config', config, '--data', data], { cwd: dir, nodeArgs: startPhasesNodeArgs, env: { [START_PHASES_DIR_ENV]: dir }, ...(cliMain ? { cliMain } : {}) });
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rss = rssMb(running.pid);
  const commandsCpuMs = cpuMs(processTree(running.pid).slice(1));
  const exit = await running.stop();
  if (exit.code !== 0) throw new Error(`${fresh ? 'first start' : 'restart'} ${i} exited with ${exit.code ?? exit.signal}\n${running.stderr()}`);
  const report = JSON.parse(readFileSync(join(dir, `${running.pid}.json`), 'utf8')) as StartPhases;
  const ready = report.marks.find((m) => m.phase === 'ready');
  return { readyMs: running.readyMs, rss, cpuMs: ready?.cpuMs ?? NaN, commandsCpuMs, phases: phasesOf(report, running.readyMs) };
}

function report(label: string, r: Sample[]): boolean {
  const ready = spread(r.map((x) => x.readyMs));
  const rss = spread(r.map((x) => x.rss));
  const cpu = spread(r.map((x) => x.cpuMs));
  const commands = spread(r.map((x) => x.commandsCpuMs));
  const bar = label.startsWith('restart') ? BAR_RESTART_MS : BAR_FIRST_MS;
  const okReady = ready.median <= bar;
  const okRss = rss.median <= BAR_RSS_MB;
  console.log(
    `${label.padEnd(label.length > 12 ? 28 : 12)} ready: median ${fmtSpread(ready, 0)} ms ${okReady ? '≤' : '>'} ${bar} ms ${okReady ? 'OK' : 'OVER'}; ` +
      `idle RSS: median ${fmtSpread(rss, 1)} MB ${okRss ? '≤' : '>'} ${BAR_RSS_MB} MB ${okRss ? 'OK' : 'OVER'}; ` +
      `authplane's CPU until ready: median ${fmtSpread(cpu, 0)} ms; the supervised commands' CPU: ${fmtSpread(commands, 0)} ms`,
  );
  return okReady && okRss;
}

/** Median wall and CPU time of each phase, restart beside first start. */
function phaseTable(restart: Sample[], first: Sample[]): void {
  const names = [...new Set([...restart, ...first].flatMap((x) => [...x.phases.keys()]))];
  const med = (r: Sample[], name: string, k: 'wall' | 'cpu') => {
    const m = median(r.map((x) => x.phases.get(name)?.[k] ?? NaN).filter(Number.isFinite));
    return (Number.isFinite(m) ? m.toFixed(0) : '–').padStart(6);
  };
  console.log(`\nphases, median ms (wall / authplane's CPU)     restart     first start`);
  for (const name of names) console.log(`  ${name.padEnd(42)} ${med(restart, name, 'wall')} ${med(restart, name, 'cpu')}  ${med(first, name, 'wall')} ${med(first, name, 'cpu')}`);
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
  if (COMPARE) {
    const cliMain = cliMainOf(COMPARE);
    await (await startCli(['--config', config, '--data', join(dir, 'data-compared')], { cwd: dir, cliMain })).stop();
    const cases = ['restart', 'restart, compared build', 'first start', 'first start, compared build'] as const;
    const runs = await interleaved(cases, RUNS, (k, i) => once(dir, config, k.startsWith('first start'), i, k.endsWith('compared build') ? cliMain : undefined));
    console.log(`compared build: ${COMPARE}`);
    ok = [report('restart', runs.restart), report('first start', runs['first start'])].every(Boolean);
    report('restart, compared build', runs['restart, compared build']);
    report('first start, compared build', runs['first start, compared build']);
    const ready = (r: Sample[]) => r.map((x) => x.readyMs);
    console.log(`this build ÷ compared build, restart      ${fmtSpread(ratios(ready(runs.restart), ready(runs['restart, compared build'])))}`);
    console.log(`this build ÷ compared build, first start  ${fmtSpread(ratios(ready(runs['first start']), ready(runs['first start, compared build'])))}`);
    phaseTable(runs.restart, runs['first start']);
    console.log('compared build:');
    phaseTable(runs['restart, compared build'], runs['first start, compared build']);
  } else {
    const runs = await interleaved(['restart', 'first start'] as const, RUNS, (k, i) => once(dir, config, k === 'first start', i));
    ok = [report('restart', runs.restart), report('first start', runs['first start'])].every(Boolean);
    phaseTable(runs.restart, runs['first start']);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`machine after: ${machineLoad()}; node ${process.version}, ${process.platform}/${process.arch}`);
process.exitCode = ok ? 0 : 1;
