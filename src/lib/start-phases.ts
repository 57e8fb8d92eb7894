// Marks on the way from `authplane start` to "authplane ready", as performance marks named
// `authplane:PHASE` (milliseconds since the process started), each with the process's CPU time so far in its
// `detail` (on a shared machine the wall time says as much about the others as about authplane). They cost a
// timestamp each; bench/startup reads them (bench/lib/start-phases.ts) to say where the start's time goes.

export const START_PHASE_PREFIX = 'authplane:';

/** Records that the start reached `phase` (what has been done since the previous mark). */
export function markStartPhase(phase: string): void {
  const cpu = process.cpuUsage();
  performance.mark(START_PHASE_PREFIX + phase, { detail: { cpuMs: (cpu.user + cpu.system) / 1000 } });
}
