// The tokens a gateway attaches, each cached per audience (or scope set) until 5 minutes before expiry,
// with concurrent requests sharing one fetch (authplane/client's TokenCache):
//   googleIdToken      minted for the gateway's own service account (Apigee's "platform authentication");
//                      includeEmail is honoured, default false as in Apigee
//   googleAccessToken  the gateway's own access token, from its metadata server
//   impersonate        the IAM Credentials API (generateIdToken / generateAccessToken) for another account,
//                      called over HTTP with the gateway's own access token, as the seed's callout did

import type { GatewayConfig } from '../config/types.js';
import { cachedSource } from '../client/token-cache.js';
import { impersonatedSource } from '../client/impersonated-source.js';
import { jwtExpiry } from '../client/lib/http.js';
import { metadataServerSource } from '../client/metadata-source.js';
import type { Token, TokenSource } from '../client/source.js';
import type { Platform } from '../platform.js';

type Cached = TokenSource & { readonly cache: { fetches: number } };

export class GatewayCredentials {
  private readonly own: Cached;
  private readonly metadata: Cached;
  private readonly impersonated = new Map<string, Cached>();

  constructor(
    private readonly platform: Platform,
    readonly gateway: GatewayConfig,
    metadataHostPort: string,
  ) {
    const clock = platform.clock;
    this.metadata = cachedSource(metadataServerSource({ host: metadataHostPort, clock, env: {} }), { clock });
    const email = gateway.serviceAccount;
    const metadata = this.metadata;
    const ownSource: TokenSource = {
      description: `gateway ${gateway.name} (${email})`,
      async idToken(audience, request = {}): Promise<Token> {
        const sa = await platform.identity.findServiceAccount(email);
        if (!sa) throw new Error(`service account ${email} does not exist`);
        const token = await platform.identity.mintIdToken(sa, { audience, includeEmail: request.includeEmail === true });
        return { token, expiresAt: jwtExpiry(token, clock() + 3600_000) };
      },
      accessToken: (scopes) => metadata.accessToken(scopes),
    };
    this.own = cachedSource(ownSource, { clock });
  }

  /** An ID token for the gateway's own service account. */
  async ownIdToken(audience: string, includeEmail: boolean): Promise<string> {
    return (await this.own.idToken(audience, { includeEmail })).token;
  }

  /** The gateway's own access token, from its metadata server. */
  async ownAccessToken(scopes: readonly string[]): Promise<string> {
    return (await this.metadata.accessToken(scopes)).token;
  }

  /** A token for `serviceAccount`, minted by the IAM Credentials API on the gateway's behalf. */
  async impersonatedToken(serviceAccount: string, method: 'generateIdToken' | 'generateAccessToken', audience: string, includeEmail: boolean): Promise<string> {
    let source = this.impersonated.get(serviceAccount);
    if (!source) {
      source = cachedSource(
        impersonatedSource({ targetServiceAccount: serviceAccount, sourceCredentials: this.metadata, endpoint: this.platform.apiUrl, clock: this.platform.clock, env: {} }),
        { clock: this.platform.clock },
      );
      this.impersonated.set(serviceAccount, source);
    }
    const t = method === 'generateIdToken' ? await source.idToken(audience, { includeEmail }) : await source.accessToken([]);
    return t.token;
  }

  /** Token fetches actually made (the rest were served from cache). */
  get fetches(): number {
    let n = this.own.cache.fetches + this.metadata.cache.fetches;
    for (const s of this.impersonated.values()) n += s.cache.fetches;
    return n;
  }
}
