// A small HTTP router for the API port. Routes are `METHOD /path/{var}/{rest=**}:verb` patterns
// in Google's URL-template style; handlers get parsed params, query, body and the caller.
// Every thrown ApiError becomes Google's error JSON here, in one place.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, invalidArgument } from './errors.js';

export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: IncomingMessage;
  res: ServerResponse;
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

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

const MAX_BODY = 32 * 1024 * 1024;

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

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const { regex, names } = compile(pattern);
    this.routes.push({ method, regex, names, handler });
    return this;
  }
  get(pattern: string, handler: Handler): this {
    return this.add('GET', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.add('POST', pattern, handler);
  }
  patch(pattern: string, handler: Handler): this {
    return this.add('PATCH', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.add('DELETE', pattern, handler);
  }

  /** Answers the request; returns false when no route matched the path (so another handler may try). */
  async handle(raw: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(raw.url ?? '/', 'http://x');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const method = raw.method ?? 'GET';
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => (params[n] = m[i + 1]!));
      const req = makeRequest(raw, res, method, path, params, url.searchParams);
      try {
        send(res, (await route.handler(req)) ?? { status: 204 });
      } catch (e) {
        sendError(res, e);
      }
      return true;
    }
    if (pathMatched) {
      sendError(res, new ApiError('NOT_FOUND', `Method ${method} is not allowed on ${path}.`));
      return true;
    }
    return false;
  }
}

function makeRequest(raw: IncomingMessage, res: ServerResponse, method: string, path: string, params: Record<string, string>, query: URLSearchParams): ApiRequest {
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
    text,
    async json<T>() {
      const t = await text();
      if (!t.trim()) return {} as T;
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (e) {
        throw invalidArgument(`Invalid JSON payload received. ${(e as Error).message}`);
      }
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('Invalid JSON payload received. Expected an object.');
      return v as T;
    },
    async form() {
      return new URLSearchParams(await text());
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError('INVALID_ARGUMENT', `Request payload size exceeds the limit: ${MAX_BODY} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, r: ApiResponse): void {
  if (res.headersSent) return;
  const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
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

export function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError('INTERNAL', 'Internal error encountered.');
  if (!(e instanceof ApiError)) console.error('authplane: internal error', e);
  const headers: Record<string, string> = {};
  if (err.denial) headers['x-authplane-denial'] = err.denial.code;
  send(res, { status: err.httpStatus, headers, body: err.toJSON() });
}
