// `authplane start` fails honestly: a problem the operating system reports while starting names the
// setting or flag that caused it (no bare errno, no stack trace), a supervised command that does not
// come up fails the start naming the service, and nothing is left listening. Real CLI, as users run it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_MAIN, freePort, installWithDemoOnFreePorts, isListening, nodeFlagsOf, processExists, runCli, startCli, type CliResult, type StartedCli } from './support/cli.js';
import { waitFor } from './support/wait.js';

/** A start that failed as it should: status 1, one `authplane: SETTING: …` message with a fix, no stack. */
function assertRefused(r: CliResult, setting: string, problem: RegExp): void {
  assert.equal(r.code, 1, `exit status; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /authplane ready/);
  assert.ok(r.stderr.includes(`authplane: ${setting}: `), `names ${setting}: ${r.stderr}`);
  assert.match(r.stderr, problem);
  assert.match(r.stderr, /\n {2}fix: \S/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

describe('authplane start: start-up errors name their setting (real CLI)', () => {
  let dir: string;
  let apiPort: number;
  let held: Server;
  let heldPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'authplane-start-errors-'));
    apiPort = await freePort();
    held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    heldPort = (held.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((r) => held.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `authplane start` on `yaml` (API on a fixed port, gRPC on any); checks nothing stays bound. */
  async function start(name: string, yaml: string, args: string[] = []): Promise<CliResult> {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `server: { host: 127.0.0.1, apiPort: ${apiPort}, grpcPort: 0 }\n${yaml}`);
    const r = await runCli(['start', '--config', file, ...(args.includes('--data') ? [] : ['--data', join(dir, `data-${name}`)]), ...args], { cwd: dir });
    assert.equal(await isListening(apiPort), false, 'the API port was released');
    return r;
  }

  it('an install without its ui/ folder fails the start, naming the dashboard file that is missing', async () => {
    const install = mkdtempSync(join(tmpdir(), 'authplane-no-ui-'));
    try {
      const { cliMain } = await installWithDemoOnFreePorts(install);
      unlinkSync(join(install, 'ui')); // the link to the repository's ui/, not the folder itself
      const r = spawnSync(process.execPath, [...nodeFlagsOf(cliMain), cliMain, 'start', '--data', join(install, 'data')], { cwd: install, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.doesNotMatch(r.stdout, /authplane ready/);
      assert.ok(r.stderr.includes(`the dashboard's files are missing (${join(install, 'ui', 'index.html')})`), r.stderr);
    } finally {
      rmSync(install, { recursive: true, force: true });
    }
  });

  it('server.host that is not an address of this machine', async () => {
    const file = join(dir, 'bad-host.yaml');
    writeFileSync(file, 'server: { host: 999.1.1.1, apiPort: 0, grpcPort: 0 }\n');
    const r = await runCli(['start', '--config', file, '--data', join(dir, 'data-bad-host')]);
    assertRefused(r, 'server.host', /999\.1\.1\.1 is not an address of this machine/);
  });

  it('a port in use, named by its setting: the API port, a front door, a metadata server, the gRPC port', async () => {
    const file = join(dir, 'api-in-use.yaml');
    writeFileSync(file, `server: { host: 127.0.0.1, apiPort: ${heldPort}, grpcPort: 0 }\n`);
    assertRefused(await runCli(['start', '--config', file, '--data', join(dir, 'data-api')]), 'server.apiPort', new RegExp(`port ${heldPort} on 127\\.0\\.0\\.1 is already in use`));
    assertRefused(
      await start('door-in-use', `services:\n  - { name: update, upstream: "http://127.0.0.1:1", port: ${heldPort} }\n`),
      'services[0].port',
      new RegExp(`port ${heldPort} .* already in use`),
    );
    assertRefused(
      await start('md-in-use', `serviceAccounts: [{ name: tasks-invoker }]\nworkloads:\n  - { name: scheduler, serviceAccount: tasks-invoker, metadataPort: ${heldPort} }\n`),
      'workloads[0].metadataPort',
      /already in use/,
    );
    const grpcFile = join(dir, 'grpc-in-use.yaml');
    writeFileSync(grpcFile, `server: { host: 127.0.0.1, apiPort: 0, grpcPort: ${heldPort} }\n`);
    const grpc = await runCli(['start', '--config', grpcFile, '--data', join(dir, 'data-grpc')]);
    assertRefused(grpc, 'server.grpcPort', /already in use/);
    assert.doesNotMatch(grpc.stderr, /No address added/, "grpc-js's own log line is not shown");
  });

  it('--data pointing at a file, or below one', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'notes\n');
    assertRefused(await start('data-file', '', ['--data', file]), '--data', new RegExp(`${file.replace(/[.]/g, '\\.')} is a file \\(or lies under one\\), not a directory`));
    assertRefused(await start('data-under-file', '', ['--data', join(file, 'sub')]), '--data', /is a file \(or lies under one\), not a directory \(ENOTDIR\)/);
  });

  it('two first starts on one empty --data at the same moment: one runs, the other is refused (no migration race)', async () => {
    const file = join(dir, 'race.yaml');
    writeFileSync(file, 'server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\n');
    const data = join(dir, 'data-race');
    const both = await Promise.allSettled([0, 1].map(() => startCli(['--config', file, '--data', data])));
    const ran = both.filter((r): r is PromiseFulfilledResult<StartedCli> => r.status === 'fulfilled').map((r) => r.value);
    const refused = both.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason));
    try {
      assert.equal(ran.length, 1, `exactly one started; refusals: ${refused.join('\n')}`);
      assert.equal(refused.length, 1);
      assert.match(refused[0]!, /exited \(code 1, signal null\) before ready/);
      assert.ok(refused[0]!.includes(`authplane: --data: ${data} is in use by `), refused[0]);
      assert.doesNotMatch(refused[0]!, /already exists|database is locked/);
      assert.equal((await fetch(`${ran[0]!.url('api')}/healthz`)).status, 200);
    } finally {
      for (const p of ran) await p.stop();
    }
  });

  it('SIGTERM while a supervised command is still starting: the start ends at once (not after its startupTimeout), exits 143 and stops the command', async () => {
    const file = join(dir, 'stopped-while-starting.yaml');
    writeFileSync(file, `server: { host: 127.0.0.1, apiPort: 0, grpcPort: 0 }\nservices:\n  - { name: slow, command: "echo $$ > command.pid; exec sleep 600", startupTimeout: 10m }\n`);
    const child = spawn(process.execPath, [...nodeFlagsOf(CLI_MAIN), CLI_MAIN, 'start', '--config', file, '--data', join(dir, 'data-stopped')], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let commandPid: number | undefined;
    try {
      await waitFor('the command started', () => existsSync(join(dir, 'command.pid')) && readFileSync(join(dir, 'command.pid'), 'utf8').trim() !== '');
      commandPid = Number(readFileSync(join(dir, 'command.pid'), 'utf8'));
      child.kill('SIGTERM');
      // Without the fix the start waits out the 10 minutes: a bound of a minute tells the two apart on any machine.
      const code = await Promise.race([exited, new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 60_000).unref())]);
      assert.equal(code, 143);
      await waitFor('the command stopped', () => !processExists(commandPid!));
    } finally {
      // Only if the test failed: the processes it started, by pid.
      child.kill('SIGKILL');
      if (commandPid !== undefined && processExists(commandPid)) process.kill(commandPid, 'SIGKILL');
    }
  });

  it('a supervised command that never listens: the start fails after its startupTimeout, naming the service and quoting its output', async () => {
    // 3 s: long enough for the shell to print its line first, however busy the machine.
    const r = await start('never-listens', 'services:\n  - { name: sleepy, command: "echo warming up; exec sleep 600", startupTimeout: 3s }\n');
    assertRefused(r, 'services[0].startupTimeout', /service sleepy: `echo warming up; exec sleep 600` did not answer on its PORT \(\d+\) within 3 s; its last output:\n {4}warming up\n/);
    assert.match(r.stdout, /^\[sleepy\] warming up$/m, 'its output was passed on as it ran');
  });

  it('a supervised command whose cwd does not exist: the start fails at once, naming services[].cwd', async () => {
    const r = await start('no-cwd', `services:\n  - { name: lost, command: "node server.js", cwd: ${join(dir, 'no-such-folder')}, startupTimeout: 10m }\n`);
    assertRefused(r, 'services[0].cwd', new RegExp(`service lost: ${join(dir, 'no-such-folder').replace(/[.]/g, '\\.')} does not exist \\(ENOENT\\)`));
  });

  it('a supervised command that exits before listening: the start fails at once with its exit code and last lines', async () => {
    const r = await start('exits', 'services:\n  - { name: crashy, command: "echo first; echo cannot bind >&2; exit 3", startupTimeout: 10m }\n');
    assertRefused(r, 'services[0].command', /service crashy: `echo first; echo cannot bind >&2; exit 3` exited \(exit code 3\) before it answered on its PORT \(\d+\); its last output:\n {4}(first\n {4}cannot bind|cannot bind\n {4}first)\n/);
  });
});

