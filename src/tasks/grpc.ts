// google.cloud.tasks.v2.CloudTasks on the gRPC port, from the committed protos: every RPC is a unary call
// into CloudTasksService with the authenticated caller (apis/grpc-server.ts applies the port's rules).

import type { GrpcServer } from '../apis/grpc-server.js';
import { SERVICE_NAME, TASKS_DESCRIPTOR } from './proto.js';
import type { CloudTasksService } from './service.js';

export function tasksGrpc(server: GrpcServer, service: CloudTasksService): void {
  server.addUnaryService({ descriptor: TASKS_DESCRIPTOR }, SERVICE_NAME, 'cloudtasks.googleapis.com', service);
}
