// The README as a test: every tour's shell block runs as written, in README order, against a fresh demo started
// with the real CLI, and each command's documented outcome (`# … → STATUS CODE`, test/support/readme-tour.ts) is
// checked against what it printed. A README change that breaks a tour fails here. readme-tours-reverse.test.ts
// runs them again in reverse order, twice over on one demo: no tour depends on another, or on running once; the
// tours that run gcloud have their own file, readme-tours-gcloud.test.ts (files run side by side).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needsGcloud, README, ROOT, startReadmeDemo, TOURS, type ReadmeDemo } from './support/readme-demo.js';

describe('README tours, as written, in README order, against a fresh demo', () => {
  let demo: ReadmeDemo;
  before(async () => (demo = await startReadmeDemo()));
  after(() => demo?.stop());

  it('the README has its tours, and every command in them documents its outcome', () => {
    assert.ok(TOURS.length >= 8, `tours found: ${TOURS.map((t) => t.title).join(', ')}`);
    for (const t of TOURS) assert.ok(t.steps.some((s) => s.expect), `${t.title} checks something`);
  });

  it('every authplane command in the README is `npx authplane`', () => {
    const bare = README.split('\n').flatMap((l, i) => (/(^|[;&|(]\s*|\$\(|`)authplane\s+(start|token|explain|invoke|iam|tasks|scheduler|pubsub|logs|reset|gcloud)\b/.test(l) ? [`README.md:${i + 1}: ${l.trim()}`] : []));
    assert.deepEqual(bare, []);
  });

  for (const tour of TOURS.filter((t) => !needsGcloud(t))) it(`${tour.title} (README line ${tour.line})`, () => demo.run(tour));
});

describe('npx authplane', () => {
  it('runs this package\'s bin, which is executable, and --version prints the package version', () => {
    const bin = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { authplane: string } }).bin.authplane);
    assert.ok((statSync(bin).mode & 0o111) !== 0, `${bin} is executable`);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const out = execFileSync('npx', ['--no-install', 'authplane', '--version'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
    assert.equal(out.trim(), version);
  });
});
