// What an attempt of Google's callers (Cloud Tasks, Cloud Scheduler, Pub/Sub push) came to, as their logs
// state it: whether the target answered, and the google.rpc.Code name of the outcome.

import { rpcStatusForHttp } from '../apis/errors.js';
import type { RequestLogEntry } from '../observe/request-log.js';

export interface AttemptOutcome {
  /** The target sent an HTTP response (status ≥ 100). */
  responded: boolean;
  /** 2xx. */
  succeeded: boolean;
  /** OK, PERMISSION_DENIED, UNAUTHENTICATED, …; DEADLINE_EXCEEDED or UNKNOWN without a response. */
  rpcStatus: string;
  /** "POST https://…" split. */
  method: string;
  url: string;
}

export function attemptOutcome(r: RequestLogEntry): AttemptOutcome {
  const responded = r.status >= 100;
  const rpcStatus = responded ? rpcStatusForHttp(r.status) : /deadline/i.test(r.error ?? '') ? 'DEADLINE_EXCEEDED' : 'UNKNOWN';
  const target = r.dispatch?.target ?? `${r.method} ${r.path}`;
  const space = target.indexOf(' ');
  return {
    responded,
    succeeded: responded && r.status >= 200 && r.status < 300,
    rpcStatus,
    method: space > 0 ? target.slice(0, space) : r.method,
    url: space > 0 ? target.slice(space + 1) : target,
  };
}

/** The parts of a resource name after each collection: projects/P/locations/L/queues/Q → {projects: P, …}. */
export function nameParts(resource: string): Record<string, string> {
  const s = resource.split('/');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < s.length; i += 2) out[s[i]!] = s[i + 1]!;
  return out;
}
