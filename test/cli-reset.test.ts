// `authplane reset` and the demo's fresh start, with the real CLI: reset empties authplane's files from a data
// directory and nothing else, refuses while an authplane runs on it (the SQLite ownership lock), and the demo
// started without --config and --data forgets a change at its next start, while with --data it keeps it.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installWithDemoOnFreePorts, runCli, startCli } from './support/cli.js';

/** A project on any free ports (0): nothing another test holds can stop it from starting. */
const CONFIG = `project: { id: demo-project, number: "123456789012", region: us-central1 }
server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }
defaultPrincipal: user:developer@example.com
serviceAccounts: [ { name: tasks-no-role }, { name: runtime } ]
services: [ { name: update, upstream: "http://127.0.0.1:9", serviceAccount: runtime } ]
`;

const BINDING = { resource: 'services/update', role: 'roles/run.invoker', member: 'serviceAccount:tasks-no-role@demo-project.iam.gserviceaccount.com' };

async function grant(api: string): Promise<void> {
  const r = await fetch(`${api}/admin/v1/iam:addBinding`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BINDING) });
  assert.equal(r.status, 200, await r.text());
}

async function granted(api: string): Promise<boolean> {
  const policy = (await (await fetch(`${api}/admin/v1/iam/services/update`)).json()) as { bindings: { role: string; members: string[] }[] };
  return policy.bindings.some((b) => b.role === BINDING.role && b.members.includes(BINDING.member));
}

describe('authplane reset', () => {
  let dir: string;
  before(() => void (dir = mkdtempSync(join(tmpdir(), 'authplane-reset-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('empties authplane\'s files and keeps the rest; refuses while an authplane runs on the directory', async () => {
    const config = join(dir, 'authplane.yaml');
    writeFileSync(config, CONFIG);
    const data = join(dir, 'data');
    const running = await startCli(['--config', config, '--data', data], { cwd: dir });
    try {
      await grant(running.url('api'));
      writeFileSync(join(data, 'notes.txt'), 'mine');
      const refused = await runCli(['reset', '--data', data], { cwd: dir });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, new RegExp(`in use by authplane pid ${running.pid}`));
      assert.ok(existsSync(join(data, 'authplane.db')), 'nothing was removed');
    } finally {
      await running.stop();
    }
    const reset = await runCli(['reset', '--data', data, '--json'], { cwd: dir });
    assert.equal(reset.code, 0, reset.stderr);
    const result = JSON.parse(reset.stdout) as { removed: string[]; kept: string[] };
    assert.ok(result.removed.includes('authplane.db') && result.removed.includes('requests.log'), reset.stdout);
    assert.deepEqual(result.kept, ['notes.txt']);
    assert.deepEqual(readdirSync(data).filter((f) => !f.startsWith('authplane.db.')).sort(), ['notes.txt']);

    // The next start is from the config: the binding made before the reset is gone.
    const again = await startCli(['--config', config, '--data', data], { cwd: dir });
    try {
      assert.equal(await granted(again.url('api')), false);
    } finally {
      await again.stop();
    }
  });

  it('a directory without authplane\'s files: nothing to reset, and nothing left behind in it', async () => {
    const other = join(dir, 'not-data');
    mkdirSync(other);
    writeFileSync(join(other, 'authplane.yaml'), CONFIG);
    const r = await runCli(['reset', '--data', other], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to reset/);
    assert.deepEqual(readdirSync(other), ['authplane.yaml']);
  });

  it('refuses arguments it does not know, in one line, exit 2', async () => {
    const r = await runCli(['reset', '--dtaa', dir]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});

// The demo as users start it (no --config, no --data) reads the package's demo/authplane.yaml: here a copy of this
// build whose demo is on free ports, so a running demo or anything else on the demo's ports cannot stop the test.
describe('the demo without --config and --data', () => {
  let cwd: string;
  let cliMain: string;
  let apiPort: number;
  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'authplane-demo-'));
    const installed = await installWithDemoOnFreePorts(join(cwd, 'package'));
    cliMain = installed.cliMain;
    apiPort = installed.ports[0]!;
  });
  after(() => rmSync(cwd, { recursive: true, force: true }));

  it('starts from its config every time, says where its state lives; with --data the state is kept', async () => {
    let demo = await startCli([], { cwd, cliMain });
    try {
      assert.equal(new URL(demo.url('api')).port, String(apiPort), 'the demo of the package it runs from');
      assert.match(demo.stdout(), /the demo project, started from its config: state in .*\.authplane\/demo \(emptied at every start; --data DIR keeps state\)/);
      await grant(demo.url('api'));
      assert.equal(await granted(demo.url('api')), true);
    } finally {
      await demo.stop();
    }
    demo = await startCli([], { cwd, cliMain });
    try {
      assert.equal(await granted(demo.url('api')), false, 'the change made before the restart is gone');
    } finally {
      await demo.stop();
    }
    const data = join(cwd, 'kept');
    demo = await startCli(['--data', data], { cwd, cliMain });
    try {
      await grant(demo.url('api'));
    } finally {
      await demo.stop();
    }
    demo = await startCli(['--data', data], { cwd, cliMain });
    try {
      assert.equal(await granted(demo.url('api')), true, 'with --data the change survives the restart');
    } finally {
      await demo.stop();
    }
  });
});
