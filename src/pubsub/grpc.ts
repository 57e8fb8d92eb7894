// Pub/Sub on the gRPC port (PUBSUB_EMULATOR_HOST points here): google.pubsub.v1.Publisher and Subscriber,
// and google.iam.v1.IAMPolicy as @google-cloud/pubsub calls it for topic and subscription policies. Unary
// RPCs go through the port's rules (apis/grpc-server.ts); StreamingPull is hand-written, its messages checked by
// the same rules (GrpcServer.requestCheck, in streaming-pull.ts).

import type * as grpc from '@grpc/grpc-js';
import type { GrpcServer } from '../apis/grpc-server.js';
import { IAM_POLICY, PUBLISHER, PUBSUB_API, PUBSUB_DESCRIPTOR, SUBSCRIBER } from './proto.js';
import type { PubsubService } from './service.js';
import type { StreamingPulls } from './streaming-pull.js';

export function pubsubGrpc(server: GrpcServer, service: PubsubService, streams: StreamingPulls): void {
  const protos = { descriptor: PUBSUB_DESCRIPTOR };
  server.addUnaryService(protos, PUBLISHER, PUBSUB_API, service);
  server.addUnaryService(protos, IAM_POLICY, PUBSUB_API, service);
  server.addUnaryService(protos, SUBSCRIBER, PUBSUB_API, service, { StreamingPull: streams.handler as grpc.handleBidiStreamingCall<unknown, unknown> });
}
