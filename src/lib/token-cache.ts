// Tokens reused until shortly before they expire (5 minutes, like google-auth-library's IdTokenClient and
// the metadata server), and concurrent callers of one key share one in-flight fetch. Used wherever a
// token is minted or fetched for reuse: the metadata server, IAP's service agent, authplane/client.

/** A token and when it expires. */
export interface Token {
  readonly token: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** Default early-refresh margin: a token is replaced once it has less than this left. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

export interface TokenCacheOptions {
  /** Milliseconds before expiry at which a token is fetched anew. Default 5 minutes. */
  refreshMarginMs?: number;
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
  /** Most tokens kept; the oldest entries are dropped beyond it. Default 1000. */
  maxEntries?: number;
}

export class TokenCache {
  private readonly tokens = new Map<string, Token>();
  private readonly inFlight = new Map<string, Promise<Token>>();
  private readonly margin: number;
  private readonly clock: () => number;
  private readonly maxEntries: number;
  /** Fetches actually made (for tests and metrics). */
  fetches = 0;

  constructor(options: TokenCacheOptions = {}) {
    this.margin = options.refreshMarginMs ?? REFRESH_MARGIN_MS;
    if (!(this.margin >= 0)) throw new TypeError(`TokenCache: refreshMarginMs must be ≥ 0, got ${String(options.refreshMarginMs)}`);
    this.clock = options.clock ?? Date.now;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** The cached token for `key` while it has more than the margin left, else one fetch shared by all callers. */
  get(key: string, fetchToken: () => Promise<Token>): Promise<Token> {
    const hit = this.tokens.get(key);
    if (hit && hit.expiresAt - this.clock() > this.margin) return Promise.resolve(hit);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    this.fetches++;
    const p = fetchToken().then(
      (t) => {
        this.inFlight.delete(key);
        if (this.tokens.size >= this.maxEntries) this.tokens.delete(this.tokens.keys().next().value!);
        this.tokens.set(key, t);
        return t;
      },
      (e: unknown) => {
        this.inFlight.delete(key);
        throw e;
      },
    );
    this.inFlight.set(key, p);
    return p;
  }

  clear(): void {
    this.tokens.clear();
  }
}
