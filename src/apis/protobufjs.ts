// protobufjs and proto3-json-serializer, required on first use instead of imported: `authplane start` builds
// no message type (the gRPC port and the REST routes read their descriptors as JSON), so it does not pay for
// loading them (≈ 35 ms of CPU that the supervised commands, booting meanwhile, need too). They load right
// after `authplane ready` (loadDeferredModules) or, at the latest, when the first message type is built.
// Both are CommonJS packages: require() loads them synchronously, the same instances an import would give.

import { createRequire } from 'node:module';
import type Protobuf from 'protobufjs';
import type * as Proto3Json from 'proto3-json-serializer';
import { lazyModule } from '../lib/lazy-module.js';

const require = createRequire(import.meta.url);
let protobuf: typeof Protobuf | undefined;
let proto3Json: typeof Proto3Json | undefined;

/** The protobufjs module. */
export function protobufjs(): typeof Protobuf {
  return (protobuf ??= require('protobufjs') as typeof Protobuf);
}

/** The proto3-json-serializer module. */
export function proto3JsonSerializer(): typeof Proto3Json {
  return (proto3Json ??= require('proto3-json-serializer') as typeof Proto3Json);
}

// Loaded after ready, so the first request does not wait for them.
lazyModule(async () => [protobufjs(), proto3JsonSerializer()]);
