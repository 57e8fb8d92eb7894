// Pub/Sub on the gRPC port (PUBSUB_EMULATOR_HOST points here): google.pubsub.v1.Publisher and Subscriber,
// and google.iam.v1.IAMPolicy as @google-cloud/pubsub calls it for topic and subscription policies. Unary
// RPCs go through the port's rules (apis/grpc-server.ts); StreamingPull is hand-written.

import type * as grpc from '@grpc/grpc-js';
import { serviceDefinition, type GrpcServer, type UnaryMethod } from '../apis/grpc-server.js';
import { IAM_POLICY, PUBLISHER, PUBSUB_API, PUBSUB_DESCRIPTOR, SUBSCRIBER } from './proto.js';
import type { PubsubService } from './service.js';
import type { StreamingPulls } from './streaming-pull.js';

export function pubsubGrpc(server: GrpcServer, service: PubsubService, streams: StreamingPulls): void {
  const protos = { descriptor: PUBSUB_DESCRIPTOR };
  server.addUnaryService(protos, PUBLISHER, PUBSUB_API, service);
  server.addUnaryService(protos, IAM_POLICY, PUBSUB_API, service);
  const def = serviceDefinition(protos, SUBSCRIBER);
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(def)) {
    if (name === 'StreamingPull') continue;
    const fn = (service as unknown as Record<string, UnaryMethod>)[name[0]!.toLowerCase() + name.slice(1)];
    if (typeof fn !== 'function') throw new Error(`${SUBSCRIBER}: the implementation lacks ${name}`);
    handlers[name] = server.unary(PUBSUB_API, method.path, (caller, request) => fn.call(service, caller, request));
  }
  handlers.StreamingPull = streams.handler as grpc.handleBidiStreamingCall<unknown, unknown>;
  server.addService(def, handlers, protos);
}
