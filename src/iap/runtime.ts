// Everything IAP keeps per process: the sealing key (shared through the store), cookies, verifiers,
// the assertion signer and the service agent's tokens. Built once, on first use.

import type { Platform } from '../platform.js';
import { AssertionSigner } from './assertion.js';
import { ConsentCookie } from './consent.js';
import { InvokerTokens } from './invoker-token.js';
import { ProgrammaticAccess } from './programmatic.js';
import { Sealer } from './seal.js';
import { SessionCookies } from './session.js';

export interface IapRuntime {
  readonly platform: Platform;
  readonly sealer: Sealer;
  readonly sessions: SessionCookies;
  readonly consent: ConsentCookie;
  readonly programmatic: ProgrammaticAccess;
  readonly assertions: AssertionSigner;
  readonly invokerTokens: InvokerTokens;
}

const runtimes = new WeakMap<Platform, Promise<IapRuntime>>();

export function iapRuntime(platform: Platform): Promise<IapRuntime> {
  let r = runtimes.get(platform);
  if (!r) {
    r = (async () => {
      const sealer = await Sealer.open(platform.store);
      return {
        platform,
        sealer,
        sessions: new SessionCookies(sealer, platform.clock),
        consent: new ConsentCookie(sealer),
        programmatic: new ProgrammaticAccess(platform.identity),
        assertions: new AssertionSigner(platform.identity.keys, platform.config.project, platform.clock),
        invokerTokens: new InvokerTokens(platform.identity, platform.clock),
      };
    })();
    runtimes.set(platform, r);
  }
  return r;
}
