// The committed Cloud Tasks descriptor (protos/google-cloud-tasks-v2.json, loaded at start) must say
// exactly what the .proto files say. If this fails: node scripts/build-protos.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTasksProtos, tasksRoot, SERVICE_NAME } from '../src/tasks/proto.js';

test('the prebuilt descriptor matches the .proto files', () => {
  const fromProto = JSON.stringify(parseTasksProtos().toJSON({ keepComments: false }));
  const fromJson = JSON.stringify(tasksRoot().toJSON({ keepComments: false }));
  assert.equal(fromJson, fromProto, 'protos/google-cloud-tasks-v2.json is stale: run node scripts/build-protos.mjs');
  assert.ok(tasksRoot().lookupService(SERVICE_NAME).methodsArray.length >= 16);
});
