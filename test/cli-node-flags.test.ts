// The node flags the server runs with (src/cli/main.ts's exec line: a larger young generation) reach every way
// authplane is started: the bin run as a program (what `npx authplane` runs), `npm start`, and the tests'
// startCli. A flag in only one of them would make the figures the bench prints differ from what users get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_MAIN, nodeFlagsOf } from './support/cli.js';

const flags = nodeFlagsOf(CLI_MAIN);

test('the bin starts node with its flags when run as a program', () => {
  assert.ok(flags.includes('--max-semi-space-size=64'), `flags read from the bin: ${flags.join(' ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'authplane-node-flags-'));
  try {
    // A preloaded file reports the flags node itself was given.
    const report = join(dir, 'report.cjs');
    writeFileSync(report, `process.stderr.write('execArgv=' + JSON.stringify(process.execArgv) + '\\n');`);
    const r = spawnSync(CLI_MAIN, ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${report}` }, timeout: 15_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    const execArgv = JSON.parse(/execArgv=(.*)/.exec(r.stderr)![1]!) as string[];
    assert.deepEqual(execArgv, flags);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start passes the same flags', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { bin: { authplane: string }; scripts: { start: string } };
  // The bin (dist/bin/main.js), the file the tests' startCli runs.
  assert.equal(join(fileURLToPath(new URL('../../', import.meta.url)), pkg.bin.authplane), CLI_MAIN);
  assert.ok(pkg.scripts.start.endsWith(`node ${flags.join(' ')} ${pkg.bin.authplane} start`), pkg.scripts.start);
});
