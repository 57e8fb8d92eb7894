// The Cloud Tasks clients of the benches, over plain gRPC to an authplane's gRPC port: Google's own
// (@google-cloud/tasks through google-gax), and a "lean" one, CreateTask over a bare @grpc/grpc-js channel (the
// copy google-gax uses) without gax's layers.
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { lookupType } from '../../src/tasks/proto.js';

/** Google's client, as users run it, on `grpcUrl` (http://HOST:PORT, no TLS). */
export function gaxTasksClient(grpcUrl: string): CloudTasksClient {
  const u = new URL(grpcUrl);
  return new CloudTasksClient({ servicePath: u.hostname, port: Number(u.port), sslCreds: grpc.credentials.createInsecure() });
}

export interface LeanCreateTask {
  create(req: { parent: string; task: object }): Promise<void>;
  close(): void;
}

/**
 * CreateTask over a bare @grpc/grpc-js channel (the copy google-gax uses), without gax's layers: shows
 * authplane's own capacity, since on a 2-core machine the gax client's CPU per call is the larger share.
 */
export function leanCreateTask(grpcUrl: string): LeanCreateTask {
  const client = new grpc.Client(new URL(grpcUrl).host, grpc.credentials.createInsecure());
  const reqType = lookupType('google.cloud.tasks.v2.CreateTaskRequest');
  const serialize = (r: object) => Buffer.from(reqType.encode(reqType.fromObject(r)).finish());
  const deserialize = (b: Buffer) => b; // the Task is not needed
  return {
    create: (req) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest('/google.cloud.tasks.v2.CloudTasks/CreateTask', serialize, deserialize, req, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => client.close(),
  };
}
