// GET /admin/v1/requests[?service=&surface=&code=&outcome=&principal=&status=&resource=&limit=] — recent
// requests (front doors, IAP, gateways, API calls, dispatch attempts), newest first, with their outcome,
// refusal code and explanation. GET /admin/v1/requests/{id} — one of them. GET /admin/v1/requests:stream —
// every entry from now on, as server-sent events (the dashboard's live view). authplane's own API (not
// Google's); the dashboard, `authplane invoke`, `authplane tasks attempts` and tests read it.

import { invalidArgument, notFound } from '../apis/errors.js';
import type { Router } from '../apis/router.js';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { REQUEST_OUTCOMES, requestLogFor, type RequestOutcome, type RequestQuery } from './request-log.js';

/** Reading the request log is reading the project's logs (roles/logging.viewer on Google; viewer and owner here). */
export const LOG_READ_PERMISSION = 'logging.logEntries.list';

export function requestLogRoutes(router: Router, platform: Platform): void {
  const api = router.for('authplane.admin');
  const access = { permission: LOG_READ_PERMISSION, on: () => projectResource(platform.config.project.id), quiet: true } as const;

  api.get('/admin/v1/requests', access, async (req) => {
    const q = req.query;
    const limitRaw = q.get('limit');
    const limit = limitRaw === null ? 100 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1) throw invalidArgument(`limit must be a positive integer, got ${limitRaw}`, 'limit');
    const outcome = q.get('outcome');
    if (outcome !== null && !REQUEST_OUTCOMES.includes(outcome as RequestOutcome)) throw invalidArgument(`outcome must be one of ${REQUEST_OUTCOMES.join(', ')}`, 'outcome');
    const statusRaw = q.get('status');
    const status = statusRaw === null ? undefined : Number(statusRaw);
    if (status !== undefined && !Number.isInteger(status)) throw invalidArgument(`status must be an HTTP status number, got ${statusRaw}`, 'status');
    const query: RequestQuery = { limit };
    for (const key of ['service', 'surface', 'code', 'principal', 'resource'] as const) {
      const v = q.get(key);
      if (v !== null) query[key] = v;
    }
    if (outcome !== null) query.outcome = outcome as RequestOutcome;
    if (status !== undefined) query.status = status;
    return { body: { requests: requestLogFor(platform).recent(query) } };
  });

  // Server-sent events (text/event-stream): one `request` event per new entry, its JSON as data and its id as
  // the event id; a comment every 15 s keeps proxies and idle timeouts from closing the stream. It ends
  // when the client goes or authplane stops (the API server closes every connection).
  api.get('/admin/v1/requests:stream', access, (req) => {
    const res = req.res;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const unsubscribe = requestLogFor(platform).subscribe((entry) => {
      res.write(`event: request\nid: ${entry.id}\ndata: ${JSON.stringify(entry)}\n\n`);
    });
    // Real time, not the platform clock: a keep-alive for the connection, no emulated decision.
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    return new Promise<undefined>((resolve) => {
      res.once('close', () => {
        clearInterval(ping);
        unsubscribe();
        resolve(undefined);
      });
    });
  });

  api.get('/admin/v1/requests/{id}', access, async (req) => {
    const log = requestLogFor(platform);
    const entry = log.get(req.params.id!);
    if (!entry) throw notFound(`No recent request ${req.params.id} (the admin API keeps the last ${log.capacity}; DATA_DIR/requests.log keeps all).`, `request ${req.params.id}`);
    return { body: entry };
  });
}
