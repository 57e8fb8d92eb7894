// IAP's own credential toward Cloud Run: in front of a Cloud Run service, IAP calls it as its service
// agent (service-NUMBER@gcp-sa-iap.iam.gserviceaccount.com) with an ID token for the service's URL in
// X-Serverless-Authorization. The service must grant that agent roles/run.invoker, as on Google.

import { TokenCache } from '../lib/token-cache.js';
import { ID_TOKEN_LIFETIME_S, type Identity } from '../identity/identity.js';
import type { ServiceEntry } from '../services/directory.js';

export class InvokerTokens {
  /** Per service, reused until 5 minutes before expiry; concurrent first requests share one mint. */
  private readonly cache: TokenCache;

  constructor(
    private readonly identity: Identity,
    private readonly clock: () => number,
  ) {
    this.cache = new TokenCache({ clock });
  }

  async tokenFor(service: ServiceEntry): Promise<string> {
    const t = await this.cache.get(service.config.name, async () => {
      const email = this.identity.iapServiceAgent;
      const agent = await this.identity.findServiceAccount(email);
      if (!agent) throw new Error(`IAP's service agent ${email} does not exist (Identity.init() creates it)`);
      // The audience IAP mints for: the service's run.app URL.
      const token = await this.identity.mintIdToken(agent, { audience: service.urls.deterministic ?? service.urls.hashed, includeEmail: true });
      return { token, expiresAt: this.clock() + ID_TOKEN_LIFETIME_S * 1000 };
    });
    return t.token;
  }
}
