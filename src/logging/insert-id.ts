// LogEntry.insertId: unique per entry and stable across listings (entries.list orders ties by it and page
// tokens point at it), so it is derived from the request-log id rather than drawn at random.

import { createHash } from 'node:crypto';

/**
 * Cloud Run's request-log form, 24 hex digits: the timestamp's seconds (8) and microseconds (6), then 10
 * more. Recorded: "6111722f000b5b4c4d4071e2" for a request at 2021-08-09T18:21:35.744268Z (REFERENCE §11 LG2).
 */
export function runInsertId(ns: bigint, requestId: string): string {
  const seconds = ns / 1_000_000_000n;
  const micros = (ns % 1_000_000_000n) / 1_000n;
  return seconds.toString(16).padStart(8, '0') + micros.toString(16).padStart(6, '0') + digest(requestId).slice(0, 10);
}

/** The short lower-case form audit, Cloud Tasks and Cloud Scheduler entries carry ("pu08t2d3phz", "1qhiz4xf2nt1ny"). */
export function shortInsertId(requestId: string, part = ''): string {
  return BigInt('0x' + digest(`${requestId}/${part}`).slice(0, 16)).toString(36).padStart(13, '0');
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
