// What a request must satisfy whichever transport brought it: google.protobuf.Timestamp and Duration within
// their documented ranges, enum values the enum declares. REST requests are checked here after the JSON
// reader (proto-json.ts) has converted them, gRPC requests as they arrive decoded (grpc-server.ts), so a
// Timestamp of year 30,000,000 is the same INVALID_ARGUMENT on both, never an exception further in.
// Also the wording both share: Google's transcoder's "Invalid value at 'PATH' (TYPE), VALUE".

import type protobuf from 'protobufjs';
import { protobufjs } from './protobufjs.js';
import type { FieldViolation } from './errors.js';

type Obj = Record<string, unknown>;

/** google/protobuf/timestamp.proto: "Must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z inclusive." */
export const TIMESTAMP_MIN_SECONDS = -62_135_596_800;
export const TIMESTAMP_MAX_SECONDS = 253_402_300_799;
/** google/protobuf/duration.proto: "-315,576,000,000 to +315,576,000,000 inclusive" (about 10,000 years). */
export const DURATION_MAX_SECONDS = 315_576_000_000;
const NANOS_PER_SECOND = 1_000_000_000;

export const TIMESTAMP = '.google.protobuf.Timestamp';
export const DURATION = '.google.protobuf.Duration';

/** Why a Timestamp is out of range, in the transcoder's words (protobuf util/time_util), or undefined. */
export function timestampProblem(seconds: number, nanos: number): string | undefined {
  if (!Number.isInteger(seconds) || seconds < TIMESTAMP_MIN_SECONDS || seconds > TIMESTAMP_MAX_SECONDS) return 'Timestamp value exceeds limits';
  if (!Number.isInteger(nanos) || nanos < 0 || nanos >= NANOS_PER_SECOND) return 'Timestamp value exceeds limits';
  return undefined;
}

/** Why a Duration is out of range (or its seconds and nanos disagree in sign), or undefined. */
export function durationProblem(seconds: number, nanos: number): string | undefined {
  const ok =
    Number.isInteger(seconds) &&
    Number.isInteger(nanos) &&
    Math.abs(seconds) <= DURATION_MAX_SECONDS &&
    Math.abs(nanos) < NANOS_PER_SECOND &&
    !(seconds > 0 && nanos < 0) &&
    !(seconds < 0 && nanos > 0);
  return ok ? undefined : 'Duration value exceeds limits';
}

/** `type.googleapis.com/google.cloud.tasks.v2.HttpMethod`: how the transcoder names a message or enum type. */
export const typeUrl = (t: protobuf.ReflectionObject): string => `type.googleapis.com/${t.fullName.replace(/^\./, '')}`;

/** A field's name in the .proto file (protobufjs keeps the lowerCamelCase JSON name): paths use these. */
export const protoName = (field: { name: string }): string => field.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `a.b` (or `b` at the root). */
export const joinPath = (path: string, name: string): string => (path ? `${path}.${name}` : name);

/** " at 'PATH'" (nothing at the request's root), as the transcoder places a problem. */
export const atPath = (path: string): string => (path ? ` at '${path}'` : '');

/** Google's "Invalid value at 'PATH' (TYPE), VALUE" for a field whose value cannot be read as its type. */
export function invalidValue(path: string, type: string, value: string): FieldViolation {
  return { field: path, description: `Invalid value${atPath(path)} (${type}), ${value}` };
}

/** A JSON value as the transcoder quotes it: strings in double quotes, numbers and booleans bare. */
export function quoted(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * Checks a message in the shared object shape (apis/proto.ts): every Timestamp and Duration in range, every
 * enum value declared. Returns the violations (empty when the message is fine).
 */
export function checkDecoded(type: protobuf.Type, obj: Obj, path = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  walk(type, obj, path, out);
  return out;
}

/** A field `walk` looks into: one whose type is an enum or a message (scalars and strings have nothing to check). */
interface CheckedField {
  /** The field's name in the object shape (lowerCamelCase). */
  name: string;
  /** Its name in the .proto file, for paths. */
  protoName: string;
  type: protobuf.Enum | protobuf.Type;
  /** What is checked of a value (protobufjs builds `fullName` anew on every read, so it is read once here). */
  kind: 'enum' | 'timestamp' | 'duration' | 'message';
  map: boolean;
  repeated: boolean;
}

/**
 * Each message type's enum and message fields, found once: going through every field of the type on each
 * request (resolving it, naming it, building its type's fullName) cost a gRPC CreateTask ≈ 4.3 µs, the list
 * ≈ 0.5 µs (node --cpu-prof on the check alone).
 */
const checkedFields = new WeakMap<protobuf.Type, CheckedField[]>();

function checkedFieldsOf(type: protobuf.Type): CheckedField[] {
  let fields = checkedFields.get(type);
  if (fields === undefined) {
    fields = [];
    for (const field of type.fieldsArray) {
      field.resolve();
      const rt = field.resolvedType;
      if (!rt) continue;
      const kind = rt instanceof protobufjs().Enum ? 'enum' : rt.fullName === TIMESTAMP ? 'timestamp' : rt.fullName === DURATION ? 'duration' : 'message';
      fields.push({ name: field.name, protoName: protoName(field), type: rt, kind, map: field.map, repeated: field.repeated });
    }
    checkedFields.set(type, fields);
  }
  return fields;
}

function walk(type: protobuf.Type, obj: Obj, path: string, out: FieldViolation[]): void {
  for (const field of checkedFieldsOf(type)) {
    const value = obj[field.name];
    if (value === undefined || value === null) continue;
    const fieldPath = joinPath(path, field.protoName);
    if (field.map) Object.values(value as Obj).forEach((v, i) => checkValue(field, v, `${fieldPath}[${i}].value`, out));
    else if (field.repeated && Array.isArray(value)) value.forEach((v, i) => checkValue(field, v, `${fieldPath}[${i}]`, out));
    else checkValue(field, value, fieldPath, out);
  }
}

function checkValue(field: CheckedField, v: unknown, p: string, out: FieldViolation[]): void {
  const rt = field.type;
  if (field.kind === 'enum') {
    if (typeof v !== 'string' || (rt as protobuf.Enum).values[v] === undefined) out.push(invalidValue(p, typeUrl(rt), quoted(v)));
  } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    if (field.kind === 'message') return walk(rt as protobuf.Type, v as Obj, p, out);
    const time = v as { seconds?: unknown; nanos?: unknown };
    const seconds = Number(time.seconds ?? 0);
    const nanos = Number(time.nanos ?? 0);
    const problem = field.kind === 'timestamp' ? timestampProblem(seconds, nanos) : durationProblem(seconds, nanos);
    if (problem) out.push(invalidValue(p, typeUrl(rt), `Field '${field.name}', ${problem}`));
  }
}
