// Pub/Sub as an authplane product: REST on the API port, gRPC (Publisher, Subscriber, IAMPolicy) on the
// gRPC port, the topics and subscriptions declared in config, and push delivery on the shared dispatch
// core (one Dispatcher per process over PushSource), which also runs retention and expiration sweeps.

import { Dispatcher } from '../dispatch/dispatcher.js';
import type { Router } from '../apis/router.js';
import type { Platform } from '../platform.js';
import type { Product, StartedProduct } from '../product.js';
import type { PushCompletion } from '../store/pubsub-store.js';
import { pubsubAdminRoutes } from './admin.js';
import { pubsubGrpc } from './grpc.js';
import { SubscriptionNews } from './news.js';
import { PushSource, type PushItem } from './push-source.js';
import { pubsubRestRoutes } from './rest.js';
import { PubsubService } from './service.js';
import { StreamingPulls } from './streaming-pull.js';
import { subscriptionFromConfig } from './subscription-model.js';

interface PubsubRuntime {
  news: SubscriptionNews;
  service: PubsubService;
  push: PushSource;
  dispatcher: Dispatcher<PushItem, PushCompletion>;
  streams?: StreamingPulls;
}

// One product object serves every authplane in the process (tests run several): state per platform.
const runtimes = new WeakMap<Platform, PubsubRuntime>();

function runtime(platform: Platform): PubsubRuntime {
  let rt = runtimes.get(platform);
  if (!rt) {
    const news = new SubscriptionNews(platform.clock, platform.timers);
    const push = new PushSource(platform, news);
    const dispatcher = new Dispatcher(platform, push);
    // Messages published, NACKed or dead-lettered into a push subscription wake its lane; a subscription
    // created, changed or deleted is news that the lane runs (or no longer does).
    news.onAny({ due: (s) => dispatcher.wake(s), changed: (s) => dispatcher.laneRuns(s) });
    rt = { news, service: new PubsubService(platform, news), push, dispatcher };
    runtimes.set(platform, rt);
  }
  return rt;
}

export const pubsubProduct: Product = {
  name: 'pubsub',

  routes(router: Router, platform: Platform): void {
    pubsubRestRoutes(router, platform, runtime(platform).service);
    pubsubAdminRoutes(router, platform);
  },

  grpc(server, platform) {
    const rt = runtime(platform);
    rt.streams = new StreamingPulls(platform, server, rt.service, rt.news);
    pubsubGrpc(server, rt.service, rt.streams);
  },

  attemptPreviewers(platform) {
    return [{ kind: 'subscription', preview: (id) => runtime(platform).push.preview(id) }];
  },

  async start(platform: Platform): Promise<StartedProduct> {
    const rt = runtime(platform);
    const store = platform.store.pubsub;
    const now = platform.clock();
    for (const t of platform.config.pubsub.topics) {
      await store.upsertConfigTopic({ id: t.name, labels: t.labels, messageRetentionMs: t.messageRetentionMs, fromConfig: true, createdAt: now });
    }
    for (const s of platform.config.pubsub.subscriptions) await store.upsertConfigSubscription(subscriptionFromConfig(s, now));
    // Other processes' publishes and NACKs (PostgreSQL): one listener for pull consumers and the push lanes.
    const unsubscribe = store.subscribe ? await store.subscribe((sub, at) => rt.news.at(sub, at)) : undefined;
    await rt.dispatcher.start();
    return {
      listeners: [],
      async stop() {
        rt.streams?.stop();
        await rt.dispatcher.stop();
        rt.news.stop();
        await unsubscribe?.();
        runtimes.delete(platform);
      },
    };
  },
};
