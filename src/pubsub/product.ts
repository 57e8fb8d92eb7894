// Pub/Sub as an authplane product: REST on the API port, gRPC (Publisher, Subscriber, IAMPolicy) on the
// gRPC port, the topics and subscriptions declared in config, and the background work: other processes'
// news (PostgreSQL), retention and expiration sweeps.

import type { Router } from '../apis/router.js';
import type { Platform } from '../platform.js';
import type { Product, StartedProduct } from '../product.js';
import { pubsubGrpc } from './grpc.js';
import { SubscriptionNews } from './news.js';
import { pubsubRestRoutes } from './rest.js';
import { PubsubService } from './service.js';
import { StreamingPulls } from './streaming-pull.js';
import { subscriptionFromConfig } from './subscription-model.js';

/** How often retention and expiration are enforced, and due subscriptions re-checked (missed news). */
const SWEEP_INTERVAL_MS = 60_000;

interface PubsubRuntime {
  news: SubscriptionNews;
  service: PubsubService;
  streams?: StreamingPulls;
}

// One product object serves every authplane in the process (tests run several): state per platform.
const runtimes = new WeakMap<Platform, PubsubRuntime>();

function runtime(platform: Platform): PubsubRuntime {
  let rt = runtimes.get(platform);
  if (!rt) {
    const news = new SubscriptionNews(platform.clock);
    rt = { news, service: new PubsubService(platform, news) };
    runtimes.set(platform, rt);
  }
  return rt;
}

/**
 * Tells every consumer of a running authplane to look again: after a test moves the injected clock past
 * an ack deadline or a backoff (on Google, time simply passes).
 */
export function pubsubWake(platform: Platform): void {
  runtime(platform).news.notifyAll();
}

export const pubsubProduct: Product = {
  name: 'pubsub',

  routes(router: Router, platform: Platform): void {
    pubsubRestRoutes(router, platform, runtime(platform).service);
  },

  grpc(server, platform) {
    const rt = runtime(platform);
    rt.streams = new StreamingPulls(platform, server, rt.service, rt.news);
    pubsubGrpc(server, rt.service, rt.streams);
  },

  async start(platform: Platform): Promise<StartedProduct> {
    const rt = runtime(platform);
    const store = platform.store.pubsub;
    const now = platform.clock();
    for (const t of platform.config.pubsub.topics) {
      await store.upsertConfigTopic({ id: t.name, labels: t.labels, messageRetentionMs: t.messageRetentionMs, fromConfig: true, createdAt: now });
    }
    for (const s of platform.config.pubsub.subscriptions) await store.upsertConfigSubscription(subscriptionFromConfig(s, now));
    const unsubscribe = store.subscribe ? await store.subscribe((sub, at) => rt.news.at(sub, at)) : undefined;
    const sweep = setInterval(() => {
      void store
        .sweep(platform.clock())
        .then(async (expired) => {
          for (const s of expired) rt.news.notify(s);
          for (const s of await store.dueSubscriptions(platform.clock())) rt.news.notify(s);
        })
        .catch((e: unknown) => console.error('authplane: pubsub sweep:', (e as Error).message));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    return {
      listeners: [],
      async stop() {
        clearInterval(sweep);
        rt.streams?.stop();
        rt.news.stop();
        await unsubscribe?.();
        runtimes.delete(platform);
      },
    };
  },
};
