// Keys fetched over HTTP: Google's JWKS / PEM certs, IAP's public keys, or authplane's copies of them.
// Cached for the response's Cache-Control max-age (minus Age); an unknown kid triggers a refetch at most
// every `refetchIntervalSec`, and so does a failed fetch: the last good keys keep serving meanwhile, and
// before any fetch has succeeded every verification fails with that fetch's KeySourceError until the next
// attempt is due (a key endpoint that is down is not asked once per token).

import type { KeyObject } from 'node:crypto';
import { parseKeySet, type KeySource, type ParsedKey, type VerifyAlgorithm } from './keys.js';

export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
export const GOOGLE_PEM_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';
export const IAP_JWKS_URL = 'https://www.gstatic.com/iap/verify/public_key-jwk';

/** Paths under `AUTHPLANE_URL` where authplane serves the same documents. */
export const AUTHPLANE_JWKS_PATH = '/oauth2/v3/certs';
export const AUTHPLANE_IAP_JWKS_PATH = '/iap/verify/public_key-jwk';

/**
 * The key URL to use, first match wins: the explicit option; `AUTHPLANE_JWKS_URL` / `AUTHPLANE_IAP_JWKS_URL`;
 * `AUTHPLANE_URL` (authplane's API base, e.g. http://127.0.0.1:8930) plus authplane's path; Google's URL.
 */
export function resolveKeyUrl(kind: 'id-token' | 'iap', explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const specific = kind === 'iap' ? env['AUTHPLANE_IAP_JWKS_URL'] : env['AUTHPLANE_JWKS_URL'];
  if (specific) return specific;
  const base = env['AUTHPLANE_URL'];
  if (base) return base.replace(/\/+$/, '') + (kind === 'iap' ? AUTHPLANE_IAP_JWKS_PATH : AUTHPLANE_JWKS_PATH);
  return kind === 'iap' ? IAP_JWKS_URL : GOOGLE_JWKS_URL;
}

/** Fetching keys failed and no earlier keys are at hand. Not a refusal: the verifier could not decide. */
export class KeySourceError extends Error {
  override readonly name = 'KeySourceError';
  readonly code = 'KEY_SOURCE_UNAVAILABLE';
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot load keys from ${url}: ${message}`, options);
  }
}

export interface RemoteKeySourceOptions {
  /** JWKS or PEM-map URL. */
  url: string;
  /** Default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Seconds keys are kept when the response names no max-age. Default 3600. */
  defaultMaxAgeSec?: number;
  /**
   * Least seconds between refetches caused by unknown kids, and between a failed fetch and the next. Default 30.
   * (Keys past their max-age are fetched again at once.)
   */
  refetchIntervalSec?: number;
  /** Per fetch, milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
}

export class RemoteKeySource implements KeySource {
  readonly name: string;
  readonly url: string;
  private keys = new Map<string, ParsedKey>();
  private loaded = false;
  private expiresAtMs = 0;
  private lastAttemptMs = -Infinity;
  /** Why the last fetch failed; undefined after a success. */
  private lastError: KeySourceError | undefined;
  private inFlight: Promise<boolean> | undefined;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly defaultMaxAgeMs: number;
  private readonly refetchIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly clock: () => number;
  /** Fetches made, for tests and metrics. */
  fetches = 0;

  constructor(options: RemoteKeySourceOptions) {
    if (!options || typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new TypeError('RemoteKeySource: options.url must be an http(s) URL');
    }
    this.url = options.url;
    this.name = `the key set at ${options.url}`;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.defaultMaxAgeMs = (options.defaultMaxAgeSec ?? 3600) * 1000;
    this.refetchIntervalMs = (options.refetchIntervalSec ?? 30) * 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.clock = options.clock ?? Date.now;
  }

  key(kid: string, alg: VerifyAlgorithm): KeyObject | undefined {
    const k = this.keys.get(kid);
    return k !== undefined && k.alg === alg ? k.key : undefined;
  }

  ready(): Promise<void> | undefined {
    const now = this.clock();
    if (this.loaded && now < this.expiresAtMs) return undefined;
    // After a failure the next fetch waits for the interval: stale keys keep serving, or the failure stands.
    if (this.lastError !== undefined && now - this.lastAttemptMs < this.refetchIntervalMs && !this.inFlight) {
      return this.loaded ? undefined : Promise.reject(this.lastError);
    }
    return this.load().then(
      () => undefined,
      (err: unknown) => {
        if (!this.loaded) throw err;
      },
    );
  }

  async refresh(): Promise<boolean> {
    // A fetch under way answers for this caller too, its failure included (false: the keys did not change).
    if (this.inFlight) return this.inFlight.catch(() => false);
    if (this.clock() - this.lastAttemptMs < this.refetchIntervalMs) return false;
    try {
      return await this.load();
    } catch {
      return false;
    }
  }

  /** Fetches now (one fetch at a time); true when a kid appeared that was not known before. */
  load(): Promise<boolean> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<boolean> {
    this.lastAttemptMs = this.clock();
    this.fetches++;
    let res: Response;
    let next: Map<string, ParsedKey>;
    try {
      try {
        res = await this.fetchFn(this.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      } catch (err) {
        throw new KeySourceError(this.url, (err as Error).message, { cause: err });
      }
      if (!res.ok) throw new KeySourceError(this.url, `HTTP ${res.status}`);
      try {
        next = parseKeySet(await res.json());
      } catch (err) {
        throw new KeySourceError(this.url, (err as Error).message, { cause: err });
      }
    } catch (err) {
      this.lastError = err as KeySourceError;
      throw err;
    }
    this.lastError = undefined;
    const added = [...next.keys()].some((kid) => !this.keys.has(kid));
    this.keys = next;
    this.loaded = true;
    this.expiresAtMs = this.clock() + freshnessMs(res.headers, this.defaultMaxAgeMs);
    return added;
  }
}

/** max-age minus Age, from Cache-Control; no-cache/no-store → 0; absent → the default. */
export function freshnessMs(headers: Headers, defaultMs: number): number {
  const cc = headers.get('cache-control') ?? '';
  if (/(^|,)\s*(no-cache|no-store)\s*(,|$)/i.test(cc)) return 0;
  const m = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cc);
  if (!m) return defaultMs;
  const age = Number(headers.get('age') ?? 0);
  return Math.max(0, Number(m[1]) - (Number.isFinite(age) ? age : 0)) * 1000;
}
