// IAP's own credential toward Cloud Run: in front of a Cloud Run service, IAP calls it as its service
// agent (service-NUMBER@gcp-sa-iap.iam.gserviceaccount.com) with an ID token for the service's URL in
// X-Serverless-Authorization. The service must grant that agent roles/run.invoker, as on Google.

import type { Identity } from '../identity/identity.js';
import type { ServiceEntry } from '../services/directory.js';

/** Reuse a token until this close to its expiry (what Google's clients do). */
const REFRESH_MARGIN_S = 300;

export class InvokerTokens {
  private readonly byService = new Map<string, { token: string; exp: number }>();

  constructor(
    private readonly identity: Identity,
    private readonly clock: () => number,
  ) {}

  get serviceAgent(): string {
    return this.identity.iapServiceAgent;
  }

  /** The audience IAP mints for: the service's run.app URL. */
  static audience(service: ServiceEntry): string {
    return service.urls.deterministic ?? service.urls.hashed;
  }

  async tokenFor(service: ServiceEntry): Promise<string> {
    const now = this.clock() / 1000;
    const hit = this.byService.get(service.config.name);
    if (hit && hit.exp - REFRESH_MARGIN_S > now) return hit.token;
    const agent = await this.identity.findServiceAccount(this.serviceAgent);
    if (!agent) throw new Error(`IAP's service agent ${this.serviceAgent} does not exist (Identity.init() creates it)`);
    const token = await this.identity.mintIdToken(agent, { audience: InvokerTokens.audience(service), includeEmail: true });
    const exp = Math.floor(now) + 3600;
    this.byService.set(service.config.name, { token, exp });
    return token;
  }
}
