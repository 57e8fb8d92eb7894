// In-process delivery to a local front door. An attempt of Google's callers (Cloud Tasks, Cloud Scheduler,
// Pub/Sub push) whose URL names a service on this machine used to go out over loopback HTTP to that service's
// front door: a second HTTP hop on the same cores (dispatcher → front door → service). The Cloud Run product
// registers each front door here, and the attempt hands it the request as it would have arrived — the same
// method, path, headers in the same order (with what Node's HTTP client adds), body and client address — so
// the front door decides, logs and proxies it with exactly the code an HTTP request runs (run/front-door.ts
// `deliver`), and answers with the status and headers the dispatcher would have read off the wire.

import type { Platform } from '../platform.js';

export interface LocalRequest {
  method: string;
  /** Path and query, as the request line would carry them. */
  url: string;
  /** Headers in sending order, flat ([name, value, …]), as they would arrive (wireHeaders). */
  rawHeaders: string[];
  body?: Buffer;
  /** Told of each interim (1xx) status the service sends before its answer. */
  onInterim?: (status: number) => void;
}

export interface LocalAnswer {
  status: number;
  /** A response header by lower-case name (its first value). */
  header(name: string): string | undefined;
}

export interface LocalDelivery {
  /** Settles when the response has ended (or was cut, with the status it had). */
  readonly answer: Promise<LocalAnswer>;
  /** The caller gives up (its deadline): as when an HTTP client closes its connection mid-request. */
  cancel(): void;
}

export interface LocalFrontDoor {
  deliver(request: LocalRequest): LocalDelivery;
}

const doors = new WeakMap<Platform, Map<string, LocalFrontDoor>>();

/** The front doors of this process by service name (the Cloud Run product fills it as it starts them). */
export function localFrontDoors(platform: Platform): Map<string, LocalFrontDoor> {
  let m = doors.get(platform);
  if (!m) doors.set(platform, (m = new Map()));
  return m;
}

/** Methods for which Node's HTTP client sends no Content-Length: 0 when there is no body (OutgoingMessage.useChunkedEncodingByDefault). */
const NO_DEFAULT_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * The header lines Node's http.request sends for `headers` (in their order, names as given) on a keep-alive
 * agent: `Connection: keep-alive` after them, and `Content-Length: 0` for a bodiless POST, PUT or PATCH that
 * states no length (measured on Node 20: request.end() without data).
 */
export function wireHeaders(method: string, headers: Readonly<Record<string, string>>, body: Buffer | undefined): string[] {
  const out: string[] = [];
  let length = false;
  for (const k of Object.keys(headers)) {
    out.push(k, headers[k]!);
    if (k.length === 14 && k.toLowerCase() === 'content-length') length = true;
  }
  out.push('Connection', 'keep-alive');
  if (!length && (body === undefined || body.length === 0) && !NO_DEFAULT_BODY.has(method)) out.push('Content-Length', '0');
  return out;
}
