// The Cloud Tasks v2 protos (committed under protos/, loaded once from their prebuilt descriptor). The
// shared object shape and its conversions live in apis/proto.ts.

import type protobuf from 'protobufjs';
import { descriptor } from '../apis/proto.js';

export const SERVICE_NAME = 'google.cloud.tasks.v2.CloudTasks';

/** The prebuilt JSON descriptor (test/protos.test.ts keeps it in step). */
export const TASKS_DESCRIPTOR = 'google-cloud-tasks-v2.json';

/** The Cloud Tasks protos, built from the prebuilt descriptor on first use (≈ 30 ms). */
export const tasksRoot = (): protobuf.Root => descriptor(TASKS_DESCRIPTOR);

export const lookupType = (name: string): protobuf.Type => tasksRoot().lookupType(name);
