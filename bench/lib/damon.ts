// Whether the kernel runs DAMON (Data Access MONitor, Linux's mm/damon), and how, for a bench's "machine" line. A
// kdamond thread wakes every sampling interval to check which pages were accessed; docs/performance.md ("What
// limits them", scheduled tasks) found its runs coincide with the holds in scheduled-task lateness on the 2-vCPU
// VMs there. A figure's reader should know whether it was taken on such a machine, so "none seen" is printed too.

import { readFileSync, readdirSync } from 'node:fs';
import { cpuByProcess } from './processes.js';

const ADMIN = '/sys/kernel/mm/damon/admin/kdamonds';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

const numbered = (path: string): string[] => {
  try {
    return readdirSync(path).filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
};

/** One kdamond of DAMON's sysfs interface: its index, whether it is on (undefined: `state` is root-only), its pid and set-up. */
interface SysfsKdamond {
  index: string;
  on: boolean | undefined;
  pid: number;
  setUp: string;
}

function viaSysfs(): SysfsKdamond[] {
  return numbered(ADMIN).map((k) => {
    const state = read(`${ADMIN}/${k}/state`);
    const contexts = numbered(`${ADMIN}/${k}/contexts`).map((c) => {
      const ctx = `${ADMIN}/${k}/contexts/${c}`;
      const sampleUs = Number(read(`${ctx}/monitoring_attrs/intervals/sample_us`));
      const actions = numbered(`${ctx}/schemes`).map((s) => read(`${ctx}/schemes/${s}/action`) ?? '?');
      return `${read(`${ctx}/operations`) ?? '?'}, sampling every ${Number.isFinite(sampleUs) ? `${sampleUs / 1000} ms` : '?'}${actions.length > 0 ? `, schemes: ${actions.join(', ')}` : ''}`;
    });
    return { index: k, on: state === undefined ? undefined : state === 'on', pid: Number(read(`${ADMIN}/${k}/pid`)), setUp: contexts.join('; ') || 'set-up not readable' };
  });
}

/** The pids and names of the kernel threads called kdamond.* that /proc shows, or undefined when /proc cannot be read. */
function kdamondThreads(): { pid: number; name: string }[] | undefined {
  const all = cpuByProcess();
  if (all.size === 0) return undefined; // a readable /proc always holds this process
  return [...all].filter(([, p]) => p.name.startsWith('kdamond')).map(([pid, p]) => ({ pid, name: p.name }));
}

/**
 * "kernel DAMON: kdamond.0 (pid 79, sysfs kdamonds/0) on: paddr, sampling every 500 ms, schemes: pageout",
 * "kernel DAMON: none seen", or undefined where /proc cannot be read. DAMON's sysfs files are root-only: without
 * root a running kdamond is named with its set-up unread. One started by a DAMON module (DAMON_RECLAIM,
 * DAMON_LRU_SORT, DAMON_STAT) is named as such; inside a PID namespace /proc shows no kernel threads, so such a
 * kdamond is not seen there.
 */
export function damonLine(): string | undefined {
  const threads = kdamondThreads();
  if (threads === undefined) return undefined;
  const sysfs = viaSysfs();
  const nameOf = (pid: number) => threads.find((t) => t.pid === pid)?.name ?? 'kdamond';
  const parts = sysfs.filter((k) => k.on).map((k) => `${nameOf(k.pid)} (pid ${k.pid}, sysfs kdamonds/${k.index}) on: ${k.setUp}`);
  const unreadable = sysfs.some((k) => k.on === undefined);
  for (const t of threads.filter((t) => !sysfs.some((k) => k.on && k.pid === t.pid))) {
    parts.push(`${t.name} (pid ${t.pid}) running, ${unreadable ? "its set-up not readable (DAMON's sysfs files are root-only)" : 'not set up through sysfs (a DAMON module); its set-up not read'}`);
  }
  return `kernel DAMON: ${parts.length > 0 ? parts.join('; ') : 'none seen'}`;
}
