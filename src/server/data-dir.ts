// What a data directory holds and how it is emptied on purpose (`authplane reset`, and the demo, which starts
// from its config at every start without --data). Only authplane's own files are removed — the SQLite
// database with its journal files and ownership files, and the request log — and never while a process owns
// the database: a running authplane's state is not pulled from under it.

import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The data directory `authplane start` uses without --data: .authplane in the current directory. */
export const DEFAULT_DATA_DIR = '.authplane';
/** Where the demo (no --config, no --data) keeps its state: emptied at every such start. */
export const DEMO_DATA_DIR = join(DEFAULT_DATA_DIR, 'demo');

const DATABASE = 'authplane.db';
/** authplane's files in a data directory (the database's journal and ownership files, the request log). */
const OWN_FILES = [DATABASE, `${DATABASE}-wal`, `${DATABASE}-shm`, `${DATABASE}-journal`, `${DATABASE}.owner`, `${DATABASE}.lock`, 'requests.log'];

/** The process that owns a data directory's database. */
export interface DataDirOwner {
  pid: number;
  host: string;
  since: string;
}

/** The data directory is in use: a running authplane owns its database. */
export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    readonly dir: string,
    readonly owner: DataDirOwner,
  ) {
    super(`${dir} is in use by authplane pid ${owner.pid} on ${owner.host} (since ${owner.since}): stop it first (kill ${owner.pid})`);
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
 * Removes authplane's files from `dir` (and from `dir/demo`, the demo's own data directory, when `dir` is the
 * default one), unless a live process owns the database: then DataDirInUseError, and nothing is removed.
 */
export function resetDataDir(dir: string): ResetResult {
  const result: ResetResult = { dir, removed: [], kept: [] };
  if (!existsSync(dir)) return result;
  if (!statSync(dir).isDirectory()) throw new TypeError(`${dir} is not a directory`);
  const dirs = [dir, ...(existsSync(join(dir, 'demo')) && statSync(join(dir, 'demo')).isDirectory() ? [join(dir, 'demo')] : [])];
  for (const d of dirs) {
    const owner = liveOwner(d);
    if (owner) throw new DataDirInUseError(d, owner);
  }
  for (const d of dirs) {
    const prefix = d === dir ? '' : 'demo/';
    for (const entry of readdirSync(d)) {
      if (OWN_FILES.includes(entry)) {
        rmSync(join(d, entry), { force: true });
        result.removed.push(prefix + entry);
      } else if (!(d === dir && entry === 'demo')) result.kept.push(prefix + entry);
    }
  }
  return result;
}

/** The live process recorded as owning `dir`'s database, if any (a record left by a dead process is ignored). */
export function liveOwner(dir: string): DataDirOwner | undefined {
  let owner: Partial<DataDirOwner>;
  try {
    owner = JSON.parse(readFileSync(join(dir, `${DATABASE}.owner`), 'utf8')) as Partial<DataDirOwner>;
  } catch {
    return undefined;
  }
  if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return undefined;
  // Another machine's process (a shared file system) cannot be checked: count it as live.
  if (owner.host === hostname() && !isAlive(owner.pid)) return undefined;
  return { pid: owner.pid, host: owner.host, since: String(owner.since ?? '') };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
