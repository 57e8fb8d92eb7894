// What a data directory holds and how it is emptied on purpose (`authplane reset`, and the demo, which starts
// from its config at every start without --data). Only authplane's own files are removed — the SQLite
// database with its journal files and ownership files, and the request log — and never while a process owns
// the database: a running authplane's state is not pulled from under it.

import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseInUseError, takeOwnership, type DatabaseOwner, type Ownership } from '../store/sqlite-owner.js';

/** The data directory `authplane start` uses without --data: .authplane in the current directory. */
export const DEFAULT_DATA_DIR = '.authplane';
/** Where the demo (no --config, no --data) keeps its state: emptied at every such start. */
export const DEMO_DATA_DIR = join(DEFAULT_DATA_DIR, 'demo');

const DATABASE = 'authplane.db';
/** authplane's files in a data directory that a reset removes: the database with its journals, the request log. */
const OWN_FILES = [DATABASE, `${DATABASE}-wal`, `${DATABASE}-shm`, `${DATABASE}-journal`, 'requests.log'];
/** Its ownership files: the lock stays (removing a lock file someone may be opening would split the lock), the owner record goes with the ownership. */
const OWNERSHIP_FILES = [`${DATABASE}.lock`, `${DATABASE}.lock-journal`, `${DATABASE}.owner`];

/** The data directory is in use: a running authplane owns its database. */
export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    readonly dir: string,
    /** Null when the owner has not recorded itself (yet). */
    readonly owner: DatabaseOwner | null,
  ) {
    super(
      owner
        ? `${dir} is in use by authplane pid ${owner.pid} on ${owner.host} (since ${owner.since}): stop it first (kill ${owner.pid})`
        : `${dir} is in use by another authplane: stop it first`,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface ResetResult {
  dir: string;
  /** Paths removed, relative to `dir`. */
  removed: string[];
  /** Entries left because they are not authplane's. */
  kept: string[];
}

/**
 * Whether a start with this data directory and --database will create its database, so that it has no keys
 * yet: the SQLite file (DATA_DIR/authplane.db, or sqlite:FILE) does not exist. Never for PostgreSQL, which
 * other processes share.
 */
export function startsWithNewDatabase(dataDir: string, databaseUrl: string | undefined): boolean {
  if (databaseUrl === undefined) return !existsSync(join(dataDir, DATABASE));
  const file = /^sqlite:(.+)$/.exec(databaseUrl)?.[1];
  return file !== undefined && (file === ':memory:' || !existsSync(file));
}

/**
 * Removes authplane's files from `dir` (and from `dir/demo`, the demo's own data directory, when `dir` is the
 * default one), unless a live process owns the database: then DataDirInUseError, and nothing is removed.
 */
export function resetDataDir(dir: string): ResetResult {
  const result: ResetResult = { dir, removed: [], kept: [] };
  if (!existsSync(dir)) return result;
  if (!statSync(dir).isDirectory()) throw new TypeError(`${dir} is not a directory`);
  // Only directories that hold authplane's files: taking ownership of another would leave a lock file in it.
  const dirs = [dir, ...(existsSync(join(dir, 'demo')) && statSync(join(dir, 'demo')).isDirectory() ? [join(dir, 'demo')] : [])].filter((d) =>
    [...OWN_FILES, ...OWNERSHIP_FILES].some((f) => existsSync(join(d, f))),
  );
  const held: Ownership[] = [];
  try {
    for (const d of dirs) {
      try {
        held.push(takeOwnership(join(d, DATABASE)));
      } catch (e) {
        if (e instanceof DatabaseInUseError) throw new DataDirInUseError(d, e.owner);
        throw e;
      }
    }
    for (const d of dirs) {
      const prefix = d === dir ? '' : 'demo/';
      for (const entry of readdirSync(d)) {
        if (OWN_FILES.includes(entry)) {
          rmSync(join(d, entry), { force: true });
          result.removed.push(prefix + entry);
        } else if (!OWNERSHIP_FILES.includes(entry) && !(d === dir && entry === 'demo')) result.kept.push(prefix + entry);
      }
    }
  } finally {
    for (const o of held) o.release();
  }
  return result;
}
