import { dirname, join } from 'node:path';
import { ensurePrivateDir } from '../lib/private-files.js';
import { pathFailure, StartupError } from '../lib/startup-error.js';
import type { Store } from './store.js';
import { DatabaseInUseError, takeOwnership, type Ownership } from './sqlite-owner.js';

const SEVERAL_PROCESSES = 'to run several processes as one emulator, share a PostgreSQL database: --database postgres://USER:PASSWORD@HOST/DB';

/**
 * Opens the store: PostgreSQL for a postgres:// URL (several processes on one database form one
 * emulator), else the embedded SQLite file DATA_DIR/authplane.db, which this process then owns until the
 * store closes. Drivers load lazily so a SQLite start never pays for pg. Failures are StartupErrors
 * naming --database or --data.
 */
export async function openStore(databaseUrl: string | undefined, dataDir: string): Promise<Store> {
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { PostgresStore } = await import('./postgres.js');
    try {
      return await PostgresStore.connect(databaseUrl);
    } catch (e) {
      throw new StartupError('--database', (e as Error).message, 'check that PostgreSQL runs there and that the URL\'s host, port, user, password and database are right', { cause: e });
    }
  }
  if (databaseUrl && !/^sqlite:./.test(databaseUrl)) {
    throw new StartupError('--database', `${databaseUrl} is neither a postgres:// URL nor sqlite:FILE`, 'write --database postgres://USER:PASSWORD@HOST/DB, or sqlite:FILE, or leave it out for SQLite under --data');
  }
  const { SqliteStore } = await import('./sqlite.js');
  const explicit = databaseUrl?.slice('sqlite:'.length);
  if (explicit === ':memory:') return new SqliteStore(explicit);
  const file = explicit ?? join(dataDir, 'authplane.db');
  const flag = explicit ? '--database' : '--data';
  const where = explicit ? `sqlite:${explicit}` : dataDir;

  let ownership: Ownership;
  try {
    ensurePrivateDir(dirname(file));
    ownership = takeOwnership(file);
  } catch (e) {
    if (e instanceof DatabaseInUseError) {
      const who = e.owner ? `authplane pid ${e.owner.pid} on ${e.owner.host} (since ${e.owner.since})` : 'another authplane (it has not recorded its pid yet)';
      const stop = e.owner ? `stop it (kill ${e.owner.pid})` : 'stop it';
      throw new StartupError(flag, `${where} is in use by ${who}: one process owns a SQLite database`, `${stop}, or give this process its own ${flag}; ${SEVERAL_PROCESSES}`, { cause: e });
    }
    throw pathFailure(e, flag, where, explicit ? 'give a writable file path after sqlite:' : 'point --data at a directory you can write (it is created if missing)');
  }
  try {
    return new SqliteStore(file, { ownership });
  } catch (e) {
    ownership.release();
    throw pathFailure(e, flag, where, 'check that the database file is an authplane SQLite database on a writable local disk');
  }
}
