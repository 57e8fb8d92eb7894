// The Cloud Scheduler v1 protos (committed under protos/ from @google-cloud/scheduler 6.0.0's build/protos,
// which copies googleapis/google/cloud/scheduler/v1), loaded once from the prebuilt descriptor.

import type protobuf from 'protobufjs';
import { loadDescriptor, parseProtos } from '../apis/proto.js';

export const SERVICE_NAME = 'google.cloud.scheduler.v1.CloudScheduler';
const DESCRIPTOR = 'google-cloud-scheduler-v1.json';

let root: protobuf.Root | undefined;

/** Parses the .proto files themselves: what the committed descriptor is built from (scripts/build-protos.mjs). */
export const parseSchedulerProtos = (): protobuf.Root => parseProtos(['google/cloud/scheduler/v1/cloudscheduler.proto']);

export function schedulerRoot(): protobuf.Root {
  return (root ??= loadDescriptor(DESCRIPTOR));
}
