// The gateway product: one Apigee-style gateway per `gateways:` entry, plus the IAM API's service-account
// keys endpoint (so key-file clients, authplane/client's keyFileSource included, work against authplane).

import { serviceAccountKeyRoutes } from '../apis/service-account-keys.js';
import type { Product, StartedProduct } from '../product.js';
import { startGateway, type RunningGateway } from './gateway.js';

export const gatewayProduct: Product = {
  name: 'gateway',
  routes(router, platform) {
    serviceAccountKeyRoutes(router, platform);
  },
  async start(platform): Promise<StartedProduct> {
    const running: RunningGateway[] = [];
    try {
      for (const [i, g] of platform.config.gateways.entries()) running.push(await startGateway(platform, g, i));
    } catch (e) {
      await Promise.all(running.map((g) => g.close()));
      throw e;
    }
    return {
      listeners: running.map((g) => ({ name: `gateway ${g.name}`, url: g.url })),
      stop: async () => {
        await Promise.all(running.map((g) => g.close()));
      },
    };
  },
};
