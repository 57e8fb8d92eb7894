// Identity-Aware Proxy as an authplane product: sign-in pages and IAM policy REST on the API port, and a
// gate in the admission decision of every service with `iap: { enabled: true }`.

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
  async gates(platform) {
    return [new IapGate(await iapRuntime(platform))];
  },
};
