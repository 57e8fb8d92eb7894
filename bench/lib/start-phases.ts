// Loaded into an `authplane start` process with --import (nodeArgs below): at exit it writes the start's
// phase marks (src/lib/start-phases.ts) and Node's own bootstrap time to DIR/PID.json, for bench/startup.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PerformanceMark } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { START_PHASE_PREFIX } from '../../src/lib/start-phases.js';

export interface StartPhases {
  /** Node's own start (process start → bootstrap complete), ms. */
  nodeBootstrapMs: number;
  /** Each phase's mark in order: ms since the process started, and the process's CPU ms by then. */
  marks: { phase: string; at: number; cpuMs: number }[];
}

export const START_PHASES_DIR_ENV = 'AUTHPLANE_BENCH_START_PHASES_DIR';

/** node arguments that load this reporter. */
export const startPhasesNodeArgs = ['--import', fileURLToPath(import.meta.url)];

const dir = process.env[START_PHASES_DIR_ENV];
if (dir) {
  process.once('exit', () => {
    const report: StartPhases = {
      nodeBootstrapMs: performance.nodeTiming.bootstrapComplete,
      marks: performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith(START_PHASE_PREFIX))
        .map((m) => ({ phase: m.name.slice(START_PHASE_PREFIX.length), at: m.startTime, cpuMs: ((m as PerformanceMark).detail as { cpuMs: number }).cpuMs })),
    };
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(report));
  });
}
