// A SIGKILLed `authplane start` cannot stop its supervised commands, which the system re-parents and keeps
// running; the next start on the same --data stops them (their process groups, recorded in the data
// directory with their start times) before it starts the commands again. A recorded group whose leader's
// start time does not match — its pid given to an unrelated process since — is never signalled.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ProcessGroupRecord, processStartTime } from '../src/run/process-groups.js';
import { testConfig } from './support/authplane.js';
import { startCli, type StartedCli } from './support/cli.js';
import { until } from './support/until.js';

/** State and process group of `pid` (/proc/PID/stat fields 3 and 5); undefined once it is gone. */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, pgrp: Number(f[2]) };
  } catch {
    return undefined;
  }
}

/** /proc/PID/stat field 22 (start time), read whatever the state. */
const startTimeOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]!;
};

/** Running: present and not a zombie (a killed orphan is a zombie until init reaps it). */
const running = (pid: number) => {
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z';
};

describe('supervised commands after a SIGKILL of authplane', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-supervisor-crash-'));
  const data = join(dir, 'data');
  const children: StartedCli[] = [];
  const strays: number[] = [];
  after(async () => {
    for (const c of children) await c.stop().catch(() => undefined);
    for (const pid of strays) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  // The command appends "PID PORT" to pids.txt once it listens, and answers with its pid.
  writeFileSync(
    join(dir, 'echo.mjs'),
    `import { createServer } from 'node:http';
import { appendFileSync } from 'node:fs';
createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT), '127.0.0.1', () => appendFileSync('pids.txt', process.pid + ' ' + process.env.PORT + '\\n'));
`,
  );
  const config = join(dir, 'authplane.yaml');
  writeFileSync(config, JSON.stringify(testConfig({ services: [{ name: 'echo', command: 'node echo.mjs', cwd: dir }] })));
  const started = () => readFileSync(join(dir, 'pids.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number]);

  it('the next start on the same --data stops what the killed one started; the new command answers', async () => {
    const first = await startCli(['--config', config, '--data', data]);
    children.push(first);
    const oldPid = started()[0]![0];
    const group = procStat(oldPid)!.pgrp;
    assert.notEqual(group, first.pid, 'the command runs in its own process group');
    const record = readdirSync(data).filter((f) => /^supervised\.\d+\.[0-9a-f]+\.json$/.test(f));
    assert.equal(record.length, 1, `one record: ${readdirSync(data).join(', ')}`);
    assert.equal(statSync(join(data, record[0]!)).mode & 0o777, 0o600);

    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    assert.ok(running(oldPid), 'after a SIGKILL the command keeps running (re-parented), as before the fix');
    assert.ok(running(group), 'and so does its shell');
    strays.push(group);

    const second = await startCli(['--config', config, '--data', data]);
    children.push(second);
    assert.match(second.stderr(), new RegExp(`stopped process group ${group} \\(service echo\\)`));
    await until(() => (running(oldPid) || running(group) ? undefined : true), 'the killed authplane\'s command to be gone');
    const lines = await until(() => (started().length === 2 ? started() : undefined), 'the new command to listen');
    const [newPid, newPort] = lines[1]!;
    assert.notEqual(newPid, oldPid);
    const r = await fetch(`http://127.0.0.1:${newPort}/`);
    assert.equal(await r.text(), String(newPid));

    // A clean stop takes the record with it.
    await second.stop();
    assert.deepEqual(readdirSync(data).filter((f) => f.startsWith('supervised.')), []);
  });

  it('an owner that has exited but is not yet reaped (a zombie) is gone: its groups are stopped', async () => {
    // A zombie: `sleep 0`, whose parent (the shell, exec'ed into `sleep 600`) never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 600'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    strays.push(parent.pid!);
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
    await until(() => (procStat(zombie)?.state === 'Z' ? true : undefined), 'the zombie');
    const victim = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    strays.push(victim.pid!);
    const records = mkdtempSync(join(dir, 'records-'));
    writeFileSync(
      join(records, 'supervised.1.00000000.json'),
      JSON.stringify({ owner: { pid: zombie, startTime: startTimeOf(zombie) }, groups: [{ pid: victim.pid, startTime: startTimeOf(victim.pid!), service: 'echo' }] }),
    );
    assert.deepEqual(new ProcessGroupRecord(records).stopLeftovers(), [{ service: 'echo', pid: victim.pid }]);
    await until(() => (running(victim.pid!) ? undefined : true), 'the zombie\'s group to be stopped');
    assert.deepEqual(readdirSync(records), [], 'its record is removed');
  });

  it('a recorded group whose start time does not match (a reused pid) is left alone, and the record dropped', async () => {
    // An unrelated process leading its own group, recorded with another start time, by an owner that is gone.
    const unrelated = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    strays.push(unrelated.pid!);
    const realStart = processStartTime(unrelated.pid!);
    assert.ok(realStart);
    const stale = join(data, 'supervised.999999.00000000.json');
    writeFileSync(stale, JSON.stringify({ owner: { pid: 999_999, startTime: '1' }, groups: [{ pid: unrelated.pid, startTime: String(Number(realStart) - 1), service: 'echo' }] }));

    const third = await startCli(['--config', config, '--data', data]);
    children.push(third);
    assert.ok(running(unrelated.pid!), 'the unrelated process still runs');
    assert.doesNotMatch(third.stderr(), /stopped process group/);
    assert.ok(!readdirSync(data).includes('supervised.999999.00000000.json'), 'the leftover record is removed');
    await third.stop();
    unrelated.kill('SIGKILL');
  });
});
