// Whether the kernel runs DAMON (Data Access MONitor, Linux's mm/damon) through its sysfs interface, and how.
// A kdamond thread wakes every sampling interval and walks page mappings for its access checks; on the 2-vCPU
// VMs this project is measured on it held one vCPU for 4–50 ms about every 0.5 s, which shows up as holds in
// latency figures (docs/performance.md, "Scheduled-task lateness"). The benches print this beside their figures
// so that a reader of a figure knows whether it was taken on such a machine.

import { readFileSync, readdirSync } from 'node:fs';

const ROOT = '/sys/kernel/mm/damon/admin/kdamonds';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

const list = (path: string): string[] => {
  try {
    return readdirSync(path).filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
};

/**
 * One line per running kdamond, e.g. "kdamond 0 on: paddr, sampling every 500 ms, schemes: pageout"; empty when
 * the kernel has no DAMON sysfs interface or runs none (or when it cannot be read).
 */
export function damonNow(): string[] {
  const out: string[] = [];
  for (const k of list(ROOT)) {
    if (read(`${ROOT}/${k}/state`) !== 'on') continue;
    for (const c of list(`${ROOT}/${k}/contexts`)) {
      const ctx = `${ROOT}/${k}/contexts/${c}`;
      const sampleUs = Number(read(`${ctx}/monitoring_attrs/intervals/sample_us`));
      const actions = list(`${ctx}/schemes`).map((s) => read(`${ctx}/schemes/${s}/action`) ?? '?');
      out.push(
        `kdamond ${k} on: ${read(`${ctx}/operations`) ?? '?'}, sampling every ${Number.isFinite(sampleUs) ? `${sampleUs / 1000} ms` : '?'}` +
          (actions.length > 0 ? `, schemes: ${actions.join(', ')}` : ''),
      );
    }
  }
  return out;
}

/** "kernel DAMON: kdamond 0 on: …" for a bench's header, or undefined when DAMON is not running. */
export function damonLine(): string | undefined {
  const now = damonNow();
  return now.length > 0 ? `kernel DAMON: ${now.join('; ')} (its access checks hold a core for ms at a time)` : undefined;
}
