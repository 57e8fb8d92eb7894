// The API port's router. Routes are `METHOD /path/{var}/{rest=**}:verb` patterns in Google's URL-template
// style, and every route declares who may call it when it is registered (STYLE §14):
//
//   { public: 'why' }                         anyone (discovery, keys, health, endpoints that authenticate
//                                              the client themselves);
//   { permission, on: req => resource }       an authenticated caller holding `permission` on the resource,
//                                              checked here before the handler runs;
//   { permission, checkedBy: 'handler' }      an authenticated caller; the handler checks the permission on
//                                              a resource only the request body names (IAM Credentials'
//                                              delegation chains, Cloud Tasks RPCs shared with gRPC);
//   { authenticated: 'why' }                  any authenticated caller, no permission (testIamPermissions
//                                              answers about the caller's own permissions).
//
// Here, in one place: authentication (callerOf), authorization, the same-origin rule for state-changing
// requests (a web page must not change IAM through the user's browser), body limits, the error boundary
// (every refusal is a DenialError encoded by verify/response.ts; anything else is logged once with its
// request id and answered with Google's 500), and one request-log entry per API call.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Platform } from '../platform.js';
import { httpDetails } from '../observe/http-details.js';
import { headerFacts } from '../lib/http-headers.js';
import { requestLogFor, denialFields, type RequestLogEntry } from '../observe/request-log.js';
import { deny, DenialError, type Denial } from '../verify/denial.js';
import { denialResponse, REQUEST_ID_HEADER } from '../verify/response.js';
import { authorizedCaller, requirePermission } from './caller.js';
import { apiRefusal, invalidArgument, notFound, notSupported } from './errors.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../lib/json-depth.js';
import { arrivalTime } from '../lib/iso-time.js';

/**
 * Who may call a route; see the file header. `quiet` routes (health, key sets, the request log itself) are not
 * logged. `read`: the call only reads, so read-only OAuth scopes suffice (default: GET and HEAD; a POST that
 * reads, such as entries:list or getIamPolicy, says so).
 */
export type Access = (
  | { readonly public: string }
  | { readonly permission: string; readonly on: (req: ApiRequest) => string | Promise<string> }
  | { readonly permission: string; readonly checkedBy: 'handler' }
  | { readonly authenticated: string }
) & { readonly quiet?: boolean; readonly read?: boolean };

export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: IncomingMessage;
  res: ServerResponse;
  /** The IAM member calling (`allUsers` on public routes). */
  caller: string;
  /** The request log's id for this call (x-authplane-request-id). */
  id: string;
  /** The body as text (read lazily, bounded). */
  text(): Promise<string>;
  /** The body as a JSON object; INVALID_ARGUMENT when it is not one. Empty body = {}. */
  json<T = Record<string, unknown>>(): Promise<T>;
  /** The body as application/x-www-form-urlencoded. */
  form(): Promise<URLSearchParams>;
}

export interface ApiResponse {
  status?: number;
  headers?: Record<string, string | string[]>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
}

export type Handler = (req: ApiRequest) => Promise<ApiResponse | undefined> | ApiResponse | undefined;

/** A registered route, as the route-table test and the docs enumerate them. */
export interface RouteInfo {
  readonly method: string;
  readonly pattern: string;
  /** The Google API it belongs to (request log `service`, ErrorInfo domain), e.g. cloudtasks.googleapis.com. */
  readonly service: string;
  readonly access: Access;
}

interface Route extends RouteInfo {
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/** Google Front End's limit for a request body (Cloud Run's HTTP/1 limit; googleapis JSON bodies are far smaller). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Compiles `/v1/projects/{project}/serviceAccounts/{account}:generateIdToken` into a regex. */
function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let re = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '{') {
      const end = pattern.indexOf('}', i);
      const spec = pattern.slice(i + 1, end);
      const [name, kind] = spec.split('=');
      names.push(name!);
      re += kind === '**' ? '(.+?)' : '([^/:]+?)';
      i = end + 1;
    } else {
      re += ch.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  return { regex: new RegExp(`^${re}$`), names };
}

/** Registers routes of one Google API (its service name labels log entries and ErrorInfo). */
export class RouteRegistrar {
  constructor(
    private readonly router: Router,
    readonly service: string,
  ) {}

  add(method: string, pattern: string, access: Access, handler: Handler): this {
    if (!access || !('public' in access || 'authenticated' in access || ('permission' in access && ('on' in access || 'checkedBy' in access)))) {
      throw new TypeError(`route ${method} ${pattern}: declare who may call it (public, authenticated, permission + on, or permission + checkedBy)`);
    }
    this.router.register({ method, pattern, service: this.service, access, handler, ...compile(pattern) });
    return this;
  }
  get(pattern: string, access: Access, handler: Handler): this {
    return this.add('GET', pattern, access, handler);
  }
  post(pattern: string, access: Access, handler: Handler): this {
    return this.add('POST', pattern, access, handler);
  }
  patch(pattern: string, access: Access, handler: Handler): this {
    return this.add('PATCH', pattern, access, handler);
  }
  put(pattern: string, access: Access, handler: Handler): this {
    return this.add('PUT', pattern, access, handler);
  }
  delete(pattern: string, access: Access, handler: Handler): this {
    return this.add('DELETE', pattern, access, handler);
  }
}

export class Router {
  private readonly table: Route[] = [];

  constructor(private readonly platform: Platform) {}

  /** The registrar for one Google API's routes, e.g. `router.for('cloudtasks.googleapis.com')`. */
  for(service: string): RouteRegistrar {
    return new RouteRegistrar(this, service);
  }

  /** @internal Called by RouteRegistrar. */
  register(route: Route): void {
    this.table.push(route);
  }

  /** Every registered route with its access policy. */
  routes(): RouteInfo[] {
    return this.table.map(({ method, pattern, service, access }) => ({ method, pattern, service, access }));
  }

  /** Answers the request: a route's answer, Google's 404, or a refusal. Never throws. */
  async handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const log = requestLogFor(this.platform);
    const id = log.newId();
    const method = raw.method ?? 'GET';
    const url = new URL(raw.url ?? '/', 'http://x');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    let route: Route | undefined;
    let params: Record<string, string> = {};
    const served = new Set<string>();
    for (const r of this.table) {
      const m = r.regex.exec(path);
      if (!m) continue;
      served.add(r.method);
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      route = r;
      params = {};
      r.names.forEach((n, i) => (params[n] = m[i + 1]!));
      break;
    }
    const req = makeRequest(raw, res, method, path, params, url.searchParams, id);
    let outcome: Pick<RequestLogEntry, 'status' | 'outcome'> & { denial?: Denial; error?: string };
    try {
      if (!route) {
        if (served.size === 0) throw notFound(`The requested URL ${path} was not found on this server.`, `${method} ${path}`);
        // A served resource, another method: a Google method authplane does not emulate. Not a 404, which
        // gcloud prints as a missing project or resource.
        const fix = 'Make the change in authplane.yaml and restart authplane; docs/ lists the methods authplane emulates on each API.';
        throw notSupported(`authplane does not emulate ${method} ${path}; it serves ${[...served].sort().join(', ')} there. ${fix}`, fix);
      }
      await this.admit(route, req);
      const answer = (await route.handler(req)) ?? { status: 204 };
      send(res, answer, id);
      outcome = { status: answer.status ?? 200, outcome: 'answered' };
    } catch (e) {
      if (e instanceof DenialError) {
        sendDenial(res, e.denial, id);
        outcome = { status: e.denial.status, outcome: 'refused', denial: e.denial };
      } else {
        // The one place an unexpected error surfaces: logged once, with the id that finds it.
        console.error(`authplane: internal error in ${method} ${path} (request ${id}):`, e);
        const denial = deny('INTERNAL_ERROR', 'api', { requestId: id, reason: (e as Error)?.message ?? String(e) });
        sendDenial(res, denial, id);
        outcome = { status: 500, outcome: 'failed', denial, error: String((e as Error)?.stack ?? e).split('\n').slice(0, 3).join(' | ') };
      }
    }
    if (route?.access.quiet && outcome.status < 400) return;
    const entry: RequestLogEntry = {
      id,
      time: arrivalTime(started),
      surface: 'api',
      service: route?.service ?? 'authplane',
      method,
      path,
      source: raw.socket?.remoteAddress ?? '',
      internal: false,
      status: outcome.status,
      outcome: outcome.outcome,
      googleVisible: true,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      http: httpDetails(raw, headerFacts(raw.rawHeaders)),
      ...(req.caller !== 'allUsers' ? { principal: req.caller } : {}),
      ...(outcome.denial ? denialFields(outcome.denial) : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    log.record(entry);
  }

  /** The route's policy: same-origin writes, then who is calling, then whether they may. */
  private async admit(route: Route, req: ApiRequest): Promise<void> {
    if (!SAFE_METHODS.has(req.method)) this.sameOrigin(route, req);
    if ('public' in route.access) return;
    const read = route.access.read ?? (req.method === 'GET' || req.method === 'HEAD');
    req.caller = await authorizedCaller(this.platform, req.headers, route.service, read, `${req.method} ${route.pattern}`);
    if ('on' in route.access) {
      const resource = await route.access.on(req);
      requirePermission(this.platform, req.caller, route.access.permission, resource, route.service);
    }
  }

  /**
   * A state-changing request must not come from another web origin, and (for non-public routes) must be
   * one a web page cannot send without a CORS preflight: JSON, or carrying an Authorization header.
   */
  private sameOrigin(route: Route, req: ApiRequest): void {
    const origin = req.headers.origin;
    const own = this.ownOrigins();
    const refuse = (reason: string) => apiRefusal('CROSS_ORIGIN_REFUSED', { reason, method: req.method, path: req.path, origin: own[0] ?? this.platform.apiUrl });
    if (origin !== undefined && !own.includes(origin)) throw refuse(`its Origin is ${origin}, not authplane's own`);
    if ('public' in route.access || req.headers.authorization !== undefined) return;
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0' || req.headers['transfer-encoding'] !== undefined;
    if (type === 'application/json' || type.endsWith('+json') || (!hasBody && type === '')) return;
    throw refuse(`its content-type is ${type || '(none)'} with a body, which a web page can send to any site without asking; API calls send application/json`);
  }

  private ownOrigins(): string[] {
    const api = this.platform.apiUrl;
    if (!api) return [];
    const u = new URL(api);
    const out = [u.origin];
    if (u.hostname === '127.0.0.1') out.push(`${u.protocol}//localhost:${u.port}`);
    if (u.hostname === 'localhost') out.push(`${u.protocol}//127.0.0.1:${u.port}`);
    return out;
  }
}

function makeRequest(raw: IncomingMessage, res: ServerResponse, method: string, path: string, params: Record<string, string>, query: URLSearchParams, id: string): ApiRequest {
  let body: Promise<string> | undefined;
  const text = () => (body ??= readBody(raw));
  return {
    method,
    path,
    params,
    query,
    headers: raw.headers,
    raw,
    res,
    caller: 'allUsers',
    id,
    text,
    async json<T>() {
      const t = await text();
      if (!t.trim()) return {} as T;
      if (jsonDepth(t) > MAX_JSON_DEPTH) {
        throw invalidArgument(`Invalid JSON payload received. The JSON is nested more than ${MAX_JSON_DEPTH} levels deep.`, 'request body');
      }
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (e) {
        throw invalidArgument(`Invalid JSON payload received. ${(e as Error).message}`, 'request body');
      }
      // Google's transcoder: a body that is not a JSON object cannot be the request message.
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('Invalid JSON payload received. Unknown name "": Root element must be a message.', 'request body');
      return v as T;
    },
    async form() {
      return new URLSearchParams(await text());
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => apiRefusal('REQUEST_TOO_LARGE', { size: MAX_BODY_BYTES + 1, limit: MAX_BODY_BYTES });
    if (declared > MAX_BODY_BYTES) {
      // Answer first and close the connection after (Google Front End does the same), without reading it all.
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, r: ApiResponse, requestId?: string): void {
  if (res.headersSent) return;
  const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
  if (requestId !== undefined) headers[REQUEST_ID_HEADER] = requestId;
  let payload: string | Buffer | undefined;
  if (r.body === undefined || r.body === null) payload = undefined;
  else if (typeof r.body === 'string' || Buffer.isBuffer(r.body)) payload = r.body;
  else {
    payload = JSON.stringify(r.body);
    headers['content-type'] ??= 'application/json; charset=UTF-8';
  }
  res.writeHead(r.status ?? 200, headers);
  res.end(payload);
}

/** A refusal in Google's API shape, with its code and the request id. */
export function sendDenial(res: ServerResponse, denial: Denial, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const out = denialResponse(denial, { requestId });
  // An oversized body is answered before it is read: close the connection rather than drain it.
  if (denial.code === 'REQUEST_TOO_LARGE') out.headers['connection'] = 'close';
  res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) });
  res.end(out.body);
}
