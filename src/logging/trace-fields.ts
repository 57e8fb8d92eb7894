// LogEntry.trace, spanId and traceSampled from the trace header a request came with:
//   X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1   (span id in decimal; o=1 = sampled)
//   traceparent: 00-TRACE_ID-SPAN_ID-FLAGS         (W3C; span id in hex; flag 01 = sampled)
// Cloud Run writes trace as projects/P/traces/TRACE_ID and spanId as 16 hex digits (REFERENCE §11 LG2, LG3).

import type { HttpDetails } from '../observe/request-log.js';
import type { LogEntry } from './log-entry.js';

export function traceFields(http: HttpDetails | undefined, projectId: string): Pick<LogEntry, 'trace' | 'spanId' | 'traceSampled'> {
  const w3c = http?.traceparent !== undefined ? /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/i.exec(http.traceparent.trim()) : null;
  if (w3c) {
    return { trace: `projects/${projectId}/traces/${w3c[1]!.toLowerCase()}`, spanId: w3c[2]!.toLowerCase(), traceSampled: (parseInt(w3c[3]!, 16) & 1) === 1 };
  }
  const cloud = http?.cloudTraceContext !== undefined ? /^([0-9a-f]{32})(?:\/(\d+))?(?:;o=([01]))?/i.exec(http.cloudTraceContext.trim()) : null;
  if (!cloud) return {};
  const out: Pick<LogEntry, 'trace' | 'spanId' | 'traceSampled'> = { trace: `projects/${projectId}/traces/${cloud[1]!.toLowerCase()}` };
  if (cloud[2] !== undefined) {
    const span = BigInt(cloud[2]);
    if (span < 1n << 64n) out.spanId = span.toString(16).padStart(16, '0');
  }
  if (cloud[3] !== undefined) out.traceSampled = cloud[3] === '1';
  return out;
}
