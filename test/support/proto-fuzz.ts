// Malformed requests generated from a message descriptor rather than typed one by one: for every field a
// valid request carries, the values of the wrong kind for that field's type (a string where an int32 is,
// 2.5 for an integer, "FOO" for an enum, a number or a list where a map is, bad base64, malformed or
// out-of-range Durations and Timestamps, out-of-range integers), null, a huge value and a deeply nested one;
// an unknown sibling at every message level; for query parameters, the same per request field. Each
// mutation says whether Google refuses it ('refused') or may accept it ('any': null is the default, a large
// value may be valid) — accepted or not, nothing may answer 5xx.
import protobuf from 'protobufjs';

export type Json = unknown;

export interface Mutation {
  /** Where and what, e.g. `task.http_request.http_method = "FOO"`. */
  label: string;
  /** The field's proto path (what the refusal should name). */
  field: string;
  /** The mutated request body (or query string for `queryMutations`). */
  value: Json;
  expect: 'refused' | 'any';
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const deep = (levels: number): Json => {
  let v: Json = { leaf: 1 };
  for (let i = 0; i < levels; i++) v = { nested: v };
  return v;
};
const HUGE_STRING = 'x'.repeat(300_000);

/** Wrong values for a field of this type (never a valid one). */
function wrongValues(field: protobuf.Field): Json[] {
  field.resolve();
  const rt = field.resolvedType;
  if (field.map) return [5, 'x', [], ['a'], { k: 5 }, { k: [] }, { k: {} }];
  if (rt instanceof protobuf.Enum) return ['FOO', 99, true, {}];
  if (rt instanceof protobuf.Type) {
    switch (rt.fullName) {
      case '.google.protobuf.Duration':
        return [5, '10m', 's', '1.1234567891s', '999999999999s', true];
      case '.google.protobuf.Timestamp':
        return [5, 'yesterday', '2020-01-01T00:00:00', '10000-01-01T00:00:00Z', '2020-02-30T00:00:00Z'];
      case '.google.protobuf.FieldMask':
        return [5, {}];
      default:
        return ['x', 5, true];
    }
  }
  switch (field.type) {
    case 'string':
      return [5, true, {}];
    case 'bool':
      return ['yes', 1, {}];
    case 'bytes':
      return ['!!!', 'a', 5];
    case 'double':
    case 'float':
      return ['x', true, {}, '1e999'];
    case 'int64':
    case 'uint64':
    case 'sint64':
      return ['x', 2.5, true, {}, '9223372036854775808'];
    default:
      return ['x', 2.5, true, {}, 2147483648, '-2147483649'];
  }
}

const set = (obj: Record<string, Json>, key: string, value: Json) => ({ ...obj, [key]: value });

/**
 * Mutations of `base` (a valid JSON request body for `type`; `prefix` is the proto path of the body within
 * the request, e.g. `queue` when the body is UpdateQueueRequest.queue). Recurses into the messages `base`
 * holds.
 */
export function bodyMutations(type: protobuf.Type, base: Record<string, Json>, prefix = ''): Mutation[] {
  const out: Mutation[] = [];
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  out.push({ label: `${prefix || '(body)'}: unknown sibling`, field: 'zzUnknownField', value: set(base, 'zzUnknownField', 1), expect: 'refused' });
  for (const [key, value] of Object.entries(base)) {
    const field = type.fields[key];
    if (!field) continue;
    field.resolve();
    const path = at(snake(key));
    const leaf = snake(key);
    for (const wrong of wrongValues(field)) {
      const v = field.repeated && !field.map ? [wrong] : wrong;
      out.push({ label: `${path} = ${JSON.stringify(v).slice(0, 60)}`, field: leaf, value: set(base, key, v), expect: 'refused' });
    }
    if (!field.repeated && !field.map) out.push({ label: `${path} = [list]`, field: leaf, value: set(base, key, [value, value]), expect: 'refused' });
    out.push({ label: `${path} = null`, field: leaf, value: set(base, key, null), expect: 'any' });
    out.push({ label: `${path} nested 150 deep`, field: leaf, value: set(base, key, deep(150)), expect: 'refused' });
    if (field.type === 'string' && !field.map) {
      out.push({ label: `${path} = 300 KB string`, field: leaf, value: set(base, key, field.repeated ? [HUGE_STRING] : HUGE_STRING), expect: 'any' });
    }
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type && !rt.fullName.startsWith('.google.protobuf.') && !field.map) {
      const inner = field.repeated ? (value as Json[])[0] : value;
      if (inner && typeof inner === 'object') {
        for (const m of bodyMutations(rt, inner as Record<string, Json>, field.repeated ? `${path}[0]` : path)) {
          const v = field.repeated ? [m.value, ...(value as Json[]).slice(1)] : m.value;
          out.push({ ...m, value: set(base, key, v) });
        }
      }
    }
  }
  return out;
}

/** Wrong query strings for a request read from its query parameters: every scalar field of `type` not bound by the path. */
export function queryMutations(type: protobuf.Type, bound: readonly string[]): Mutation[] {
  const out: Mutation[] = [{ label: 'unknown query parameter', field: 'zzUnknownParam', value: 'zzUnknownParam=1', expect: 'refused' }];
  for (const field of type.fieldsArray) {
    if (bound.includes(field.name)) continue;
    field.resolve();
    const rt = field.resolvedType;
    const name = field.name;
    if (rt instanceof protobuf.Type) {
      if (rt.fullName.startsWith('.google.protobuf.')) continue;
      out.push({ label: `${name}=x (a message)`, field: name, value: `${name}=x`, expect: 'refused' });
      for (const sub of rt.fieldsArray) {
        sub.resolve();
        for (const wrong of wrongValues(sub).filter((w) => typeof w === 'string' || typeof w === 'number')) {
          out.push({ label: `${name}.${sub.name}=${String(wrong)}`, field: snake(sub.name), value: `${name}.${sub.name}=${encodeURIComponent(String(wrong))}`, expect: 'refused' });
        }
      }
      continue;
    }
    for (const wrong of wrongValues(field).filter((w) => typeof w === 'string' || typeof w === 'number')) {
      // A query value is always a string: "5" is a valid string, and 5 a valid int.
      if ((field.type === 'string' && typeof wrong === 'number') || (/int|fixed/.test(field.type) && wrong === 2147483648 && field.type.endsWith('64'))) continue;
      out.push({ label: `${name}=${String(wrong)}`, field: snake(name), value: `${name}=${encodeURIComponent(String(wrong))}`, expect: field.type === 'string' ? 'any' : 'refused' });
    }
    out.push({ label: `${name} twice`, field: snake(name), value: `${name}=1&${name}=2`, expect: field.repeated ? 'any' : 'refused' });
  }
  return out;
}
