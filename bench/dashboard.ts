// bench/dashboard: how long the dashboard (/ui) takes to show the request history, in real Chromium, against the
// bar of issue 14 (≤ 300 ms). The page marks the moment (`authplane-requests-shown`, ui/views/requests.js); the
// figure is that mark's time from navigation start, over fresh loads of #/requests with 500 entries in the history.
// test/dashboard-browser.test.ts proves what makes it fast (one request for the history, every module preloaded);
// the time itself is a benchmark's, since it depends on the machine.
// With --compare DIR (another checkout, built), that build's authplane runs beside this one with the same history,
// and the loads alternate between the two (this, that, this, …): the per-load ratio shows what the change did.
// Run: npx tsc -p . && node dist/bench/dashboard.js [--quick] [--loads N] [--compare DIR]   (or npm run bench -- dashboard)
// authplane is a real child process (the demo config on free ports), stopped by pid; Chromium is /usr/bin/chromium.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { cliMainOf, copyDemoProject, startCli, type StartedCli } from '../test/support/cli.js';
import { positiveInteger } from './lib/args.js';
import { barLine, fmtSpread, interleaved, machineLoad, ratios, spread } from './lib/rounds.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, loads: { type: 'string' }, compare: { type: 'string' } } });
const LOADS = positiveInteger('--loads', args.loads, args.quick ? 5 : 20);
const COMPARE = args.compare;
const BAR_MS = 300;
const HISTORY = 500;
const CHROMIUM = '/usr/bin/chromium';

// The page's global, in the function that runs in Chromium (this project compiles without the DOM library).
declare const performance: { getEntriesByName(name: string): { startTime: number }[] };

if (!existsSync(CHROMIUM)) {
  console.log(`bench/dashboard: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);
  process.exit(0);
}

/** An authplane (this build, or the compared one) on the demo config, with HISTORY refusals in its request log. */
async function startWithHistory(dir: string, cliMain?: string): Promise<StartedCli> {
  mkdirSync(dir);
  const { config } = await copyDemoProject(dir);
  const ap = await startCli(['--config', config, '--data', join(dir, 'data')], { cwd: dir, timeoutMs: 60_000, ...(cliMain ? { cliMain } : {}) });
  // The history: refusals at the update service's front door (no token), as many as the page asks for.
  const door = ap.url('front door update');
  for (let i = 0; i < HISTORY; i++) await (await fetch(`${door}/bench-${i}`)).arrayBuffer();
  return ap;
}

/** One fresh load of the request history: ms from navigation start to the page's mark. */
async function load(page: Page, ap: StartedCli): Promise<number> {
  await page.goto('about:blank');
  await page.goto(`${ap.url('api')}/ui#/requests`);
  const shown = await page.waitForFunction(() => performance.getEntriesByName('authplane-requests-shown')[0]?.startTime);
  return (await shown.jsonValue()) as number;
}

console.log(`bench/dashboard${args.quick ? ' (quick)' : ''}: ${LOADS} loads of /ui#/requests with ${HISTORY} requests in the history${COMPARE ? `, alternating with ${COMPARE}` : ''}; ${new Date().toISOString()}`);
console.log(`machine before: ${machineLoad()}`);
const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-dashboard-'));
const running: StartedCli[] = [];
const browser = await chromium.launchPersistentContext(join(dir, 'chromium'), {
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let ok = false;
try {
  const builds = { 'this build': undefined, ...(COMPARE ? { 'compared build': cliMainOf(COMPARE) } : {}) } as Record<string, string | undefined>;
  const aps = new Map<string, StartedCli>();
  for (const [name, cliMain] of Object.entries(builds)) {
    const ap = await startWithHistory(join(dir, name.replace(' ', '-')), cliMain);
    running.push(ap);
    aps.set(name, ap);
  }
  const page = browser.pages()[0] ?? (await browser.newPage());
  const times = await interleaved([...aps.keys()], LOADS, (name) => load(page, aps.get(name)!));
  const s = spread(times['this build']!);
  ok = s.median <= BAR_MS;
  console.log(barLine('request history shown (navigation → rendered)', s, { op: '≤', value: BAR_MS }, 0, ' ms'));
  if (COMPARE) {
    console.log(`${'… the compared build'.padEnd(46)} ${fmtSpread(spread(times['compared build']!), 0).padStart(22)} ms`);
    console.log(`${'this build ÷ compared build, load by load'.padEnd(46)} ${fmtSpread(ratios(times['this build']!, times['compared build']!)).padStart(22)}`);
  }
} finally {
  await browser.close();
  for (const ap of running) await ap.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`machine after: ${machineLoad()}; node ${process.version}, ${process.platform}/${process.arch}`);
process.exitCode = ok ? 0 : 1;
