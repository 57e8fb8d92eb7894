// The Cloud Tasks v2 protos (committed under protos/, loaded once from their prebuilt descriptor). The
// shared object shape and its conversions live in apis/proto.ts.

import type protobuf from 'protobufjs';
import { descriptor } from '../apis/proto.js';

export const SERVICE_NAME = 'google.cloud.tasks.v2.CloudTasks';

/** The Cloud Tasks protos, from the prebuilt JSON descriptor (≈ 10 ms, a start-time cost; test/protos.test.ts keeps it in step). */
export const tasksRoot = (): protobuf.Root => descriptor('google-cloud-tasks-v2.json');

export const lookupType = (name: string): protobuf.Type => tasksRoot().lookupType(name);
