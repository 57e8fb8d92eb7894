// Pub/Sub push subscriptions end to end (SCENARIOS rows 19, 20): subscriptions created and messages
// published with @google-cloud/pubsub (PUBSUB_EMULATOR_HOST), delivered with the push account's ID token
// through the real Cloud Run front door to a recording service; each attempt read back from the request
// log (surface 'dispatch'); retry timing on a hand-moved clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { OAuth2Client } from 'google-auth-library';
import { pubsubProduct } from '../src/pubsub/product.js';
import { cloudRunProduct } from '../src/run/product.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { ManualClock } from './support/manual-clock.js';
import { until } from './support/until.js';

// The client would otherwise probe for a GCE metadata server off this machine.
process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'demo-project';
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;
const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface DispatchEntry {
  status: number;
  code?: string;
  principal?: string;
  explanation?: string;
  evidence?: Record<string, unknown>;
  error?: string;
  dispatch: { product: string; resource: string; messageId?: string; attempt: number; target: string; scheduleTime: string; retryTime?: string; retryReason?: string };
}

/** The service behind the front door: records every request, answers 200. */
async function recordingService(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

async function attempts(ap: TestAuthplane, subscription: string): Promise<DispatchEntry[]> {
  const res = await ap.api('/admin/v1/requests?surface=dispatch&limit=1000');
  const { requests } = (await res.json()) as { requests: DispatchEntry[] };
  return requests.filter((e) => e.dispatch.resource === `projects/${PROJECT}/subscriptions/${subscription}`).reverse();
}

const nAttempts = (ap: TestAuthplane, sub: string, n: number) => until(async () => ((await attempts(ap, sub)).length >= n ? attempts(ap, sub) : undefined), `${n} attempts on ${sub}`);

/**
 * An authplane with the Cloud Run service `update` (upstream: a recording service; push-invoker may invoke
 * it) and Pub/Sub, on a hand-moved clock, and a @google-cloud/pubsub client pointed at it.
 */
function pushFixture(project: Record<string, unknown> = {}) {
  const fx = {
    ap: undefined as unknown as TestAuthplane,
    svc: undefined as unknown as Awaited<ReturnType<typeof recordingService>>,
    pubsub: undefined as unknown as PubSub,
    // Starts at the real time: google-auth-library verifies the delivered token against the real clock.
    clock: new ManualClock(Date.now()),
  };
  before(async () => {
    fx.svc = await recordingService();
    fx.ap = await startTestAuthplane(
      {
        project: { id: PROJECT, number: '123456789012', region: 'us-central1', ...project },
        serviceAccounts: [{ name: 'push-invoker' }, { name: 'push-no-role' }, { name: 'update-runtime' }],
        services: [{ name: 'update', upstream: fx.svc.url, serviceAccount: 'update-runtime' }],
        iam: { bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA('push-invoker')}`] }] },
      },
      { products: [cloudRunProduct, pubsubProduct], clock: fx.clock.clock, timers: fx.clock },
    );
    process.env.PUBSUB_EMULATOR_HOST = fx.ap.platform.grpcHostPort;
    fx.pubsub = new PubSub({ projectId: PROJECT });
  });
  after(async () => {
    await fx.pubsub?.close();
    await fx.ap?.stop();
    await new Promise<void>((r) => fx.svc?.server.close(() => r()));
  });
  return fx;
}

describe('Pub/Sub push (rows 19, 20)', () => {
  const fx = pushFixture();

  test('oidcToken to a Cloud Run service: the wrapped envelope with a valid ID token, acknowledged once', async () => {
    const [topic] = await fx.pubsub.createTopic('orders');
    const endpoint = `${SERVICE_URL}/push?token=abc`;
    await topic.createSubscription('orders-push', { pushConfig: { pushEndpoint: endpoint, oidcToken: { serviceAccountEmail: SA('push-invoker'), audience: SERVICE_URL } } });
    const before = fx.svc.received.length;
    const id = await topic.publishMessage({ data: Buffer.from('{"order":42}'), attributes: { kind: 'created' } });
    const [entry] = await nAttempts(fx.ap, 'orders-push', 1);
    assert.equal(entry!.status, 200);
    assert.equal(entry!.dispatch.product, 'pubsub');
    assert.equal(entry!.dispatch.messageId, id);
    assert.equal(entry!.principal, `serviceAccount:${SA('push-invoker')}`);
    assert.equal(fx.svc.received.length, before + 1, 'delivered once');
    const got = fx.svc.received[before]!;
    assert.equal(got.path, '/push?token=abc');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['accept'], 'application/json');
    assert.equal(got.headers['from'], 'noreply@google.com');
    assert.equal(got.headers['user-agent'], 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)');
    const envelope = JSON.parse(got.body.toString('utf8')) as { message: Record<string, unknown>; subscription: string; deliveryAttempt?: number };
    assert.equal(envelope.subscription, `projects/${PROJECT}/subscriptions/orders-push`);
    assert.equal(Buffer.from(String(envelope.message.data), 'base64').toString('utf8'), '{"order":42}');
    assert.deepEqual(envelope.message.attributes, { kind: 'created' });
    assert.equal(envelope.message.messageId, id);
    assert.equal(envelope.message.message_id, id);
    assert.equal(envelope.message.publishTime, new Date(fx.clock.nowMs).toISOString());
    assert.equal(envelope.message.publish_time, envelope.message.publishTime);
    assert.equal(envelope.deliveryAttempt, undefined, 'no deliveryAttempt without a dead-letter policy');

    // The token Cloud Run passed on is a Google ID token for the push account, with the subscription's audience.
    const token = String(got.headers['authorization']).replace(/^Bearer /, '');
    const verifier = new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: `${fx.ap.apiUrl}/oauth2/v1/certs` } });
    const ticket = await verifier.verifyIdToken({ idToken: token, audience: SERVICE_URL });
    assert.equal(ticket.getPayload()!.email, SA('push-invoker'));

    // Acknowledged: nothing left, nothing sent again.
    assert.equal(await fx.ap.platform.store.pubsub.countMessages('orders-push'), 0);
    await fx.clock.advance(700_000);
    assert.equal(fx.svc.received.length, before + 1, 'acked once: no redelivery');
  });

  test('row 20: endpoint with a path and no audience → 401 AUDIENCE_MISMATCH (hint: path) on every delivery', async () => {
    const [topic] = await fx.pubsub.createTopic('audience-trap');
    await topic.createSubscription('audience-trap-push', {
      pushConfig: { pushEndpoint: `${SERVICE_URL}/push`, oidcToken: { serviceAccountEmail: SA('push-invoker') } },
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 600 } },
    });
    await topic.publishMessage({ data: Buffer.from('x') });
    const [first] = await nAttempts(fx.ap, 'audience-trap-push', 1);
    assert.equal(first!.status, 401);
    assert.equal(first!.code, 'AUDIENCE_MISMATCH');
    assert.equal(first!.evidence?.hint, 'path');
    assert.match(first!.explanation ?? '', /path/);
    await fx.clock.advanceTo(Date.parse(first!.dispatch.retryTime!));
    const [, second] = await nAttempts(fx.ap, 'audience-trap-push', 2);
    assert.equal(second!.status, 401);
    assert.equal(second!.code, 'AUDIENCE_MISMATCH');
  });

  test('row 19: push account without roles/run.invoker → 403 on every delivery, redelivered per retryPolicy, then dead-lettered', async () => {
    const [topic] = await fx.pubsub.createTopic('no-invoker');
    const [dlq] = await fx.pubsub.createTopic('no-invoker-dlq');
    const [dlqSub] = await dlq.createSubscription('no-invoker-dlq-pull');
    const [sub] = await topic.createSubscription('no-invoker-push', {
      pushConfig: { pushEndpoint: `${SERVICE_URL}/push`, oidcToken: { serviceAccountEmail: SA('push-no-role'), audience: SERVICE_URL } },
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 60 } },
      deadLetterPolicy: { deadLetterTopic: dlq.name, maxDeliveryAttempts: 5 },
    });
    assert.equal((await sub.getMetadata())[0].deadLetterPolicy?.maxDeliveryAttempts, 5);
    const id = await topic.publishMessage({ data: Buffer.from('refused'), attributes: { a: '1' } });
    const times: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const all = await nAttempts(fx.ap, 'no-invoker-push', n);
      const e = all[n - 1]!;
      assert.equal(e.status, 403, `attempt ${n}`);
      assert.equal(e.code, 'PERMISSION_DENIED');
      assert.equal(e.dispatch.attempt, n);
      assert.equal(e.dispatch.messageId, id);
      times.push(Date.parse(e.dispatch.scheduleTime));
      if (n < 5) await fx.clock.advanceTo(Date.parse(e.dispatch.retryTime!));
      else assert.match(e.dispatch.retryReason ?? '', /maxDeliveryAttempts \(5\)/);
    }
    // Exponential between minimumBackoff and maximumBackoff, doubling: 10, 20, 40, 60 s.
    assert.deepEqual(times.slice(1).map((t, i) => (t - times[i]!) / 1000), [10, 20, 40, 60]);

    // The dead-letter topic's subscription gets the message with Pub/Sub's source attributes.
    const dead = await new Promise<Message>((resolve, reject) => {
      dlqSub.once('message', resolve);
      dlqSub.once('error', reject);
    });
    dead.ack();
    await dlqSub.close();
    assert.equal(dead.data.toString(), 'refused');
    assert.equal(dead.attributes.a, '1');
    assert.equal(dead.attributes.CloudPubSubDeadLetterSourceDeliveryCount, '5');
    assert.equal(dead.attributes.CloudPubSubDeadLetterSourceSubscription, 'no-invoker-push');
    assert.equal(dead.attributes.CloudPubSubDeadLetterSourceSubscriptionProject, PROJECT);
    assert.equal(await fx.ap.platform.store.pubsub.countMessages('no-invoker-push'), 0);
  });

  test('noWrapper: the raw data as the body, attributes as headers, metadata as x-goog-pubsub-* with writeMetadata', async () => {
    const [topic] = await fx.pubsub.createTopic('raw');
    await topic.createSubscription('raw-push', { pushConfig: { pushEndpoint: `${SERVICE_URL}/raw`, oidcToken: { serviceAccountEmail: SA('push-invoker'), audience: SERVICE_URL }, noWrapper: { writeMetadata: true } } });
    const before = fx.svc.received.length;
    const id = await topic.publishMessage({ data: Buffer.from('plain bytes'), attributes: { 'x-order-id': '42', color: 'blue' } });
    await nAttempts(fx.ap, 'raw-push', 1);
    const got = fx.svc.received[before]!;
    assert.equal(got.path, '/raw');
    assert.equal(got.body.toString('utf8'), 'plain bytes');
    assert.equal(got.headers['x-order-id'], '42');
    assert.equal(got.headers['color'], 'blue');
    assert.equal(got.headers['x-goog-pubsub-message-id'], id);
    assert.equal(got.headers['x-goog-pubsub-subscription-name'], `projects/${PROJECT}/subscriptions/raw-push`);
    assert.equal(got.headers['content-type'], undefined, 'no JSON content type on unwrapped deliveries');
  });

  // pubsub.proto NoWrapper.write_metadata: only "when true" are attributes and metadata written as headers;
  // the payload-unwrapping page: without it the request carries the raw data only.
  for (const [name, noWrapper] of [['unset', {}], ['false', { writeMetadata: false }]] as const) {
    test(`noWrapper with writeMetadata ${name}: the raw data only, no attribute or metadata header`, async () => {
      const [topic] = await fx.pubsub.createTopic(`raw-only-${name}`);
      const sub = `raw-only-${name}-push`;
      await topic.createSubscription(sub, { pushConfig: { pushEndpoint: `${SERVICE_URL}/raw-only`, oidcToken: { serviceAccountEmail: SA('push-invoker'), audience: SERVICE_URL }, noWrapper } });
      const before = fx.svc.received.length;
      await topic.publishMessage({ data: Buffer.from('just bytes'), attributes: { attr1: 'v1', 'content-type': 'text/evil' } });
      await nAttempts(fx.ap, sub, 1);
      const got = fx.svc.received[before]!;
      assert.equal(got.path, '/raw-only');
      assert.equal(got.body.toString('utf8'), 'just bytes');
      assert.equal(got.headers['attr1'], undefined, 'attributes are headers only with writeMetadata');
      assert.equal(got.headers['content-type'], undefined, 'an attribute named content-type is not sent either');
      assert.deepEqual(Object.keys(got.headers).filter((h) => h.startsWith('x-goog-pubsub-')), []);
    });
  }
});

describe('Pub/Sub push under the pre-2021 rule (project.pubsubServiceAgentNeedsTokenCreator)', () => {
  const fx = pushFixture({ pubsubServiceAgentNeedsTokenCreator: true });
  const AGENT = 'service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com';

  test('without Token Creator the service agent attaches no token (403 TOKEN_MISSING, the fix named); granted, 200', async () => {
    const [topic] = await fx.pubsub.createTopic('legacy');
    await topic.createSubscription('legacy-push', {
      pushConfig: { pushEndpoint: `${SERVICE_URL}/push`, oidcToken: { serviceAccountEmail: SA('push-invoker'), audience: SERVICE_URL } },
      retryPolicy: { minimumBackoff: { seconds: 10 }, maximumBackoff: { seconds: 60 } },
    });
    await topic.publishMessage({ data: Buffer.from('old project') });
    const [first] = await nAttempts(fx.ap, 'legacy-push', 1);
    assert.equal(first!.status, 403);
    assert.equal(first!.code, 'TOKEN_MISSING');
    assert.ok(first!.error?.includes(`${AGENT} lacks iam.serviceAccounts.getOpenIdToken`), first!.error);
    assert.match(first!.error ?? '', /roles\/iam\.serviceAccountTokenCreator/);
    const grant = await fx.ap.api(`/v1/projects/${PROJECT}/serviceAccounts/${SA('push-invoker')}:setIamPolicy`, {
      method: 'POST',
      body: JSON.stringify({ policy: { bindings: [{ role: 'roles/iam.serviceAccountTokenCreator', members: [`serviceAccount:${AGENT}`] }] } }),
    });
    assert.equal(grant.status, 200, await grant.clone().text());
    await fx.clock.advanceTo(Date.parse(first!.dispatch.retryTime!));
    const [, second] = await nAttempts(fx.ap, 'legacy-push', 2);
    assert.equal(second!.status, 200);
  });
});
