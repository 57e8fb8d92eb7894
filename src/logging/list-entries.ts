// entries.list over a set of LogEntries (REFERENCE §11 LG1): filter, order by timestamp (ties by insertId),
// one page, and the token for the next. Pure: the route gathers the entries and parses the request.

import { compileFilter } from './filter-eval.js';
import type { TimedEntry } from './entry-context.js';
import type { ListRequest } from './list-request.js';
import type { LogEntry } from './log-entry.js';
import { decodePageToken, encodePageToken, type Cursor } from './page-token.js';

export interface ListResponse {
  entries?: LogEntry[];
  nextPageToken?: string;
}

export function listEntries(all: readonly TimedEntry[], req: ListRequest): ListResponse {
  const test = compileFilter(req.filter);
  const cursor = decodePageToken(req);
  const dir = req.orderBy === 'timestamp desc' ? -1 : 1;
  const order = (a: Cursor, b: Cursor): number => (a.at !== b.at ? (a.at < b.at ? -dir : dir) : a.insertId < b.insertId ? -1 : a.insertId > b.insertId ? 1 : 0);
  const sorted = all.map((t) => ({ at: t.at, insertId: t.entry.insertId, entry: t.entry })).sort(order);
  const page: typeof sorted = [];
  let more = false;
  for (const e of sorted) {
    if (cursor !== undefined && order(e, cursor) <= 0) continue;
    if (!test(e.entry)) continue;
    if (page.length === req.pageSize) {
      more = true;
      break;
    }
    page.push(e);
  }
  const out: ListResponse = {};
  // proto3 JSON leaves out an empty list and an empty token.
  if (page.length > 0) out.entries = page.map((e) => e.entry);
  if (more) out.nextPageToken = encodePageToken(req, page[page.length - 1]!);
  return out;
}
