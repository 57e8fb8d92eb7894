// Python's google-auth, as bundled with gcloud (lib/third_party, google-auth 2.39), against authplane with
// only the settings docs/clients.md gives: a workload's ID token from its metadata server (GCE_METADATA_IP
// for the detection ping, GCE_METADATA_HOST for the rest), impersonation with the default delegates, and
// verify_token against authplane's certs URL. Python runs bounded, under the same loopback guard as gcloud.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { claimsOf } from './support/gcloud.js';
import { SA, SERVICE_URL, startGcloudProject, type GcloudProject } from './support/gcloud-fixture.js';

const THIRD_PARTY = '/usr/lib/google-cloud-sdk/lib/third_party';
const SCRIPT = fileURLToPath(new URL('../../test/fixtures/python/google_auth_client.py', import.meta.url));
const GUARD = fileURLToPath(new URL('../../test/support/gcloud/loopback_guard.py', import.meta.url));
const python = 'python3';
const SKIP: string | false = existsSync(join(THIRD_PARTY, 'google', 'auth')) ? false : `SKIPPED: google-auth is not at ${THIRD_PARTY} (it comes with the Google Cloud CLI)`;
if (SKIP) console.warn(`\n*** ${SKIP} — the Python google-auth suite did not run ***\n`);

type Obj = Record<string, any>;

describe('Python google-auth (bundled with gcloud) against authplane', { skip: SKIP }, () => {
  let project: GcloudProject;
  let scratch: string;
  const guardLog = () => join(scratch, 'loopback-guard.log');

  /** Runs one step of the Python client with `env`; its JSON answer and exit code. */
  const step = (name: string, env: Record<string, string>, log = guardLog()) =>
    new Promise<{ code: number | null; out: Obj; stderr: string }>((resolve, reject) => {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GCE_METADATA_|GOOGLE_|METADATA_SERVER_)/.test(k) && !/^(https?|no|all)_proxy$/i.test(k)));
      const child = spawn('timeout', ['--kill-after=5', '60', python, GUARD, SCRIPT, name], {
        env: { ...clean, PYTHONPATH: THIRD_PARTY, AUTHPLANE_LOOPBACK_GUARD_LOG: log, AUTHPLANE_API: project.ap.apiUrl, SERVICE_URL, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        try {
          resolve({ code, out: JSON.parse(stdout.trim().split('\n').pop() ?? '') as Obj, stderr });
        } catch {
          reject(new Error(`python step ${name} printed no JSON (exit ${code})\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      });
    });

  before(async () => {
    project = await startGcloudProject();
    scratch = mkdtempSync(join(tmpdir(), 'authplane-python-'));
  });
  after(async () => {
    await project?.stop();
    const left = existsSync(guardLog()) ? readFileSync(guardLog(), 'utf8') : '';
    rmSync(scratch, { recursive: true, force: true });
    assert.equal(left, '', 'Python tried to leave this machine');
  });

  it('id_token.fetch_id_token on a workload: its metadata server\'s ID token for the URL, admitted by the front door', async () => {
    const md = project.ap.metadataHost('runner');
    const r = await step('fetch_id_token', { GCE_METADATA_HOST: md, GCE_METADATA_IP: md });
    assert.equal(r.code, 0, JSON.stringify(r.out) + r.stderr);
    const claims = claimsOf(r.out.token);
    assert.deepEqual([claims.aud, claims.email], [SERVICE_URL, SA('runner')]);
    assert.deepEqual(await project.call(r.out.token), { status: 200, denial: null });
  });

  it('fetch_id_token with GCE_METADATA_HOST alone fails: the detection ping goes to GCE_METADATA_IP (and the guard keeps it here)', async () => {
    const log = join(scratch, 'expected-refusals.log');
    const r = await step('fetch_id_token', { GCE_METADATA_HOST: project.ap.metadataHost('runner') }, log);
    assert.equal(r.code, 1);
    assert.equal(r.out.error, 'DefaultCredentialsError');
    assert.match(readFileSync(log, 'utf8'), /socket\.(getaddrinfo|connect) 169\.254\.169\.254/, 'the ping went to the default GCE_METADATA_IP');
  });

  it('impersonated_credentials.Credentials with the default delegates ("delegates": null): an access token as the target, and its ID token passes', async () => {
    const source = await project.ap.platform.identity.mintAccessToken('user:developer@example.com');
    const r = await step('impersonate', { TARGET_SA: SA('tasks-invoker'), SOURCE_TOKEN: source.token });
    assert.equal(r.code, 0, JSON.stringify(r.out) + r.stderr);
    const info = (await (await fetch(`${project.ap.apiUrl}/tokeninfo?access_token=${r.out.accessToken}`)).json()) as Obj;
    assert.equal(info.email, SA('tasks-invoker'));
    assert.deepEqual([claimsOf(r.out.idToken).aud, claimsOf(r.out.idToken).email], [SERVICE_URL, SA('tasks-invoker')]);
    assert.deepEqual(await project.call(r.out.idToken), { status: 200, denial: null });
  });

  it('id_token.verify_token against authplane\'s certs URL: authplane\'s ID tokens verify, and the audience is checked', async () => {
    const token = await project.ap.platform.identity.mintIdToken((await project.ap.platform.identity.findServiceAccount(SA('tasks-invoker')))!, { audience: SERVICE_URL, includeEmail: true });
    const r = await step('verify', { TOKEN: token });
    assert.equal(r.code, 0, JSON.stringify(r.out) + r.stderr);
    assert.deepEqual([r.out.claims.aud, r.out.claims.email, r.out.claims.iss], [SERVICE_URL, SA('tasks-invoker'), 'https://accounts.google.com']);
    assert.match(r.out.wrongAudience, /Token has wrong audience/);
  });
});
