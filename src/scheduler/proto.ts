// The Cloud Scheduler v1 protos (committed under protos/ from @google-cloud/scheduler 6.0.0's build/protos,
// which copies googleapis/google/cloud/scheduler/v1), loaded once from the prebuilt descriptor.

import type protobuf from 'protobufjs';
import { descriptor } from '../apis/proto.js';

export const SERVICE_NAME = 'google.cloud.scheduler.v1.CloudScheduler';

/** The prebuilt descriptor (protos/descriptors.json; test/protos.test.ts keeps it in step). */
export const SCHEDULER_DESCRIPTOR = 'google-cloud-scheduler-v1.json';

/** The Cloud Scheduler protos, from the prebuilt descriptor. */
export const schedulerRoot = (): protobuf.Root => descriptor(SCHEDULER_DESCRIPTOR);
