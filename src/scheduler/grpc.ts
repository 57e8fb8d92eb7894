// google.cloud.scheduler.v1.CloudScheduler on the gRPC port: every RPC a unary call into CloudSchedulerService
// with the authenticated caller (apis/grpc-server.ts applies the port's rules).

import type { GrpcServer } from '../apis/grpc-server.js';
import { SCHEDULER_DESCRIPTOR, SERVICE_NAME } from './proto.js';
import type { CloudSchedulerService } from './service.js';

export function schedulerGrpc(server: GrpcServer, service: CloudSchedulerService): void {
  server.addUnaryService({ descriptor: SCHEDULER_DESCRIPTOR }, SERVICE_NAME, 'cloudscheduler.googleapis.com', service);
}
