// The real gcloud (Google Cloud CLI at /usr/bin/gcloud) reading authplane's logs: `gcloud logging read`
// with a private configuration — core/project, api_endpoint_overrides/logging pointed at the API port,
// and an authplane access token through auth/access_token_file. Skipped, loudly, only when gcloud is absent.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLoggingScenario, type LoggingScenario } from './support/logging-scenario.js';

const GCLOUD = '/usr/bin/gcloud';
const skip = existsSync(GCLOUD) ? false : `SKIPPED: ${GCLOUD} is absent, so the real gcloud cannot be tried against authplane`;
if (skip) console.warn(`\n*** logging-gcloud.test: ${skip} ***\n`);

describe('gcloud logging read against authplane', { skip }, () => {
  let s: LoggingScenario;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  // Asynchronously: authplane answers from this process while gcloud waits.
  const gcloud = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(GCLOUD, args, { env, timeout: 90_000, encoding: 'utf8' }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });

  before(async () => {
    s = await startLoggingScenario();
    dir = mkdtempSync(join(tmpdir(), 'authplane-gcloud-'));
    const config = join(dir, 'config');
    mkdirSync(join(config, 'configurations'), { recursive: true });
    const tokenFile = join(dir, 'access-token');
    // The default principal's access token, as authplane's token endpoint would issue it.
    writeFileSync(tokenFile, (await s.ap.platform.identity.mintAccessToken('user:developer@example.com')).token);
    writeFileSync(join(config, 'active_config'), 'default');
    writeFileSync(
      join(config, 'configurations', 'config_default'),
      [
        '[core]',
        'project = demo-project',
        'disable_usage_reporting = True',
        'check_gce_metadata = False',
        '[api_endpoint_overrides]',
        `logging = ${s.ap.apiUrl}/`,
        '[auth]',
        `access_token_file = ${tokenFile}`,
        '[component_manager]',
        'disable_update_check = True',
        '',
      ].join('\n'),
    );
    env = { PATH: process.env.PATH, HOME: dir, CLOUDSDK_CONFIG: config, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' };
  });
  after(async () => {
    await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('returns the 403s just caused, newest first, as Cloud Run request logs', async () => {
    const r = await gcloud('logging', 'read', 'resource.type=cloud_run_revision AND httpRequest.status=403', '--limit=10', '--format=json');
    assert.equal(r.code, 0, r.stderr);
    const entries = JSON.parse(r.stdout) as { logName: string; severity: string; httpRequest: { status: number; requestUrl: string }; labels: Record<string, string>; textPayload?: string }[];
    assert.deepEqual(
      entries.map((e) => e.labels['authplane.dev/request-id']),
      [s.ids.noRole, s.ids.noToken],
    );
    for (const e of entries) {
      assert.equal(e.logName, 'projects/demo-project/logs/run.googleapis.com%2Frequests');
      assert.equal(e.severity, 'WARNING');
      assert.equal(e.httpRequest.status, 403);
    }
    assert.deepEqual(
      entries.map((e) => e.labels['authplane.dev/denial']),
      ['PERMISSION_DENIED', 'TOKEN_MISSING'],
    );
    assert.equal(entries[1]!.httpRequest.requestUrl, `${s.updateUrl}/v1/update?taskId=42`);
    assert.match(entries[1]!.textPayload!, /^The request was not authenticated\./);
  });

  it('prints Google\'s INVALID_ARGUMENT for a filter it cannot parse, with the position in the filter gcloud sent', async () => {
    const r = await gcloud('logging', 'read', 'resource.type=', '--limit=10');
    assert.equal(r.code, 1);
    // gcloud sends `timestamp>="YYYY-MM-DDTHH:MM:SS.ffffffZ" AND ` (45 characters) before the filter.
    assert.match(r.stderr, /^ERROR: \(gcloud\.logging\.read\) INVALID_ARGUMENT: Unparseable filter: syntax error at line 1, column 60, token '<EOF>'$/m);
    assert.doesNotMatch(r.stderr, /fieldViolations/);
  });
});
