// Tokens for the attempts of Google's callers (Cloud Tasks, Cloud Scheduler, Pub/Sub push), minted once per
// (service account, audience | scope) and reused until 5 minutes before expiry, as Google's own token sources
// do ("tokens attached to push requests may be up to one hour old", REFERENCE §9): an RS256 signature costs ≈ 0.4 ms of
// CPU, so minting per attempt would cap dispatch near 2,300/s per core. The caching itself is the
// shared TokenCache (lib/token-cache.ts: same margin, one shared mint per key).

import { decodeJwt } from '../lib/jwt.js';
import { TokenCache } from '../lib/token-cache.js';
import type { Platform } from '../platform.js';

export class DispatchTokens {
  private readonly cache: TokenCache;

  constructor(private readonly platform: Platform) {
    this.cache = new TokenCache({ clock: platform.clock, maxEntries: 10_000 });
  }

  /** Mints started (for tests and the bench: reuse shows as a small number). */
  get minted(): number {
    return this.cache.fetches;
  }

  /** An ID token for `email` with audience `audience` (email claim included, as Google's callers' tokens carry it). */
  async idToken(email: string, audience: string): Promise<string> {
    const t = await this.cache.get(`id|${email}|${audience}`, async () => {
      const sa = await this.account(email);
      const token = await this.platform.identity.mintIdToken(sa, { audience, includeEmail: true });
      return { token, expiresAt: Number(decodeJwt(token)!.claims.exp) * 1000 };
    });
    return t.token;
  }

  /** An OAuth access token for `email` with `scope` (space-separated scopes). */
  async accessToken(email: string, scope: string): Promise<string> {
    const t = await this.cache.get(`at|${email}|${scope}`, async () => {
      const sa = await this.account(email);
      const grant = await this.platform.identity.mintAccessToken(`serviceAccount:${sa.email}`, scope.split(/\s+/).filter(Boolean));
      return { token: grant.token, expiresAt: grant.record.expiresAt };
    });
    return t.token;
  }

  private async account(email: string) {
    const sa = await this.platform.identity.findServiceAccount(email);
    if (!sa) throw new Error(`service account ${email} does not exist (deleted after the task, job or subscription was created?)`);
    if (sa.disabled) throw new Error(`service account ${email} is disabled`);
    return sa;
  }
}
