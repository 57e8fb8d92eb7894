// bench/frontdoor: the Cloud Run front door against DESIGN.md's quality bars, side by side in one run.
//   direct                       wrk → hello-world upstream
//   nginx                        wrk → nginx (Debian's package, 1 worker, keep-alive upstream) → upstream
//   front door, auth off         wrk → authplane front door of a public service → upstream
//   front door, auth on, cached  wrk → front door with one valid ID token on every request (verified-token cache)
//   front door, auth on, uncached  the same with AUTHPLANE_TOKEN_CACHE_SIZE=0 (RS256 verify on every request)
// then p99 latency at half the cached front door's load (wrk's Lua delay() paces each connection), direct vs
// front door. The verifier's own bars (uncached ÷ crypto.verify, cached verifies/s) are bench/verify's.
//
// Bars: front door ÷ nginx ≥ 0.5 (same worker count: both one process), cached auth-on ÷ auth-off ≥ 0.95,
// p99 added ≤ 1 ms at half load.
// Needs wrk and nginx on PATH (apt-get install -y wrk nginx). Loopback only; every child is stopped by pid.
// Run: npx tsc -p . && node dist/bench/frontdoor.js [--quick]   (or npm run bench -- frontdoor)

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type StartedCli } from '../test/support/cli.js';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 3 : 10;
const WARMUP = quick ? 1 : 2;
const CONNECTIONS = 50;

for (const tool of ['wrk', 'nginx']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench/frontdoor: ${tool} is not installed (Debian: apt-get install -y wrk nginx)`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-frontdoor-'));
const children: ChildProcess[] = [];
const clis: StartedCli[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), r(true)));
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`port ${port} never answered`);
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: string;
}

/** Parses wrk's --latency output; latencies in ms. */
function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const lat = (pct: string) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errs = [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[0], /Socket errors: .*/.exec(out)?.[0]].filter(Boolean).join('; ');
  return { rps, p50: lat('50'), p99: lat('99'), errors: errs };
}

function wrk(url: string, seconds: number, opts: { token?: string; script?: string; connections?: number } = {}): WrkResult {
  const args = ['-t1', `-c${opts.connections ?? CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  if (opts.token) args.push('-H', `Authorization: Bearer ${opts.token}`);
  if (opts.script) args.push('-s', opts.script);
  args.push(url);
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  return parseWrk(r.stdout);
}

function measure(name: string, url: string, token?: string): WrkResult {
  wrk(url, WARMUP, token ? { token } : {});
  const r = wrk(url, SECONDS, token ? { token } : {});
  console.log(`${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms${r.errors ? `   (${r.errors})` : ''}`);
  return r;
}

/**
 * wrk paced to about `rate` req/s over CONNECTIONS connections: Lua delay() before each request, drawn
 * uniformly from [0, 2·mean] so the connections do not fire in lock-step bursts (a fixed delay makes all 50
 * arrive together every period, and p99 then measures the burst, not the proxy).
 */
function paced(url: string, rate: number, token?: string): WrkResult {
  const delayMs = Math.max(1, Math.round((CONNECTIONS * 1000) / rate));
  const script = join(dir, `paced-${delayMs}.lua`);
  writeFileSync(script, `function delay()\n  return math.random(0, ${2 * delayMs})\nend\n`);
  return wrk(url, SECONDS, { script, ...(token ? { token } : {}) });
}

async function startAuthplane(env: NodeJS.ProcessEnv, upstreamPort: number, name: string): Promise<{ cli: StartedCli; open: string; auth: string; token: string }> {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const config = join(d, 'authplane.yaml');
  writeFileSync(
    config,
    `project: { id: bench-project, number: "123456789012", region: us-central1 }
server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }
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
  const cli = await startCli(['--config', config, '--data', join(d, 'data')], { cwd: d, env: { ...process.env, ...env } });
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
  return { cli, open, auth, token };
}

async function main(): Promise<void> {
  console.log(`bench/frontdoor${quick ? ' (quick)' : ''}: wrk -t1 -c${CONNECTIONS}, ${SECONDS} s per case after ${WARMUP} s warm-up; nginx and the front door each one process`);
  const upstreamPort = await freePort();
  const upstream = spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('hello world')).listen(${upstreamPort},'127.0.0.1')`], { stdio: 'ignore' });
  children.push(upstream);
  await waitPort(upstreamPort);

  const nginxPort = await freePort();
  const nd = join(dir, 'nginx');
  mkdirSync(join(nd, 'logs'), { recursive: true });
  writeFileSync(
    join(nd, 'nginx.conf'),
    `worker_processes 1;
error_log ${nd}/logs/error.log;
pid ${nd}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${nd}/body; proxy_temp_path ${nd}/proxy; fastcgi_temp_path ${nd}/fcgi; uwsgi_temp_path ${nd}/uwsgi; scgi_temp_path ${nd}/scgi;
  upstream hello { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / { proxy_pass http://hello; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const nginx = spawn('nginx', ['-p', nd, '-c', join(nd, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  children.push(nginx);
  await waitPort(nginxPort);

  const ap = await startAuthplane({}, upstreamPort, 'cached');

  const direct = measure('direct', `http://127.0.0.1:${upstreamPort}/`);
  const viaNginx = measure('nginx (1 worker)', `http://127.0.0.1:${nginxPort}/`);
  const off = measure('front door, auth off', ap.open);
  const cachedRun = measure('front door, auth on, cached', ap.auth, ap.token);
  await ap.cli.stop();

  const un = await startAuthplane({ AUTHPLANE_TOKEN_CACHE_SIZE: '0' }, upstreamPort, 'uncached');
  const uncachedRun = measure('front door, auth on, uncached', un.auth, un.token);
  await un.cli.stop();

  // Half load: both paced to half of what the cached front door sustained.
  const ap2 = await startAuthplane({}, upstreamPort, 'latency');
  const rate = cachedRun.rps / 2;
  const pd = paced(`http://127.0.0.1:${upstreamPort}/`, rate);
  const pf = paced(ap2.auth, rate, ap2.token);
  await ap2.cli.stop();
  console.log(`half load (~${rate.toFixed(0)} req/s offered)  direct ${pd.rps.toFixed(0)} req/s p99 ${pd.p99.toFixed(2)} ms   front door (auth on, cached) ${pf.rps.toFixed(0)} req/s p99 ${pf.p99.toFixed(2)} ms`);

  const line = (label: string, value: string, bar: string, ok: boolean) => console.log(`${label.padEnd(44)} ${value.padStart(10)}   bar ${bar.padEnd(8)} ${ok ? 'met' : 'NOT met'}`);
  console.log('');
  const r1 = cachedRun.rps / viaNginx.rps;
  const r2 = cachedRun.rps / off.rps;
  const added = pf.p99 - pd.p99;
  line('front door (auth on, cached) ÷ nginx', r1.toFixed(2), '≥ 0.5', r1 >= 0.5);
  line('auth on, cached ÷ auth off', r2.toFixed(2), '≥ 0.95', r2 >= 0.95);
  line('p99 added at half load (ms)', added.toFixed(2), '≤ 1', added <= 1);
  console.log(`(also: auth off ÷ nginx ${(off.rps / viaNginx.rps).toFixed(2)}, uncached auth on ÷ auth off ${(uncachedRun.rps / off.rps).toFixed(2)}, nginx ÷ direct ${(viaNginx.rps / direct.rps).toFixed(2)})`);
}

async function cleanup(): Promise<void> {
  for (const c of clis) await c.stop().catch(() => undefined);
  for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
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
