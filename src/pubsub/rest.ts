// Pub/Sub v1 over REST on the API port: pubsub.proto's http rules (and pubsub_v1.yaml's for
// google.iam.v1.IAMPolicy on topics and subscriptions), proto3 JSON in and out. gcloud's `pubsub` commands
// use these URLs through api_endpoint_overrides/pubsub.

import { iamPolicyRoutes } from '../apis/iam-policy.js';
import { restRpcBinder } from '../apis/rest-rpc.js';
import type { Router } from '../apis/router.js';
import type { Obj } from '../apis/proto.js';
import { subscriptionResource, topicResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { parseSubscription, parseTopic, subscriptionName, topicName } from './names.js';
import { PUBSUB_API, pubsubRoot } from './proto.js';
import type { PubsubService } from './service.js';

const PKG = 'google.pubsub.v1.';
const PROJECT = '/v1/projects/{project}';
const TOPIC = `${PROJECT}/topics/{topic}`;
const SUB = `${PROJECT}/subscriptions/{subscription}`;
const SNAPSHOT = `${PROJECT}/snapshots/{snapshot}`;
const EMPTY = 'google.protobuf.Empty';

type Params = Record<string, string>;
const topic = (p: Params) => topicName(p.project!, p.topic!);
const sub = (p: Params) => subscriptionName(p.project!, p.subscription!);

export function pubsubRestRoutes(router: Router, platform: Platform, service: PubsubService): void {
  const api = router.for(PUBSUB_API);
  // PubsubService checks each RPC's permission itself: gRPC calls it too, without this router.
  const bind = restRpcBinder(router, PUBSUB_API, pubsubRoot, PKG);
  const s = service;

  bind('put', TOPIC, { request: `${PKG}Topic`, response: `${PKG}Topic`, path: (p) => ({ name: topic(p) }), body: '*' }, (c, r) => s.createTopic(c, r));
  bind('patch', TOPIC, { request: `${PKG}UpdateTopicRequest`, response: `${PKG}Topic`, path: (p, j) => ({ topic: { ...((j.topic as Obj | undefined) ?? {}), name: topic(p) } }), body: '*' }, (c, r) => s.updateTopic(c, r));
  bind('post', `${TOPIC}:publish`, { request: `${PKG}PublishRequest`, response: `${PKG}PublishResponse`, path: (p) => ({ topic: topic(p) }), body: '*' }, (c, r) => s.publish(c, r));
  bind('get', TOPIC, { request: `${PKG}GetTopicRequest`, response: `${PKG}Topic`, path: (p) => ({ topic: topic(p) }) }, (c, r) => s.getTopic(c, r));
  bind('get', `${PROJECT}/topics`, { request: `${PKG}ListTopicsRequest`, response: `${PKG}ListTopicsResponse`, path: (p) => ({ project: `projects/${p.project}` }) }, (c, r) => s.listTopics(c, r));
  bind('get', `${TOPIC}/subscriptions`, { request: `${PKG}ListTopicSubscriptionsRequest`, response: `${PKG}ListTopicSubscriptionsResponse`, path: (p) => ({ topic: topic(p) }) }, (c, r) => s.listTopicSubscriptions(c, r));
  bind('get', `${TOPIC}/snapshots`, { request: `${PKG}ListTopicSnapshotsRequest`, response: `${PKG}ListTopicSnapshotsResponse`, path: (p) => ({ topic: topic(p) }) }, (c, r) => s.listTopicSnapshots(c, r));
  bind('delete', TOPIC, { request: `${PKG}DeleteTopicRequest`, response: EMPTY, path: (p) => ({ topic: topic(p) }) }, (c, r) => s.deleteTopic(c, r));
  bind('post', `${SUB}:detach`, { request: `${PKG}DetachSubscriptionRequest`, response: `${PKG}DetachSubscriptionResponse`, path: (p) => ({ subscription: sub(p) }) }, (c, r) => s.detachSubscription(c, r));

  bind('put', SUB, { request: `${PKG}Subscription`, response: `${PKG}Subscription`, path: (p) => ({ name: sub(p) }), body: '*' }, (c, r) => s.createSubscription(c, r));
  bind('get', SUB, { request: `${PKG}GetSubscriptionRequest`, response: `${PKG}Subscription`, path: (p) => ({ subscription: sub(p) }) }, (c, r) => s.getSubscription(c, r));
  bind(
    'patch',
    SUB,
    { request: `${PKG}UpdateSubscriptionRequest`, response: `${PKG}Subscription`, path: (p, j) => ({ subscription: { ...((j.subscription as Obj | undefined) ?? {}), name: sub(p) } }), body: '*' },
    (c, r) => s.updateSubscription(c, r),
  );
  bind('get', `${PROJECT}/subscriptions`, { request: `${PKG}ListSubscriptionsRequest`, response: `${PKG}ListSubscriptionsResponse`, path: (p) => ({ project: `projects/${p.project}` }) }, (c, r) => s.listSubscriptions(c, r));
  bind('delete', SUB, { request: `${PKG}DeleteSubscriptionRequest`, response: EMPTY, path: (p) => ({ subscription: sub(p) }) }, (c, r) => s.deleteSubscription(c, r));
  bind('post', `${SUB}:modifyAckDeadline`, { request: `${PKG}ModifyAckDeadlineRequest`, response: EMPTY, path: (p) => ({ subscription: sub(p) }), body: '*' }, (c, r) => s.modifyAckDeadline(c, r));
  bind('post', `${SUB}:acknowledge`, { request: `${PKG}AcknowledgeRequest`, response: EMPTY, path: (p) => ({ subscription: sub(p) }), body: '*' }, (c, r) => s.acknowledge(c, r));
  bind('post', `${SUB}:pull`, { request: `${PKG}PullRequest`, response: `${PKG}PullResponse`, path: (p) => ({ subscription: sub(p) }), body: '*' }, (c, r) => s.pull(c, r));
  bind('post', `${SUB}:modifyPushConfig`, { request: `${PKG}ModifyPushConfigRequest`, response: EMPTY, path: (p) => ({ subscription: sub(p) }), body: '*' }, (c, r) => s.modifyPushConfig(c, r));
  bind('post', `${SUB}:seek`, { request: `${PKG}SeekRequest`, response: `${PKG}SeekResponse`, path: (p) => ({ subscription: sub(p) }), body: '*' }, () => s.seek());

  bind('get', `${PROJECT}/snapshots`, { request: `${PKG}ListSnapshotsRequest`, response: `${PKG}ListSnapshotsResponse`, path: (p) => ({ project: `projects/${p.project}` }) }, (c, r) => s.listSnapshots(c, r));
  bind('get', SNAPSHOT, { request: `${PKG}GetSnapshotRequest`, response: `${PKG}Snapshot`, path: () => ({}) }, () => s.getSnapshot());
  bind('put', SNAPSHOT, { request: `${PKG}CreateSnapshotRequest`, response: `${PKG}Snapshot`, path: () => ({}), body: '*' }, () => s.createSnapshot());
  bind('patch', SNAPSHOT, { request: `${PKG}UpdateSnapshotRequest`, response: `${PKG}Snapshot`, path: () => ({}), body: '*' }, () => s.updateSnapshot());
  bind('delete', SNAPSHOT, { request: `${PKG}DeleteSnapshotRequest`, response: EMPTY, path: () => ({}) }, () => s.deleteSnapshot());

  // google.iam.v1.IAMPolicy on topics and subscriptions (REST shapes from apis/iam-policy.ts).
  const resolveTopic = async (req: { params: Params }) => {
    const n = parseTopic(topic(req.params), 'resource');
    await s.getTopicRecord(n);
    return topicResource(n.id);
  };
  const resolveSub = async (req: { params: Params }) => {
    const n = parseSubscription(sub(req.params), 'resource');
    await s.getSubscriptionRecord(n);
    return subscriptionResource(n.id);
  };
  iamPolicyRoutes(api, platform, TOPIC, { resolve: resolveTopic, getPermission: 'pubsub.topics.getIamPolicy', setPermission: 'pubsub.topics.setIamPolicy', permissionPrefixes: ['pubsub.'] });
  iamPolicyRoutes(api, platform, SUB, { resolve: resolveSub, getPermission: 'pubsub.subscriptions.getIamPolicy', setPermission: 'pubsub.subscriptions.setIamPolicy', permissionPrefixes: ['pubsub.'] });
}
