// Whether the kernel runs DAMON (Data Access MONitor, Linux's mm/damon), and how, for a bench's header. A kdamond
// thread wakes every sampling interval to check which pages were accessed; docs/performance.md ("What limits
// them", scheduled tasks) measured its runs as the holds in scheduled-task lateness on the 2-vCPU VMs there.
// A figure's reader should know whether it was taken on such a machine, so "none running" is printed too.

import { readFileSync, readdirSync } from 'node:fs';

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

/** Each kdamond set up through DAMON's sysfs interface and on: "kdamond 0 on: paddr, sampling every 500 ms, schemes: pageout". */
function viaSysfs(): { pid: number; text: string }[] {
  const out: { pid: number; text: string }[] = [];
  for (const k of numbered(ADMIN)) {
    if (read(`${ADMIN}/${k}/state`) !== 'on') continue;
    const contexts = numbered(`${ADMIN}/${k}/contexts`).map((c) => {
      const ctx = `${ADMIN}/${k}/contexts/${c}`;
      const sampleUs = Number(read(`${ctx}/monitoring_attrs/intervals/sample_us`));
      const actions = numbered(`${ctx}/schemes`).map((s) => read(`${ctx}/schemes/${s}/action`) ?? '?');
      return `${read(`${ctx}/operations`) ?? '?'}, sampling every ${Number.isFinite(sampleUs) ? `${sampleUs / 1000} ms` : '?'}${actions.length > 0 ? `, schemes: ${actions.join(', ')}` : ''}`;
    });
    out.push({ pid: Number(read(`${ADMIN}/${k}/pid`)), text: `kdamond ${k} on: ${contexts.join('; ') || 'set-up not readable'}` });
  }
  return out;
}

/** The pids and names of kernel threads called kdamond.*, or undefined when /proc cannot be read (not Linux). */
function kdamondThreads(): { pid: number; name: string }[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const out: { pid: number; name: string }[] = [];
  for (const e of entries) {
    const name = read(`/proc/${e}/comm`);
    if (name?.startsWith('kdamond')) out.push({ pid: Number(e), name });
  }
  return out;
}

/**
 * "kernel DAMON: kdamond 0 on: paddr, sampling every 500 ms, schemes: pageout", "kernel DAMON: none running", or
 * undefined where /proc cannot be read. A kdamond started other than through the sysfs interface (the
 * DAMON_RECLAIM, DAMON_LRU_SORT or DAMON_STAT modules) is named with its set-up left unread.
 */
export function damonLine(): string | undefined {
  const threads = kdamondThreads();
  if (threads === undefined) return undefined;
  const sysfs = viaSysfs();
  const others = threads.filter((t) => !sysfs.some((s) => s.pid === t.pid)).map((t) => `${t.name} running (not set up through sysfs; its set-up not read)`);
  const all = [...sysfs.map((s) => s.text), ...others];
  return `kernel DAMON: ${all.length > 0 ? all.join('; ') : 'none running'}`;
}
