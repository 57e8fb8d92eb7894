// Regenerates the prebuilt JSON descriptors authplane loads at start (protos/descriptors.json lists each
// descriptor and the .proto files it is built from): parsing the .proto files takes ≈ 60–150 ms of every
// start, loading a JSON descriptor ≈ 10 ms.
// Run after changing anything under protos/:  node scripts/build-protos.mjs
// (test/protos.test.ts fails when a descriptor and its .proto files disagree.)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const dir = fileURLToPath(new URL('../protos/', import.meta.url));
const descriptors = JSON.parse(readFileSync(dir + 'descriptors.json', 'utf8'));
for (const [out, files] of Object.entries(descriptors)) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dir + target;
  root.loadSync(files, { keepCase: false });
  root.resolveAll();
  writeFileSync(dir + out, JSON.stringify(root.toJSON({ keepComments: false })) + '\n');
  console.log(`wrote protos/${out}`);
}
