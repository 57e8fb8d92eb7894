// How `authplane tasks attempts` and `authplane scheduler attempts` print one attempt: time, status, latency,
// the refusal code with its summary, and the front door's own explanation and fix when authplane still holds it.

/** An attempt as the admin API returns it (dispatch/attempt-log.ts attemptView). */
export interface AttemptLine {
  attempt: number;
  dispatchTime: string;
  httpStatus: number | null;
  latencyMs: number;
  denial: string | null;
  denialSummary?: string;
  explanation?: string;
  remedy?: string;
  error: string | null;
}

export function printAttempt(a: AttemptLine, prefix = ''): void {
  const outcome = a.httpStatus !== null ? String(a.httpStatus) : 'no response';
  console.log(`${prefix}#${String(a.attempt).padEnd(3)} ${a.dispatchTime}  ${outcome.padEnd(4)} ${a.latencyMs.toFixed(1).padStart(8)} ms${a.denial ? `  ${a.denial}: ${a.denialSummary ?? ''}` : ''}`);
  if (a.explanation) console.log(`     why: ${a.explanation}`);
  if (a.remedy) console.log(`     fix: ${a.remedy}`);
  if (a.error) console.log(`     note: ${a.error}`);
}
