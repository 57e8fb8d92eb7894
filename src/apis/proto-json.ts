// proto3 JSON read as Google's REST front end reads it, through the real message descriptors: the JSON
// transcoder of ESF (protobuf's util/internal converter: ProtoStreamObjectWriter, ProtoWriter, DataPiece).
// What it accepts is handed to protobufjs `fromObject` in canonical form (enum names, base64 bytes as
// Buffers, Timestamps and Durations as {seconds, nanos}); what it refuses is every violation at once, in the
// transcoder's words, with the field path in proto names (`task.http_request.http_method`):
//
//   Invalid JSON payload received. Unknown name "x" at 'task': Cannot find field.
//   Invalid JSON payload received. Unknown name "x" at 'task': Proto field is not repeating, cannot start list.
//   Invalid value at 'task.http_request.http_method' (type.googleapis.com/google.cloud.tasks.v2.HttpMethod), "FOO"
//   Invalid value at 'queue.retry_config.max_attempts' (TYPE_INT32), "x"
//   Invalid value at 'task.http_request.body' (TYPE_BYTES), Base64 decoding failed for "!!!"
//   Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration), Field 'lifetime', Illegal duration format; duration must end with 's'
//   Invalid value at 'task' (oneof), oneof field 'message_type' is already set. Cannot set 'appEngineHttpRequest'
//   Invalid value at 'requests[0]' (data_type_name), Starting an object on a scalar field
//
// Sources: protobuf's converter (src/google/protobuf/util/internal/{protostream_objectwriter,proto_writer,
// datapiece}.cc, as vendored in nodejs/node deps/protobuf) for the rules and most texts; recorded Google
// API answers for the texts newer than that code (Docs, Gmail, FCM, Pub/Sub, Firestore, Fitness errors quoted
// in public issues: "Base64 decoding failed for", "Starting an object on a scalar field", the Timestamp texts,
// "Cannot bind query parameter"). Rules kept from the converter: `null` is the field's default; a name is
// the JSON (lowerCamelCase) or the proto (snake_case) name; numbers may be JSON numbers or decimal strings
// and must fit their type exactly (2.5 is no int32); enums by name (case-insensitive, '-' read as '_') or
// number; a single value where a list is expected is a list of one. Stricter than the converter, on
// purpose: booleans are `true`/`false` (or those two strings; the converter's safe_strtob also took "yes"
// and "1"), and an enum number the enum does not declare is refused (the converter passed it on for the
// API to refuse).
//
// proto3-json-serializer is not used to read: it coerces by design (numeric strings through `| 0`, unknown
// enum names kept, any base64), misreads Timestamps with an offset and refuses negative Durations.

import type protobuf from 'protobufjs';
import { protobufjs } from './protobufjs.js';
import { invalidFields, type FieldViolation } from './errors.js';
import { DURATION, TIMESTAMP, atPath, durationProblem, invalidValue, joinPath, protoName, quoted, timestampProblem, typeUrl } from './proto-check.js';

type Obj = Record<string, unknown>;

const FIELD_MASK = '.google.protobuf.FieldMask';
const ANY = '.google.protobuf.Any';
const WRAPPER = /^\.google\.protobuf\.(Double|Float|Int64|UInt64|Int32|UInt32|Bool|String|Bytes)Value$/;

/** Query parameters every Google API accepts besides the request's fields (system parameters). */
const SYSTEM_PARAMETERS = new Set(['$alt', 'alt', '$.xgafv', 'key', 'access_token', 'oauth_token', 'fields', '$fields', 'prettyPrint', '$prettyPrint', 'quotaUser', 'userIp', 'callback', '$callback', 'upload_protocol', 'uploadType']);

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads `json` (a JSON object) as a `type` message: the canonical object protobufjs `fromObject` takes.
 * `at` is where the message sits in the request (e.g. `queue`), for the paths refusals name. Throws
 * INVALID_ARGUMENT listing every violation.
 */
export function readProtoJson(type: protobuf.Type, json: Obj, at = ''): Obj {
  const violations: FieldViolation[] = [];
  const out = readMessage(type, json, at, violations);
  if (violations.length) throw invalidFields(violations);
  return out;
}

/**
 * Query parameters as the JSON object they stand for (`options.requestedPolicyVersion=3` →
 * `{options: {requestedPolicyVersion: "3"}}`; a repeated field takes every occurrence), to be read with the
 * body by `readProtoJson`. System parameters (`alt`, `$alt`, `key`, …) are skipped; a parameter that names
 * no field of `type`, or a message field, is refused as Google refuses it; so is every parameter when the
 * body is the whole request (`body: "*"`), which leaves query parameters nothing to bind.
 */
export function queryToJson(type: protobuf.Type, query: URLSearchParams, bindable = true): Obj {
  const out: Obj = {};
  const violations: FieldViolation[] = [];
  for (const name of new Set(query.keys())) {
    if (SYSTEM_PARAMETERS.has(name)) continue;
    const values = query.getAll(name);
    const segments = name.split('.');
    let t = type;
    let target = out;
    let problem: string | undefined;
    for (const [i, segment] of segments.entries()) {
      const field = bindable ? lookupField(t, segment) : undefined;
      if (!field) {
        problem = `Field '${name}' could not be found in request message.`;
        break;
      }
      field.resolve();
      const rt = field.resolvedType;
      const last = i === segments.length - 1;
      if (!last) {
        if (!(rt instanceof protobufjs().Type) || field.repeated || field.map) {
          problem = `Field '${name}' could not be found in request message.`;
          break;
        }
        target = (target[field.name] ??= {}) as Obj;
        t = rt;
        continue;
      }
      if (field.map || (rt instanceof protobufjs().Type && !isStringForm(rt))) {
        problem = `'${name}' is a message type. Query parameters can only be bound to primitive fields.`;
        break;
      }
      if (!field.repeated && values.length > 1) {
        problem = `Field '${name}' is not repeated: give it once.`;
        break;
      }
      target[field.name] = field.repeated ? values : values[0];
    }
    if (problem) violations.push({ field: '', description: `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. ${problem}` });
  }
  if (violations.length) throw invalidFields(violations);
  return out;
}

/**
 * One scalar (`kind`: bool, int32, string, …) read as the reader reads a field of that type; `path` names it
 * in the refusal. For the fields Google's live services accept beyond their published protos.
 */
export function readScalarField(kind: string, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  const violations: FieldViolation[] = [];
  const out = readScalar(kind, value, path, violations);
  if (violations.length) throw invalidFields(violations);
  return out;
}

/** Message types written as a JSON string (so a query parameter may hold them). */
const isStringForm = (t: protobuf.Type): boolean => t.fullName === TIMESTAMP || t.fullName === DURATION || t.fullName === FIELD_MASK || WRAPPER.test(t.fullName);

/** The field a JSON key names: its JSON (lowerCamelCase) name or its proto (snake_case) name. */
function lookupField(type: protobuf.Type, key: string): protobuf.Field | undefined {
  const byJson = type.fields[key];
  if (byJson) return byJson;
  return type.fieldsArray.find((f) => protoName(f) === key);
}

function readMessage(type: protobuf.Type, json: Obj, path: string, v: FieldViolation[]): Obj {
  const out: Obj = {};
  const oneofs = new Set<string>();
  for (const [key, value] of Object.entries(json)) {
    const field = lookupField(type, key);
    if (!field) {
      v.push({ field: path, description: `Invalid JSON payload received. Unknown name "${key}"${atPath(path)}: Cannot find field.` });
      continue;
    }
    // proto3 JSON: null is the field's default (google.protobuf.NullValue, its only exception, is in no request here).
    if (value === null) continue;
    const oneof = field.partOf;
    if (oneof && oneof.oneof.length > 1) {
      if (oneofs.has(oneof.name)) {
        v.push({ field: path, description: `Invalid value${atPath(path)} (oneof), oneof field '${protoName(oneof)}' is already set. Cannot set '${key}'` });
        continue;
      }
      oneofs.add(oneof.name);
    }
    field.resolve();
    const fieldPath = joinPath(path, protoName(field));
    if (field.map) {
      const map = readMap(type, field, key, value, path, fieldPath, v);
      if (map) out[field.name] = map;
    } else if (field.repeated) {
      // The transcoder binds a single value to a repeated field as a list of one.
      const items = Array.isArray(value) ? value : [value];
      const list: unknown[] = [];
      items.forEach((item, i) => {
        if (item === null) return;
        const r = Array.isArray(item)
          ? void v.push(invalidValue(`${fieldPath}[${i}]`, typeName(field), quoted(item)))
          : readValue(field, item, `${fieldPath}[${i}]`, key, path, v);
        if (r !== undefined) list.push(r);
      });
      out[field.name] = list;
    } else if (Array.isArray(value)) {
      v.push({ field: path, description: `Invalid JSON payload received. Unknown name "${key}"${atPath(path)}: Proto field is not repeating, cannot start list.` });
    } else {
      const r = readValue(field, value, fieldPath, key, path, v);
      if (r !== undefined) out[field.name] = r;
    }
  }
  return out;
}

/** What the transcoder calls a field's type in "Invalid value at" (TYPE_INT32, or a type URL). */
function typeName(field: { type: string; resolvedType: protobuf.ReflectionObject | null }): string {
  return field.resolvedType ? typeUrl(field.resolvedType) : `TYPE_${field.type.toUpperCase()}`;
}

interface FieldLike {
  name: string;
  type: string;
  resolvedType: protobuf.ReflectionObject | null;
}

function readValue(field: FieldLike, value: unknown, fieldPath: string, key: string, parentPath: string, v: FieldViolation[]): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobufjs().Type) {
    const name = rt.fullName; // built anew on every read by protobufjs: read once
    if (name === TIMESTAMP || name === DURATION) {
      // Written as a string; the converter also binds the message form {"seconds": …, "nanos": …}.
      if (typeof value === 'string') return name === TIMESTAMP ? readTimestamp(value, fieldPath, key, v) : readDuration(value, fieldPath, key, v);
      if (!isObject(value)) {
        const what = name === TIMESTAMP ? 'Invalid data type for timestamp' : `Invalid data type for duration, value is ${quoted(value)}`;
        v.push(invalidValue(fieldPath, typeUrl(rt), `Field '${key}', ${what}`));
        return undefined;
      }
    } else if (name === FIELD_MASK) {
      if (typeof value !== 'string') {
        v.push(invalidValue(fieldPath, typeUrl(rt), `Field '${key}', Invalid data type for field mask, value is ${quoted(value)}`));
        return undefined;
      }
      // FieldMask JSON holds lowerCamelCase paths; the message holds proto names (what gRPC clients send).
      return { paths: value.split(',').filter((p) => p !== '').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
    } else if (WRAPPER.test(name) && !isObject(value)) {
      const inner = rt.fields.value!;
      inner.resolve();
      const r = readScalar(inner.type, value, `${fieldPath}.value`, v);
      return r === undefined ? undefined : { value: r };
    } else if (name === ANY) {
      // Only in output-only fields of requests here (google.rpc.Status.details): the type URL is kept, the rest ignored.
      if (isObject(value) && typeof value['@type'] === 'string') return { type_url: value['@type'] }; // protobufjs's built-in Any keeps the .proto name
      v.push(invalidValue(fieldPath, typeUrl(rt), quoted(value)));
      return undefined;
    }
    if (!isObject(value)) {
      v.push(invalidValue(fieldPath, typeUrl(rt), quoted(value)));
      return undefined;
    }
    return readMessage(rt, value, fieldPath, v);
  }
  if (isObject(value)) {
    v.push(invalidValue(parentPath, protoName(field), 'Starting an object on a scalar field'));
    return undefined;
  }
  if (rt instanceof protobufjs().Enum) return readEnum(rt, value, fieldPath, v);
  return readScalar(field.type, value, fieldPath, v);
}

function readMap(type: protobuf.Type, field: protobuf.Field, key: string, value: unknown, parentPath: string, fieldPath: string, v: FieldViolation[]): Obj | undefined {
  if (Array.isArray(value)) {
    v.push(invalidValue(parentPath, 'Map', `Cannot bind a list to map for field '${key}'.`));
    return undefined;
  }
  if (!isObject(value)) {
    // A map is a repeated entry message (protoc names it FieldNameEntry).
    const entry = protoName(field).replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()) + 'Entry';
    v.push(invalidValue(fieldPath, `${typeUrl(type)}.${entry}`, quoted(value)));
    return undefined;
  }
  const keyType = (field as unknown as protobuf.MapField).keyType;
  const valueField: FieldLike = { name: 'value', type: field.type, resolvedType: field.resolvedType };
  const out: Obj = {};
  Object.entries(value).forEach(([k, val], i) => {
    const entryPath = `${fieldPath}[${i}]`;
    if (keyType !== 'string' && readScalar(keyType, k, `${entryPath}.key`, v) === undefined) return;
    if (Array.isArray(val)) {
      v.push(invalidValue(fieldPath, 'Map', `Cannot have repeated items ('${k}') within a map.`));
      return;
    }
    // null: the entry with the value's default, as the converter writes it.
    if (val === null) {
      out[k] = field.resolvedType instanceof protobufjs().Type ? {} : field.resolvedType instanceof protobufjs().Enum ? 0 : field.type === 'string' ? '' : field.type === 'bytes' ? Buffer.alloc(0) : field.type === 'bool' ? false : 0;
      return;
    }
    const r = readValue(valueField, val, `${entryPath}.value`, 'value', entryPath, v);
    if (r !== undefined) out[k] = r;
  });
  return out;
}

function readEnum(e: protobuf.Enum, value: unknown, path: string, v: FieldViolation[]): string | undefined {
  let name: string | undefined;
  if (typeof value === 'string') {
    // Own properties only: protobufjs makes `valuesById` the prototype of `values`, so `values["2"]` is "FULL"
    // and a number written as a string (every enum in a query parameter, `?responseView=2` from Google's
    // Node clients in REST mode) passed as a name, then fromObject dropped it.
    name = Object.hasOwn(e.values, value)
      ? value
      : /^[+-]?\d+$/.test(value)
        ? e.valuesById[Number(value)]
        : (() => {
            const normalized = value.toUpperCase().replace(/-/g, '_');
            return Object.hasOwn(e.values, normalized) ? normalized : undefined;
          })();
  } else if (typeof value === 'number' && Number.isInteger(value)) name = e.valuesById[value];
  if (name === undefined) v.push(invalidValue(path, typeUrl(e), quoted(value)));
  return name;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const FLOAT_MAX = 3.4028234663852886e38;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** A scalar of proto type `kind` (int32, string, bytes, …) in canonical form, or undefined after a violation. */
function readScalar(kind: string, value: unknown, path: string, v: FieldViolation[]): unknown {
  const bad = () => void v.push(invalidValue(path, `TYPE_${kind.toUpperCase()}`, quoted(value)));
  const range = INT_RANGES[kind];
  if (range) {
    let n: bigint | undefined;
    if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) n = BigInt(value);
    if (n === undefined || n < range[0] || n > range[1]) return bad();
    // 64-bit integers stay decimal strings until protobufjs turns them into numbers (proto.ts OBJECT_OPTIONS).
    return kind.endsWith('64') ? n.toString() : Number(n);
  }
  switch (kind) {
    case 'double':
    case 'float': {
      // A number, a decimal string, or the strings "NaN", "Infinity", "-Infinity" (a decimal too large for a double is refused).
      let n: number | undefined;
      if (typeof value === 'number') n = value;
      else if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
      else if (typeof value === 'string' && DECIMAL.test(value)) n = Number(value);
      if (n === undefined || !Number.isFinite(n) || (kind === 'float' && Math.abs(n) > FLOAT_MAX)) return bad();
      return n;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return bad();
    case 'string':
      return typeof value === 'string' ? value : bad();
    case 'bytes': {
      if (typeof value !== 'string') return bad();
      const body = value.replace(/=+$/, '');
      const padded = value.length !== body.length;
      if (!(BASE64.test(value) || BASE64URL.test(value)) || body.length % 4 === 1 || (padded && value.length % 4 !== 0)) {
        v.push(invalidValue(path, 'TYPE_BYTES', `Base64 decoding failed for ${quoted(value)}`));
        return undefined;
      }
      return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    }
    default:
      return bad();
  }
}

// Timestamps and Durations as strings ------------------------------------------------------------

const RFC3339 = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const daysInMonth = (y: number, m: number): number => (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** An RFC 3339 timestamp (as google.protobuf.Timestamp's JSON form) → {seconds, nanos}. */
function readTimestamp(text: string, path: string, key: string, v: FieldViolation[]): Obj | undefined {
  const fail = (problem: string) => void v.push(invalidValue(path, 'type.googleapis.com/google.protobuf.Timestamp', `Field '${key}', ${problem}`));
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(text)) return fail("Illegal timestamp format; timestamps must end with 'Z' or have a valid timezone offset.");
  const m = RFC3339.exec(text);
  if (!m) return fail('Invalid time format: Failed to parse input');
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // Years 0 and beyond 9999 parse, then fall outside google.protobuf.Timestamp's range.
  if (y === 0 || m[1]!.length > 4) return fail('Timestamp value exceeds limits');
  const offsetMinutes = m[8] === 'Z' ? 0 : (m[8]!.startsWith('-') ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59 || Number(m[9] ?? 0) > 23 || Number(m[10] ?? 0) > 59) {
    return fail('Invalid time format: Failed to parse input');
  }
  const seconds = daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offsetMinutes * 60;
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  const problem = timestampProblem(seconds, nanos);
  if (problem) return fail(problem);
  return { seconds, nanos };
}

/** "3.5s" / "-2s" (google.protobuf.Duration's JSON form) → {seconds, nanos}, as the converter's RenderDuration reads it. */
function readDuration(text: string, path: string, key: string, v: FieldViolation[]): Obj | undefined {
  const fail = (problem: string) => void v.push(invalidValue(path, 'type.googleapis.com/google.protobuf.Duration', `Field '${key}', ${problem}`));
  if (!text.endsWith('s')) return fail("Illegal duration format; duration must end with 's'");
  let body = text.slice(0, -1);
  const sign = body.startsWith('-') ? -1 : 1;
  if (sign < 0) body = body.slice(1);
  const dot = body.lastIndexOf('.');
  const secondsText = dot >= 0 ? body.slice(0, dot) : body;
  const nanosText = dot >= 0 ? body.slice(dot + 1) : '';
  if (!/^\d+$/.test(secondsText)) return fail('Invalid duration format, failed to parse seconds');
  if (!/^\d*$/.test(nanosText)) return fail('Invalid duration format, failed to parse nano seconds');
  // More than nine fractional digits: beyond nanoseconds (zeros excepted, as the converter reads them).
  if (nanosText.length > 9 && /[1-9]/.test(nanosText)) return fail('Duration value exceeds limits');
  const seconds = sign * Number(secondsText) || 0;
  const nanos = sign * (nanosText ? Number(nanosText.slice(0, 9).padEnd(9, '0')) : 0) || 0;
  const problem = durationProblem(seconds, nanos);
  if (problem) return fail(problem);
  return { seconds, nanos };
}
