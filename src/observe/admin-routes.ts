// GET /admin/v1/requests[?service=&surface=&code=&outcome=&principal=&status=&limit=] — recent requests
// (front doors, IAP, gateways, API calls), newest first, with their outcome, refusal code and explanation.
// GET /admin/v1/requests/{id} — one of them. authplane's own API (not Google's); the dashboard,
// `authplane invoke`, `authplane tasks attempts` and tests read it.

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
    for (const key of ['service', 'surface', 'code', 'principal'] as const) {
      const v = q.get(key);
      if (v !== null) query[key] = v;
    }
    if (outcome !== null) query.outcome = outcome as RequestOutcome;
    if (status !== undefined) query.status = status;
    return { body: { requests: requestLogFor(platform).recent(query) } };
  });

  api.get('/admin/v1/requests/{id}', access, async (req) => {
    const log = requestLogFor(platform);
    const entry = log.get(req.params.id!);
    if (!entry) throw notFound(`No recent request ${req.params.id} (the admin API keeps the last ${log.capacity}; DATA_DIR/requests.log keeps all).`, `request ${req.params.id}`);
    return { body: entry };
  });
}
