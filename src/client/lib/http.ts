// Internal: calling token endpoints and turning their failures into TokenFetchErrors with Google's
// status and authplane's refusal code when present. Tokens never appear in messages.

import { decodeJwt } from '../../lib/jwt.js';
import { TokenFetchError, type TokenFetchErrorCode } from '../errors.js';

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
}

export async function call(fetchImpl: typeof fetch, url: string, init: RequestInit, unreachable: TokenFetchErrorCode, what: string): Promise<CallResult> {
  let res: Response;
  try {
    res = await fetchImpl(url, init);
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new TokenFetchError(unreachable, `${what}: cannot reach ${url}: ${(e as Error)?.message ?? String(e)}`, { endpoint: url, cause: e });
  }
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Reads Google's `{"error":{"status","message"}}` or OAuth's `{"error","error_description"}`. */
function googleError(text: string): { status?: string; message?: string } {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (body.error && typeof body.error === 'object') {
      const e = body.error as { status?: unknown; message?: unknown };
      return { ...(typeof e.status === 'string' ? { status: e.status } : {}), ...(typeof e.message === 'string' ? { message: e.message } : {}) };
    }
    if (typeof body.error === 'string') {
      return { status: body.error, ...(typeof body.error_description === 'string' ? { message: body.error_description } : {}) };
    }
  } catch {
    /* not JSON: the caller uses the text */
  }
  return {};
}

export function failure(code: TokenFetchErrorCode, what: string, url: string, r: CallResult): TokenFetchError {
  const g = googleError(r.text);
  const denial = r.headers.get('x-authplane-denial') ?? undefined;
  const detail = g.message ?? r.text.trim().slice(0, 300);
  return new TokenFetchError(code, `${what}: ${url} answered ${r.status}${g.status ? ` ${g.status}` : ''}: ${detail}${denial ? ` (authplane: ${denial})` : ''}`, {
    endpoint: url,
    status: r.status,
    ...(g.status ? { googleStatus: g.status } : {}),
    ...(denial ? { denial } : {}),
  });
}

/** A JWT's exp in epoch milliseconds, or `fallback` when it cannot be read. */
export function jwtExpiry(token: string, fallback: number): number {
  const exp = decodeJwt(token)?.claims['exp'];
  return typeof exp === 'number' ? exp * 1000 : fallback;
}
