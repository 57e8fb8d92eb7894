// Regenerates protos/google-cloud-tasks-v2.json, the Cloud Tasks descriptor authplane loads at start:
// parsing the .proto files takes ≈ 60–150 ms of every start, loading this JSON ≈ 10 ms.
// Run after changing anything under protos/:  node scripts/build-protos.mjs
// (test/tasks-protos.test.ts fails when the JSON and the .proto files disagree.)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const dir = fileURLToPath(new URL('../protos/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => dir + target;
root.loadSync('google/cloud/tasks/v2/cloudtasks.proto', { keepCase: false });
root.resolveAll();
writeFileSync(new URL('../protos/google-cloud-tasks-v2.json', import.meta.url), JSON.stringify(root.toJSON({ keepComments: false })) + '\n');
console.log('wrote protos/google-cloud-tasks-v2.json');
