// The store conformance suite on the embedded SQLite store: a fresh file per test. Then what only the
// SQLite store has: one owning process per file, and a private database file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../src/store/sqlite.js';
import { DatabaseInUseError, takeOwnership } from '../src/store/sqlite-owner.js';
import { storeConformance } from './store-conformance.js';

describe('store conformance: SQLite', () => {
  storeConformance({
    kind: 'sqlite',
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'authplane-store-'));
      // A nested path: the store creates missing folders (as for the default .authplane/authplane.db).
      const file = join(dir, 'nested', 'authplane.db');
      return {
        open: async () => new SqliteStore(file),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  });
});

describe('SQLite: one owner per database file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-owner-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a second owner is refused at once, naming the first; after release the file can be owned again', () => {
    const file = join(dir, 'authplane.db');
    const first = takeOwnership(file);
    try {
      assert.throws(
        () => takeOwnership(file),
        (e: unknown) => {
          assert.ok(e instanceof DatabaseInUseError, String(e));
          assert.equal(e.code, 'DATABASE_IN_USE');
          assert.equal(e.owner?.pid, process.pid);
          assert.equal(e.owner?.host, hostname());
          assert.match(e.message, new RegExp(`in use by authplane pid ${process.pid} on `));
          return true;
        },
      );
      // A refused attempt leaves the owner's lock in place.
      assert.throws(() => takeOwnership(file), DatabaseInUseError);
    } finally {
      first.release();
    }
    assert.equal(existsSync(`${file}.owner`), false, 'the owner record goes with the owner');
    takeOwnership(file).release();
  });

  it('the database holds private keys: its directory is 0700 and its files 0600, from the first open', async () => {
    const file = join(dir, 'private', 'authplane.db');
    const store = new SqliteStore(file);
    try {
      await store.getOrCreateSetting('k', 'v'); // a write, so the WAL exists
      assert.equal(statSync(join(dir, 'private')).mode & 0o777, 0o700);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    } finally {
      await store.close();
    }
  });
});
