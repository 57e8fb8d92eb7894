// Identity-Aware Proxy as an authplane product: sign-in pages and IAM policy REST on the API port, and a
// gate in front of every service with `iap: { enabled: true }` (the Cloud Run front door runs it).

import type { Product } from '../product.js';
import { IapGate } from './gate.js';
import { iapPolicyRoutes } from './policy-routes.js';
import { iapRuntime } from './runtime.js';
import { signinRoutes } from './signin.js';

export const iapProduct: Product = {
  name: 'iap',
  routes(router, platform) {
    signinRoutes(router, platform, () => iapRuntime(platform));
    iapPolicyRoutes(router, platform);
  },
  async start(platform) {
    const gate = new IapGate(await iapRuntime(platform));
    platform.gates.push(gate);
    return {
      listeners: [],
      async stop() {
        const i = platform.gates.indexOf(gate);
        if (i >= 0) platform.gates.splice(i, 1);
      },
    };
  },
};
