// The committed Pub/Sub descriptor (protos/google-pubsub-v1.json, loaded at start) must say exactly what
// the .proto files say. If this fails: node scripts/build-protos.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IAM_POLICY, parsePubsubProtos, PUBLISHER, pubsubRoot, SUBSCRIBER } from '../src/pubsub/proto.js';

test('the prebuilt Pub/Sub descriptor matches the .proto files', () => {
  const fromProto = JSON.stringify(parsePubsubProtos().toJSON({ keepComments: false }));
  const fromJson = JSON.stringify(pubsubRoot().toJSON({ keepComments: false }));
  assert.equal(fromJson, fromProto, 'protos/google-pubsub-v1.json is stale: run node scripts/build-protos.mjs');
  assert.ok(pubsubRoot().lookupService(PUBLISHER).methods.Publish);
  assert.ok(pubsubRoot().lookupService(SUBSCRIBER).methods.StreamingPull?.requestStream);
  assert.ok(pubsubRoot().lookupService(IAM_POLICY).methods.SetIamPolicy);
});
