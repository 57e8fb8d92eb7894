// The process groups of supervised commands, recorded in the data directory so that a SIGKILLed authplane
// (whose exit hooks never run) does not leave them running: the next start on the same data directory
// stops what the killed one started.
//
// One file per authplane (process), supervised.PID.RANDOM.json (0600), naming the process itself and each group it
// started, every one with its start time (field 22 of /proc/PID/stat, clock ticks since boot). A record is
// a leftover once its own process is gone, or its pid now belongs to a process started at another time; a
// recorded group is stopped only while its leader still runs with the recorded start time, so a pid the
// system has since given to an unrelated process is never signalled. Records of live processes (several
// authplanes on one PostgreSQL database may share a directory) are left alone.
//
// Start times come from /proc: where there is none (macOS), nothing is recorded and nothing is cleaned up.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../lib/private-files.js';

const PREFIX = 'supervised.';
const SUFFIX = '.json';

interface RecordedProcess {
  pid: number;
  /** /proc/PID/stat field 22. */
  startTime: string;
}

interface GroupRecord extends RecordedProcess {
  service: string;
}

interface RecordFile {
  owner: RecordedProcess;
  groups: GroupRecord[];
}

/**
 * Field 22 (starttime) of /proc/PID/stat; undefined when the process is gone or there is no /proc. A zombie
 * (state Z, or X while it is torn down) is gone: it has exited and waits only for its parent to reap it, which
 * may take a while (a SIGKILLed authplane under a slow init is one for over a second).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces: count from the last ')', which ends it (field 3 follows).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[22 - 3];
  } catch {
    return undefined;
  }
}

/** True when `p` still runs: its pid is alive and was started at the recorded time. */
function stillRuns(p: RecordedProcess): boolean {
  return processStartTime(p.pid) === p.startTime;
}

/** This process's record of the groups it started, kept in `dir`. */
export class ProcessGroupRecord {
  private readonly file: string;
  private readonly owner: RecordedProcess | undefined;
  private readonly groups = new Map<number, GroupRecord>();

  constructor(private readonly dir: string) {
    // A random part too: one process (a test) may run several authplanes on one directory.
    this.file = join(dir, `${PREFIX}${process.pid}.${randomBytes(4).toString('hex')}${SUFFIX}`);
    const startTime = processStartTime(process.pid);
    this.owner = startTime === undefined ? undefined : { pid: process.pid, startTime };
  }

  /**
   * Stops the groups recorded by authplane processes that are gone (SIGKILL, a crash) and removes their
   * records. Returns what was stopped, for the log.
   */
  stopLeftovers(): { service: string; pid: number }[] {
    const stopped: { service: string; pid: number }[] = [];
    let entries: string[];
    try {
      entries = readdirSync(this.dir);
    } catch {
      return stopped;
    }
    for (const name of entries) {
      if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) continue;
      const path = join(this.dir, name);
      const record = readRecord(path);
      if (record && stillRuns(record.owner)) continue;
      for (const g of record?.groups ?? []) {
        if (!stillRuns(g)) continue;
        try {
          process.kill(-g.pid, 'SIGKILL');
          stopped.push({ service: g.service, pid: g.pid });
        } catch {
          // gone meanwhile
        }
      }
      rmSync(path, { force: true });
    }
    return stopped;
  }

  /** Records the group led by `pid` (a command just spawned in its own process group). */
  add(pid: number, service: string): void {
    const startTime = processStartTime(pid);
    if (this.owner === undefined || startTime === undefined) return;
    this.groups.set(pid, { pid, startTime, service });
    this.write();
  }

  /** The group has exited or been stopped. */
  remove(pid: number): void {
    if (!this.groups.delete(pid)) return;
    this.write();
  }

  private write(): void {
    if (this.groups.size === 0) {
      rmSync(this.file, { force: true });
      return;
    }
    const body: RecordFile = { owner: this.owner!, groups: [...this.groups.values()] };
    // Written whole, then renamed: a start reading it while this process dies sees the old record or the new.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(body)}\n`, { mode: PRIVATE_FILE_MODE });
    renameSync(tmp, this.file);
  }
}

function readRecord(path: string): RecordFile | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<RecordFile>;
    const valid = (p: unknown): p is RecordedProcess => typeof p === 'object' && p !== null && Number.isInteger((p as RecordedProcess).pid) && (p as RecordedProcess).pid > 1 && typeof (p as RecordedProcess).startTime === 'string';
    if (!valid(r.owner) || !Array.isArray(r.groups)) return undefined;
    return { owner: r.owner, groups: r.groups.filter((g): g is GroupRecord => valid(g) && typeof g.service === 'string') };
  } catch {
    return undefined;
  }
}
