// Internal: calling token endpoints and turning their failures into TokenFetchErrors with Google's
// status and authplane's refusal code when present. Tokens never appear in messages.

import { decodeJwt } from '../../lib/jwt.js';
import { TokenFetchError, type TokenFetchErrorCode } from '../errors.js';

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  /** The code of a call that got no whole answer: unreachable, timed out, or cut off while the body came. */
  unreachable: TokenFetchErrorCode;
  /** What was being fetched, for messages ("ID token from the metadata server"). */
  what: string;
  /** The whole call's limit (headers and body), milliseconds; 0 = none. */
  timeoutMs: number;
  /** The caller's: once it aborts, the call rejects with its reason (an AbortError unless it gave another). */
  signal?: AbortSignal | undefined;
}

/** One request, its body read whole; no answer is a TokenFetchError with `o.unreachable`, never a bare fetch error. */
export async function call(fetchImpl: typeof fetch, url: string, init: RequestInit, o: CallOptions): Promise<CallResult> {
  const timeout = o.timeoutMs > 0 ? AbortSignal.timeout(o.timeoutMs) : undefined;
  const signal = o.signal && timeout ? AbortSignal.any([o.signal, timeout]) : (o.signal ?? timeout);
  try {
    const res = await fetchImpl(url, { ...init, ...(signal ? { signal } : {}) });
    // Inside the try: a body that stops coming fails here, after the headers have arrived.
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (e) {
    if (o.signal?.aborted) throw o.signal.reason;
    const why = timeout?.aborted ? `no whole answer within ${o.timeoutMs} ms` : (e as Error)?.message ?? String(e);
    throw new TokenFetchError(o.unreachable, `${o.what}: cannot reach ${url}: ${why}`, { endpoint: url, cause: e });
  }
}

/** The `timeoutMs` option of a token endpoint's source, checked: default 120 s, as Python google-auth's requests transport (`_DEFAULT_TIMEOUT`). */
export function requestTimeoutMs(who: string, given: number | undefined): number {
  const ms = given ?? 120_000;
  if (!(Number.isInteger(ms) && ms >= 0)) throw new TypeError(`${who}: timeoutMs must be an integer ≥ 0, got ${String(given)}`);
  return ms;
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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
