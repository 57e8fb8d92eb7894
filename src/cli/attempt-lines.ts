// How `authplane tasks attempts`, `authplane scheduler run|attempts` and `authplane pubsub deliveries` print one
// attempt: time, status, latency, the refusal code with its summary, the front door's own explanation and fix
// when authplane still holds it, and the id of the front door's request-log entry.

/** An attempt as the admin API returns it (dispatch/attempt-log.ts attemptView, attemptViewOfEntry). */
export interface AttemptLine {
  attempt: number;
  dispatchTime: string;
  httpStatus: number | null;
  latencyMs: number;
  denial: string | null;
  denialSummary?: string;
  /** The front door's request-log entry of this attempt (GET /admin/v1/requests/ID, the dashboard's Requests). */
  frontDoorRequestId?: string | null;
  explanation?: string;
  remedy?: string;
  error: string | null;
  /** When the next attempt is due, and why (or why there is none). */
  retryTime?: string;
  retryReason?: string;
}

export function printAttempt(a: AttemptLine, prefix = ''): void {
  const outcome = a.httpStatus !== null ? String(a.httpStatus) : 'no response';
  console.log(`${prefix}#${String(a.attempt).padEnd(3)} ${a.dispatchTime}  ${outcome.padEnd(4)} ${a.latencyMs.toFixed(1).padStart(8)} ms${a.denial ? `  ${a.denial}: ${a.denialSummary ?? ''}` : ''}`);
  if (a.explanation) console.log(`     why: ${a.explanation}`);
  if (a.remedy) console.log(`     fix: ${a.remedy}`);
  if (a.denial && a.frontDoorRequestId) console.log(`     request: ${a.frontDoorRequestId}`);
  if (a.error) console.log(`     note: ${a.error}`);
  if (a.retryTime) console.log(`     next: ${a.retryTime}${a.retryReason ? ` (${a.retryReason})` : ''}`);
  else if (a.retryReason) console.log(`     then: ${a.retryReason}`);
}

/** Polls `get` every 250 ms until `done(value)`, for at most `timeoutS` seconds; undefined when it timed out. */
export async function waitFor<T>(get: () => Promise<T>, done: (v: T) => boolean, timeoutS: number): Promise<T | undefined> {
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    const v = await get();
    if (done(v)) return v;
    if (Date.now() >= end) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** --timeout's value in seconds (default 120). */
export function timeoutSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return 120;
  const n = Number(raw.replace(/s$/, ''));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
