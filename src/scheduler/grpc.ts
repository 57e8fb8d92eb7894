// google.cloud.scheduler.v1.CloudScheduler on the gRPC port: every RPC a unary call into CloudSchedulerService
// with the authenticated caller (apis/grpc-server.ts applies the port's rules).

import type { GrpcServer } from '../apis/grpc-server.js';
import { SERVICE_NAME, schedulerRoot } from './proto.js';
import type { CloudSchedulerService } from './service.js';

export function schedulerGrpc(server: GrpcServer, service: CloudSchedulerService): void {
  server.addUnaryService(schedulerRoot(), SERVICE_NAME, 'cloudscheduler.googleapis.com', service);
}
