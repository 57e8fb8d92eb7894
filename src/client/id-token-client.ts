// Get an ID token for a target and call it: the audience derived by Google's rules (or given), tokens
// cached with early refresh, the header of your choice, warnings when the target would refuse the audience.

import { deriveAudience, type DerivedAudience } from './audience.js';
import type { Env } from './endpoints.js';
import type { AudienceWarning } from './errors.js';
import { impersonatedSource } from './impersonated-source.js';
import { keyFileSource, type ServiceAccountKeyFile } from './key-file-source.js';
import { metadataServerSource } from './metadata-source.js';
import type { TokenSource } from './source.js';
import { cachedSource, type TokenCache } from './token-cache.js';

/** Where the ID token travels. With X-Serverless-Authorization, the request's own Authorization reaches the service untouched. */
export type IdTokenHeader = 'Authorization' | 'X-Serverless-Authorization';

export interface ImpersonationOptions {
  /** The service account whose ID tokens to mint. */
  serviceAccount: string;
  /** Delegation chain (emails), caller first. */
  delegates?: readonly string[];
  /** IAM Credentials base URL. Default AUTHPLANE_URL, else https://iamcredentials.googleapis.com. */
  endpoint?: string;
}

export interface IdTokenClientOptions {
  /**
   * Where tokens come from. Default: `keyFile`, else the key file named by GOOGLE_APPLICATION_CREDENTIALS,
   * else the metadata server (GCE_METADATA_IP / GCE_METADATA_HOST / metadata.google.internal).
   */
  source?: TokenSource;
  /** A service-account key file (path or parsed JSON). */
  keyFile?: string | ServiceAccountKeyFile;
  /** Mint for another service account through the IAM Credentials API, the source above asking. */
  impersonate?: string | ImpersonationOptions;
  /** host[:port] of the metadata server, overriding the environment. */
  metadataHost?: string;
  /** An explicit audience for every call (a custom audience, or an IAP OAuth client ID). Default: derived per URL. */
  audience?: string;
  /** Ask for the email claim (IAP needs it). Default true, as google-auth-library's Impersonated client. */
  includeEmail?: boolean;
  /** Default 'Authorization'. */
  header?: IdTokenHeader;
  /** Milliseconds before expiry at which a cached token is replaced. Default 5 minutes. */
  refreshMarginMs?: number;
  /** Receives each distinct audience warning once. Default: process.emitWarning(warning). */
  onWarning?: (warning: AudienceWarning) => void;
  /** Used for token endpoints and by the authorized fetch. Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Environment to read. Default process.env. */
  env?: Env;
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
}

const HEADERS: readonly IdTokenHeader[] = ['Authorization', 'X-Serverless-Authorization'];

/** The token source the options describe, uncached. */
export function resolveSource(options: IdTokenClientOptions = {}): TokenSource {
  const env = options.env ?? process.env;
  const common = { ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.clock ? { clock: options.clock } : {}) };
  let base: TokenSource;
  if (options.source) base = options.source;
  else if (options.keyFile) base = keyFileSource({ keyFile: options.keyFile, ...common });
  else if (env['GOOGLE_APPLICATION_CREDENTIALS']) base = keyFileSource({ keyFile: env['GOOGLE_APPLICATION_CREDENTIALS'], ...common });
  else base = metadataServerSource({ ...(options.metadataHost ? { host: options.metadataHost } : {}), env, ...common });
  if (options.impersonate === undefined) return base;
  const imp: ImpersonationOptions = typeof options.impersonate === 'string' ? { serviceAccount: options.impersonate } : options.impersonate;
  return impersonatedSource({
    targetServiceAccount: imp.serviceAccount,
    ...(imp.delegates ? { delegates: imp.delegates } : {}),
    ...(imp.endpoint ? { endpoint: imp.endpoint } : {}),
    // The source's access token is reused too, until shortly before it expires.
    sourceCredentials: cachedSource(base, { ...(options.clock ? { clock: options.clock } : {}) }),
    env,
    ...common,
  });
}

export class IdTokenClient {
  readonly header: IdTokenHeader;
  readonly source: TokenSource & { readonly cache: TokenCache };
  private readonly options: IdTokenClientOptions;
  private readonly warned = new Set<string>();

  constructor(options: IdTokenClientOptions = {}) {
    if (options.header !== undefined && !HEADERS.includes(options.header)) {
      throw new TypeError(`IdTokenClient: header must be ${HEADERS.join(' or ')}, got ${String(options.header)}`);
    }
    if (options.audience !== undefined && (typeof options.audience !== 'string' || options.audience === '')) {
      throw new TypeError('IdTokenClient: audience must be a non-empty string when given');
    }
    this.options = options;
    this.header = options.header ?? 'Authorization';
    this.source = cachedSource(resolveSource(options), {
      ...(options.refreshMarginMs !== undefined ? { refreshMarginMs: options.refreshMarginMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** The audience this client would use for `url`, with warnings (nothing is fetched or emitted). */
  audienceFor(url: string | URL, audience = this.options.audience): DerivedAudience {
    return deriveAudience(url, audience);
  }

  /**
   * An ID token for a call to `url`. Rejects with TokenFetchError (its code says which endpoint failed), or with
   * `opts.signal`'s reason once it aborts (a fetch shared with other callers goes on for them).
   */
  async getIdToken(url: string | URL, opts: { audience?: string; signal?: AbortSignal } = {}): Promise<string> {
    const derived = this.audienceFor(url, opts.audience ?? this.options.audience);
    this.report(derived);
    const t = await this.source.idToken(derived.audience, { includeEmail: this.options.includeEmail !== false, ...(opts.signal ? { signal: opts.signal } : {}) });
    return t.token;
  }

  /** The header to add to a call to `url`: `{ Authorization: 'Bearer …' }` or `{ 'X-Serverless-Authorization': 'Bearer …' }`. */
  async getRequestHeaders(url: string | URL, opts: { audience?: string; signal?: AbortSignal } = {}): Promise<Record<string, string>> {
    return { [this.header]: `Bearer ${await this.getIdToken(url, opts)}` };
  }

  private report(derived: DerivedAudience): void {
    for (const w of derived.warnings) {
      const key = `${w.code}\n${w.audience}\n${w.url}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      if (this.warned.size > 1000) this.warned.clear();
      if (this.options.onWarning) this.options.onWarning(w);
      else process.emitWarning(w);
    }
  }
}

/** One ID token for `url` (a new client each call: keep an IdTokenClient to benefit from its cache). */
export function getIdToken(url: string | URL, options: IdTokenClientOptions = {}): Promise<string> {
  return new IdTokenClient(options).getIdToken(url);
}
