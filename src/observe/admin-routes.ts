// GET /admin/v1/requests[?service=&code=&outcome=&limit=] — recent front-door requests, newest first,
// with their outcome, refusal code and explanation. GET /admin/v1/requests/{id} — one of them.
// authplane's own API (not Google's); the dashboard, `authplane invoke` and tests read it.

import { callerOf } from '../apis/caller.js';
import { ApiError, invalidArgument } from '../apis/errors.js';
import type { Router } from '../apis/router.js';
import type { Platform } from '../platform.js';
import { requestLogFor, type RequestOutcome } from './request-log.js';

const OUTCOMES: readonly RequestOutcome[] = ['proxied', 'refused', 'too-large', 'upstream-error', 'answered-by-gate'];

export function requestLogRoutes(router: Router, platform: Platform): void {
  router.get('/admin/v1/requests', async (req) => {
    await callerOf(platform, req.headers);
    const q = req.query;
    const limitRaw = q.get('limit');
    const limit = limitRaw === null ? 100 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1) throw invalidArgument(`limit must be a positive integer, got ${limitRaw}`, 'limit');
    const outcome = q.get('outcome');
    if (outcome !== null && !OUTCOMES.includes(outcome as RequestOutcome)) throw invalidArgument(`outcome must be one of ${OUTCOMES.join(', ')}`, 'outcome');
    const requests = requestLogFor(platform).recent({
      limit,
      ...(q.get('service') !== null ? { service: q.get('service')! } : {}),
      ...(q.get('code') !== null ? { code: q.get('code')! } : {}),
      ...(outcome !== null ? { outcome: outcome as RequestOutcome } : {}),
    });
    return { body: { requests } };
  });

  router.get('/admin/v1/requests/{id}', async (req) => {
    await callerOf(platform, req.headers);
    const entry = requestLogFor(platform).get(req.params.id!);
    if (!entry) throw new ApiError('NOT_FOUND', `No recent request ${req.params.id} (the admin API keeps the last ${requestLogFor(platform).capacity}; DATA_DIR/requests.log keeps all).`);
    return { body: entry };
  });
}
