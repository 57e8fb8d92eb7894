// What a fresh user met on the real CLI: a flag that does not apply beside another is refused (exit 2, naming
// both) instead of silently ignored; a refused --as names the flag and says how to declare the account (not
// the REST-body advice); `pubsub deliveries` answers Google's NOT_FOUND for a subscription or message that does
// not exist (with --wait too, at once) and prints each refused attempt with its explanation, fix and request id,
// as `tasks attempts` does.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testConfig } from './support/authplane.js';
import { runCli, startCli, type StartedCli } from './support/cli.js';
import { until } from './support/until.js';

const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';
const SA = (name: string) => `${name}@demo-project.iam.gserviceaccount.com`;

describe('the CLI as a fresh user meets it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-cli-fresh-'));
  let ap: StartedCli;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, { env, cwd: dir });

  before(async () => {
    const config = join(dir, 'authplane.yaml');
    writeFileSync(
      config,
      JSON.stringify(
        testConfig({
          serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'push-no-role' }],
          services: [{ name: 'update', upstream: 'http://127.0.0.1:9' }],
          pubsub: {
            topics: [{ name: 'orders' }],
            subscriptions: [{ name: 'orders-refused', topic: 'orders', pushConfig: { pushEndpoint: `${SERVICE_URL}/push`, oidcToken: { serviceAccountEmail: SA('push-no-role'), audience: SERVICE_URL } } }],
          },
        }),
      ),
    );
    ap = await startCli(['--config', config, '--data', join(dir, 'data')]);
    env = { AUTHPLANE_URL: ap.url('api') };
  });
  after(async () => {
    await ap?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const usage = (r: { code: number | null; stderr: string }, verb: string, ...flags: string[]) => {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^authplane ${verb}: `));
    for (const f of flags) assert.ok(r.stderr.includes(f), `names ${f}: ${r.stderr}`);
  };

  it('flags that do not apply together are refused, naming both', async () => {
    usage(await cli('token', '--impersonate', 'tasks-invoker', '--access-token', '--audience', 'x', '--include-email'), 'token', '--access-token', '--audience');
    usage(await cli('token', '--impersonate', 'tasks-invoker', '--access-token', '--include-email'), 'token', '--access-token', '--include-email');
    usage(await cli('token', '--impersonate', 'tasks-invoker', '--scopes', 'openid'), 'token', '--scopes', '--access-token');
    usage(await cli('invoke', '--impersonate', 'tasks-invoker', '--access-token', '--audience', 'x', `${SERVICE_URL}/`), 'invoke', '--access-token', '--audience');
    usage(await cli('tasks', 'queues', '--wait'), 'tasks', '--wait', 'queues');
    usage(await cli('tasks', 'attempts', 'q', 't', '--timeout', '5'), 'tasks', '--timeout', '--wait');
    usage(await cli('scheduler', 'attempts', 'j', '--wait'), 'scheduler', '--wait', 'attempts');
    usage(await cli('pubsub', 'publish', 'orders', 'x', '--message', '1'), 'pubsub', '--message', 'publish');
    usage(await cli('pubsub', 'deliveries', 'orders-refused', '--attribute', 'a=b'), 'pubsub', '--attribute', 'deliveries');
    usage(await cli('explain', '--job', 'j', '--internal'), 'explain', '--job', '--internal');
  });

  it('gcloud --as an unknown account names --as and how to declare it, not REST-body advice', async () => {
    const r = await cli('gcloud', '--as', 'nobody', '--dir', join(dir, 'gcloud'), '--gcloud', '/bin/false');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /--as nobody: Service account nobody@demo-project\.iam\.gserviceaccount\.com does not exist\./);
    assert.match(r.stderr, /fix: Declare the account under serviceAccounts: in authplane\.yaml, or check the name: this authplane's service accounts are .*\btasks-invoker\b/);
    assert.doesNotMatch(r.stderr, /proto3|REST bodies/);
    const user = await cli('gcloud', '--as', 'nobody@example.com', '--dir', join(dir, 'gcloud'), '--gcloud', '/bin/false');
    assert.match(user.stderr, /--as nobody@example\.com: .*\n\s+fix: Declare it under users: in authplane\.yaml/);
    assert.doesNotMatch(user.stderr, /proto3|REST bodies/);
    // An ID token's empty audience is the flag's fault too.
    const aud = await cli('token', '--impersonate', 'tasks-invoker', '--audience', '');
    assert.doesNotMatch(aud.stderr, /proto3|REST bodies/);
  });

  it('pubsub deliveries of an unknown subscription or message: NOT_FOUND, non-zero, also with --wait', async () => {
    for (const args of [['nope'], ['nope', '--wait'], ['orders-refused', '--message', '999999'], ['orders-refused', '--message', '999999', '--wait']]) {
      const r = await cli('pubsub', 'deliveries', ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /404: .*\[RESOURCE_NOT_FOUND\]\n\s+why: .*\n\s+fix: /, args.join(' '));
    }
    assert.match((await cli('pubsub', 'deliveries', 'nope')).stderr, /Resource not found \(resource=nope\)\./);
  });

  it('pubsub deliveries prints each refusal with its explanation, fix and request id, as tasks attempts does', async () => {
    const published = await cli('pubsub', 'publish', 'orders', 'hello');
    assert.equal(published.code, 0, published.stderr);
    const id = published.stdout.trim();
    const r = await until(async () => {
      const d = await cli('pubsub', 'deliveries', 'orders-refused', '--message', id);
      return /#1 /.test(d.stdout) ? d : undefined;
    }, 'the first push attempt');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`message ${id} → orders-refused \\(waiting\\)`));
    assert.match(r.stdout, /#1 .* 403 .* PERMISSION_DENIED: \S/, 'the code with its summary');
    assert.match(r.stdout, /\n\s+why: \S.*\n\s+fix: \S.*\n\s+request: \S+/);
    // --wait is bounded: the refused message keeps waiting.
    const waited = await cli('pubsub', 'deliveries', 'orders-refused', '--message', id, '--wait', '--timeout', '1');
    assert.equal(waited.code, 1);
    assert.match(waited.stderr, new RegExp(`message ${id} still waits in orders-refused after 1 s`));
  });
});
