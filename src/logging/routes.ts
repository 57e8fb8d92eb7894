// Cloud Logging v2 on the API port: POST /v2/entries:list (google.logging.v2.LoggingServiceV2.ListLogEntries,
// REFERENCE §11 LG1), reading the project's LogEntries made from authplane's request log. The caller needs
// logging.logEntries.list on the project (roles/logging.viewer, viewer, owner). Successful listings are not
// themselves logged (Google's Data Access logs are off by default); refused ones are.

import type { Router } from '../apis/router.js';
import { projectResource } from '../iam/resources.js';
import { LOG_READ_PERMISSION } from '../observe/admin-routes.js';
import type { Platform } from '../platform.js';
import { lazyModule } from '../lib/lazy-module.js';

// The listing (the filter language's parser and evaluator, with re2js, and the entries' shapes) loads after
// `authplane ready` or on the first listing (lib/lazy-module.ts): nothing at start uses it.
const listing = lazyModule(async () => {
  const [entries, request, list] = await Promise.all([import('./log-entries.js'), import('./list-request.js'), import('./list-entries.js')]);
  return { logEntriesFor: entries.logEntriesFor, parseListRequest: request.parseListRequest, listEntries: list.listEntries };
});

export function loggingRoutes(router: Router, platform: Platform): void {
  const { project } = platform.config;
  router
    .for('logging.googleapis.com')
    .post('/v2/entries:list', { permission: LOG_READ_PERMISSION, on: () => projectResource(project.id), quiet: true, read: true }, async (req) => {
      const { parseListRequest, listEntries, logEntriesFor } = await listing.load();
      const request = parseListRequest(await req.json(), project);
      return { body: listEntries(logEntriesFor(platform), request) };
    });
}
