// One process owns a SQLite database, and with it the data directory: `authplane start` takes the
// ownership before it opens (or migrates) the database, and a second process on the same file stops at
// once, naming the owner. Several processes share one emulator through PostgreSQL instead.
//
// The lock is SQLite's own: a connection to FILE.lock that holds `BEGIN EXCLUSIVE` for the process's
// life. SQLite locks are POSIX advisory locks, which the kernel drops when the process dies, SIGKILL
// included, so a crash never leaves a stale lock; and liveness is the lock itself, not a recorded pid
// that the system may since have given to another process (the weakness of an O_EXCL pid file). SQLite
// also tracks its locks per file within a process, so a second owner in the same process is refused
// too. Who holds the lock is written beside it, in FILE.owner, only for the refusal message.
// Not for network file systems, whose advisory locks may not be honoured.
//
// Never read or write FILE.lock other than through SQLite: closing any other descriptor on it would drop
// this process's POSIX lock.

import Database from 'better-sqlite3';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface DatabaseOwner {
  pid: number;
  host: string;
  /** ISO time the owner took the database. */
  since: string;
}

/** The database is owned by another live process (or another store in this one). */
export class DatabaseInUseError extends Error {
  readonly code = 'DATABASE_IN_USE';
  constructor(
    readonly file: string,
    /** Null when the owner has not recorded itself (yet). */
    readonly owner: DatabaseOwner | null,
  ) {
    super(`${file} is in use by ${owner ? `authplane pid ${owner.pid} on ${owner.host} (since ${owner.since})` : 'another authplane'}`);
    this.name = 'DatabaseInUseError';
  }
}

export interface Ownership {
  /** Gives the database up (at shutdown). */
  release(): void;
}

/** Takes ownership of SQLite database `file`, or throws DatabaseInUseError without waiting. */
export function takeOwnership(file: string): Ownership {
  const lockFile = `${file}.lock`;
  const ownerFile = `${file}.owner`;
  // timeout 0: a held lock fails at once instead of after better-sqlite3's default 5 s busy wait.
  const lock = new Database(lockFile, { timeout: 0 });
  chmodSync(lockFile, 0o600);
  try {
    lock.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    lock.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') throw new DatabaseInUseError(file, readOwner(ownerFile));
    throw e;
  }
  const me: DatabaseOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeFileSync(ownerFile, `${JSON.stringify(me)}\n`, { mode: 0o600 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // The record goes first: once the lock is free, the file may already be the next owner's.
      rmSync(ownerFile, { force: true });
      lock.exec('ROLLBACK');
      lock.close();
    },
  };
}

function readOwner(ownerFile: string): DatabaseOwner | null {
  try {
    const o = JSON.parse(readFileSync(ownerFile, 'utf8')) as Partial<DatabaseOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.since === 'string' ? { pid: o.pid, host: o.host, since: o.since } : null;
  } catch {
    return null;
  }
}
