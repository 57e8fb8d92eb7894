// The gateway product: one Apigee-style gateway per `gateways:` entry.

import type { Product, StartedProduct } from '../product.js';
import { startGateway, type RunningGateway } from './gateway.js';

export const gatewayProduct: Product = {
  name: 'gateway',
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
