// The Pub/Sub administration API's rules and refusals, through @google-cloud/pubsub (gRPC) and REST:
// Google's words and status, authplane's code. Permissions as Google checks them (subscriptions.create on
// the project and topics.attachSubscription on the topic; actAs on a push account), pubsub.proto's ranges,
// topic and subscription IAM policies as the client sets them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PubSub } from '@google-cloud/pubsub';
import { pubsubProduct } from '../src/pubsub/product.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const PROJECT = 'demo-project';
const SA = (n: string) => `${n}@${PROJECT}.iam.gserviceaccount.com`;
const BASE = `/v1/projects/${PROJECT}`;

/** An access token for `email` from authplane's IAM Credentials API (the default principal may mint it). */
async function accessToken(ap: TestAuthplane, email: string): Promise<string> {
  const res = await ap.api(`/v1/projects/-/serviceAccounts/${email}:generateAccessToken`, { method: 'POST', body: JSON.stringify({ scope: ['https://www.googleapis.com/auth/pubsub'] }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { accessToken: string }).accessToken;
}

interface GrpcError extends Error {
  code: number;
  details: string;
  metadata: { get(k: string): unknown[] };
}

async function refused(p: Promise<unknown>, code: number, denial: string, details?: RegExp): Promise<GrpcError> {
  const e = (await p.then(
    () => assert.fail('expected a refusal'),
    (err: unknown) => err,
  )) as GrpcError;
  assert.equal(e.code, code, e.message);
  assert.equal(String(e.metadata.get('x-authplane-denial')[0]), denial);
  if (details) assert.match(e.details, details);
  return e;
}

describe('Pub/Sub API rules', () => {
  let ap: TestAuthplane;
  let pubsub: PubSub;

  before(async () => {
    ap = await startTestAuthplane(
      {
        serviceAccounts: [{ name: 'push-invoker' }, { name: 'subscriber-only' }],
        pubsub: { topics: [{ name: 'configured' }, { name: 'configured-too' }] },
        // The default principal (owner) may mint this account's access tokens: the test calls as it.
        iam: { bindings: [{ resource: 'serviceAccounts/subscriber-only', role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] }] },
      },
      { products: [pubsubProduct] },
    );
    process.env.PUBSUB_EMULATOR_HOST = ap.platform.grpcHostPort;
    pubsub = new PubSub({ projectId: PROJECT });
  });
  after(async () => {
    await pubsub?.close();
    await ap?.stop();
  });

  test("Google's words for missing and duplicate resources and bad names", async () => {
    await refused(pubsub.topic('missing').publishMessage({ data: Buffer.from('x') }), 5, 'RESOURCE_NOT_FOUND', /^Resource not found \(resource=missing\)\.$/);
    await refused(pubsub.createTopic('configured'), 6, 'ALREADY_EXISTS', /^Resource already exists in the project \(resource=configured\)\.$/);
    await refused(pubsub.createTopic('goog-reserved'), 3, 'INVALID_ARGUMENT', /Invalid resource name given \(name=projects\/demo-project\/topics\/goog-reserved\)/);
    await refused(pubsub.topic('missing').createSubscription('orphan'), 5, 'RESOURCE_NOT_FOUND', /resource=missing/);
    const other = await ap.api('/v1/projects/someone-else/topics/their-topic');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('x-authplane-denial'), 'PROJECT_NOT_EMULATED');
    // A page token is one a List call gave out, or refused (never an empty page).
    for (const token of ['!!garbage', 'Zm9v%', 'AAAA']) {
      const listed = await ap.api(`${BASE}/topics?pageSize=1&pageToken=${encodeURIComponent(token)}`);
      assert.equal(listed.status, 400, token);
      assert.match(((await listed.json()) as { error: { message: string } }).error.message, /Invalid page_token/);
    }
    const first = (await (await ap.api(`${BASE}/topics?pageSize=1`)).json()) as { topics: unknown[]; nextPageToken?: string };
    assert.ok(first.nextPageToken, 'two topics, one a page');
    const second = (await (await ap.api(`${BASE}/topics?pageSize=1&pageToken=${first.nextPageToken}`)).json()) as { topics: { name: string }[] };
    assert.equal(second.topics[0]?.name, `projects/${PROJECT}/topics/configured-too`);
  });

  test("pubsub.proto's ranges: ack deadline, dead-letter attempts, retry backoff; unsupported features refused by name", async () => {
    const topic = pubsub.topic('configured');
    const e = await refused(topic.createSubscription('too-short', { ackDeadlineSeconds: 5 }), 3, 'INVALID_ARGUMENT', /ack_deadline=5\)\. The ack deadline must be between 10 and 600 seconds/);
    assert.ok(e);
    await refused(topic.createSubscription('too-many', { deadLetterPolicy: { deadLetterTopic: topic.name, maxDeliveryAttempts: 101 } }), 3, 'INVALID_ARGUMENT', /between 5 and 100/);
    await refused(topic.createSubscription('slow-retry', { retryPolicy: { minimumBackoff: { seconds: 700 } } }), 3, 'INVALID_ARGUMENT', /minimum_backoff/);
    await refused(topic.createSubscription('filtered', { filter: 'attributes.kind = "a"' }), 12, 'NOT_SUPPORTED', /filters are not emulated/);
    const [dl] = await topic.createSubscription('dl-default', { deadLetterPolicy: { deadLetterTopic: topic.name } });
    const [meta] = await dl.getMetadata();
    assert.equal(meta.deadLetterPolicy?.maxDeliveryAttempts, 5, '0 means the default, 5');
    assert.equal(meta.ackDeadlineSeconds, 10);
    assert.deepEqual(meta.pushConfig?.attributes ?? {}, {});
    await refused(topic.createSubscription('dl-missing', { deadLetterPolicy: { deadLetterTopic: `projects/${PROJECT}/topics/nope` } }), 5, 'RESOURCE_NOT_FOUND', /resource=nope/);
  });

  test('creating a subscription needs pubsub.subscriptions.create on the project and pubsub.topics.attachSubscription on the topic', async () => {
    const token = await accessToken(ap, SA('subscriber-only'));
    const create = (id: string) =>
      ap.api(`${BASE}/subscriptions/${id}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ topic: `projects/${PROJECT}/topics/configured` }) });
    // roles/pubsub.subscriber on the topic grants attachSubscription, not subscriptions.create on the project.
    const topicGrant = await ap.api(`${BASE}/topics/configured:setIamPolicy`, { method: 'POST', body: JSON.stringify({ policy: { bindings: [{ role: 'roles/pubsub.subscriber', members: [`serviceAccount:${SA('subscriber-only')}`] }] } }) });
    assert.equal(topicGrant.status, 200, await topicGrant.clone().text());
    const held = await ap.api(`${BASE}/topics/configured:testIamPermissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ permissions: ['pubsub.topics.attachSubscription', 'pubsub.topics.publish'] }) });
    assert.deepEqual(await held.json(), { permissions: ['pubsub.topics.attachSubscription'] });
    const noCreate = await create('by-subscriber');
    assert.equal(noCreate.status, 403);
    assert.equal(noCreate.headers.get('x-authplane-denial'), 'PERMISSION_DENIED');
    // Pub/Sub's own words name no permission (recorded: nodejs-pubsub#1180); ErrorInfo and the evidence do.
    const denied = (await noCreate.json()) as { error: { message: string; details: { metadata?: { permission?: string } }[] } };
    assert.equal(denied.error.message, 'User not authorized to perform this action.');
    assert.equal(denied.error.details[0]?.metadata?.permission, 'pubsub.subscriptions.create');
    // With roles/pubsub.editor on the project (which holds both), it may.
    await ap.platform.iam.addBinding(`projects/${PROJECT}`, 'roles/pubsub.editor', `serviceAccount:${SA('subscriber-only')}`);
    assert.equal((await create('by-editor')).status, 200);
    await ap.platform.iam.removeBinding(`projects/${PROJECT}`, 'roles/pubsub.editor', `serviceAccount:${SA('subscriber-only')}`);
  });

  test('a push account needs actAs from the creator (ACT_AS_DENIED), and must exist in the project', async () => {
    const topic = pubsub.topic('configured');
    const token = await accessToken(ap, SA('subscriber-only'));
    await ap.platform.iam.addBinding(`projects/${PROJECT}`, 'roles/pubsub.editor', `serviceAccount:${SA('subscriber-only')}`);
    const create = await ap.api(`${BASE}/subscriptions/push-by-editor`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ topic: topic.name, pushConfig: { pushEndpoint: 'https://example.com/push', oidcToken: { serviceAccountEmail: SA('push-invoker') } } }),
    });
    assert.equal(create.status, 403);
    assert.equal(create.headers.get('x-authplane-denial'), 'ACT_AS_DENIED');
    assert.match(((await create.json()) as { error: { message: string } }).error.message, /iam\.serviceAccounts\.actAs/);
    // The default principal (owner) may act as it; an account that does not exist is refused.
    const [sub] = await topic.createSubscription('push-by-owner', { pushConfig: { pushEndpoint: 'https://example.com/push', oidcToken: { serviceAccountEmail: SA('push-invoker') } } });
    const [meta] = await sub.getMetadata();
    assert.equal(meta.pushConfig?.attributes?.['x-goog-version'], 'v1', 'GetSubscription always returns x-goog-version');
    assert.equal(meta.pushConfig?.oidcToken?.serviceAccountEmail, SA('push-invoker'));
    await refused(sub.modifyPushConfig({ pushEndpoint: 'https://example.com/push', oidcToken: { serviceAccountEmail: SA('nobody') } }), 7, 'SERVICE_ACCOUNT_UNKNOWN');
    // ModifyPushConfig with an empty config turns it into a pull subscription.
    await sub.modifyPushConfig({});
    assert.equal((await sub.getMetadata())[0].pushConfig?.pushEndpoint ?? '', '');
  });

  test("topic and subscription IAM policies through the client's iam.setPolicy (google.iam.v1.IAMPolicy)", async () => {
    const topic = pubsub.topic('configured');
    const [policy] = await topic.iam.setPolicy({ bindings: [{ role: 'roles/pubsub.publisher', members: [`serviceAccount:${SA('push-invoker')}`] }] });
    assert.deepEqual(policy.bindings?.map((b) => b.role), ['roles/pubsub.publisher']);
    const [read] = await topic.iam.getPolicy();
    assert.deepEqual(read.bindings?.[0]?.members, [`serviceAccount:${SA('push-invoker')}`]);
    const [held] = await topic.iam.testPermissions(['pubsub.topics.publish', 'pubsub.topics.delete']);
    assert.deepEqual(held, { 'pubsub.topics.publish': true, 'pubsub.topics.delete': true }, 'the default principal owns the project');
    await refused(topic.iam.setPolicy({ bindings: [{ role: 'roles/not-a-role', members: ['user:a@example.com'] }] }), 3, 'INVALID_ARGUMENT');
  });
});
