// bench/frontdoor: the Cloud Run front door against DESIGN.md's quality bars. Cases, run interleaved for several
// rounds (A B C … A B C …) so that the machine's other work hits each alike:
//   direct                   wrk → hello-world upstream
//   nginx (1 worker)         wrk → nginx (Debian's package, keep-alive upstream) → upstream
//   node proxy               wrk → a reverse proxy in Node with none of authplane's work (bench/lib/bare-proxy.ts)
//   front door, auth off     wrk → authplane front door of a public service → upstream
//   front door, auth off, token sent   the public service with the same Authorization header as auth on, so
//                            auth on ÷ this is what the checks cost apart from carrying the token's bytes
//   front door, auth on      wrk → front door with one valid ID token on every request (verified-token cache)
//   front door, uncached     the same in an authplane with AUTHPLANE_TOKEN_CACHE_SIZE=0 (RS256 verify every request)
//   nginx (N workers)        nginx with worker_processes N
//   front door, N workers    authplane with server.workers: N, auth on, cached
// then at half load (wrk's Lua delay() paces each connection) the direct path, the node proxy and the front door
// at the same offered rate, with the proxies' event-loop delay and GC (bench/lib/loop-delay.ts, loaded into the
// authplane processes and the node proxy).
// Each figure is the median of its rounds with the spread; each ratio is taken within a round. For every case
// the CPU each party used per request is printed (wrk, the upstream, the proxy), and what the rest of the
// machine used meanwhile (and the busiest process in it), so a figure taken on a busy machine says so; the header
// says whether the kernel runs DAMON (bench/lib/damon.ts).
//
// Bars (DESIGN.md): auth on ÷ nginx ≥ 0.5 with the same number of worker processes (1 and N); auth on ÷ auth off
// ≥ 0.95; p99 added at half load ≤ 1 ms; event-loop delay p99 at half load ≤ 1 ms.
// Needs wrk and nginx on PATH (apt-get install -y wrk nginx). Loopback only; every child is stopped by pid.
// With --compare DIR (another checkout, built), that build's front door runs beside this one's — auth off and on,
// full and half load — and the bench prints this build ÷ that build per round (issue 10: no regression past noise).
// Run: npm run build && node dist/bench/frontdoor.js [--quick] [--workers N] [--compare DIR]   (or npm run bench -- frontdoor)

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliMainOf, startCli, freePorts, type StartedCli } from '../test/support/cli.js';
import { LoopProbe, worst } from './lib/loop-probe.js';
import { busiestOthers, cpuByProcess, cpuMs, machineCpu, processTree, topByName } from './lib/processes.js';
import { barLine, differences, fmtSpread, interleaved, machineLoad, ratios, spread, type Spread } from './lib/rounds.js';
import { wrk, type WrkResult } from './lib/wrk.js';

const quick = process.argv.includes('--quick');
const workersArg = process.argv.indexOf('--workers');
const WORKERS = workersArg > 0 ? Number(process.argv[workersArg + 1]) : 2;
const compareArg = process.argv.indexOf('--compare');
const COMPARE = compareArg > 0 ? process.argv[compareArg + 1] : undefined;
const ROUNDS = quick ? 3 : 5;
const SECONDS = quick ? 2 : 5;
const CONNECTIONS = 50;

for (const tool of ['wrk', 'nginx']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench/frontdoor: ${tool} is not installed (Debian: apt-get install -y wrk nginx)`);
    process.exit(2);
  }
}
if (!Number.isInteger(WORKERS) || WORKERS < 2) {
  console.error('bench/frontdoor: --workers N needs a whole number ≥ 2');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-frontdoor-'));
const probe = new LoopProbe();
const children: ChildProcess[] = [];
const clis: StartedCli[] = [];

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`port ${port} never answered`);
}

/** Something wrk is pointed at. */
interface Target {
  url: string;
  headers?: string[];
  /** The processes doing the proxying (none for the direct case). */
  pids(): number[];
  /** Read the event-loop delay of these processes around the run. */
  loop?: boolean;
}

interface Run extends WrkResult {
  /** CPU µs per request: the proxy's processes, the upstream, wrk; and the rest of the machine, in cores. */
  /** `primary`: of `proxy`, what the first process used (with front-door workers, the one that keeps the log). */
  cpu: { proxy: number; primary: number; upstream: number; client: number; othersCores: number };
  /** Processes outside this bench that used CPU in the run, busiest first, in cores. */
  others: { name: string; cores: number }[];
  loop?: ReturnType<typeof worst>;
}

let upstreamPid = 0;

async function measure(t: Target, seconds: number, rate?: number): Promise<Run> {
  const pids = t.pids();
  if (t.loop) await probe.reset(pids);
  const p0 = cpuMs(pids);
  const first0 = cpuMs(pids.slice(0, 1));
  const u0 = cpuMs([upstreamPid]);
  const others0 = cpuByProcess(); // before m0: this scan's own CPU stays out of "other work"
  const m0 = machineCpu();
  const r = wrk(t.url, { seconds, connections: CONNECTIONS, scratchDir: dir, ...(t.headers ? { headers: t.headers } : {}), ...(rate !== undefined ? { rate } : {}) });
  const m1 = machineCpu();
  const others = busiestOthers(others0, cpuByProcess()).map((o) => ({ name: o.name, cores: o.ms / (seconds * 1000) }));
  const proxyMs = cpuMs(pids) - p0;
  const firstMs = cpuMs(pids.slice(0, 1)) - first0;
  const upstreamMs = cpuMs([upstreamPid]) - u0;
  const per = (ms: number) => (ms * 1000) / Math.max(1, r.requests);
  const othersMs = m1.busyMs - m0.busyMs - proxyMs - upstreamMs - r.cpuMs;
  const run: Run = { ...r, cpu: { proxy: per(proxyMs), primary: per(firstMs), upstream: per(upstreamMs), client: per(r.cpuMs), othersCores: othersMs / (seconds * 1000) }, others };
  if (t.loop) run.loop = worst(await probe.read(pids));
  return run;
}

function nginxConfig(name: string, workers: number, upstreamPort: number, port: number): string {
  const nd = join(dir, name);
  mkdirSync(join(nd, 'logs'), { recursive: true });
  writeFileSync(
    join(nd, 'nginx.conf'),
    `worker_processes ${workers};
error_log ${nd}/logs/error.log;
pid ${nd}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${nd}/body; proxy_temp_path ${nd}/proxy; fastcgi_temp_path ${nd}/fcgi; uwsgi_temp_path ${nd}/uwsgi; scgi_temp_path ${nd}/scgi;
  upstream hello { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://hello; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  return nd;
}

async function startNginx(name: string, workers: number, upstreamPort: number): Promise<Target> {
  const [port] = await freePorts(1);
  const nd = nginxConfig(name, workers, upstreamPort, port!);
  const nginx = spawn('nginx', ['-p', nd, '-c', join(nd, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  children.push(nginx);
  await waitPort(port!);
  return { url: `http://127.0.0.1:${port}/`, pids: () => processTree(nginx.pid!) };
}

/** bench/lib/bare-proxy.ts with the bin's young generation and the loop-delay reporter, as authplane runs. */
async function startBareProxy(upstreamPort: number): Promise<Target> {
  const [port] = await freePorts(1);
  const script = fileURLToPath(new URL('./lib/bare-proxy.js', import.meta.url));
  const p = spawn(process.execPath, ['--max-semi-space-size=64', ...probe.nodeArgs, script, String(port), `http://127.0.0.1:${upstreamPort}`], {
    stdio: 'ignore',
    env: { ...process.env, ...probe.env },
  });
  children.push(p);
  await waitPort(port!);
  return { url: `http://127.0.0.1:${port}/`, pids: () => [p.pid!], loop: true };
}

interface Authplane {
  open: Target;
  /** The public service with the token auth sends (not checked: invokerIamCheck is off). */
  openWithToken: Target;
  auth: Target;
}

async function startAuthplane(name: string, upstreamPort: number, opts: { workers?: number; env?: NodeJS.ProcessEnv; cliMain?: string } = {}): Promise<Authplane> {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const config = join(d, 'authplane.yaml');
  writeFileSync(
    config,
    `project: { id: bench-project, number: "123456789012", region: us-central1 }
server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0${opts.workers ? `, workers: ${opts.workers}` : ''} }
defaultPrincipal: user:bench@example.com
iam:
  bindings:
    - { resource: projects/bench-project, role: roles/iam.serviceAccountTokenCreator, members: [user:bench@example.com] }
    - { resource: services/hello-auth, role: roles/run.invoker, members: [serviceAccount:bench-caller] }
serviceAccounts: [ { name: bench-caller }, { name: hello-runtime } ]
services:
  - { name: hello-open, port: 0, metadataPort: 0, upstream: "http://127.0.0.1:${upstreamPort}", serviceAccount: hello-runtime, invokerIamCheck: false }
  - { name: hello-auth, port: 0, metadataPort: 0, upstream: "http://127.0.0.1:${upstreamPort}", serviceAccount: hello-runtime }
`,
  );
  const cli = await startCli(['--config', config, '--data', join(d, 'data')], { cwd: d, env: { ...process.env, ...probe.env, ...opts.env }, nodeArgs: probe.nodeArgs, ...(opts.cliMain ? { cliMain: opts.cliMain } : {}) });
  clis.push(cli);
  const api = cli.url('api');
  const state = (await (await fetch(`${api}/admin/v1/state`)).json()) as { services: { name: string; urls: { deterministic: string } }[] };
  const audience = state.services.find((s) => s.name === 'hello-auth')!.urls.deterministic;
  const r = await fetch(`${api}/v1/projects/-/serviceAccounts/bench-caller@bench-project.iam.gserviceaccount.com:generateIdToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ audience, includeEmail: true }),
  });
  const { token } = (await r.json()) as { token: string };
  const open = cli.url('front door hello-open') + '/';
  const auth = cli.url('front door hello-auth') + '/';
  // Sanity: the token passes and no token is refused, so the bench measures the path it claims to.
  const ok = await fetch(auth, { headers: { authorization: `Bearer ${token}` } });
  const refused = await fetch(auth);
  if (ok.status !== 200 || refused.status !== 403) throw new Error(`front door sanity check failed: ${ok.status} with token, ${refused.status} without`);
  const pids = () => processTree(cli.pid);
  const bearer = [`Authorization: Bearer ${token}`];
  return { open: { url: open, pids, loop: true }, openWithToken: { url: open, headers: bearer, pids, loop: true }, auth: { url: auth, headers: bearer, pids, loop: true } };
}

const fmt = (s: Spread, digits = 0) => fmtSpread(s, digits);

/** " (kdamond.0 0.015)": the process outside the bench that used the most CPU over a case's runs, its median in cores. */
function busiestOtherCell(rs: Run[]): string {
  const [top] = topByName(rs.map((r) => r.others), (o) => o.cores, 1);
  return top === undefined ? '' : ` (${top.name} ${spread(top.perRound).median.toFixed(3)})`;
}

function printCases(runs: Record<string, Run[]>): void {
  console.log(`${'case'.padEnd(34)} ${'req/s median (spread)'.padStart(26)}  ${'p99 ms'.padStart(16)}   CPU µs/request: proxy, upstream, wrk; other work (cores; busiest process)`);
  for (const [name, rs] of Object.entries(runs)) {
    const c = (f: (r: Run) => number) => spread(rs.map(f)).median;
    console.log(
      `${name.padEnd(34)} ${fmt(spread(rs.map((r) => r.rps))).padStart(26)}  ${fmtSpread(spread(rs.map((r) => r.p99)), 2).padStart(16)}   ` +
        `${c((r) => r.cpu.proxy).toFixed(0).padStart(4)}${c((r) => r.cpu.primary) < c((r) => r.cpu.proxy) - 0.5 ? ` (first process ${c((r) => r.cpu.primary).toFixed(0)})` : ''}, ${c((r) => r.cpu.upstream).toFixed(0).padStart(3)}, ${c((r) => r.cpu.client).toFixed(0).padStart(3)}; ${c((r) => r.cpu.othersCores).toFixed(2)}` +
        busiestOtherCell(rs) +
        (rs.some((r) => r.errors) ? `   (${rs.map((r) => r.errors).filter(Boolean)[0]})` : ''),
    );
  }
}

async function main(): Promise<void> {
  console.log(`bench/frontdoor${quick ? ' (quick)' : ''}: wrk -t1 -c${CONNECTIONS}, ${ROUNDS} interleaved rounds of ${SECONDS} s per case; ${new Date().toISOString()}`);
  console.log(`machine before: ${machineLoad()}`);
  const [upstreamPort] = await freePorts(1);
  const upstream = spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('hello world')).listen(${upstreamPort},'127.0.0.1')`], { stdio: 'ignore' });
  children.push(upstream);
  upstreamPid = upstream.pid!;
  await waitPort(upstreamPort!);

  const direct: Target = { url: `http://127.0.0.1:${upstreamPort}/`, pids: () => [] };
  const nginx1 = await startNginx('nginx-1', 1, upstreamPort!);
  const one = await startAuthplane('one', upstreamPort!);
  if (COMPARE) await compare(direct, nginx1, one, upstreamPort!, COMPARE);
  else await bars(direct, nginx1, one, upstreamPort!);
  console.log(`machine after: ${machineLoad()}`);
}

/** Warm-up (JIT, pools, caches), then `rounds` interleaved rounds of every case at full load. */
async function fullLoad(cases: Record<string, Target>): Promise<Record<string, Run[]>> {
  const names = Object.keys(cases);
  for (const n of names) await measure(cases[n]!, quick ? 1 : 2);
  const full = await interleaved(names, ROUNDS, (n) => measure(cases[n]!, SECONDS));
  console.log('\nfull load');
  printCases(full);
  return full;
}

async function halfLoad(cases: Record<string, { target: Target; rate: number }>): Promise<Record<string, Run[]>> {
  const names = Object.keys(cases);
  const paced = await interleaved(names, ROUNDS, (n) => measure(cases[n]!.target, SECONDS, cases[n]!.rate));
  console.log("\nhalf load (offered rate per case; delivered req/s is lower by each request's own latency)");
  printCases(paced);
  return paced;
}

/** Over several processes the delay is the worst process's, the GC all of theirs together (worst() in lib/loop-probe.ts). */
function loopLine(label: string, rs: Run[]): void {
  const processes = Math.max(...rs.map((r) => r.loop!.processes));
  const [delayOf, gcOf] = processes > 1 ? [' (worst process)', ` (${processes} processes summed)`] : ['', ''];
  console.log(
    `${label}: event-loop delay p99${delayOf} ${fmtSpread(spread(rs.map((r) => r.loop!.p99)), 2)} ms, max ${fmtSpread(spread(rs.map((r) => r.loop!.max)), 1)} ms; ` +
      `GC${gcOf} ${spread(rs.map((r) => r.loop!.gcPerS)).median.toFixed(1)}/s, ${(100 * spread(rs.map((r) => r.loop!.gcShare)).median).toFixed(1)} % of the time, longest ${fmtSpread(spread(rs.map((r) => r.loop!.gcMaxMs)), 1)} ms`,
  );
}

async function bars(direct: Target, nginx1: Target, one: Authplane, upstreamPort: number): Promise<void> {
  const nginxN = await startNginx(`nginx-${WORKERS}`, WORKERS, upstreamPort);
  const uncached = await startAuthplane('uncached', upstreamPort, { env: { AUTHPLANE_TOKEN_CACHE_SIZE: '0' } });
  const many = await startAuthplane('workers', upstreamPort, { workers: WORKERS });
  const bare = await startBareProxy(upstreamPort);
  const full = await fullLoad({
    direct,
    'nginx (1 worker)': nginx1,
    'node proxy, no authplane': bare,
    'front door, auth off': one.open,
    'front door, auth off, token sent': one.openWithToken,
    'front door, auth on': one.auth,
    'front door, auth on, uncached': uncached.auth,
    [`nginx (${WORKERS} workers)`]: nginxN,
    [`front door, auth on, ${WORKERS} workers`]: many.auth,
  });

  // Half load: each front door paced to half of what it sustained, against the direct path at the same pace.
  const rate1 = spread(full['front door, auth on']!.map((r) => r.rps)).median / 2;
  const rateN = spread(full[`front door, auth on, ${WORKERS} workers`]!.map((r) => r.rps)).median / 2;
  const paced = await halfLoad({
    [`direct @ ${rate1.toFixed(0)}/s`]: { target: direct, rate: rate1 },
    [`node proxy @ ${rate1.toFixed(0)}/s`]: { target: bare, rate: rate1 },
    [`front door @ ${rate1.toFixed(0)}/s`]: { target: one.auth, rate: rate1 },
    [`direct @ ${rateN.toFixed(0)}/s`]: { target: direct, rate: rateN },
    [`front door, ${WORKERS} workers @ ${rateN.toFixed(0)}/s`]: { target: many.auth, rate: rateN },
  });
  const [d1, b1, f1, dN, fN] = Object.values(paced);
  loopLine('node proxy, no authplane', b1!);
  loopLine('front door (1 process)', f1!);
  loopLine(`front door (${WORKERS} workers and the first process)`, fN!);

  const rps = (n: string) => full[n]!.map((r) => r.rps);
  console.log('');
  console.log(barLine('front door, auth on ÷ nginx (1 worker each)', ratios(rps('front door, auth on'), rps('nginx (1 worker)')), { op: '≥', value: 0.5 }));
  console.log(barLine('front door, auth on ÷ auth off', ratios(rps('front door, auth on'), rps('front door, auth off')), { op: '≥', value: 0.95 }));
  console.log(barLine(`front door ÷ nginx, ${WORKERS} workers each`, ratios(rps(`front door, auth on, ${WORKERS} workers`), rps(`nginx (${WORKERS} workers)`)), { op: '≥', value: 0.5 }));
  console.log(barLine('p99 added at half load (ms)', differences(f1!.map((r) => r.p99), d1!.map((r) => r.p99)), { op: '≤', value: 1 }));
  console.log(barLine('event-loop delay p99 at half load (ms)', spread(f1!.map((r) => r.loop!.p99)), { op: '≤', value: 1 }));
  console.log(barLine(`p99 added at half load, ${WORKERS} workers (ms)`, differences(fN!.map((r) => r.p99), dN!.map((r) => r.p99)), { op: '≤', value: 1 }));
  console.log(barLine(`event-loop delay p99, ${WORKERS} workers (ms)`, spread(fN!.map((r) => r.loop!.p99)), { op: '≤', value: 1 }));
  console.log(
    `(also: node proxy ÷ nginx ${fmtSpread(ratios(rps('node proxy, no authplane'), rps('nginx (1 worker)')))}, ` +
      `auth on ÷ node proxy ${fmtSpread(ratios(rps('front door, auth on'), rps('node proxy, no authplane')))}, ` +
      `p99 added at half load by the node proxy ${fmtSpread(differences(b1!.map((r) => r.p99), d1!.map((r) => r.p99)), 2)} ms, ` +
      `auth on ÷ auth off with the token sent ${fmtSpread(ratios(rps('front door, auth on'), rps('front door, auth off, token sent')))}, ` +
      `auth off ÷ nginx ${fmtSpread(ratios(rps('front door, auth off'), rps('nginx (1 worker)')))}, ` +
      `uncached ÷ auth off ${fmtSpread(ratios(rps('front door, auth on, uncached'), rps('front door, auth off')))}, ` +
      `nginx ÷ direct ${fmtSpread(ratios(rps('nginx (1 worker)'), rps('direct')))}, ` +
      `${WORKERS} workers ÷ 1 ${fmtSpread(ratios(rps(`front door, auth on, ${WORKERS} workers`), rps('front door, auth on')))})`,
  );
}

/** This build's front door against another checkout's, case by case in the same rounds. */
async function compare(direct: Target, nginx1: Target, one: Authplane, upstreamPort: number, other: string): Promise<void> {
  const base = await startAuthplane('compared', upstreamPort, { cliMain: cliMainOf(other) });
  console.log(`compared build: ${other}`);
  const full = await fullLoad({
    direct,
    'nginx (1 worker)': nginx1,
    'auth off, this build': one.open,
    'auth off, compared build': base.open,
    'auth on, this build': one.auth,
    'auth on, compared build': base.auth,
  });
  const rate = spread(full['auth on, compared build']!.map((r) => r.rps)).median / 2;
  const paced = await halfLoad({
    [`direct @ ${rate.toFixed(0)}/s`]: { target: direct, rate },
    [`this build @ ${rate.toFixed(0)}/s`]: { target: one.auth, rate },
    [`compared build @ ${rate.toFixed(0)}/s`]: { target: base.auth, rate },
  });
  const [d, mine, theirs] = Object.values(paced);
  loopLine('this build', mine!);
  loopLine('compared build', theirs!);
  const rps = (n: string) => full[n]!.map((r) => r.rps);
  console.log('');
  console.log(`this build ÷ compared build, auth off     ${fmtSpread(ratios(rps('auth off, this build'), rps('auth off, compared build')))}`);
  console.log(`this build ÷ compared build, auth on      ${fmtSpread(ratios(rps('auth on, this build'), rps('auth on, compared build')))}`);
  console.log(`auth on ÷ nginx: this build ${fmtSpread(ratios(rps('auth on, this build'), rps('nginx (1 worker)')))}, compared build ${fmtSpread(ratios(rps('auth on, compared build'), rps('nginx (1 worker)')))}`);
  console.log(`p99 added at half load (ms): this build ${fmtSpread(differences(mine!.map((r) => r.p99), d!.map((r) => r.p99)))}, compared build ${fmtSpread(differences(theirs!.map((r) => r.p99), d!.map((r) => r.p99)))}`);
}

async function cleanup(): Promise<void> {
  for (const c of clis) await c.stop().catch(() => undefined);
  for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
  probe.close();
  rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => cleanup(),
  async (e: unknown) => {
    console.error('bench/frontdoor failed:', e);
    await cleanup();
    process.exitCode = 1;
  },
);
