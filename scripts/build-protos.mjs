// Regenerates the prebuilt JSON descriptors authplane loads at start (parsing the .proto files takes
// ≈ 60–150 ms of every start, loading the JSON ≈ 10 ms):
//   protos/google-cloud-tasks-v2.json   Cloud Tasks v2
//   protos/google-pubsub-v1.json        Pub/Sub v1 (Publisher, Subscriber) and google.iam.v1.IAMPolicy
// Run after changing anything under protos/:  node scripts/build-protos.mjs
// (test/tasks-protos.test.ts and test/pubsub-protos.test.ts fail when a JSON and its .proto files disagree.)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const dir = fileURLToPath(new URL('../protos/', import.meta.url));
const DESCRIPTORS = {
  'google-cloud-tasks-v2.json': ['google/cloud/tasks/v2/cloudtasks.proto'],
  'google-pubsub-v1.json': ['google/pubsub/v1/pubsub.proto', 'google/iam/v1/iam_policy.proto'],
};

for (const [out, files] of Object.entries(DESCRIPTORS)) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dir + target;
  root.loadSync(files, { keepCase: false });
  root.resolveAll();
  writeFileSync(new URL(`../protos/${out}`, import.meta.url), JSON.stringify(root.toJSON({ keepComments: false })) + '\n');
  console.log(`wrote protos/${out}`);
}
