// The Pub/Sub v1 protos (committed under protos/: google/pubsub/v1 from @google-cloud/pubsub 6.3.0's
// build/protos, plus google.iam.v1.IAMPolicy, which the client calls for topic and subscription
// policies — REFERENCE §9 PS17). The shared object shape lives in apis/proto.ts.

import type protobuf from 'protobufjs';
import { descriptor, parseProtos } from '../apis/proto.js';

export const PUBLISHER = 'google.pubsub.v1.Publisher';
export const SUBSCRIBER = 'google.pubsub.v1.Subscriber';
export const IAM_POLICY = 'google.iam.v1.IAMPolicy';
export const PUBSUB_API = 'pubsub.googleapis.com';

const PROTOS = ['google/pubsub/v1/pubsub.proto', 'google/iam/v1/iam_policy.proto'];
/** Generated from PROTOS by scripts/build-protos.mjs (test/pubsub-protos.test.ts keeps them in step). */
export const PUBSUB_DESCRIPTOR = 'google-pubsub-v1.json';

/** Parses the .proto files themselves: what the committed descriptor is built from. */
export const parsePubsubProtos = (): protobuf.Root => parseProtos(PROTOS);

/** The Pub/Sub protos, from the prebuilt JSON descriptor. */
export function pubsubRoot(): protobuf.Root {
  return descriptor(PUBSUB_DESCRIPTOR);
}

