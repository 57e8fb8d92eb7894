// The bench side of loop-delay.ts: start authplane processes with `nodeArgs` and `env`, then bracket a
// measurement with `reset(pids)` and `read(pids)` to get each process's event-loop delay and GC over it.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoopDelayReport } from './loop-delay.js';

export type { LoopDelayReport };

export class LoopProbe {
  readonly dir = mkdtempSync(join(tmpdir(), 'authplane-bench-loop-'));
  /** node arguments that load the reporter. */
  readonly nodeArgs = ['--import', fileURLToPath(new URL('./loop-delay.js', import.meta.url))];
  readonly env = { AUTHPLANE_BENCH_LOOP_DELAY_DIR: this.dir };

  private seqOf(pid: number): number {
    const f = join(this.dir, `${pid}.json`);
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as LoopDelayReport).seq : 0;
  }

  /** Asks each process for a report and waits for them (at most 2 s): what happened since the last call. */
  async read(pids: readonly number[]): Promise<LoopDelayReport[]> {
    const before = new Map(pids.map((p) => [p, this.seqOf(p)]));
    for (const p of pids) {
      try {
        process.kill(p, 'SIGUSR2');
      } catch {
        before.delete(p); // gone
      }
    }
    const out: LoopDelayReport[] = [];
    const end = Date.now() + 2_000;
    for (const [pid, seq] of before) {
      for (;;) {
        if (this.seqOf(pid) > seq) {
          out.push(JSON.parse(readFileSync(join(this.dir, `${pid}.json`), 'utf8')) as LoopDelayReport);
          break;
        }
        if (Date.now() > end) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    return out;
  }

  /** Starts a fresh measurement in each process. */
  async reset(pids: readonly number[]): Promise<void> {
    await this.read(pids);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The worst process of a set: highest delay p99, and GC summed over the `processes` that reported. */
export function worst(reports: readonly LoopDelayReport[]): { processes: number; p99: number; max: number; gcPerS: number; gcMaxMs: number; gcShare: number } {
  const span = Math.max(...reports.map((r) => r.spanMs), 1);
  return {
    processes: reports.length,
    p99: Math.max(...reports.map((r) => r.p99)),
    max: Math.max(...reports.map((r) => r.max)),
    gcPerS: reports.reduce((a, r) => a + r.gcCount, 0) / (span / 1000),
    gcMaxMs: Math.max(...reports.map((r) => r.gcMaxMs)),
    gcShare: reports.reduce((a, r) => a + r.gcMs, 0) / span,
  };
}
