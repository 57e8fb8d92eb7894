// Pub/Sub push bench (not part of npm test): push deliveries per second from a backlog, each one a POST with
// the push account's ID token through the Cloud Run front door's checks (verification, invoker IAM) to a
// counting upstream, acknowledged with 204; authplane on SQLite as an `authplane start` child process.
// Rounds alternate one push subscription and four on one topic (A B A B …); medians and spread (min–max)
// are printed against DESIGN.md's bar (≥ 2,000 deliveries/s).
//   node dist/bench/pubsub.js [--quick]
// Set AUTHPLANE_BENCH_PROFILE=DIR to write a CPU profile of the authplane process into DIR.
// Everything talks to 127.0.0.1 only and stops by itself.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../test/support/authplane.js';
import { startCli, type StartedCli } from '../test/support/cli.js';
import { machineLoad } from './lib/rounds.js';
import { runMain } from './lib/run-main.js';

const quick = process.argv.includes('--quick');
const MESSAGES = quick ? 3000 : 12000;
const ROUNDS = quick ? 2 : 4;
const BAR = 2000;
const SA = 'push-invoker@demo-project.iam.gserviceaccount.com';
const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';
const P = '/v1/projects/demo-project';

interface Target {
  server: Server;
  url: string;
  count: number;
  onCount?: () => void;
}

async function target(): Promise<Target> {
  const t: Target = { server: undefined as never, url: '', count: 0 };
  t.server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      t.count++;
      res.writeHead(204).end();
      t.onCount?.();
    });
  });
  t.server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  t.url = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
  return t;
}

const pushConfig = { pushEndpoint: `${SERVICE_URL}/push`, oidcToken: { serviceAccountEmail: SA, audience: SERVICE_URL } };

const config = (upstream: string) => ({
  serviceAccounts: [{ name: 'push-invoker' }, { name: 'update-runtime' }],
  services: [{ name: 'update', upstream, serviceAccount: 'update-runtime' }],
  iam: { bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA}`] }] },
  pubsub: {
    topics: [{ name: 'one' }, { name: 'four' }],
    subscriptions: [
      { name: 'one-0', topic: 'one', pushConfig },
      ...Array.from({ length: 4 }, (_, i) => ({ name: `four-${i}`, topic: 'four', pushConfig })),
    ],
  },
});

async function call(api: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(api + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** One round: hold the subscriptions' pushes (pull config), publish the backlog, resume pushing, time the deliveries. */
async function round(api: string, t: Target, topic: string, subs: string[]): Promise<number> {
  for (const s of subs) await call(api, `${P}/subscriptions/${s}:modifyPushConfig`, { pushConfig: {} });
  const perSub = MESSAGES / subs.length;
  const data = Buffer.from('{"order":42,"items":["a","b","c"]}').toString('base64');
  for (let i = 0; i < perSub; i += 1000) {
    await call(api, `${P}/topics/${topic}:publish`, { messages: Array.from({ length: Math.min(1000, perSub - i) }, () => ({ data, attributes: { kind: 'bench' } })) });
  }
  const before = t.count;
  const done = new Promise<void>((resolve) => (t.onCount = () => t.count - before >= MESSAGES && resolve()));
  const start = performance.now();
  for (const s of subs) await call(api, `${P}/subscriptions/${s}:modifyPushConfig`, { pushConfig });
  await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
  const secs = (performance.now() - start) / 1000;
  t.onCount = undefined;
  if (t.count - before < MESSAGES) console.log(`  (only ${t.count - before} of ${MESSAGES} delivered within 60 s)`);
  return (t.count - before) / secs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const t = await target();
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-pubsub-'));
  let ap: StartedCli | undefined;
  try {
    const file = join(dir, 'authplane.yaml');
    writeFileSync(file, JSON.stringify(testConfig(config(t.url)), null, 2)); // JSON is YAML
    const profile = process.env.AUTHPLANE_BENCH_PROFILE;
    ap = await startCli(['--config', file, '--data', join(dir, 'data')], { env: { AUTHPLANE_DATABASE_URL: '' }, nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [] });
    const api = ap.url('api');
    console.log(`bench/pubsub${quick ? ' (quick)' : ''}: ${new Date().toISOString()}; machine before: ${machineLoad()}`);
    console.log(`== SQLite, one process (pid ${ap.pid}): ${MESSAGES} messages per round, OIDC through the front door → 204 ==`);
    // Warm-up: tokens minted, connections open, slow start past its first doublings.
    await round(api, t, 'one', ['one-0']);
    const rates: Record<string, number[]> = { 'one subscription': [], 'four subscriptions': [] };
    for (let r = 0; r < ROUNDS; r++) {
      rates['one subscription']!.push(await round(api, t, 'one', ['one-0']));
      rates['four subscriptions']!.push(await round(api, t, 'four', ['four-0', 'four-1', 'four-2', 'four-3']));
    }
    for (const [label, xs] of Object.entries(rates)) {
      const m = median(xs);
      console.log(
        `push deliveries, ${label.padEnd(20)} median ${m.toFixed(0).padStart(6)}/s  spread ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}  (bar ≥ ${BAR}) ${m >= BAR ? 'ok' : 'BELOW'}`,
      );
    }
    console.log(`machine after: ${machineLoad()}`);
  } finally {
    await ap?.stop();
    t.server.close();
    t.server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
