// `authplane start` as users run it: the demo config (copied, with its fixed ports moved to free
// ones so a developer's running demo does not clash), one line per listener, then `authplane ready`;
// /healthz answers; SIGTERM exits 0 and frees every port; state persists across restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyDemoProject, freePort, isListening, runCli, startCli, type StartedCli } from './support/cli.js';
import { waitFor } from './support/wait.js';

const portOf = (url: string) => Number(new URL(url).port);
const SERVICE_LOG = /^\[[a-z][-a-z0-9]*\] /;
/** The demo's supervised services (each runs demo/echo.mjs). */
const DEMO_COMMANDS = ['update', 'internal-only', 'report', 'portal', 'portal-noagent'];
/** Ports the demo's echo services reported (each listens on a port the supervisor gives it). */
const echoPorts = (stdout: string) => [...stdout.matchAll(/^\[[-a-z]+\] echo listening on (\d+)$/gm)].map((m) => Number(m[1]));

describe('authplane start (demo config, real CLI)', () => {
  let dir: string;
  let config: string;
  let ports: number[];
  let running: StartedCli | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authplane-cli-'));
    ({ config, ports } = await copyDemoProject(dir));
    assert.ok(ports.length >= 5, `expected the demo's fixed ports, found ${ports.length}`);
  });
  after(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints one line per listener, then "authplane ready" once every service answers; /healthz answers 200; SIGTERM exits 0 and frees every port', async () => {
    const demo = await startCli(['--config', config, '--data', join(dir, 'data')], { cwd: dir });
    try {
      const lines = demo.stdout().trimEnd().split('\n');
      const ready = lines.indexOf('authplane ready');
      assert.ok(ready >= 0, 'prints authplane ready');
      // Before it, every line is a listener (a name and its URL) or a supervised service's own output,
      // which authplane passes on prefixed with [service]; after it, only services' output may follow (a
      // service's "listening" line may still be on its way through the pipe when its port answers).
      // The first line says where the state lives.
      assert.equal(lines[0], `authplane: ${config}: state in ${join(dir, 'data')}`);
      const own = lines.slice(1, ready).filter((l) => !SERVICE_LOG.test(l));
      assert.deepEqual(lines.slice(ready + 1).filter((l) => !SERVICE_LOG.test(l)), [], 'after ready, only service output');
      assert.equal(demo.listeners.length, own.length, `unexpected lines:\n${lines.join('\n')}`);
      const api = demo.url('api');
      assert.equal(portOf(api), ports[0], 'the API listens on the configured apiPort');
      assert.ok(demo.listeners.some((l) => l.name.startsWith('metadata scheduler (tasks-invoker@demo-project.iam.gserviceaccount.com)')));
      assert.ok(demo.listeners.some((l) => l.name.startsWith('metadata update (update-runtime@demo-project.iam.gserviceaccount.com)')));
      for (const l of demo.listeners) {
        assert.ok(ports.includes(portOf(l.url)), `${l.name} listens on ${l.url}, a port from the config`);
        assert.equal(await isListening(portOf(l.url)), true, `${l.name} is bound`);
      }

      const health = await fetch(`${api}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(await health.text(), 'ok');
      assert.equal(demo.stderr(), '', 'a clean start writes nothing to stderr');

      await waitFor('every demo service to say it listens', () => echoPorts(demo.stdout()).length === DEMO_COMMANDS.length);
      const listened = [...demo.listeners.map((l) => portOf(l.url)), ...echoPorts(demo.stdout())];
      assert.deepEqual(await demo.stop(), { code: 0, signal: null });
      for (const port of [...listened, ...ports]) assert.equal(await isListening(port), false, `port ${port} is free after shutdown`);
    } finally {
      await demo.stop();
    }
  });

  it('"authplane ready" waits for a supervised command that takes its time to listen', async () => {
    // The command records its PORT at once and listens a second later: at ready, the port must answer.
    writeFileSync(join(dir, 'slow.mjs'), `import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
writeFileSync(process.argv[2], process.env.PORT);
setTimeout(() => createServer((_req, res) => res.end('up')).listen(Number(process.env.PORT), '127.0.0.1'), 1000);
`);
    const config = join(dir, 'slow.yaml');
    writeFileSync(config, 'server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\nservices:\n  - { name: slow, command: "node slow.mjs slow.port", invokerIamCheck: false }\n');
    const slow = await startCli(['--config', config, '--data', join(dir, 'data-slow')], { cwd: dir });
    try {
      const port = readFileSync(join(dir, 'slow.port'), 'utf8');
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'up', 'the service answers on its PORT when ready is printed');
    } finally {
      await slow.stop();
    }
  });

  it('a command that calls its metadata server, the gRPC port and another service\'s front door the moment it starts is answered, not refused (commands start before authplane has loaded)', async () => {
    // It calls all three before it listens, so its calls land while authplane is still loading (the commands
    // are spawned as soon as the sockets are bound); it prints what each answered.
    writeFileSync(
      join(dir, 'boot-calls.mjs'),
      `import http2 from 'node:http2';
import { createServer } from 'node:http';
const url = 'http://' + process.env.GCE_METADATA_HOST + '/computeMetadata/v1/instance/service-accounts/default/identity?audience=https://example.com';
const token = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' } }).then(async (r) => 'metadata ' + r.status + ' ' + (await r.text()).split('.').length + ' parts', (e) => 'metadata failed ' + (e.cause?.code ?? e.message));
console.log(token);
const grpc = await new Promise((resolve) => {
  const session = http2.connect('http://' + process.env.CLOUD_TASKS_EMULATOR_HOST);
  session.on('error', (e) => resolve('grpc failed ' + e.code));
  const call = session.request({ ':method': 'POST', ':path': '/google.cloud.tasks.v2.CloudTasks/ListQueues', 'content-type': 'application/grpc', te: 'trailers' });
  const done = (h) => { if (h['grpc-status'] !== undefined) { resolve('grpc-status ' + h['grpc-status']); session.close(); } };
  call.on('response', done);
  call.on('trailers', done);
  call.on('error', (e) => resolve('grpc failed ' + e.code));
  call.resume();
  // ListQueuesRequest { parent (field 1) }, as one length-prefixed gRPC message.
  const parent = Buffer.from('projects/boot-project/locations/us-central1');
  const message = Buffer.concat([Buffer.from([0x0a, parent.length]), parent]);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(message.length, 1);
  call.end(Buffer.concat([frame, message]));
});
console.log(grpc);
const peer = await fetch(process.env.PEER_URL).then(async (r) => 'peer ' + r.status + ' ' + (await r.text()), (e) => 'peer failed ' + (e.cause?.code ?? e.message));
console.log(peer);
createServer((req, res) => res.end('up')).listen(Number(process.env.PORT), '127.0.0.1');
`,
    );
    writeFileSync(join(dir, 'peer.mjs'), `import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('peer here')).listen(Number(process.env.PORT), '127.0.0.1');\n`);
    const peerPort = await freePort();
    const file = join(dir, 'boot-calls.yaml');
    writeFileSync(file, `project: { id: boot-project, region: us-central1 }\nserver: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\nserviceAccounts: [{ name: runtime }]\nservices:\n  - { name: eager, command: "node boot-calls.mjs", serviceAccount: runtime, env: { PEER_URL: "http://127.0.0.1:${peerPort}/" } }\n  - { name: peer, port: ${peerPort}, command: "node peer.mjs", invokerIamCheck: false }\n`);
    const eager = await startCli(['--config', file, '--data', join(dir, 'data-boot-calls')], { cwd: dir });
    try {
      // An ID token (a JWT: three parts) from its metadata server; from the gRPC port, the (empty) list of queues:
      // a call without credentials acts as the default principal (user:developer@example.com), which may list them.
      assert.match(eager.stdout(), /^\[eager\] metadata 200 3 parts$/m, eager.stdout());
      assert.match(eager.stdout(), /^\[eager\] grpc-status 0$/m, eager.stdout());
      // The other service answers through its front door (public: invokerIamCheck false) once it is up.
      assert.match(eager.stdout(), /^\[eager\] peer 200 peer here$/m, eager.stdout());
    } finally {
      await eager.stop();
    }
  });

  it('a restart on the same --data keeps the signing keys; SIGINT also exits 0', async () => {
    const kids = async (s: StartedCli) => ((await (await fetch(`${s.url('api')}/oauth2/v3/certs`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    running = await startCli(['--config', config, '--data', join(dir, 'data')], { cwd: dir });
    const before = await kids(running);
    process.kill(running.pid, 'SIGINT');
    assert.deepEqual(await running.exited, { code: 0, signal: null });
    running = await startCli(['--config', config, '--data', join(dir, 'data')], { cwd: dir });
    assert.deepEqual(await kids(running), before);
    assert.deepEqual(await running.stop(), { code: 0, signal: null });
    running = undefined;
  });

  it('--help prints the options and exits 0', async () => {
    const r = await runCli(['start', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--config FILE/);
    assert.match(r.stdout, /--database URL/);
    assert.match(r.stdout, /--data DIR/);
  });
});
