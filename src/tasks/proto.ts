// The Cloud Tasks v2 protos (committed under protos/, loaded once). The shared object shape and its
// conversions live in apis/proto.ts.

import type protobuf from 'protobufjs';
import { loadDescriptor, parseProtos } from '../apis/proto.js';

const TASKS_PROTO = 'google/cloud/tasks/v2/cloudtasks.proto';
export const SERVICE_NAME = 'google.cloud.tasks.v2.CloudTasks';

/** The descriptor generated from the .proto files by scripts/build-protos.mjs (test/tasks-protos.test.ts keeps them in step). */
const TASKS_DESCRIPTOR = 'google-cloud-tasks-v2.json';

let root: protobuf.Root | undefined;

/** Parses the .proto files themselves (≈ 60–150 ms): what the committed descriptor is built from. */
export const parseTasksProtos = (): protobuf.Root => parseProtos([TASKS_PROTO]);

/** The Cloud Tasks protos, from the prebuilt JSON descriptor (≈ 10 ms, a start-time cost). */
export function tasksRoot(): protobuf.Root {
  return (root ??= loadDescriptor(TASKS_DESCRIPTOR));
}

export const lookupType = (name: string): protobuf.Type => tasksRoot().lookupType(name);
