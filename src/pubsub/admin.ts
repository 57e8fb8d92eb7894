// authplane's own view of Pub/Sub push (not Google's API): every push attempt of a subscription's messages,
// with the front door's refusal code, explanation and fix, and whether each message still waits (not yet
// acknowledged or dead-lettered). `authplane pubsub deliveries` reads it.
//
//   GET /admin/v1/subscriptions/{subscription}/deliveries[?messageId=ID]
//   → {subscription, waiting, messages: [{messageId, waiting, attempts: [attemptView…]}]}

import { notFound } from '../apis/errors.js';
import type { Router } from '../apis/router.js';
import { attemptViewOfEntry } from '../dispatch/attempt-log.js';
import { subscriptionResource } from '../iam/resources.js';
import { requestLogFor } from '../observe/request-log.js';
import type { Platform } from '../platform.js';
import { subscriptionName } from './names.js';

export function pubsubAdminRoutes(router: Router, platform: Platform): void {
  const api = router.for('authplane.admin');
  const store = platform.store.pubsub;
  api.get('/admin/v1/subscriptions/{subscription}/deliveries', { permission: 'pubsub.subscriptions.get', on: (req) => subscriptionResource(req.params.subscription!) }, async (req) => {
    const id = req.params.subscription!;
    const messageId = req.query.get('messageId') ?? undefined;
    const name = subscriptionName(platform.config.project.id, id);
    // Google's NOT_FOUND for a subscription (service.ts).
    if (!(await store.getSubscription(id))) throw notFound(`Resource not found (resource=${id}).`, name);
    const log = requestLogFor(platform);
    const byMessage = new Map<string, ReturnType<typeof attemptViewOfEntry>[]>();
    // Newest first in the log: shown oldest first.
    for (const e of log.recent({ resource: name, surface: 'dispatch', limit: log.capacity }).reverse()) {
      const m = e.dispatch?.messageId;
      if (e.dispatch?.resource !== name || m === undefined || (messageId !== undefined && m !== messageId)) continue;
      if (!byMessage.has(m)) byMessage.set(m, []);
      byMessage.get(m)!.push(attemptViewOfEntry(e));
    }
    const waiting = await store.countMessages(id, messageId);
    if (messageId !== undefined && waiting === 0 && !byMessage.has(messageId)) {
      throw notFound(`No message ${messageId} waits in subscription ${id}, and no push attempt of one is recorded.`, `${name}/messages/${messageId}`, {
        fix: `Check the message ID (authplane pubsub publish prints it; authplane pubsub deliveries ${id} lists the messages attempted). Attempts of a message already acknowledged are shown while the request log still holds them.`,
      });
    }
    if (messageId !== undefined && !byMessage.has(messageId)) byMessage.set(messageId, []);
    const messages = [];
    for (const [m, attempts] of byMessage) messages.push({ messageId: m, waiting: (await store.countMessages(id, m)) > 0, attempts });
    return { body: { subscription: name, waiting, messages } };
  });
}
