// google.logging.v2.LogEntry as its proto3 JSON (google/logging/v2/log_entry.proto), the fields authplane
// writes. 64-bit integers are strings, Durations "1.5s", Timestamps RFC 3339.

import type { Severity } from './severity.js';

/** google.logging.type.HttpRequest (google/logging/type/http_request.proto). */
export interface HttpRequest {
  requestMethod?: string;
  requestUrl?: string;
  requestSize?: string;
  status?: number;
  responseSize?: string;
  userAgent?: string;
  remoteIp?: string;
  serverIp?: string;
  referer?: string;
  latency?: string;
  protocol?: string;
}

export interface LogEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: string;
  receiveTimestamp: string;
  severity: Severity;
  insertId: string;
  httpRequest?: HttpRequest;
  labels?: Record<string, string>;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  protoPayload?: Record<string, unknown>;
  trace?: string;
  spanId?: string;
  traceSampled?: boolean;
}

/** Log names are URL-encoded log IDs: projects/P/logs/run.googleapis.com%2Frequests. */
export function logName(projectId: string, logId: string): string {
  return `projects/${projectId}/logs/${encodeURIComponent(logId)}`;
}
