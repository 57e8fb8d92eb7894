// Regenerates the prebuilt JSON descriptors authplane loads at start (protos/*.json): parsing the .proto files
// takes ≈ 60–150 ms of every start, loading the JSON ≈ 10 ms. One line per API in DESCRIPTORS.
// Run after changing anything under protos/:  node scripts/build-protos.mjs
// (test/protos.test.ts fails when a JSON descriptor and its .proto files disagree.)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** descriptor file → the .proto file(s) it is built from. */
export const DESCRIPTORS = {
  'google-cloud-tasks-v2.json': ['google/cloud/tasks/v2/cloudtasks.proto'],
  'google-cloud-scheduler-v1.json': ['google/cloud/scheduler/v1/cloudscheduler.proto'],
  'google-pubsub-v1.json': ['google/pubsub/v1/pubsub.proto', 'google/iam/v1/iam_policy.proto'],
};

const dir = fileURLToPath(new URL('../protos/', import.meta.url));
for (const [file, sources] of Object.entries(DESCRIPTORS)) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dir + target;
  root.loadSync(sources, { keepCase: false });
  root.resolveAll();
  writeFileSync(new URL(`../protos/${file}`, import.meta.url), JSON.stringify(root.toJSON({ keepComments: false })) + '\n');
  console.log(`wrote protos/${file}`);
}
