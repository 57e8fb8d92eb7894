// The Pub/Sub cases of the store conformance suite (test/store-conformance.ts runs them on SQLite and
// PostgreSQL alike): what the Pub/Sub service, the streaming pulls and the push dispatcher rely on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimTerms, DeadLetterContext, SubscriptionRecord, TopicRecord } from '../src/store/pubsub-store.js';
import type { Store } from '../src/store/store.js';

const T0 = 1_700_000_000_000;
const LEASE = 10_000;
const DL: DeadLetterContext = { project: 'demo-project' };
const pullTerms = (): ClaimTerms => ({ leaseMs: LEASE, redelivery: null });
const backoffTerms = (): ClaimTerms => ({ leaseMs: LEASE, redelivery: { minBackoffMs: 1_000, maxBackoffMs: 8_000, multiplier: 2 } });

const topic = (id: string): TopicRecord => ({ id, labels: {}, messageRetentionMs: null, fromConfig: false, createdAt: T0 });

function subscription(id: string, topicId: string, over: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return {
    id,
    topic: topicId,
    pushConfig: null,
    ackDeadlineSeconds: 10,
    retainAckedMessages: false,
    messageRetentionMs: 7 * 24 * 3_600_000,
    labels: {},
    enableMessageOrdering: false,
    enableExactlyOnceDelivery: false,
    expirationTtlMs: 31 * 24 * 3_600_000,
    filter: '',
    deadLetter: null,
    retryPolicy: null,
    detached: false,
    fromConfig: false,
    createdAt: T0,
    lastActiveAt: T0,
    ...over,
  };
}

const msg = (data: string, attributes: Record<string, string> = {}) => ({ data: Buffer.from(data).toString('base64'), attributes, orderingKey: '' });

export function pubsubConformance(freshStore: () => Promise<Store>, handles: (n: number) => Promise<Store[]>): void {
  /** A fresh store with topics t and dlq (dlq with subscription dlq-sub), and `subs`. */
  const withTopic = async (...subs: SubscriptionRecord[]): Promise<Store['pubsub']> => {
    const { pubsub } = await freshStore();
    assert.equal(await pubsub.createTopic(topic('t')), 'created');
    assert.equal(await pubsub.createTopic(topic('dlq')), 'created');
    assert.equal(await pubsub.createSubscription(subscription('dlq-sub', 'dlq')), 'created');
    for (const s of subs) assert.equal(await pubsub.createSubscription(s), 'created');
    return pubsub;
  };

  describe('pubsub', () => {
    it('topics and subscriptions: create once, missing topics refused, deleting a topic leaves its subscriptions detached from it', async () => {
      const { pubsub } = await freshStore();
      assert.equal(await pubsub.createTopic(topic('t')), 'created');
      assert.equal(await pubsub.createTopic({ ...topic('t'), labels: { x: 'y' } }), 'exists');
      assert.deepEqual(await pubsub.getTopic('t'), topic('t'));
      assert.equal(await pubsub.createSubscription(subscription('s', 'nope')), 'topic-missing');
      assert.equal(await pubsub.createSubscription(subscription('s', 't', { deadLetter: { topic: 'nope', maxDeliveryAttempts: 5 } })), 'dead-letter-topic-missing');
      const s = subscription('s', 't', { pushConfig: { pushEndpoint: 'https://x.example/push', attributes: { 'x-goog-version': 'v1' }, oidcToken: { serviceAccountEmail: 'a@b', audience: '' } } });
      assert.equal(await pubsub.createSubscription(s), 'created');
      assert.equal(await pubsub.createSubscription(subscription('s', 't')), 'exists');
      assert.deepEqual(await pubsub.getSubscription('s'), s);
      assert.deepEqual(await pubsub.updateSubscription({ ...s, ackDeadlineSeconds: 60 }), { ...s, ackDeadlineSeconds: 60 });
      assert.equal(await pubsub.updateSubscription({ ...s, deadLetter: { topic: 'nope', maxDeliveryAttempts: 5 } }), 'dead-letter-topic-missing');
      assert.equal(await pubsub.updateSubscription(subscription('other', 't')), null);
      assert.deepEqual((await pubsub.listSubscriptions('t')).map((x) => x.id), ['s']);
      assert.equal(await pubsub.deleteTopic('t'), true);
      assert.equal(await pubsub.deleteTopic('t'), false);
      assert.equal((await pubsub.getSubscription('s'))?.topic, '');
      assert.deepEqual(await pubsub.listSubscriptions('t'), []);
      assert.equal(await pubsub.deleteSubscription('s'), true);
      assert.equal(await pubsub.getSubscription('s'), null);
    });

    it('publish: one copy per attached subscription, none for detached ones, lost without subscriptions; IDs unique', async () => {
      const pubsub = await withTopic(subscription('a', 't'), subscription('b', 't'), subscription('c', 't'));
      assert.equal(await pubsub.detachSubscription('c'), true);
      assert.equal(await pubsub.createTopic(topic('empty')), 'created');
      const lost = await pubsub.publish('empty', [msg('x')], T0);
      assert.deepEqual(lost?.subscriptions, []);
      const out = await pubsub.publish('t', [msg('1'), msg('2', { k: 'v' })], T0);
      assert.deepEqual(out?.subscriptions.sort(), ['a', 'b']);
      assert.equal(new Set([...lost!.messageIds, ...out!.messageIds]).size, 3);
      assert.equal(await pubsub.publish('missing', [msg('x')], T0), null);
      assert.deepEqual([await pubsub.countMessages('a'), await pubsub.countMessages('b'), await pubsub.countMessages('c')], [2, 2, 0]);
    });

    it('claim leases due messages; an acknowledgement needs the current lease; a NACK or an expired deadline makes them due again after the backoff', async () => {
      const pubsub = await withTopic(subscription('s', 't'));
      const { messageIds } = (await pubsub.publish('t', [msg('1'), msg('2'), msg('3')], T0))!;
      const first = (await pubsub.claim('s', T0 + 5, 2, backoffTerms, DL, true))!;
      assert.equal(first.messages.length, 2);
      for (const m of first.messages) {
        assert.equal(m.attempts, 1);
        assert.equal(m.dueAt, T0);
        assert.equal(m.ackDeadline, T0 + 5 + LEASE);
        assert.equal(m.nextAt, T0 + 5 + LEASE + 1_000, 'due again a backoff after the deadline');
      }
      assert.equal(first.subscription.lastActiveAt, T0 + 5, 'an active claim refreshes it');
      assert.equal((await pubsub.getSubscription('s'))?.lastActiveAt, T0 + 5);
      const second = (await pubsub.claim('s', T0 + 6, 10, backoffTerms, DL, false))!;
      assert.deepEqual(second.messages.map((m) => m.messageId), [messageIds[2]]);
      assert.equal((await pubsub.claim('s', T0 + 7, 10, backoffTerms, DL, false))!.messages.length, 0);
      const [m1, m2] = first.messages;
      // A stale lease acknowledges nothing.
      assert.deepEqual(await pubsub.acknowledge('s', [{ seq: m1!.seq, leaseId: 'AAAAAAAAAAAA' }], T0 + 8), []);
      assert.deepEqual(await pubsub.acknowledge('s', [{ seq: m1!.seq, leaseId: m1!.leaseId }], T0 + 8), [{ seq: m1!.seq, leaseId: m1!.leaseId }]);
      // NACK: due again one backoff (1 s after the first failed delivery) from now.
      assert.equal((await pubsub.modifyAckDeadline('s', [{ seq: m2!.seq, leaseId: m2!.leaseId }], 0, T0 + 10, backoffTerms().redelivery)).length, 1);
      assert.equal((await pubsub.claim('s', T0 + 1_009, 10, backoffTerms, DL, false))!.messages.length, 0);
      const again = (await pubsub.claim('s', T0 + 1_010, 10, backoffTerms, DL, false))!;
      assert.deepEqual(again.messages.map((m) => [m.messageId, m.attempts]), [[m2!.messageId, 2]]);
      assert.equal(again.messages[0]!.nextAt, T0 + 1_010 + LEASE + 2_000, 'the backoff doubles');
      // Extending a deadline moves it; the old lease's ack still counts (the same delivery).
      const third = second.messages[0]!;
      await pubsub.modifyAckDeadline('s', [{ seq: third.seq, leaseId: third.leaseId }], 60, T0 + 20, null);
      assert.equal((await pubsub.claim('s', T0 + 6 + LEASE + 1, 10, pullTerms, DL, false))!.messages.length, 0);
      assert.equal((await pubsub.acknowledge('s', [{ seq: third.seq, leaseId: third.leaseId }], T0 + 30)).length, 1);
      assert.equal(await pubsub.countMessages('s'), 1);
      assert.deepEqual([await pubsub.countMessages('s', third.messageId), await pubsub.countMessages('s', m2!.messageId), await pubsub.countMessages('s', 'nope')], [0, 1, 0]);
    });

    it('claim terms null lease nothing (a pull subscription, seen by the push dispatcher)', async () => {
      const pubsub = await withTopic(subscription('s', 't'));
      await pubsub.publish('t', [msg('1')], T0);
      const d = (await pubsub.claim('s', T0, 10, () => null, DL, false))!;
      assert.equal(d.messages.length, 0);
      assert.equal(d.wakeAt, T0);
      assert.equal(await pubsub.claim('gone', T0, 10, pullTerms, DL, false), null);
    });

    it('dead-lettering: after maxDeliveryAttempts a due message goes to the dead-letter topic with the source attributes', async () => {
      const pubsub = await withTopic(subscription('s', 't', { deadLetter: { topic: 'dlq', maxDeliveryAttempts: 2 } }));
      await pubsub.publish('t', [msg('poison', { a: '1' })], T0);
      let now = T0;
      for (let n = 1; n <= 2; n++) {
        const d = (await pubsub.claim('s', now, 10, pullTerms, DL, false))!;
        assert.equal(d.messages[0]?.attempts, n);
        now += LEASE;
      }
      const last = (await pubsub.claim('s', now, 10, pullTerms, DL, false))!;
      assert.deepEqual([last.messages.length, last.deadLettered.count, last.deadLettered.subscriptions], [0, 1, ['dlq-sub']]);
      assert.equal(await pubsub.countMessages('s'), 0);
      const [dead] = (await pubsub.claim('dlq-sub', now, 10, pullTerms, DL, false))!.messages;
      assert.equal(Buffer.from(dead!.data, 'base64').toString(), 'poison');
      assert.deepEqual(dead!.attributes, {
        a: '1',
        CloudPubSubDeadLetterSourceDeliveryCount: '2',
        CloudPubSubDeadLetterSourceSubscription: 's',
        CloudPubSubDeadLetterSourceSubscriptionProject: 'demo-project',
        CloudPubSubDeadLetterSourceTopicPublishTime: new Date(T0).toISOString(),
      });
    });

    it('completePush: acked deletes, retry reschedules, dead-letter forwards; a lost lease changes nothing', async () => {
      const pubsub = await withTopic(subscription('s', 't', { deadLetter: { topic: 'dlq', maxDeliveryAttempts: 5 } }));
      await pubsub.publish('t', [msg('ok'), msg('retry'), msg('dead'), msg('lost')], T0);
      const [ok, retry, dead, lost] = (await pubsub.claim('s', T0, 10, pullTerms, DL, false))!.messages;
      const forwarded = await pubsub.completePush(
        [
          { seq: ok!.seq, leaseId: ok!.leaseId, subscription: 's', outcome: 'acked', nextAt: T0 + 1 },
          { seq: retry!.seq, leaseId: retry!.leaseId, subscription: 's', outcome: 'retry', nextAt: T0 + 5_000 },
          { seq: dead!.seq, leaseId: dead!.leaseId, subscription: 's', outcome: 'dead-letter', nextAt: T0 + 1 },
          { seq: lost!.seq, leaseId: 'AAAAAAAAAAAA', subscription: 's', outcome: 'acked', nextAt: T0 + 1 },
        ],
        T0 + 1,
        DL,
      );
      assert.deepEqual(forwarded, ['dlq-sub']);
      assert.equal(await pubsub.countMessages('s'), 2);
      assert.equal(await pubsub.countMessages('dlq-sub'), 1);
      assert.equal((await pubsub.getSubscription('s'))?.lastActiveAt, T0 + 1, 'a successful push is activity');
      assert.deepEqual((await pubsub.claim('s', T0 + 4_999, 10, pullTerms, DL, false))!.messages.map((m) => m.messageId), []);
      const later = (await pubsub.claim('s', T0 + LEASE + 1, 10, pullTerms, DL, false))!.messages.map((m) => Buffer.from(m.data, 'base64').toString());
      assert.deepEqual(later.sort(), ['lost', 'retry'], 'the retry after its backoff, the lost-lease one after its lease');
      assert.deepEqual(await pubsub.dueSubscriptions(T0 + 1), ['dlq-sub']);
    });

    it('concurrent claims from several handles never hand out one message twice', async () => {
      const stores = await handles(3);
      const pubsub = stores[0]!.pubsub;
      assert.equal(await pubsub.createTopic(topic('t')), 'created');
      assert.equal(await pubsub.createSubscription(subscription('s', 't')), 'created');
      await pubsub.publish('t', Array.from({ length: 60 }, (_, i) => msg(String(i))), T0);
      const claims = await Promise.all(stores.flatMap((s) => [0, 1].map(() => s.pubsub.claim('s', T0, 15, pullTerms, DL, false))));
      const seqs = claims.flatMap((c) => c!.messages.map((m) => m.seq));
      assert.equal(new Set(seqs).size, seqs.length, 'no message in two claims');
      assert.ok(seqs.length >= 15 && seqs.length <= 60);
    });

    it('sweep: messages past their retention go, subscriptions inactive past their TTL expire', async () => {
      const pubsub = await withTopic(subscription('keep', 't', { messageRetentionMs: 600_000 }), subscription('expiring', 't', { expirationTtlMs: 86_400_000 }), subscription('forever', 't', { expirationTtlMs: null }));
      await pubsub.publish('t', [msg('old')], T0);
      await pubsub.publish('t', [msg('new')], T0 + 500_000);
      const expired = await pubsub.sweep(T0 + 86_400_001);
      assert.deepEqual(expired, ['expiring']);
      assert.equal(await pubsub.getSubscription('expiring'), null);
      assert.equal(await pubsub.countMessages('keep'), 0, 'both past 10 minutes');
      assert.equal(await pubsub.countMessages('forever'), 2, '7 days of retention');
    });

    it('releaseOrphanedPushLeases on SQLite (one process owns the file): push leases come due now, pull deadlines stay; absent on PostgreSQL', async () => {
      const pubsub = await withTopic(subscription('pull', 't'), subscription('push', 't', { pushConfig: { pushEndpoint: 'https://x.example/', attributes: {} } }));
      // SQLite only (pubsub-store.ts): there one process owns the file, so a start may release every push lease.
      // On PostgreSQL other live processes hold leases, which expire instead; the method must be absent there.
      const kind = (await freshStore()).kind;
      assert.equal(typeof pubsub.releaseOrphanedPushLeases, kind === 'sqlite' ? 'function' : 'undefined', `${kind} store`);
      if (kind !== 'sqlite') return;
      await pubsub.publish('t', [msg('1')], T0);
      await pubsub.claim('pull', T0, 10, pullTerms, DL, false);
      await pubsub.claim('push', T0, 10, pullTerms, DL, false);
      assert.equal(await pubsub.releaseOrphanedPushLeases!(T0 + 1), 1);
      assert.equal((await pubsub.claim('push', T0 + 1, 10, pullTerms, DL, false))!.messages.length, 1);
      assert.equal((await pubsub.claim('pull', T0 + 1, 10, pullTerms, DL, false))!.messages.length, 0);
    });
  });
}
