// Go services' own Cloud Tasks code against authplane: test/fixtures/go's ScheduleTask (CreateTask over gRPC:
// PUT, a JSON body, an OIDC token), built with Debian's Go toolchain and Google's Go libraries from Debian
// (GOPATH mode), run with only the client options docs/clients.md gives. Delivered with 200 for an account
// holding roles/run.invoker; every attempt 403 PERMISSION_DENIED, retried, for one without.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SA, SERVICE_URL, startGcloudProject, type GcloudProject } from './support/gcloud-fixture.js';
import { waitFor } from './support/wait.js';

const GOCODE = '/usr/share/gocode/src';
const NEEDED = ['cloud.google.com/go/cloudtasks/apiv2', 'google.golang.org/genproto/googleapis/cloud/tasks/v2', 'google.golang.org/api/option', 'google.golang.org/grpc'];
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/go/src/scheduletask', import.meta.url));
const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
const missing = NEEDED.filter((p) => !existsSync(join(GOCODE, p)));
const SKIP: string | false = !hasGo
  ? 'SKIPPED: no go toolchain (apt-get install golang-go golang-google-cloud-dev golang-google-api-dev golang-google-genproto-dev)'
  : missing.length
    ? `SKIPPED: Debian's Go packages are missing ${missing.join(', ')} (apt-get install golang-google-cloud-dev golang-google-api-dev golang-google-genproto-dev)`
    : false;
if (SKIP) console.warn(`\n*** ${SKIP} — the Go Cloud Tasks suite did not run ***\n`);

interface Attempt {
  httpStatus: number | null;
  denial: string | null;
}

const run = (file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });

describe('Go: ScheduleTask with cloud.google.com/go/cloudtasks/apiv2 over gRPC', { skip: SKIP }, () => {
  let project: GcloudProject;
  let gopath: string;
  let binary: string;
  const schedule = async (account: string, body: string) => {
    const r = await run(binary, [], { PATH: process.env.PATH, TASKS_ENDPOINT: project.ap.platform.grpcHostPort!, QUEUE: 'projects/demo-project/locations/us-central1/queues/upgrades', TASK_URL: `${SERVICE_URL}/`, TASK_SA: SA(account), TASK_BODY: body }, 60_000);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    return JSON.parse(r.stdout) as { name: string; method: string; url: string };
  };
  const attemptsOf = async (name: string) => {
    const res = await project.ap.api(`/admin/v1/queues/upgrades/tasks/${name.split('/').pop()}/attempts`);
    return (await res.json()) as { task: { state: string } | null; attempts: Attempt[] };
  };

  before(async () => {
    gopath = mkdtempSync(join(tmpdir(), 'authplane-gopath-'));
    mkdirSync(join(gopath, 'src'));
    cpSync(FIXTURE, join(gopath, 'src', 'scheduletask'), { recursive: true });
    binary = join(gopath, 'scheduletask');
    // GOPATH mode, as Debian's packages are laid out; the build cache is kept between runs (Go locks it).
    const env = { ...process.env, GO111MODULE: 'off', GOPATH: `${gopath}:/usr/share/gocode`, GOCACHE: join(tmpdir(), 'authplane-go-build-cache'), GOFLAGS: '' };
    // A first build compiles Google's Go libraries and gRPC from source (minutes on a slow machine): bounded only
    // against a hang, within the test runner's 10 minutes per file.
    const built = await run('go', ['build', '-o', binary, 'scheduletask'], env, 480_000);
    assert.equal(built.code, 0, `go build failed:\n${built.stdout}${built.stderr}`);
    project = await startGcloudProject();
  });
  after(async () => {
    await project?.stop();
    rmSync(gopath, { recursive: true, force: true });
  });

  it('an account with roles/run.invoker: the task is created as sent and delivered with 200', async () => {
    const task = await schedule('tasks-invoker', '{"version":"1.2.3"}');
    assert.deepEqual([task.method, task.url], ['PUT', `${SERVICE_URL}/`]);
    const id = task.name.split('/').pop()!;
    await waitFor('the delivery', () => project.received.some((r) => r.headers['x-cloudtasks-taskname'] === id));
    const got = project.received.find((r) => r.headers['x-cloudtasks-taskname'] === id)!;
    assert.deepEqual([got.method, got.body, got.headers['content-type']], ['PUT', '{"version":"1.2.3"}', 'application/json']);
    await waitFor('the task to be done', async () => (await attemptsOf(task.name)).task?.state === 'done');
    assert.deepEqual((await attemptsOf(task.name)).attempts.map((a) => [a.httpStatus, a.denial]), [[200, null]]);
  });

  it('an account without it: every attempt 403 PERMISSION_DENIED, retried until the queue\'s maxAttempts', async () => {
    const task = await schedule('tasks-no-role', '{"version":"1.2.3"}');
    await waitFor('the task to exhaust its attempts', async () => (await attemptsOf(task.name)).task?.state === 'failed');
    const { attempts } = await attemptsOf(task.name);
    assert.equal(attempts.length, 3);
    for (const a of attempts) assert.deepEqual([a.httpStatus, a.denial], [403, 'PERMISSION_DENIED']);
    const id = task.name.split('/').pop()!;
    assert.ok(!project.received.some((r) => r.headers['x-cloudtasks-taskname'] === id), 'the service never saw it');
  });
});
