// gcloud as users type it, against authplane: a private CLOUDSDK_CONFIG whose api_endpoint_overrides/cloudscheduler
// points at the API port, and an authplane access token in --access-token-file. `gcloud scheduler jobs create http
// … --oidc-service-account-email=… --http-method=PUT --message-body=…` creates the job (gcloud fills in the
// retryConfig defaults and timeZone Etc/UTC itself), `jobs run` runs it: the service receives the PUT with the
// body and a Google-signed ID token. Skipped, saying so, only when /usr/bin/gcloud is absent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from '../src/lib/jwt.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { waitFor } from './support/wait.js';

const GCLOUD = '/usr/bin/gcloud';
const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';
const SA = 'job-invoker@demo-project.iam.gserviceaccount.com';

function gcloud(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(GCLOUD, args, { env, timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('gcloud scheduler against authplane', { skip: existsSync(GCLOUD) ? false : `${GCLOUD} is absent: the gcloud scheduler test did not run` }, () => {
  let ap: TestAuthplane;
  let server: Server;
  const dir = mkdtempSync(join(tmpdir(), 'authplane-gcloud-'));
  const received: { method: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ method: req.method!, headers: req.headers, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ap = await startTestAuthplane({
      serviceAccounts: [{ name: 'job-invoker' }, { name: 'update-runtime' }],
      services: [{ name: 'update', upstream: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, serviceAccount: 'update-runtime' }],
      iam: { bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: ['serviceAccount:job-invoker'] }] },
    });
    // The developer's access token, as `gcloud auth print-access-token` would hold it.
    const grant = await ap.platform.identity.mintAccessToken('user:developer@example.com', ['https://www.googleapis.com/auth/cloud-platform']);
    writeFileSync(join(dir, 'token'), grant.token);
    const config = join(dir, 'gcloud');
    mkdirSync(join(config, 'configurations'), { recursive: true });
    writeFileSync(join(config, 'active_config'), 'default'); // no newline: gcloud reads it verbatim
    writeFileSync(
      join(config, 'configurations', 'config_default'),
      [
        '[core]',
        'project = demo-project',
        'disable_usage_reporting = true',
        'check_gce_metadata = false',
        '[component_manager]',
        'disable_update_check = true',
        '[api_endpoint_overrides]',
        `cloudscheduler = ${ap.apiUrl}/`,
        '',
      ].join('\n'),
    );
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      CLOUDSDK_CONFIG: config,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      // gcloud probes its metadata server even so: a closed loopback port, never metadata.google.internal.
      GCE_METADATA_ROOT: '127.0.0.1:9',
    };
  });
  after(async () => {
    await ap?.stop();
    await new Promise<void>((r) => server?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('gcloud scheduler jobs create http … --oidc-service-account-email, then jobs run: a PUT with the body and an ID token', async () => {
    const token = `--access-token-file=${join(dir, 'token')}`;
    const created = await gcloud(
      ['scheduler', 'jobs', 'create', 'http', 'nightly', '--location=us-central1', '--schedule=0 3 * * *', `--uri=${SERVICE_URL}/`, `--oidc-service-account-email=${SA}`, '--http-method=PUT', '--message-body={"x":1}', token, '--format=json'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const job = JSON.parse(created.stdout) as { name: string; state: string; timeZone: string; httpTarget: { httpMethod: string; oidcToken: { serviceAccountEmail: string } }; retryConfig: { minBackoffDuration: string } };
    assert.equal(job.name, 'projects/demo-project/locations/us-central1/jobs/nightly');
    assert.deepEqual([job.state, job.timeZone, job.httpTarget.httpMethod, job.httpTarget.oidcToken.serviceAccountEmail, job.retryConfig.minBackoffDuration], ['ENABLED', 'Etc/UTC', 'PUT', SA, '5s']);

    const ran = await gcloud(['scheduler', 'jobs', 'run', 'nightly', '--location=us-central1', token], env);
    assert.equal(ran.code, 0, ran.stderr);
    await waitFor('the service to receive the run', () => received.length > 0);
    assert.equal(received.length, 1, 'the service received the run once');
    const r = received[0]!;
    assert.deepEqual([r.method, r.body, r.headers['user-agent'], r.headers['x-cloudscheduler-jobname']], ['PUT', '{"x":1}', 'Google-Cloud-Scheduler', 'nightly']);
    const claims = decodeJwt(String(r.headers.authorization).replace(/^Bearer /, ''))!.claims;
    assert.deepEqual([claims.aud, claims.email], [`${SERVICE_URL}/`, SA]);

    // And a refusal as gcloud prints it: a job whose account the developer may not act as is not created.
    const denied = await gcloud(
      ['scheduler', 'jobs', 'create', 'http', 'other', '--location=us-central1', '--schedule=0 3 * * *', `--uri=${SERVICE_URL}/`, '--oidc-service-account-email=nobody@demo-project.iam.gserviceaccount.com', token],
      env,
    );
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /PERMISSION_DENIED: The principal \(user or service account\) lacks IAM permission "iam\.serviceAccounts\.actAs"/);
  });
});
