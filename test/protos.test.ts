// The committed descriptors (protos/*.json, loaded at start) must say exactly what the .proto files say.
// If this fails: node scripts/build-protos.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTasksProtos, tasksRoot, SERVICE_NAME as TASKS } from '../src/tasks/proto.js';
import { parseSchedulerProtos, schedulerRoot, SERVICE_NAME as SCHEDULER } from '../src/scheduler/proto.js';

const json = (r: { toJSON(o: { keepComments: boolean }): unknown }) => JSON.stringify(r.toJSON({ keepComments: false }));

test('the Cloud Tasks descriptor matches the .proto files', () => {
  assert.equal(json(tasksRoot()), json(parseTasksProtos()), 'protos/google-cloud-tasks-v2.json is stale: run node scripts/build-protos.mjs');
  // REFERENCE §7: the RPCs of google.cloud.tasks.v2.CloudTasks.
  const rpcs = 'CreateQueue GetQueue ListQueues UpdateQueue DeleteQueue PurgeQueue PauseQueue ResumeQueue CreateTask GetTask ListTasks DeleteTask RunTask GetIamPolicy SetIamPolicy TestIamPermissions';
  assert.deepEqual(tasksRoot().lookupService(TASKS).methodsArray.map((m) => m.name).sort(), rpcs.split(' ').sort());
});

test('the Cloud Scheduler descriptor matches the .proto files', () => {
  assert.equal(json(schedulerRoot()), json(parseSchedulerProtos()), 'protos/google-cloud-scheduler-v1.json is stale: run node scripts/build-protos.mjs');
  assert.deepEqual(
    schedulerRoot().lookupService(SCHEDULER).methodsArray.map((m) => m.name),
    ['ListJobs', 'GetJob', 'CreateJob', 'UpdateJob', 'DeleteJob', 'PauseJob', 'ResumeJob', 'RunJob'],
  );
});
