// DATA_DIR/requests.log as RequestLog writes it: every recorded entry becomes one JSON line, in order, whatever
// the batch sizes — entries over several 64 KiB chunks, text outside ASCII (a user's display name, a refusal's
// evidence, lines of mostly 3-byte characters), an entry larger than a chunk, a token summary shared by many
// entries, a batch past the 1 MiB early write written by the log's own timer — the file is private, and a log
// whose file cannot be written still stops.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RequestLog, type RequestLogEntry, type TokenSummary } from '../src/observe/request-log.js';
import { waitFor, withDeadline } from './support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'authplane-request-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const token: TokenSummary = {
  header: 'authorization',
  jwtHeader: { alg: 'RS256', kid: 'k1', typ: 'JWT' },
  claims: { aud: 'https://update-123456789012.us-central1.run.app', email: 'tasks-invoker@demo-project.iam.gserviceaccount.com', iss: 'https://accounts.google.com' },
};

function entry(log: RequestLog, i: number, extra: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    id: log.newId(),
    time: new Date(Date.UTC(2026, 11, 2, 10, 0, 0, i)).toISOString(),
    surface: 'run',
    service: 'update',
    method: 'GET',
    path: `/items/${i}`,
    source: '127.0.0.1',
    internal: false,
    status: i % 7 === 0 ? 403 : 200,
    outcome: i % 7 === 0 ? 'refused' : 'proxied',
    googleVisible: true,
    durationMs: i / 1000,
    ...(i % 3 === 0 ? { token } : {}),
    ...extra,
  };
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n');

describe('requests.log', () => {
  it('holds every entry as one JSON line, in order, across chunks, outside ASCII and past a chunk in one entry', async () => {
    const file = join(dir, 'many.log');
    const log = new RequestLog(file, 100);
    const recorded: RequestLogEntry[] = [];
    for (let i = 0; i < 3_000; i++) {
      const extra: Partial<RequestLogEntry> =
        i === 1_234
          ? { message: 'Zoë ✓ 𝄞 '.repeat(20_000) } // 280 KB of UTF-8 with 2-, 3- and 4-byte characters
          : i % 5 === 0
            ? { explanation: '王国の認証'.repeat(100 + (i % 37)) } // 3 bytes a UTF-16 unit: the most a line can take
            : i % 11 === 0
              ? { principal: 'user:zoë@example.com', evidence: { displayName: 'Zoë Ørsted 王 🙂', note: 'line\nbreak "quoted"' } }
              : {};
      const e = entry(log, i, extra);
      recorded.push(structuredClone(e));
      log.record(e);
      // Part of the pending entries serialised now and then, as the timer's 64-entry turns leave them.
      if (i % 97 === 0) await log.flush(64);
    }
    await log.close();
    const got = lines(file);
    assert.equal(got.pop(), '', 'the file ends with a newline');
    assert.equal(got.length, recorded.length);
    got.forEach((l, i) => assert.deepEqual(JSON.parse(l), recorded[i], `line ${i + 1}`));
    assert.ok(statSync(file).size > 3 * 64 * 1024, 'the entries span several chunks');
  });

  it('writes what its own timer flushes, past the 1 MiB early write, in order', async () => {
    const file = join(dir, 'timer.log');
    const log = new RequestLog(file, 100);
    const paths: string[] = [];
    // ≈ 1.6 MB of entries recorded at once: the timer serialises them 64 to a turn and writes at 1 MiB.
    for (let i = 0; i < 2_000; i++) {
      const e = entry(log, i, { explanation: 'x'.repeat(500) });
      paths.push(e.path);
      log.record(e);
    }
    await waitFor('all 2,000 entries in the file', () => {
      try {
        return lines(file).length === 2_001;
      } catch {
        return false;
      }
    });
    assert.deepEqual(lines(file).filter(Boolean).map((l) => (JSON.parse(l) as RequestLogEntry).path), paths);
    await log.close();
  });

  it('stops when its file cannot be written, with writes queued behind one that waits', async () => {
    // A directory where the file should be: opening it for append fails (EISDIR) after the first write is queued.
    const file = join(dir, 'a-directory.log');
    mkdirSync(file);
    const log = new RequestLog(file, 100);
    const said: unknown[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => void said.push(args.join(' '));
    try {
      // Each batch is over the stream's 16 KiB mark, so its write waits for 'drain' (or the error).
      for (let i = 0; i < 100; i++) log.record(entry(log, i, { explanation: 'x'.repeat(500) }));
      void log.flush();
      for (let i = 100; i < 200; i++) log.record(entry(log, i, { explanation: 'x'.repeat(500) }));
      void log.flush();
      await withDeadline('close() with a failed file', log.close(), 10_000);
    } finally {
      console.error = error;
    }
    assert.equal(log.recent({ limit: 1 })[0]!.path, '/items/199', 'the in-memory window keeps the entries');
    assert.match(String(said[0]), /cannot write the request log .*a-directory\.log: EISDIR/);
    assert.equal(said.length, 1, 'said once');
  });

  it('appends to what an earlier process wrote, and is readable by its owner only (0600)', async () => {
    const file = join(dir, 'restart.log');
    const first = new RequestLog(file);
    first.record(entry(first, 1));
    await first.close();
    const second = new RequestLog(file);
    second.record(entry(second, 2, { principal: 'user:ünïcode@example.com' }));
    second.record(entry(second, 3));
    await second.close();
    const got = lines(file).filter(Boolean).map((l) => JSON.parse(l) as RequestLogEntry);
    assert.deepEqual(got.map((e) => e.path), ['/items/1', '/items/2', '/items/3']);
    assert.equal(got[1]!.principal, 'user:ünïcode@example.com');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});
