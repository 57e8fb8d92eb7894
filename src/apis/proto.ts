// Google's protos as authplane reads them: the committed .proto files under protos/ (loaded through a
// prebuilt JSON descriptor, ≈ 10 ms instead of ≈ 100 ms of parsing), and the one object shape every
// transport shares — protobufjs `toObject` with camelCase names, enums as names, 64-bit integers as numbers,
// bytes as Buffers, Timestamps/Durations as {seconds, nanos}. gRPC decodes binary into it; REST decodes
// proto3 JSON into it; the products only see this shape.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { fromProto3JSON, toProto3JSON } from 'proto3-json-serializer';
import { invalidArgument } from './errors.js';

export type Obj = Record<string, unknown>;

/** The package's protos/ folder, found from both src/ (tsx) and dist/src/ (compiled). */
export function protosDir(): string {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(here.includes('/dist/') ? '../../../protos/' : '../../protos/', import.meta.url));
}

/** Parses .proto files (paths under protos/) themselves: what the committed descriptors are built from. */
export function parseProtos(files: readonly string[]): protobuf.Root {
  const dir = protosDir();
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => dir + target;
  r.loadSync([...files], { keepCase: false });
  r.resolveAll();
  return r;
}

/** A root from a prebuilt JSON descriptor under protos/ (scripts/build-protos.mjs writes them). */
export function loadDescriptor(file: string): protobuf.Root {
  const r = protobuf.Root.fromJSON(JSON.parse(readFileSync(protosDir() + file, 'utf8')) as protobuf.INamespace);
  r.resolveAll();
  return r;
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

/** proto3 JSON (REST body) → the shared object shape; Google's 400 for unknown names. */
export function decodeJson(type: protobuf.Type, json: unknown, at: string): Obj {
  checkKnownFields(type, json, at);
  let msg: protobuf.Message | null;
  try {
    msg = fromProto3JSON(type, json as never);
  } catch (e) {
    throw invalidArgument(`Invalid JSON payload received. ${(e as Error).message}`, at || 'request body');
  }
  return msg ? (type.toObject(msg, OBJECT_OPTIONS) as Obj) : {};
}

/** The shared object shape → proto3 JSON; enums as numbers with `$alt=json;enum-encoding=int`. */
export function encodeJson(type: protobuf.Type, obj: Obj, numericEnums: boolean): unknown {
  return toProto3JSON(type.fromObject(obj), { numericEnums });
}

const WELL_KNOWN = /^\.google\.protobuf\./;

/** Google rejects unknown JSON names: `Invalid JSON payload received. Unknown name "x" at 'task': Cannot find field.` */
function checkKnownFields(type: protobuf.Type, json: unknown, at: string): void {
  if (!json || typeof json !== 'object' || Array.isArray(json) || WELL_KNOWN.test(type.fullName)) return;
  for (const [key, value] of Object.entries(json as Obj)) {
    const field = type.fields[key] ?? type.fields[snakeToCamel(key)];
    if (!field) {
      throw invalidArgument(`Invalid JSON payload received. Unknown name "${key}"${at ? ` at '${at}'` : ''}: Cannot find field.`, at ? `${at}.${key}` : key);
    }
    field.resolve();
    if (field.resolvedType instanceof protobuf.Type && !field.map) {
      const sub = field.resolvedType;
      const path = at ? `${at}.${key}` : key;
      if (field.repeated && Array.isArray(value)) value.forEach((v, i) => checkKnownFields(sub, v, `${path}[${i}]`));
      else checkKnownFields(sub, value, path);
    }
  }
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
