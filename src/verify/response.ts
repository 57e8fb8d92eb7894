// A Denial as Google's HTTP answer on its surface: the one place refusals become responses.
// Cloud Run: Google's HTML error pages (REFERENCE §1), `WWW-Authenticate` on 401.
// IAP: a plain-text message with `X-Goog-IAP-Generated-Response: true` (REFERENCE §5).
// APIs: `{"error":{"code","message","status"}}`.
// Every surface adds `x-authplane-denial: CODE`.

import type { Denial } from './denial.js';

export const DENIAL_HEADER = 'x-authplane-denial';

export interface DenialResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface DenialResponseOptions {
  /** The request path, shown in Cloud Run's pages. Default '/'. */
  path?: string;
}

const WWW_AUTHENTICATE = 'Bearer error="invalid_token" error_description="The access token could not be verified"';

export function denialResponse(denial: Denial, options: DenialResponseOptions = {}): DenialResponse {
  const headers: Record<string, string> = { [DENIAL_HEADER]: denial.code };
  if (denial.surface === 'iap') {
    headers['content-type'] = 'text/html; charset=UTF-8';
    headers['x-goog-iap-generated-response'] = 'true';
    return { status: denial.status, headers, body: denial.message };
  }
  if (denial.surface === 'api') {
    headers['content-type'] = 'application/json; charset=UTF-8';
    const status = STATUS_NAMES[denial.status] ?? 'UNKNOWN';
    return { status: denial.status, headers, body: JSON.stringify({ error: { code: denial.status, message: denial.message, status } }, null, 2) };
  }
  headers['content-type'] = 'text/html; charset=UTF-8';
  if (denial.status === 401) headers['www-authenticate'] = WWW_AUTHENTICATE;
  return { status: denial.status, headers, body: runErrorPage(denial.status, options.path ?? '/') };
}

const STATUS_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND' };

/** Google Front End's error page, as Cloud Run serves it. */
export function runErrorPage(status: number, path: string): string {
  const p = escapeHtml(path);
  const [title, h1, h2] =
    status === 401
      ? ['401 Unauthorized', 'Unauthorized', `Your client does not have permission to the requested URL <code>${p}</code>.`]
      : status === 404
        ? ['404 Page not found', 'Page not found', 'The requested URL was not found on this server.']
        : ['403 Forbidden', 'Forbidden', `Your client does not have permission to get URL <code>${p}</code> from this server.`];
  return (
    '<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n' +
    `<title>${title}</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n` +
    `<h1>Error: ${h1}</h1>\n<h2>${h2}</h2>\n<h2></h2>\n</body></html>\n`
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
