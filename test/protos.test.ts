// Every committed descriptor (protos/descriptors.json lists them, loaded at start) must say exactly what
// its .proto files say. If this fails: node scripts/build-protos.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { descriptor, descriptorSources, parseProtos } from '../src/apis/proto.js';
import { SERVICE_NAME as TASKS, tasksRoot } from '../src/tasks/proto.js';
import { SERVICE_NAME as SCHEDULER, schedulerRoot } from '../src/scheduler/proto.js';

for (const [file, sources] of Object.entries(descriptorSources())) {
  test(`the prebuilt descriptor ${file} matches ${sources.join(', ')}`, () => {
    const fromProto = JSON.stringify(parseProtos(sources).toJSON({ keepComments: false }));
    const fromJson = JSON.stringify(descriptor(file).toJSON({ keepComments: false }));
    assert.equal(fromJson, fromProto, `protos/${file} is stale: run node scripts/build-protos.mjs`);
  });
}

test('the descriptors hold the services authplane serves', () => {
  // REFERENCE §7: the RPCs of google.cloud.tasks.v2.CloudTasks.
  const rpcs = 'CreateQueue GetQueue ListQueues UpdateQueue DeleteQueue PurgeQueue PauseQueue ResumeQueue CreateTask GetTask ListTasks DeleteTask RunTask GetIamPolicy SetIamPolicy TestIamPermissions';
  assert.deepEqual(tasksRoot().lookupService(TASKS).methodsArray.map((m) => m.name).sort(), rpcs.split(' ').sort());
  assert.deepEqual(
    schedulerRoot().lookupService(SCHEDULER).methodsArray.map((m) => m.name),
    ['ListJobs', 'GetJob', 'CreateJob', 'UpdateJob', 'DeleteJob', 'PauseJob', 'ResumeJob', 'RunJob'],
  );
  assert.equal(descriptor('google-iam-credentials-v1.json').lookupService('google.iam.credentials.v1.IAMCredentials').methodsArray.length, 4);
  assert.ok(descriptor('google-iam-v1.json').lookupType('google.iam.v1.SetIamPolicyRequest').fields.updateMask);
  assert.ok(descriptor('google-iam-admin-v1.json').lookupType('google.iam.admin.v1.CreateServiceAccountKeyRequest').fields.privateKeyType);
});
