// The store conformance suite on the embedded SQLite store: a fresh file per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { SqliteStore } from '../src/store/sqlite.js';
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
