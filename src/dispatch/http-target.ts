// The HTTP target of a Cloud Tasks task (HttpRequest) or a Cloud Scheduler job (HttpTarget), validated as both
// APIs document it (REFERENCE §7, §10): the URL (http:// or https://, ≤ 2083 characters, no spaces), the method
// (unset = POST), a body only with POST, PUT or PATCH, header names and values, headers under 80 KB, and at
// most one of oidcToken (audience unset = the URL) and oauthToken (scope unset = cloud-platform).

import { invalidArgument } from '../apis/errors.js';
import type { Obj } from '../apis/proto.js';
import type { HttpMethodName, HttpTarget } from '../store/task-store.js';
import type { AttemptToken } from './http-attempt.js';

const MAX_URL_LENGTH = 2083;
const MAX_HEADERS_BYTES = 80 * 1024;
const METHODS: HttpMethodName[] = ['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const BODY_METHODS = new Set<HttpMethodName>(['POST', 'PUT', 'PATCH']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** How the API names the message and its fields in errors. */
export interface TargetNames {
  /** The message: HttpRequest (Tasks), HttpTarget (Scheduler). */
  message: string;
  /** The field path of the message: task.http_request, job.http_target. */
  path: string;
  /** The URL field: url (Tasks), uri (Scheduler). */
  urlField: 'url' | 'uri';
  /** What owns it, for "the task's http_method is …". */
  owner: string;
}

export interface ValidTarget {
  target: HttpTarget;
  /** Bytes of headers (names, values, separators), for size limits. */
  headerBytes: number;
  bodyBytes: number;
}

export function validateHttpTarget(hr: Obj, n: TargetNames): ValidTarget {
  const url = hr[n.urlField];
  const urlPath = `${n.path}.${n.urlField}`;
  if (typeof url !== 'string' || url === '') throw invalidArgument(`${n.message}.${n.urlField} is required.`, urlPath);
  if (url.length > MAX_URL_LENGTH) throw invalidArgument(`${n.message}.${n.urlField} must be at most ${MAX_URL_LENGTH} characters (got ${url.length}).`, urlPath);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || /\s/.test(url)) {
    throw invalidArgument(`${n.message}.${n.urlField} must be a valid URL that begins with 'http://' or 'https://' and contains no spaces (got "${url}").`, urlPath);
  }

  const method = (hr.httpMethod === undefined || hr.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : hr.httpMethod) as HttpMethodName;
  if (!METHODS.includes(method)) throw invalidArgument(`${n.message}.http_method ${String(hr.httpMethod)} is not supported.`, `${n.path}.http_method`);
  const body = hr.body as Buffer | undefined;
  if (body && body.length > 0 && !BODY_METHODS.has(method)) {
    throw invalidArgument(`Body is only allowed for POST, PUT, or PATCH HTTP methods; the ${n.owner}'s http_method is ${method}.`, `${n.path}.body`);
  }

  const headers: Record<string, string> = {};
  let headerBytes = 0;
  for (const [k, v] of Object.entries((hr.headers ?? {}) as Record<string, string>)) {
    if (!HEADER_NAME.test(k)) throw invalidArgument(`Invalid HTTP header name "${k}".`, `${n.path}.headers`);
    if (/[\r\n\0]/.test(v)) throw invalidArgument(`Invalid value for HTTP header "${k}": it contains a line break or NUL.`, `${n.path}.headers`);
    headers[k] = v;
    headerBytes += k.length + v.length + 4;
  }
  if (headerBytes >= MAX_HEADERS_BYTES) throw invalidArgument(`The size of the headers must be less than 80KB (got ${headerBytes} bytes).`, `${n.path}.headers`);

  const target: HttpTarget = { url, httpMethod: method, headers, body: body && body.length ? body.toString('base64') : null };
  const oidc = hr.oidcToken as Obj | undefined;
  const oauth = hr.oauthToken as Obj | undefined;
  if (oidc && oauth) throw invalidArgument('Only one of oidc_token and oauth_token may be set.', n.path);
  if (oidc) {
    const email = oidc.serviceAccountEmail;
    if (typeof email !== 'string' || !email) throw invalidArgument('OidcToken.service_account_email is required.', `${n.path}.oidc_token.service_account_email`);
    target.oidcToken = { serviceAccountEmail: email, audience: typeof oidc.audience === 'string' ? oidc.audience : '' };
  }
  if (oauth) {
    const email = oauth.serviceAccountEmail;
    if (typeof email !== 'string' || !email) throw invalidArgument('OAuthToken.service_account_email is required.', `${n.path}.oauth_token.service_account_email`);
    target.oauthToken = { serviceAccountEmail: email, scope: typeof oauth.scope === 'string' && oauth.scope ? oauth.scope : CLOUD_PLATFORM_SCOPE };
  }
  return { target, headerBytes, bodyBytes: body?.length ?? 0 };
}

/** The token of a validated target, as the dispatcher attaches it (an unset OIDC audience is the URL). */
export function targetToken(t: HttpTarget): AttemptToken | undefined {
  if (t.oidcToken) return { kind: 'oidc', serviceAccountEmail: t.oidcToken.serviceAccountEmail, audience: t.oidcToken.audience || t.url };
  if (t.oauthToken) return { kind: 'oauth', serviceAccountEmail: t.oauthToken.serviceAccountEmail, scope: t.oauthToken.scope };
  return undefined;
}
