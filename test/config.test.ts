// Config validation: every problem names its YAML path, what was wrong and the fix; a bad config
// makes `authplane start` exit 78 (EX_CONFIG) before anything listens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile, validateConfig } from '../src/config/load.js';
import { ConfigError, type ConfigProblem } from '../src/config/schema-dsl.js';
import { freePort, isListening, runCli } from './support/cli.js';

/** The problems validateConfig reports for `raw` (fails if it accepts it). */
function problemsOf(raw: unknown): ConfigProblem[] {
  try {
    validateConfig(raw, 'test.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e.problems;
  }
  assert.fail('the config was accepted');
}

function assertProblem(problems: ConfigProblem[], path: string, problem: RegExp, fix: RegExp): void {
  const p = problems.find((x) => x.path === path);
  assert.ok(p, `no problem reported at ${path}; got ${JSON.stringify(problems, null, 2)}`);
  assert.match(p.problem, problem);
  assert.match(p.fix, fix);
}

const SA = { serviceAccounts: [{ name: 'tasks-invoker' }] };

describe('validateConfig', () => {
  it('an empty config is the defaults', () => {
    const c = validateConfig({});
    assert.deepEqual(c.project, { id: 'demo-project', number: '123456789012', region: 'us-central1', pubsubServiceAgentNeedsTokenCreator: false });
    assert.deepEqual(c.server, { host: '127.0.0.1', apiPort: 8930, grpcPort: 8123, workers: 1 });
    assert.equal(c.defaultPrincipal, 'user:developer@example.com');
    assert.deepEqual(c.iam.propagation, { minMs: 0, maxMs: 0, frontEnds: 8 });
    assert.deepEqual(c.iam.bindings, []);
    assert.equal(c.tasks.nameReuseWindowMs, 3_600_000);
  });

  it('parses durations, resolves short service account names and normalises binding resources', () => {
    const c = validateConfig({
      ...SA,
      defaultPrincipal: 'none',
      iam: {
        propagation: { min: '500ms', max: '2m' },
        bindings: [{ resource: 'serviceAccounts/tasks-invoker', role: 'roles/iam.serviceAccountTokenCreator', members: ['serviceAccount:tasks-invoker', 'user:alice@example.com'] }],
      },
      workloads: [{ name: 'scheduler', serviceAccount: 'tasks-invoker' }],
    });
    assert.equal(c.defaultPrincipal, null);
    assert.equal(c.iam.propagation.minMs, 500);
    assert.equal(c.iam.propagation.maxMs, 120_000);
    assert.deepEqual(c.iam.bindings, [
      {
        resource: 'serviceAccounts/tasks-invoker@demo-project.iam.gserviceaccount.com',
        role: 'roles/iam.serviceAccountTokenCreator',
        members: ['serviceAccount:tasks-invoker@demo-project.iam.gserviceaccount.com', 'user:alice@example.com'],
      },
    ]);
    assert.equal(c.workloads[0]!.serviceAccount, 'tasks-invoker@demo-project.iam.gserviceaccount.com');
    assert.equal(c.workloads[0]!.metadataPort, 0);
  });

  it('an unknown key names its path and suggests the key meant', () => {
    assertProblem(problemsOf({ servicAccounts: [] }), 'servicAccounts', /unknown key/, /did you mean "serviceAccounts"/);
    assertProblem(problemsOf({ server: { apiprot: 1 } }), 'server.apiprot', /unknown key/, /did you mean "apiPort"/);
    // Nothing close: the fix lists the allowed keys instead.
    assertProblem(problemsOf({ server: { zzzzzzzzzz: 1 } }), 'server.zzzzzzzzzz', /unknown key/, /remove it; allowed keys: host, apiPort, grpcPort/);
  });

  it('a wrong type names the path, what it got and what to write', () => {
    assertProblem(problemsOf({ server: { apiPort: 'eighty' } }), 'server.apiPort', /expected a whole number, got string "eighty"/, /write a number/);
    assertProblem(problemsOf({ serviceAccounts: { name: 'x' } }), 'serviceAccounts', /expected a list, got a mapping/, /YAML list/);
    assertProblem(problemsOf({ services: [{ name: 'update', command: 'node x.js', invokerIamCheck: 'yes' }] }), 'services[0].invokerIamCheck', /expected true or false/, /true or false/);
    assertProblem(problemsOf({ server: { apiPort: 70000 } }), 'server.apiPort', /70000 is out of range/, /0 to 65535/);
  });

  it('vpc.cidrs must be address ranges (checked before anything listens)', () => {
    const problems = problemsOf({ vpc: { cidrs: ['10.8.0.0/16', '10.0.0.0/33', 'nonsense'] } });
    assertProblem(problems, 'vpc.cidrs[1]', /"10\.0\.0\.0\/33" is not an address range/, /CIDR such as 10\.8\.0\.0\/16/);
    assertProblem(problems, 'vpc.cidrs[2]', /"nonsense" is not an address range/, /CIDR/);
    assert.equal(problems.length, 2);
  });

  it('an unknown service account in a binding names the member and how to declare it', () => {
    const problems = problemsOf({
      ...SA,
      iam: { bindings: [{ resource: 'projects/demo-project', role: 'roles/run.invoker', members: ['serviceAccount:ghost-account'] }] },
    });
    assertProblem(problems, 'iam.bindings[0].members[0]', /service account ghost-account is not declared/, /add "- \{ name: ghost-account \}" under serviceAccounts/);
  });

  it('bindings: unknown resource, unknown role and malformed member', () => {
    const problems = problemsOf({
      ...SA,
      iam: {
        bindings: [
          { resource: 'services/nope', role: 'roles/run.invoker', members: ['user:a@example.com'] },
          { resource: 'projects/demo-project', role: 'roles/run.invokr', members: ['user:a@example.com'] },
          { resource: 'projects/demo-project', role: 'roles/viewer', members: ['alice@example.com'] },
        ],
      },
    });
    assertProblem(problems, 'iam.bindings[0].resource', /services\/nope is not a resource of this config/, /use one of: projects\/demo-project/);
    assertProblem(problems, 'iam.bindings[1].role', /roles\/run.invokr is not a role authplane knows/, /role catalog/);
    assertProblem(problems, 'iam.bindings[2].members[0]', /"alice@example.com" is not a member/, /user:EMAIL/);
  });

  it("bindings: members setIamPolicy refuses are config errors in Google's words, with the fix", () => {
    const problems = problemsOf({
      ...SA,
      iam: {
        bindings: [
          {
            resource: 'projects/demo-project',
            role: 'roles/viewer',
            members: ['user:bob', 'group:x', 'user:bob@', 'domain:not a domain', 'user:tasks-invoker@demo-project.iam.gserviceaccount.com', 'user:bob@example.com', 'domain:example.com'],
          },
        ],
      },
    });
    const at = (j: number) => `iam.bindings[0].members[${j}]`;
    assertProblem(problems, at(0), /User bob does not exist\./, /user:bob@example\.com/);
    assertProblem(problems, at(1), /Group x does not exist\./, /group:bob@example\.com/);
    assertProblem(problems, at(2), /User bob@ does not exist\./, /whole email address/);
    assertProblem(problems, at(3), /Domain not a domain does not exist\./, /domain:example\.com/);
    assertProblem(problems, at(4), /is of type "serviceAccount"/, /serviceAccount:tasks-invoker@demo-project\.iam\.gserviceaccount\.com/);
    assert.ok(!problems.some((p) => p.path === at(5) || p.path === at(6)), JSON.stringify(problems));
  });

  it('queues: a minBackoff longer than maxBackoff, which CreateQueue refuses, names its path', () => {
    const problems = problemsOf({ queues: [{ name: 'ok' }, { name: 'upside-down', retryConfig: { minBackoff: '10s', maxBackoff: '1s' } }] });
    assertProblem(problems, 'queues[1].retryConfig.minBackoff', /10s is longer than maxBackoff \(1s\).*min_backoff \(10s\) must not be greater than max_backoff \(1s\)/, /minBackoff ≤ maxBackoff/);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    // Equal is allowed (Google: "must not be greater").
    validateConfig({ queues: [{ name: 'flat', retryConfig: { minBackoff: '5s', maxBackoff: '5s' } }] });
  });

  it('a port used twice names both places', () => {
    const problems = problemsOf({ ...SA, server: { apiPort: 9100 }, workloads: [{ name: 'scheduler', serviceAccount: 'tasks-invoker', metadataPort: 9100 }] });
    assertProblem(problems, 'workloads[0].metadataPort', /port 9100 is also used by server.apiPort/, /its own port, or 0/);
  });

  it('services[].startupTimeout: a duration from 1s to 1h, default 30s', () => {
    const svc = (extra: Record<string, unknown>) => ({ services: [{ name: 'update', command: 'node x.js', ...extra }] });
    assert.equal(validateConfig(svc({})).services[0]!.startupTimeoutMs, 30_000);
    assert.equal(validateConfig(svc({ startupTimeout: '2m' })).services[0]!.startupTimeoutMs, 120_000);
    assertProblem(problemsOf(svc({ startupTimeout: 30 })), 'services[0].startupTimeout', /expected a duration, got number 30/, /with a unit/);
    assertProblem(problemsOf(svc({ startupTimeout: '500ms' })), 'services[0].startupTimeout', /500ms is out of range/, /from 1s to 3600s/);
    assertProblem(problemsOf(svc({ startupTimeout: '2h' })), 'services[0].startupTimeout', /2h is out of range/, /to 3600s/);
  });

  it('a bad duration, and max shorter than min', () => {
    assertProblem(problemsOf({ iam: { propagation: { min: '2 seconds' } } }), 'iam.propagation.min', /expected a duration, got string "2 seconds"/, /500ms, 20s, 2m or 1h/);
    assertProblem(problemsOf({ iam: { propagation: { min: '10s', max: '5s' } } }), 'iam.propagation.max', /shorter than min/, /max ≥ min/);
    assertProblem(problemsOf({ iam: { propagation: { max: 5 } } }), 'iam.propagation.max', /expected a duration, got number 5/, /with a unit/);
  });

  it('cross-checks: services need one of upstream/command, names are unique, gateways need a service account', () => {
    const problems = problemsOf({
      serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'tasks-invoker' }],
      services: [{ name: 'update' }],
      gateways: [{ name: 'edge' }],
    });
    assertProblem(problems, 'serviceAccounts[1].name', /declared twice/, /its own name/);
    assertProblem(problems, 'services[0]', /neither upstream nor command/, /upstream: http/);
    assertProblem(problems, 'gateways[0].serviceAccount', /is required/, /serviceAccount: NAME/);
  });

  it('schedulerJobs: DESIGN.md\'s example, with Google\'s defaults filled in', () => {
    const c = validateConfig({
      ...SA,
      schedulerJobs: [{ name: 'nightly', schedule: '0 3 * * *', timeZone: 'Europe/Paris', httpTarget: { uri: 'https://update-123456789012.us-central1.run.app/', oidcToken: { serviceAccountEmail: 'tasks-invoker' } } }],
    });
    assert.deepEqual(c.schedulerJobs, [
      {
        name: 'nightly',
        description: '',
        schedule: '0 3 * * *',
        timeZone: 'Europe/Paris',
        paused: false,
        httpTarget: { uri: 'https://update-123456789012.us-central1.run.app/', httpMethod: 'POST', headers: {}, oidcToken: { serviceAccountEmail: 'tasks-invoker@demo-project.iam.gserviceaccount.com' } },
        retryConfig: { retryCount: 0, maxRetryDurationMs: 0, minBackoffMs: 5_000, maxBackoffMs: 3_600_000, maxDoublings: 5 },
        attemptDeadlineMs: 180_000,
      },
    ]);
  });

  it('schedulerJobs: each problem names its path', () => {
    const job = (over: Record<string, unknown>) => ({ name: 'j', schedule: '* * * * *', httpTarget: { uri: 'https://x.example.com/' }, ...over });
    const problems = problemsOf({
      ...SA,
      schedulerJobs: [
        job({ schedule: '0 3 * *' }),
        job({ name: 'k', timeZone: 'Europe/Atlantis' }),
        job({ name: 'l', httpTarget: { uri: 'https://x.example.com/', oidcToken: { serviceAccountEmail: 'nobody' } } }),
        job({ name: 'm', retryConfig: { retryCount: 6 } }),
        job({ name: 'n', httpTarget: { uri: 'https://x.example.com/', httpMethod: 'GET', body: 'x' } }),
        job({ name: 'o', attemptDeadline: '5s' }),
        job({ name: 'o' }),
        { name: 'p', schedule: '* * * * *' },
        job({ name: 'q', schedule: '0 0 31 2 *' }),
      ],
    });
    assertProblem(problems, 'schedulerJobs[0].schedule', /not a valid unix-cron schedule/, /five fields/);
    assertProblem(problems, 'schedulerJobs[1].timeZone', /tz database/, /Europe\/Paris/);
    assertProblem(problems, 'schedulerJobs[2].httpTarget.oidcToken.serviceAccountEmail', /nobody is not declared/, /serviceAccounts/);
    assertProblem(problems, 'schedulerJobs[3].retryConfig.retryCount', /6 is out of range/, /from 0 to 5/);
    assertProblem(problems, 'schedulerJobs[4].httpTarget.body', /only allowed with POST, PUT or PATCH/, /httpMethod: POST/);
    assertProblem(problems, 'schedulerJobs[5].attemptDeadline', /out of range/, /duration/);
    assertProblem(problems, 'schedulerJobs[6].name', /declared twice/, /its own name/);
    assertProblem(problems, 'schedulerJobs[7].httpTarget', /is required/, /add httpTarget/);
    assertProblem(problems, 'schedulerJobs[8].schedule', /"0 0 31 2 \*" never runs/, /day of month that every chosen month has/);
  });

  it("pubsub: Google's defaults, push accounts by short name, and subscriptions that name undeclared topics", () => {
    const c = validateConfig({
      ...SA,
      pubsub: {
        topics: [{ name: 'orders' }, { name: 'orders-dlq' }],
        subscriptions: [
          { name: 'orders-pull', topic: 'orders' },
          {
            name: 'orders-push',
            topic: 'orders',
            pushConfig: { pushEndpoint: 'https://update-123456789012.us-central1.run.app/push', oidcToken: { serviceAccountEmail: 'tasks-invoker' } },
            deadLetterPolicy: { deadLetterTopic: 'orders-dlq' },
            expirationPolicy: {},
          },
        ],
      },
    });
    const [pull, push] = c.pubsub.subscriptions;
    assert.deepEqual([pull!.ackDeadlineSeconds, pull!.messageRetentionMs, pull!.expirationTtlMs, pull!.pushConfig], [10, 7 * 86_400_000, 31 * 86_400_000, undefined]);
    assert.equal(push!.pushConfig?.oidcToken?.serviceAccountEmail, 'tasks-invoker@demo-project.iam.gserviceaccount.com');
    assert.deepEqual(push!.deadLetterPolicy, { deadLetterTopic: 'orders-dlq', maxDeliveryAttempts: 5 });
    assert.equal(push!.expirationTtlMs, null, 'an expiration policy without ttl never expires');
    assert.deepEqual([c.pubsub.backoffMultiplier, c.pubsub.defaultPushBackoff], [2, { minMs: 100, maxMs: 60_000 }]);
    assert.throws(
      () => validateConfig({ pubsub: { topics: [{ name: 'orders' }], subscriptions: [{ name: 'x-sub', topic: 'order', ackDeadlineSeconds: 5 }] } }),
      (e: ConfigError) =>
        e.problems.some((p) => p.path === 'pubsub.subscriptions[0].topic' && /not declared/.test(p.problem) && /pubsub\.topics/.test(p.fix)) &&
        e.problems.some((p) => p.path === 'pubsub.subscriptions[0].ackDeadlineSeconds'),
    );
  });

  it('reports every problem in one run, and the message lists each with its fix', () => {
    try {
      validateConfig({ servicAccounts: [], server: { apiPort: 'x' }, iam: { propagation: { min: 'soon' } } }, 'my.yaml');
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 3);
      assert.match(e.message, /^my\.yaml: 3 problems in the config\n/);
      for (const p of e.problems) assert.ok(e.message.includes(`  ${p.path}: ${p.problem}\n    fix: ${p.fix}`));
    }
  });
});

describe('authplane start with a bad config (real CLI)', () => {
  let dir: string;
  let apiPort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authplane-config-'));
    apiPort = await freePort();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `yaml` (with the API on a fixed port), runs `authplane start --config`, checks it refused. */
  async function refuses(name: string, yaml: string): Promise<string> {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `server: { host: 127.0.0.1, apiPort: ${apiPort}, grpcPort: 0 }\n${yaml}`);
    const r = await runCli(['start', '--config', file, '--data', join(dir, `data-${name}`)]);
    assert.equal(r.code, 78, `exit code (EX_CONFIG); stderr: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /authplane ready|http:\/\//, 'nothing was announced as listening');
    assert.equal(await isListening(apiPort), false, `the API port ${apiPort} is not bound`);
    assert.match(r.stderr, new RegExp(`^authplane: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\d+ problems? in the config\\n`));
    return r.stderr;
  }

  it('an unknown key: exit 78, the path and a "did you mean"', async () => {
    const err = await refuses('unknown-key', 'servicAccounts:\n  - { name: tasks-invoker }\n');
    assert.match(err, /  servicAccounts: unknown key\n    fix: did you mean "serviceAccounts"\?/);
  });

  it('a wrong type: exit 78, the path and the fix', async () => {
    const err = await refuses('wrong-type', 'iam:\n  propagation: { frontEnds: many }\n');
    assert.match(err, /  iam\.propagation\.frontEnds: expected a whole number, got string "many"\n    fix: write a number such as 8/);
  });

  it('an unknown service account in a binding: exit 78, the path and the fix', async () => {
    const err = await refuses(
      'unknown-sa',
      'serviceAccounts: [{ name: tasks-invoker }]\niam:\n  bindings:\n    - { resource: projects/demo-project, role: roles/run.invoker, members: ["serviceAccount:ghost-account"] }\n',
    );
    assert.match(err, /  iam\.bindings\[0\]\.members\[0\]: service account ghost-account is not declared\n    fix: add "- \{ name: ghost-account \}" under serviceAccounts/);
  });

  it('a schedule that never runs (31 February): exit 78, the path and the fix', async () => {
    const err = await refuses('never-runs', 'schedulerJobs:\n  - { name: feb-31, schedule: "0 0 31 2 *", httpTarget: { uri: "https://example.com/" } }\n');
    assert.match(err, /  schedulerJobs\[0\]\.schedule: Schedule or time zone is invalid: schedule "0 0 31 2 \*" never runs[^\n]*\n    fix: Pick a day of month/);
  });

  it('a duplicate port: exit 78, naming both listeners', async () => {
    const err = await refuses('dup-port', `serviceAccounts: [{ name: tasks-invoker }]\nworkloads:\n  - { name: scheduler, serviceAccount: tasks-invoker, metadataPort: ${apiPort} }\n`);
    assert.match(err, new RegExp(`  workloads\\[0\\]\\.metadataPort: port ${apiPort} is also used by server\\.apiPort\\n    fix: `));
  });

  it('a bad duration: exit 78, with examples of good ones', async () => {
    const err = await refuses('bad-duration', 'iam:\n  propagation: { min: 2 seconds, max: 10s }\n');
    assert.match(err, /  iam\.propagation\.min: expected a duration, got string "2 seconds"\n    fix: write a number with a unit, such as 500ms/);
  });

  it('invalid YAML: exit 78 with line and column', async () => {
    const err = await refuses('bad-yaml', 'serviceAccounts:\n  - { name: tasks-invoker\n');
    // After the server line refuses() writes first, the flow map opened on line 3 is still open where the file
    // ends: line 4, column 1 (counted from 1, as editors do).
    assert.match(err, /is not valid YAML at line 4, column 1: unexpected end of the stream within a flow collection/);
    assert.match(err, /fix: fix the YAML syntax/);
  });

  it('an empty file, or one of comments only: exit 78, not an empty project on the default ports', async () => {
    for (const [name, text] of [['empty', ''], ['comments', '# nothing here yet\n']]) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, text);
      const r = await runCli(['start', '--config', file, '--data', join(dir, `data-${name}`)]);
      assert.equal(r.code, 78, `${name}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /authplane ready/);
      assert.match(r.stderr, /\(top level\): the file holds no config \(it is empty\)\n {4}fix: write the project's config/);
    }
  });

  it('a top level that is not a mapping: exit 78', async () => {
    for (const [name, text, got] of [['list', '- a\n- b\n', 'a list'], ['scalar', 'hello\n', 'string "hello"']]) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, text);
      const r = await runCli(['start', '--config', file, '--data', join(dir, `data-${name}`)]);
      assert.equal(r.code, 78, `${name}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`(top level): expected a mapping, got ${got}`), r.stderr);
    }
  });

  it('a missing file: exit 78, naming the file', async () => {
    const missing = join(dir, 'no-such.yaml');
    const r = await runCli(['start', '--config', missing, '--data', join(dir, 'data-missing')]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /cannot read the file \(ENOENT\)/);
    assert.ok(r.stderr.includes(missing));
  });

  it('loadConfigFile resolves a supervised command to run beside the config file', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'services:\n  - { name: update, command: node echo.mjs }\n');
    assert.equal(loadConfigFile(file).services[0]!.cwd, dir);
  });
});
