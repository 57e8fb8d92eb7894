import { join } from 'node:path';
import type { Store } from './store.js';

/**
 * Opens the store: PostgreSQL for a postgres:// URL (several processes on one database form one
 * emulator), else the embedded SQLite file DATA_DIR/authplane.db. Drivers load lazily so a SQLite
 * start never pays for pg.
 */
export async function openStore(databaseUrl: string | undefined, dataDir: string): Promise<Store> {
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { PostgresStore } = await import('./postgres.js');
    return PostgresStore.connect(databaseUrl);
  }
  if (databaseUrl && !/^sqlite:/.test(databaseUrl)) {
    throw new TypeError(`--database must be a postgres:// URL or sqlite:FILE, got ${databaseUrl}`);
  }
  const { SqliteStore } = await import('./sqlite.js');
  return new SqliteStore(databaseUrl ? databaseUrl.replace(/^sqlite:/, '') : join(dataDir, 'authplane.db'));
}
