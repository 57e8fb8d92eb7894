// A Denial as Google's answer on its surface: the one place refusals become responses.
//   run       Google Front End's HTML error pages (REFERENCE §1, §13), `WWW-Authenticate` on 401;
//   iap       plain text with `X-Goog-IAP-Generated-Response: true` (REFERENCE §5);
//   api       `{"error":{"code","message","status","details"}}` (REST); `grpcStatus` for gRPC;
//   metadata  plain text, as the metadata server writes its refusals (REFERENCE §3);
//   oauth     `{"error","error_description"}` (RFC 6749 §5.2);
//   gateway   Apigee's `{"fault":{"faultstring","detail":{"errorcode"}}}`.
// Every answer carries `x-authplane-denial: CODE` (a gRPC trailer of the same name) and, when known, the
// request id that finds the refusal in the request log.

import type { Denial } from './denial.js';

export const DENIAL_HEADER = 'x-authplane-denial';
export const REQUEST_ID_HEADER = 'x-authplane-request-id';

export interface DenialResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface DenialResponseOptions {
  /** The request path, shown in Cloud Run's pages. Default '/'. */
  path?: string;
  /** The request log's id for this request, sent as x-authplane-request-id. */
  requestId?: string;
}

const WWW_AUTHENTICATE = 'Bearer error="invalid_token" error_description="The access token could not be verified"';
const JSON_TYPE = 'application/json; charset=UTF-8';
const HTML_TYPE = 'text/html; charset=UTF-8';

export function denialResponse(denial: Denial, options: DenialResponseOptions = {}): DenialResponse {
  const headers: Record<string, string> = { [DENIAL_HEADER]: denial.code };
  if (options.requestId !== undefined) headers[REQUEST_ID_HEADER] = options.requestId;
  const status = denial.status;
  switch (denial.surface) {
    case 'iap':
      headers['content-type'] = HTML_TYPE;
      headers['x-goog-iap-generated-response'] = 'true';
      return { status, headers, body: denial.message };
    case 'api':
      // Google Front End answers oversized and malformed requests with its HTML page, before any API sees them.
      if (status === 413 || denial.code === 'REQUEST_MALFORMED') break;
      headers['content-type'] = JSON_TYPE;
      return { status, headers, body: JSON.stringify(googleErrorJson(denial), null, 2) };
    case 'metadata':
      headers['content-type'] = 'text/plain; charset=utf-8';
      return { status, headers, body: `${denial.message}\n` };
    case 'oauth':
      headers['content-type'] = JSON_TYPE;
      return { status, headers, body: JSON.stringify({ error: denial.errorCode ?? 'invalid_request', error_description: denial.message }, null, 2) };
    case 'gateway':
      headers['content-type'] = 'application/json';
      return { status, headers, body: JSON.stringify({ fault: { faultstring: denial.message, detail: { errorcode: denial.errorCode ?? 'messaging.runtime.Error' } } }) };
    case 'run':
      // Cloud Run's own plain-text answers, not Google Front End pages: the 503 as its troubleshooting page quotes
      // it; the 504's words are its timeout documentation's (the exact body is not recorded: REFERENCE §13).
      if (status === 503 || status === 504) {
        headers['content-type'] = 'text/plain; charset=utf-8';
        return { status, headers, body: `${denial.message}\n` };
      }
      break;
    case 'library':
      break;
  }
  headers['content-type'] = HTML_TYPE;
  if (status === 401) headers['www-authenticate'] = WWW_AUTHENTICATE;
  return { status, headers, body: runErrorPage(status, options.path ?? '/') };
}

/** Google's REST error body: `{"error":{"code","message","status","details"}}` (google.rpc.Status as JSON). */
export function googleErrorJson(denial: Denial): { error: { code: number; message: string; status: string; details?: readonly unknown[] } } {
  return {
    error: {
      code: denial.status,
      message: denial.message,
      status: denial.rpcStatus ?? 'UNKNOWN',
      ...(denial.details?.length ? { details: denial.details } : {}),
    },
  };
}

/** google.rpc.Code numbers by name (google/rpc/code.proto). */
export const GRPC_CODES = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export interface GrpcRefusal {
  /** The gRPC status code. */
  code: number;
  /** The status message (Google's words). */
  details: string;
  /** Trailers: x-authplane-denial, and the request id when known. */
  trailers: Record<string, string>;
}

/** A Denial as a gRPC status, as Google's gRPC APIs answer. */
export function grpcStatus(denial: Denial, requestId?: string): GrpcRefusal {
  const trailers: Record<string, string> = { [DENIAL_HEADER]: denial.code };
  if (requestId !== undefined) trailers[REQUEST_ID_HEADER] = requestId;
  return { code: GRPC_CODES[denial.rpcStatus ?? 'UNKNOWN'], details: denial.message, trailers };
}

/** Google Front End's error page, as Cloud Run serves it. */
export function runErrorPage(status: number, path: string): string {
  const p = escapeHtml(path);
  const [title, h1, h2] =
    status === 401
      ? ['401 Unauthorized', 'Unauthorized', `Your client does not have permission to the requested URL <code>${p}</code>.`]
      : status === 404
        ? ['404 Page not found', 'Page not found', 'The requested URL was not found on this server.']
        : status === 400
          ? ['400 Bad Request', 'Bad Request', 'Your client has issued a malformed or illegal request.']
          : status === 413
          ? ['413 Request Entity Too Large', 'Request Entity Too Large', 'Your client issued a request that was too large.']
          : status >= 500
            ? [`${status} Server Error`, 'Server Error', 'The server encountered an error and could not complete your request.<p>Please try again in 30 seconds.']
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
