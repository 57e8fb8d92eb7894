// Every CLI verb explains itself (--help with an example, exit 0), offers --json, and refuses an option it does
// not know in one line with exit 2; `authplane --version` prints the package's version.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COMMANDS } from '../src/cli/commands.js';
import { runCli } from './support/cli.js';

describe('CLI verbs', () => {
  it('authplane --version prints the package version', async () => {
    const r = await runCli(['--version']);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  for (const verb of Object.keys(COMMANDS)) {
    it(`${verb}: --help shows --json and an example; an unknown option is one line, exit 2`, async () => {
      const help = await runCli([verb, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /--json/);
      assert.match(help.stdout, /\bexamples?:\n\s+authplane /);
      const bad = await runCli([verb, '--no-such-option']);
      assert.equal(bad.code, 2, `${bad.stdout}${bad.stderr}`);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, new RegExp(`^authplane ${verb}: `));
    });
  }
});
