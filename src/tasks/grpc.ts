// google.cloud.tasks.v2.CloudTasks over gRPC (insecure, like every Google emulator), built from
// the committed protos. The caller comes from the `authorization` metadata (an authplane access
// token) or is the config's default principal; errors carry Google's gRPC codes and messages,
// plus authplane's refusal code in the `x-authplane-denial` trailer.

import * as grpc from '@grpc/grpc-js';
import { callerOf } from '../apis/caller.js';
import { ApiError, GRPC_CODE } from '../apis/errors.js';
import type { Platform } from '../platform.js';
import { decodeBinary, encodeBinary, SERVICE_NAME, tasksRoot, type Obj } from './proto.js';
import type { CloudTasksService } from './service.js';
import { hostPort } from '../lib/host-port.js';

export interface RunningGrpc {
  host: string;
  port: number;
  hostPort: string;
  stop(): Promise<void>;
}

function toServiceError(e: unknown): Partial<grpc.StatusObject> {
  const err = e instanceof ApiError ? e : new ApiError('INTERNAL', 'Internal error encountered.');
  if (!(e instanceof ApiError)) console.error('authplane: tasks gRPC: internal error', e);
  const metadata = new grpc.Metadata();
  if (err.denial) metadata.set('x-authplane-denial', err.denial.code);
  return { code: GRPC_CODE[err.status] as grpc.status, details: err.message, metadata };
}

function tasksServiceDefinition(): grpc.ServiceDefinition {
  const svc = tasksRoot().lookupService(SERVICE_NAME);
  const def: Record<string, grpc.MethodDefinition<Obj, Obj>> = {};
  for (const m of svc.methodsArray) {
    m.resolve();
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    def[m.name] = {
      path: `/${SERVICE_NAME}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (o: Obj) => encodeBinary(req, o),
      requestDeserialize: (b: Buffer) => decodeBinary(req, b),
      responseSerialize: (o: Obj) => encodeBinary(res, o),
      responseDeserialize: (b: Buffer) => decodeBinary(res, b),
    };
  }
  return def as grpc.ServiceDefinition;
}

export async function startTasksGrpc(platform: Platform, service: CloudTasksService): Promise<RunningGrpc> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 32 * 1024 * 1024 });
  const def = tasksServiceDefinition();
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(def)) {
    const method = name[0]!.toLowerCase() + name.slice(1);
    const impl = (service as unknown as Record<string, (caller: string, req: Obj) => Promise<Obj>>)[method];
    if (typeof impl !== 'function') throw new Error(`CloudTasksService lacks ${method}`);
    handlers[name] = (call: grpc.ServerUnaryCall<Obj, Obj>, callback: grpc.sendUnaryData<Obj>) => {
      const auth = call.metadata.get('authorization')[0];
      callerOf(platform, auth ? { authorization: String(auth) } : {})
        .then((caller) => impl.call(service, caller, call.request))
        .then(
          (out) => callback(null, out),
          (e: unknown) => callback(toServiceError(e)),
        );
    };
  }
  server.addService(def, handlers);
  const { host, grpcPort } = platform.config.server;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(hostPort(host, grpcPort), grpc.ServerCredentials.createInsecure(), (err, p) => {
      if (err) {
        reject(
          /EADDRINUSE|address already in use/i.test(err.message)
            ? new Error(`gRPC port ${grpcPort} on ${host} is already in use (server.grpcPort): stop the other process, or set server.grpcPort: 0 for any free port`)
            : err,
        );
      } else resolve(p);
    }),
  );
  const address = hostPort(host, port);
  return {
    host,
    port,
    hostPort: address,
    stop: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
