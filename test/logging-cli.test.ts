// `authplane logs` end to end: the real CLI as a child process against a running authplane after real
// refusals (test/support/logging-scenario.ts).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from './support/cli.js';
import { startLoggingScenario, type LoggingScenario } from './support/logging-scenario.js';

describe('authplane logs', () => {
  let s: LoggingScenario;
  const logs = (...args: string[]) => runCli(['logs', ...args], { env: { AUTHPLANE_URL: s.ap.apiUrl } });

  before(async () => {
    s = await startLoggingScenario();
  });
  after(async () => {
    await s?.stop();
  });

  it('prints one line per entry, newest first, with the explanation and the fix under each refusal', async () => {
    const r = await logs('resource.type=cloud_run_revision AND httpRequest.status=403');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const heads = lines.filter((l) => !l.startsWith('    '));
    assert.equal(heads.length, 2);
    assert.match(heads[0]!, /^\S+Z\s+WARNING\s+cloud_run_revision\/update\s+403\s+PERMISSION_DENIED\s+GET https:\/\/update-123456789012\.us-central1\.run\.app\/$/);
    assert.match(heads[1]!, /^\S+Z\s+WARNING\s+cloud_run_revision\/update\s+403\s+TOKEN_MISSING\s+GET https:\/\/update-123456789012\.us-central1\.run\.app\/v1\/update\?taskId=42$/);
    assert.ok(heads[0]! > heads[1]!, 'newest first');
    assert.equal(lines.filter((l) => l.startsWith('    why: ')).length, 2);
    assert.equal(lines.filter((l) => l.startsWith('    fix: ')).length, 2);
    assert.ok(lines.some((l) => /^ {4}fix: .*roles\/run\.invoker/.test(l)));
  });

  it('shows audit entries by method, limits, orders oldest first, and prints JSON', async () => {
    const audit = await logs('logName:cloudaudit', '--limit', '1');
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /ERROR\s+audited_resource\/iamcredentials\.googleapis\.com\s+PERMISSION_DENIED\s+IMPERSONATION_DENIED\s+GenerateIdToken projects\/-\/serviceAccounts\/tasks-invoker@/);

    const asc = await logs('', '--order', 'asc', '--limit', '2', '--json');
    assert.equal(asc.code, 0, asc.stderr);
    const entries = JSON.parse(asc.stdout) as { labels: Record<string, string> }[];
    assert.deepEqual(
      entries.map((e) => e.labels['authplane.dev/request-id']),
      [s.ids.noToken, s.ids.wrongAudience],
    );

    const none = await logs('unicorn');
    assert.equal(none.code, 0);
    assert.equal(none.stdout.trim(), '(no entries match)');
  });

  it('reports a filter it cannot parse with Google\'s words and the position, and fails', async () => {
    const r = await logs('severity>=WARNING AND');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /400: Unparseable filter: syntax error at line 1, column 22, token '<EOF>' \[INVALID_ARGUMENT\]/);
    // The fix is about the filter's syntax, not the REST-body advice of INVALID_ARGUMENT in general.
    assert.match(r.stderr, /fix: Correct the filter at line 1, column 22/);
    assert.doesNotMatch(r.stderr, /proto3 JSON/);
  });

  it('has --help with an example, and refuses bad options', async () => {
    const help = await logs('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: authplane logs \[FILTER\]/);
    assert.match(help.stdout, /authplane logs 'resource\.type=cloud_run_revision AND httpRequest\.status>=400'/);
    assert.equal((await logs('--limit', '0')).code, 2);
    assert.equal((await logs('--order', 'sideways')).code, 2);
    assert.equal((await logs('a=1', 'b=2')).code, 2);
    assert.equal((await logs('--frobnicate')).code, 2);
  });
});
