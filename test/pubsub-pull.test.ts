// Pull subscriptions with @google-cloud/pubsub unchanged (PUBSUB_EMULATOR_HOST → insecure gRPC):
// subscription.on('message') over StreamingPull receives and acknowledges; an unacknowledged message comes
// back after its ack deadline (on a hand-moved clock); NACKs and the REST pull path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Duration, PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { pubsubProduct } from '../src/pubsub/product.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { ManualClock } from './support/manual-clock.js';
import { until } from './support/until.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'demo-project';

/**
 * Collects what a subscription emits. The listener stays attached: the client closes its streams (and
 * drops unsent acknowledgements) when the last 'message' listener goes.
 */
function collect(sub: Subscription): { next(n: number): Promise<Message[]> } {
  const got: Message[] = [];
  let taken = 0;
  let error: Error | undefined;
  sub.on('message', (m: Message) => got.push(m));
  sub.on('error', (e: Error) => (error = e));
  return {
    async next(n) {
      await until(() => (error ? Promise.reject(error) : got.length >= taken + n || undefined), `${n} more messages on ${sub.name}`);
      taken += n;
      return got.slice(taken - n, taken);
    },
  };
}

describe('Pub/Sub pull with @google-cloud/pubsub', () => {
  let ap: TestAuthplane;
  let pubsub: PubSub;
  const clock = new ManualClock(Date.now());

  before(async () => {
    ap = await startTestAuthplane({}, { products: [pubsubProduct], clock: clock.clock, timers: clock });
    process.env.PUBSUB_EMULATOR_HOST = ap.platform.grpcHostPort;
    pubsub = new PubSub({ projectId: PROJECT });
  });
  after(async () => {
    await pubsub?.close();
    await ap?.stop();
  });

  test("subscription.on('message') receives each message once and acknowledges it", async () => {
    const [topic] = await pubsub.createTopic('events');
    const [sub] = await topic.createSubscription('events-pull');
    const [lost] = await pubsub.createTopic('nobody-listens');
    await lost.publishMessage({ data: Buffer.from('lost') });
    const messages = collect(sub);
    const ids = await Promise.all(['a', 'b', 'c'].map((d) => topic.publishMessage({ data: Buffer.from(d), attributes: { letter: d } })));
    const got = await messages.next(3);
    assert.deepEqual(got.map((m) => m.data.toString()).sort(), ['a', 'b', 'c']);
    assert.deepEqual(got.map((m) => m.id).sort(), [...ids].sort());
    assert.equal(got[0]!.attributes.letter, got[0]!.data.toString());
    assert.equal(got[0]!.deliveryAttempt, 0, 'no deliveryAttempt without a dead-letter policy');
    for (const m of got) m.ack();
    // The client batches acknowledgements (real time); wait for them to land.
    await until(async () => (await ap.platform.store.pubsub.countMessages('events-pull')) === 0 || undefined, 'the acknowledgements');
    await sub.close();
  });

  test('an unacknowledged message is redelivered after the ack deadline; each subscription has its own copy', async () => {
    const [topic] = await pubsub.createTopic('jobs');
    const [sub] = await topic.createSubscription('jobs-slow', { ackDeadlineSeconds: 30 });
    const [other] = await topic.createSubscription('jobs-other');
    assert.equal((await sub.getMetadata())[0].ackDeadlineSeconds, 30);
    // The client extends deadlines on its own schedule (real time); keep its first modAck to the subscription's deadline.
    sub.setOptions({ minAckDeadline: Duration.from({ seconds: 30 }), maxAckDeadline: Duration.from({ seconds: 30 }) });
    const messages = collect(sub);
    const id = await topic.publishMessage({ data: Buffer.from('slow work') });
    const [m1] = await messages.next(1);
    assert.equal(m1!.id, id);
    // The redelivery waits on the clock for the ack deadline: a wake-up exactly 30 s after the delivery, still
    // pending at 29 s.
    const deadline = clock.nowMs + 30_000;
    assert.ok(clock.timerTimes().includes(deadline), `a wake-up at the ack deadline (timers at +${clock.timerTimes().map((t) => t - clock.nowMs).join(', +')} ms)`);
    await clock.advance(29_000);
    assert.equal(clock.nextTimerAt(), deadline, 'at 29 s the next wake-up is the ack deadline');
    await clock.advance(2_000);
    const [m2] = await messages.next(1);
    assert.equal(m2!.id, id, 'the same message, delivered again after 30 s');
    m2!.ack();
    await until(async () => (await ap.platform.store.pubsub.countMessages('jobs-slow')) === 0 || undefined, 'the acknowledgement');
    await sub.close();
    // The other subscription's copy is untouched by all this.
    assert.equal(await ap.platform.store.pubsub.countMessages('jobs-other'), 1);
    const [o] = await collect(other).next(1);
    assert.equal(o!.id, id);
    o!.ack();
    await until(async () => (await ap.platform.store.pubsub.countMessages('jobs-other')) === 0 || undefined, 'the acknowledgement');
    await other.close();
  });

  test('a NACK makes the message due again at once (no retryPolicy)', async () => {
    const [topic] = await pubsub.createTopic('nacks');
    const [sub] = await topic.createSubscription('nacks-pull');
    const messages = collect(sub);
    const id = await topic.publishMessage({ data: Buffer.from('retry me') });
    const [m1] = await messages.next(1);
    m1!.nack();
    const [m2] = await messages.next(1);
    assert.equal(m1!.id, id);
    assert.equal(m2!.id, id);
    m2!.ack();
    await until(async () => (await ap.platform.store.pubsub.countMessages('nacks-pull')) === 0 || undefined, 'the acknowledgement');
    await sub.close();
  });

  test('REST: pull with returnImmediately, then acknowledge by ack ID', async () => {
    const base = `/v1/projects/${PROJECT}`;
    assert.equal((await ap.api(`${base}/topics/rest-topic`, { method: 'PUT', body: '{}' })).status, 200);
    assert.equal((await ap.api(`${base}/subscriptions/rest-sub`, { method: 'PUT', body: JSON.stringify({ topic: `projects/${PROJECT}/topics/rest-topic`, ackDeadlineSeconds: 0 }) })).status, 200);
    const sub = (await (await ap.api(`${base}/subscriptions/rest-sub`)).json()) as Record<string, unknown>;
    assert.equal(sub.ackDeadlineSeconds, 10, '0 means the default, 10 s');
    assert.equal(sub.messageRetentionDuration, '604800s');
    assert.deepEqual(sub.expirationPolicy, { ttl: '2678400s' });
    const pub = await ap.api(`${base}/topics/rest-topic:publish`, { method: 'POST', body: JSON.stringify({ messages: [{ data: Buffer.from('hi').toString('base64') }] }) });
    const { messageIds } = (await pub.json()) as { messageIds: string[] };
    const pulled = await ap.api(`${base}/subscriptions/rest-sub:pull`, { method: 'POST', body: JSON.stringify({ maxMessages: 10, returnImmediately: true }) });
    const { receivedMessages } = (await pulled.json()) as { receivedMessages: { ackId: string; message: { data: string; messageId: string; publishTime: string } }[] };
    assert.equal(receivedMessages.length, 1);
    assert.equal(receivedMessages[0]!.message.messageId, messageIds[0]);
    assert.equal(Buffer.from(receivedMessages[0]!.message.data, 'base64').toString(), 'hi');
    const ack = await ap.api(`${base}/subscriptions/rest-sub:acknowledge`, { method: 'POST', body: JSON.stringify({ ackIds: [receivedMessages[0]!.ackId] }) });
    assert.equal(ack.status, 200);
    const empty = await ap.api(`${base}/subscriptions/rest-sub:pull`, { method: 'POST', body: JSON.stringify({ maxMessages: 10, returnImmediately: true }) });
    assert.deepEqual(await empty.json(), {});
    const bad = await ap.api(`${base}/subscriptions/rest-sub:acknowledge`, { method: 'POST', body: JSON.stringify({ ackIds: ['not-an-ack-id'] }) });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-authplane-denial'), 'INVALID_ARGUMENT');
  });
});
