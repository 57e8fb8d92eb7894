// entries.list page tokens: where the previous page stopped (the last entry's timestamp and insertId, in
// the listing's order) and a digest of the parameters it was issued for. "The values of other method
// parameters should be identical to those in the previous call" (REFERENCE §11 LG1): a token used with
// another filter, order or set of resources is refused. pageSize may change between pages (gcloud asks
// for fewer on the last page), so it is not part of the digest.

import { createHash } from 'node:crypto';
import { invalidArgument } from '../apis/errors.js';
import type { ListRequest } from './list-request.js';

export interface Cursor {
  /** Timestamp of the last entry returned, in nanoseconds. */
  at: bigint;
  insertId: string;
}

function digest(req: ListRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([[...req.resourceNames].sort(), req.filter, req.orderBy]))
    .digest('base64url')
    .slice(0, 16);
}

export function encodePageToken(req: ListRequest, cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ q: digest(req), t: cursor.at.toString(), i: cursor.insertId })).toString('base64url');
}

/** The cursor a token carries; undefined for no token. Refuses tokens that are malformed or for other parameters. */
export function decodePageToken(req: ListRequest): Cursor | undefined {
  if (req.pageToken === '') return undefined;
  let parsed: { q?: unknown; t?: unknown; i?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(req.pageToken, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    parsed = {};
  }
  if (typeof parsed.q !== 'string' || typeof parsed.t !== 'string' || !/^-?\d+$/.test(parsed.t) || typeof parsed.i !== 'string') {
    throw invalidArgument('Invalid page_token: it is not a token entries.list issued.', 'page_token');
  }
  if (parsed.q !== digest(req)) {
    throw invalidArgument('Invalid page_token: it was issued for a request with other resource_names, filter or order_by; send those as they were, or start again without a page_token.', 'page_token');
  }
  return { at: BigInt(parsed.t), insertId: parsed.i };
}
