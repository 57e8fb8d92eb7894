// Google's protos as authplane reads them: the committed .proto files under protos/ (loaded through a
// prebuilt JSON descriptor, ≈ 10 ms instead of ≈ 100 ms of parsing), and the one object shape every
// transport shares — protobufjs `toObject` with camelCase names, enums as names, 64-bit integers as numbers,
// bytes as Buffers, Timestamps/Durations as {seconds, nanos}. gRPC decodes binary into it; REST decodes
// proto3 JSON into it; the products only see this shape.

import { readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { packagePath } from '../lib/package-root.js';
import type protobuf from 'protobufjs';
import { proto3JsonSerializer, protobufjs } from './protobufjs.js';
import { invalidFields } from './errors.js';
import { checkDecoded } from './proto-check.js';
import { readProtoJson } from './proto-json.js';

export type Obj = Record<string, unknown>;

/** The package's protos/ folder. */
export function protosDir(): string {
  return packagePath('protos') + sep;
}

/** Parses .proto files (paths under protos/) themselves: what the committed descriptors are built from. */
export function parseProtos(files: readonly string[]): protobuf.Root {
  const dir = protosDir();
  const r = new (protobufjs().Root)();
  r.resolvePath = (_origin, target) => dir + target;
  r.loadSync([...files], { keepCase: false });
  r.resolveAll();
  return r;
}

/** A root from a prebuilt JSON descriptor under protos/ (scripts/build-protos.mjs writes them). */
export function loadDescriptor(file: string): protobuf.Root {
  const r = protobufjs().Root.fromJSON(descriptorJson(file) as protobuf.INamespace);
  r.resolveAll();
  return r;
}

/** Descriptors read for their services' methods (describedMethods) and not built yet. */
const unbuilt = new Map<string, JsonNamespace>();

/** A descriptor's JSON: the copy describedMethods read (once), or the file. */
function descriptorJson(file: string): JsonNamespace {
  const json = unbuilt.get(file) ?? (JSON.parse(readFileSync(protosDir() + file, 'utf8')) as JsonNamespace);
  unbuilt.delete(file);
  return json;
}

/** protos/descriptors.json: each prebuilt descriptor and the .proto files it is built from. */
export function descriptorSources(): Record<string, string[]> {
  return JSON.parse(readFileSync(protosDir() + 'descriptors.json', 'utf8')) as Record<string, string[]>;
}

const roots = new Map<string, protobuf.Root>();

/** A prebuilt descriptor, loaded once per process (e.g. `descriptor('google-iam-v1.json')`). */
export function descriptor(file: string): protobuf.Root {
  let r = roots.get(file);
  if (!r) roots.set(file, (r = loadDescriptor(file)));
  return r;
}

/** A gRPC method's name and streaming flags: what the gRPC port needs to route it before its messages' types. */
export interface MethodShape {
  name: string;
  requestStream: boolean;
  responseStream: boolean;
}

/** The methods of a service of a built root. */
export function methodShapes(service: protobuf.Service): MethodShape[] {
  return service.methodsArray.map((m) => ({ name: m.name, requestStream: Boolean(m.requestStream), responseStream: Boolean(m.responseStream) }));
}

interface JsonNamespace {
  nested?: Record<string, JsonNamespace & { methods?: Record<string, { requestStream?: boolean; responseStream?: boolean }> }>;
}

/**
 * The methods of `serviceName` (e.g. 'google.cloud.tasks.v2.CloudTasks') read from a prebuilt descriptor's JSON,
 * without building its protobufjs root: building one takes 10-40 ms, which the gRPC port defers to the first call
 * (or the warm-up after ready) rather than spend before `authplane ready`.
 */
export function describedMethods(file: string, serviceName: string): MethodShape[] {
  const built = roots.get(file);
  if (built) return methodShapes(built.lookupService(serviceName));
  let json = unbuilt.get(file);
  if (!json) unbuilt.set(file, (json = descriptorJson(file)));
  let ns = json;
  for (const part of serviceName.split('.')) {
    const next = ns.nested?.[part];
    if (!next) throw new Error(`${file} has no ${serviceName}`);
    ns = next;
  }
  const methods = (ns as { methods?: Record<string, { requestStream?: boolean; responseStream?: boolean }> }).methods;
  if (!methods) throw new Error(`${serviceName} in ${file} is not a service`);
  return Object.entries(methods).map(([name, m]) => ({ name, requestStream: Boolean(m.requestStream), responseStream: Boolean(m.responseStream) }));
}

const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, oneofs: false };

/** Proto binary → the shared object shape. */
export function decodeBinary(type: protobuf.Type, buf: Buffer): Obj {
  return type.toObject(type.decode(buf), OBJECT_OPTIONS) as Obj;
}

/** The shared object shape → proto binary. */
export function encodeBinary(type: protobuf.Type, obj: Obj): Buffer {
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

/**
 * proto3 JSON (a REST request: body, query parameters and path fields merged) → the shared object shape,
 * read as Google's JSON transcoder reads it (proto-json.ts); every violation refused at once with
 * INVALID_ARGUMENT naming the fields. `at`: where `json` sits in the request ('' for the request itself).
 */
export function decodeJson(type: protobuf.Type, json: Obj, at = ''): Obj {
  const canonical = readProtoJson(type, json, at);
  const obj = type.toObject(type.fromObject(canonical), OBJECT_OPTIONS) as Obj;
  // The ranges both transports check (Timestamps and Durations also written as objects, enum numbers).
  const violations = checkDecoded(type, obj, at);
  if (violations.length) throw invalidFields(violations);
  return obj;
}

/** The shared object shape → proto3 JSON; enums as numbers with `$alt=json;enum-encoding=int`. */
export function encodeJson(type: protobuf.Type, obj: Obj, numericEnums: boolean): unknown {
  return proto3JsonSerializer().toProto3JSON(type.fromObject(obj), { numericEnums });
}

export const snakeToCamel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

// Timestamps and durations ---------------------------------------------------

export interface ProtoTime {
  seconds?: number;
  nanos?: number;
}

export const toMs = (t: ProtoTime | undefined | null): number | undefined =>
  t === undefined || t === null ? undefined : (t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);

export const fromMs = (ms: number): ProtoTime => {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
};
