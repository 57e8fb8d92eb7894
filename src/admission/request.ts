// What the admission decision reads of a request: method, URL, headers in arrival order, where it came
// from. No Node HTTP types, so the front door, `explain`, the dashboard's token inspector and in-process
// dispatch build one the same way, and tests build one by hand.

import type { LoopbackConnection } from './egress.js';

/** The parts of an HTTP request the admission decision reads. */
export interface AdmissionRequest {
  readonly method: string;
  /** Path and query as sent ("/orders/1?x=y"). */
  readonly url: string;
  /** Header names and values in arrival order, flat as Node's rawHeaders: [name, value, name, value, …]; repeats kept. */
  readonly rawHeaders: readonly string[];
  /** The client's address as the socket reports it ('' when unknown). */
  readonly source: string;
  /** Whether it arrived over TLS. */
  readonly secure: boolean;
  /** The TCP connection's ports, when it came over one: who sent it can then be found (VPC egress, egress.ts). */
  readonly connection?: LoopbackConnection;
}

/** Every value of header `name` (lowercase), in order. */
export function headerValues(req: AdmissionRequest, name: string): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === name.length && n.toLowerCase() === name) out.push(raw[i + 1]!);
  }
  return out;
}

/** The first value of header `name` (lowercase), or undefined. */
export function header(req: AdmissionRequest, name: string): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === name.length && n.toLowerCase() === name) return raw[i + 1]!;
  }
  return undefined;
}

/** The path without the query. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The headers the invoker check and ingress read, from one scan (the hot path reads nothing else). */
export interface ScannedHeaders {
  /** Every Authorization value (Node's parser keeps only the first of duplicates; Cloud Run refuses two). */
  authorization: string[] | undefined;
  xServerlessAuthorization: string[] | undefined;
  /** The internal-traffic marker's value, if sent. */
  internalMarker: string | undefined;
}

export function scanHeaders(raw: readonly string[], internalHeader: string): ScannedHeaders {
  let xsa: string[] | undefined;
  let auth: string[] | undefined;
  let marker: string | undefined;
  const markerLength = internalHeader.length;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Cheap length filter before the case-insensitive compare.
    if (name.length === 13 && name.toLowerCase() === 'authorization') (auth ??= []).push(raw[i + 1]!);
    else if (name.length === 26 && name.toLowerCase() === 'x-serverless-authorization') (xsa ??= []).push(raw[i + 1]!);
    else if (name.length === markerLength && name.toLowerCase() === internalHeader) marker = raw[i + 1]!;
  }
  return { authorization: auth, xServerlessAuthorization: xsa, internalMarker: marker };
}
