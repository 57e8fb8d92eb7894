// Loaded into authplane processes by the benchmarks (node --import), never by authplane itself: measures
// how long the event loop was blocked (perf_hooks.monitorEventLoopDelay at 1 ms resolution) and how much
// time garbage collection took, and reports both on SIGUSR2 — to DIR/PID.json, then starts afresh — so a
// bench brackets one measurement with two signals. Cluster workers inherit --import and report too.
//   AUTHPLANE_BENCH_LOOP_DELAY_DIR=DIR   where the reports go (without it this module does nothing)
//
// monitorEventLoopDelay's samples are the time between two 1 ms timer callbacks, so a sample is 1 ms plus
// the delay: the report subtracts the resolution.

import { monitorEventLoopDelay, PerformanceObserver, type EntryType } from 'node:perf_hooks';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoopDelayReport {
  pid: number;
  /** Reports written so far by this process (the bench waits for the next one). */
  seq: number;
  /** Event-loop delay percentiles in ms (blocked beyond the 1 ms timer). */
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** Garbage collections since the last report: count, total and longest pause (ms). */
  gcCount: number;
  gcMs: number;
  gcMaxMs: number;
  /** Wall-clock ms the report covers. */
  spanMs: number;
  /** CPU ms (user + system) this process used over the span. */
  cpuMs: number;
}

const RESOLUTION_MS = 1;
const dir = process.env.AUTHPLANE_BENCH_LOOP_DELAY_DIR;

if (dir) {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  let gcCount = 0;
  let gcMs = 0;
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
      if (e.duration > gcMaxMs) gcMaxMs = e.duration;
    }
  }).observe({ entryTypes: ['gc' as EntryType] });
  let seq = 0;
  let since = performance.now();
  let cpu = process.cpuUsage();
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('SIGUSR2', () => {
    const used = process.cpuUsage(cpu);
    const report: LoopDelayReport = {
      pid: process.pid,
      seq: ++seq,
      p50: ms(h.percentile(50)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
      samples: h.count,
      gcCount,
      gcMs,
      gcMaxMs,
      spanMs: performance.now() - since,
      cpuMs: (used.user + used.system) / 1000,
    };
    const file = join(dir, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
    h.reset();
    gcCount = 0;
    gcMs = 0;
    gcMaxMs = 0;
    since = performance.now();
    cpu = process.cpuUsage();
  });
}
