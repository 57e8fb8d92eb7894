// What the benchmarks read about processes (Linux /proc; NaN or [] elsewhere): a process's descendants (an
// authplane with cluster workers is several processes) and how much CPU a set of processes has used.

import { readFileSync, readdirSync } from 'node:fs';

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

/** CPU milliseconds (user + system) used so far by `pids`; processes gone are counted as 0. */
export function cpuMs(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      sum += (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms
    } catch {
      // gone
    }
  }
  return sum;
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
