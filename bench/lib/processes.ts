// What the benchmarks read about processes (Linux /proc; NaN, [] or an empty map elsewhere): a process's descendants (an
// authplane with cluster workers is several processes), how much CPU a set of processes has used, and which
// processes outside the bench took CPU meanwhile (a kernel thread such as kdamond can hold a core for tens of ms).

import { readFileSync, readdirSync } from 'node:fs';

/** What /proc/PID/stat says of a process: its name (comm), parent, CPU milliseconds so far, and start time (clock ticks since boot). */
interface ProcStat {
  name: string;
  ppid: number;
  ms: number;
  startTicks: number;
}

/** Reads /proc/PID/stat; the name sits between the first '(' and the last ')' and may hold spaces and ')'. */
function readStat(pid: number | string): ProcStat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' '); // fields from the 3rd (state) on
  return {
    name: stat.slice(stat.indexOf('(') + 1, close),
    ppid: Number(fields[1]),
    ms: (Number(fields[11]) + Number(fields[12])) * 10, // utime, stime in clock ticks of 10 ms
    startTicks: Number(fields[19]),
  };
}

/** CPU milliseconds (user + system) used so far by `pids`; processes gone are counted as 0. */
export function cpuMs(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += readStat(pid).ms;
    } catch {
      // gone
    }
  }
  return sum;
}

/** Every process on the machine, kernel threads included, by pid; empty where /proc cannot be read. */
export type CpuByProcess = Map<number, ProcStat>;

export function cpuByProcess(): CpuByProcess {
  const out: CpuByProcess = new Map();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const e of entries) {
    try {
      out.set(Number(e), readStat(e));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** A kernel worker's name carries the workqueue it ran last ("kworker/u8:1-flush-254:0"); the thread is "kworker/u8:1". */
const threadName = (name: string) => (name.startsWith('kworker/') ? name.replace(/-.*$/, '') : name);

/** `root` and every process below it in one reading, by parent pid; `root` comes first. */
function descendants(reading: CpuByProcess, root: number): Set<number> {
  const out = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of reading) {
      if (out.has(pid) || !out.has(p.ppid)) continue;
      out.add(pid);
      grew = true;
    }
  }
  return out;
}

/** `pid` and every process below it (`pid` first): an authplane with cluster workers is several processes. */
export function processTree(pid: number): number[] {
  return [...descendants(cpuByProcess(), pid)];
}

/**
 * The processes outside this bench (itself and every process below it) that used at least 10 ms (one clock tick)
 * of CPU between two readings, most first. A process is its pid and start time, so a pid reused meanwhile is not
 * mistaken for the old process; processes that started or ended between the readings are left out.
 */
export function busiestOthers(before: CpuByProcess, after: CpuByProcess): { name: string; ms: number }[] {
  const ours = descendants(after, process.pid);
  const used: { name: string; ms: number }[] = [];
  for (const [pid, a] of after) {
    const b = before.get(pid);
    if (ours.has(pid) || b === undefined || b.startTicks !== a.startTicks) continue;
    const ms = a.ms - b.ms;
    if (!(ms >= 10)) continue; // NaN too
    used.push({ name: threadName(a.name), ms });
  }
  return used.sort((x, y) => y.ms - x.ms);
}

/**
 * Over several rounds' lists of busiestOthers() (or the same in other units, read by `amount`), the `n` process
 * names that used the most in all rounds together, most first, with what each round's processes of that name used
 * (0 where none did).
 */
export function topByName<T extends { name: string }>(rounds: readonly (readonly T[])[], amount: (t: T) => number, n: number): { name: string; perRound: number[] }[] {
  const inRound = (r: readonly T[], name: string) => r.filter((o) => o.name === name).reduce((a, o) => a + amount(o), 0);
  const total = (name: string) => rounds.reduce((t, r) => t + inRound(r, name), 0);
  const names = [...new Set(rounds.flatMap((r) => r.map((o) => o.name)))];
  return names
    .sort((a, b) => total(b) - total(a))
    .slice(0, n)
    .map((name) => ({ name, perRound: rounds.map((r) => inRound(r, name)) }));
}

/** Machine-wide busy and total CPU ms so far (/proc/stat), for "how busy was the machine meanwhile". */
export function machineCpu(): { busyMs: number; totalMs: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busyMs: (total - idle) * 10, totalMs: total * 10 };
  } catch {
    return { busyMs: NaN, totalMs: NaN };
  }
}
