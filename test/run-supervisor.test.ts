// A supervised service: authplane starts the command with Cloud Run's environment, restarts it after a
// crash (requests wait for the restart), and google-auth-library inside it gets tokens for its own
// service account from its metadata server (GCE_METADATA_HOST).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from '../src/lib/jwt.js';
import { freePort } from '../src/run/supervisor.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { waitFor } from './support/wait.js';

const require = createRequire(import.meta.url);

function writeServer(dir: string): string {
  const gal = pathToFileURL(require.resolve('google-auth-library')).href;
  const file = join(dir, 'server.mjs');
  writeFileSync(
    file,
    `import { createServer } from 'node:http';
import { GoogleAuth } from ${JSON.stringify(gal)};
const names = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION', 'GOOGLE_CLOUD_PROJECT', 'GCE_METADATA_HOST', 'GCE_METADATA_IP', 'METADATA_SERVER_DETECTION', 'CLOUD_TASKS_EMULATOR_HOST', 'GREETING'];
createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/crash') { res.end('bye'); setTimeout(() => process.exit(3), 5); return; }
    if (url.pathname === '/env') { res.end(JSON.stringify(Object.fromEntries(names.map((n) => [n, process.env[n]])))); return; }
    if (url.pathname === '/pid') { res.end(String(process.pid)); return; }
    if (url.pathname === '/tokens') {
      const auth = new GoogleAuth();
      const client = await auth.getIdTokenClient(url.searchParams.get('aud'));
      const idToken = await client.idTokenProvider.fetchIdToken(url.searchParams.get('aud'));
      const accessToken = await auth.getAccessToken();
      const projectId = await auth.getProjectId();
      res.end(JSON.stringify({ idToken, accessToken, projectId }));
      return;
    }
    res.end('hello');
  } catch (e) { res.statusCode = 500; res.end(String(e && e.stack || e)); }
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on', process.env.PORT));
`,
  );
  return file;
}

describe('supervised Cloud Run service', () => {
  let ap: TestAuthplane;
  let dir: string;
  let local: string;
  let grpcPort: number;
  const lines: string[] = [];
  const origWrite = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authplane-svc-'));
    const file = writeServer(dir);
    // Capture the supervisor's prefixed output lines.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (origWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (origErr as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    grpcPort = await freePort('127.0.0.1');
    ap = await startTestAuthplane({
      server: { host: '127.0.0.1', apiPort: 0, grpcPort },
      serviceAccounts: [{ name: 'update-runtime' }],
      services: [
        { name: 'update', port: 0, metadataPort: 0, command: `node ${JSON.stringify(file)}`, cwd: dir, env: { GREETING: 'hi' }, serviceAccount: 'update-runtime', invokerIamCheck: false },
      ],
    });
    local = ap.platform.directory.get('update')!.urls.local!;
  });
  after(async () => {
    process.stdout.write = origWrite;
    process.stderr.write = origErr;
    await ap?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs with Cloud Run\'s environment and prefixes its output with the service name', async () => {
    const env = (await (await fetch(`${local}/env`)).json()) as Record<string, string>;
    assert.match(env.PORT!, /^\d+$/);
    assert.notEqual(env.PORT, new URL(local).port, 'the container port is not the front door port');
    assert.equal(env.K_SERVICE, 'update');
    assert.equal(env.K_CONFIGURATION, 'update');
    assert.match(env.K_REVISION!, /^update-\d{5}-[a-z]+$/);
    assert.equal(env.GOOGLE_CLOUD_PROJECT, 'demo-project');
    assert.equal(env.GCE_METADATA_HOST, ap.metadataHost('update'));
    // Google's Node libraries read GCE_METADATA_IP first; the test runner's own values are not inherited.
    assert.equal(env.GCE_METADATA_IP, ap.metadataHost('update'));
    assert.equal(process.env.METADATA_SERVER_DETECTION, 'none', 'the runner sets it for this process');
    assert.equal(env.METADATA_SERVER_DETECTION, undefined, 'a service on Cloud Run always has its metadata server');
    assert.equal(env.CLOUD_TASKS_EMULATOR_HOST, `127.0.0.1:${grpcPort}`);
    assert.equal(env.GREETING, 'hi');
    assert.ok(lines.some((l) => l.startsWith('[update] listening on')), 'output lines carry the service name');
  });

  it('google-auth-library inside the service gets tokens for its own service account', async () => {
    const aud = 'https://billing-123456789012.us-central1.run.app';
    const res = await fetch(`${local}/tokens?aud=${encodeURIComponent(aud)}`);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const { idToken, accessToken, projectId } = JSON.parse(text) as { idToken: string; accessToken: string; projectId: string };
    const claims = decodeJwt(idToken)!.claims;
    assert.equal(claims.aud, aud);
    assert.equal(claims.email, 'update-runtime@demo-project.iam.gserviceaccount.com');
    assert.equal(claims.iss, 'https://accounts.google.com');
    assert.match(accessToken, /^ya29\./);
    const info = (await (await ap.api(`/oauth2/v3/tokeninfo?access_token=${accessToken}`)).json()) as { email?: string };
    assert.equal(info.email, 'update-runtime@demo-project.iam.gserviceaccount.com', 'an access token of its own account');
    assert.equal(projectId, 'demo-project');
  });

  it('a crash is restarted with backoff and the service serves again (requests wait meanwhile)', async () => {
    const pid1 = await (await fetch(`${local}/pid`)).text();
    assert.equal(await (await fetch(`${local}/crash`)).text(), 'bye');
    // Once authplane has seen the exit, the next request can only be answered by a restarted process.
    const exitLine = /^\[update\] exited \(code 3\).*restarting in \d+ ms/;
    await waitFor('the supervisor to report the exit', () => lines.some((l) => exitLine.test(l)));
    const res = await fetch(`${local}/pid`);
    assert.equal(res.status, 200);
    const pid2 = await res.text();
    assert.notEqual(pid2, pid1, 'a new process answers');
  });
});
