// Which field paths a filter may name, and their types (google/logging/v2/log_entry.proto and
// google/logging/type/http_request.proto, as listed on the query-language page, REFERENCE §11 LG4):
//
// - a field of the LogEntry type is *defaulted*: when absent it compares as its type's default
//   ("", 0, false, DEFAULT, 0s, the epoch);
// - a key inside `labels`, `resource.labels`, `jsonPayload` or `protoPayload` is *missing* when absent:
//   every comparison with it is false (so `NOT labels.x=a` is true and `labels.x!=a` false);
// - anything else (`thud`, `textPayload.thud`, `httpRequest.thud`) is *undefined*: the filter is refused.
//
// LogEntry's own field names match in any letter case and also in snake_case (`http_request.status`);
// keys of maps and of jsonPayload must be written as they are ("you must preserve their keys' letter case").
// protoPayload is a protocol buffer, so its keys match like LogEntry's.

export type ScalarKind = 'string' | 'int' | 'double' | 'bool' | 'severity' | 'duration' | 'timestamp';

type SchemaNode = ScalarKind | 'map' | 'struct' | 'proto' | { readonly [field: string]: SchemaNode };

const HTTP_REQUEST: SchemaNode = {
  requestMethod: 'string',
  requestUrl: 'string',
  requestSize: 'int',
  status: 'int',
  responseSize: 'int',
  userAgent: 'string',
  remoteIp: 'string',
  serverIp: 'string',
  referer: 'string',
  latency: 'duration',
  cacheLookup: 'bool',
  cacheHit: 'bool',
  cacheValidatedWithOriginServer: 'bool',
  cacheFillBytes: 'int',
  protocol: 'string',
};

const LOG_ENTRY: SchemaNode = {
  logName: 'string',
  resource: { type: 'string', labels: 'map' },
  protoPayload: 'proto',
  textPayload: 'string',
  jsonPayload: 'struct',
  timestamp: 'timestamp',
  receiveTimestamp: 'timestamp',
  severity: 'severity',
  insertId: 'string',
  httpRequest: HTTP_REQUEST,
  labels: 'map',
  metadata: { systemLabels: 'struct', userLabels: 'map' },
  operation: { id: 'string', producer: 'string', first: 'bool', last: 'bool' },
  trace: 'string',
  spanId: 'string',
  traceSampled: 'bool',
  sourceLocation: { file: 'string', line: 'int', function: 'string' },
  split: { uid: 'string', index: 'int', totalSplits: 'int' },
};

/** What a path found in one entry: typed values (an array field gives several), or nothing (missing). */
export type FieldValue = { readonly kind: ScalarKind | 'null' | 'object'; readonly value: unknown };

export interface Lookup {
  /** False for a missing payload or label key: every comparison fails. */
  readonly found: boolean;
  /** True when the entry carries the field (`:*`); a defaulted field is found but not explicit. */
  readonly explicit: boolean;
  readonly values: readonly FieldValue[];
}

export type FieldReader = (entry: unknown) => Lookup;

/** Thrown for a path that is not a LogEntry field; the filter is refused naming `field`. */
export class UndefinedFieldError extends Error {
  override readonly name = 'UndefinedFieldError';
  constructor(readonly field: string) {
    super(`Field not found: '${field}'.`);
  }
}

const MISSING: Lookup = { found: false, explicit: false, values: [] };

/** A reader for `parts` (checked now, so an undefined field refuses the filter before it runs). */
export function fieldReader(parts: readonly string[]): FieldReader {
  let node: SchemaNode = LOG_ENTRY;
  const keys: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof node === 'object') {
      const key = schemaKey(node, part);
      if (key === undefined) throw new UndefinedFieldError(part);
      keys.push(key);
      node = node[key]!;
      continue;
    }
    if (node === 'map' || node === 'struct' || node === 'proto') return dynamicReader(keys, parts.slice(i), node);
    throw new UndefinedFieldError(part);
  }
  if (node === 'map' || node === 'struct' || node === 'proto' || typeof node === 'object') return containerReader(keys);
  return typedReader(keys, node);
}

/** LogEntry's field names in any case, camelCase or snake_case. */
function schemaKey(node: { readonly [field: string]: SchemaNode }, part: string): string | undefined {
  const want = part.replace(/_/g, '').toLowerCase();
  return Object.keys(node).find((k) => k.toLowerCase() === want);
}

function walk(entry: unknown, keys: readonly string[]): unknown {
  let v = entry;
  for (const k of keys) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A scalar field of LogEntry: defaulted when absent. */
function typedReader(keys: readonly string[], kind: ScalarKind): FieldReader {
  return (entry) => {
    const v = walk(entry, keys);
    if (v === undefined || v === null) return { found: true, explicit: false, values: [{ kind, value: DEFAULTS[kind] }] };
    return { found: true, explicit: true, values: [{ kind, value: v }] };
  };
}

const DEFAULTS: Record<ScalarKind, unknown> = { string: '', int: 0, double: 0, bool: false, severity: 'DEFAULT', duration: '0s', timestamp: '1970-01-01T00:00:00Z' };

/** A message or map as a whole (`httpRequest:"x"`, `labels:*`). */
function containerReader(keys: readonly string[]): FieldReader {
  return (entry) => {
    const v = walk(entry, keys);
    return v === undefined || v === null ? { found: true, explicit: false, values: [] } : { found: true, explicit: true, values: [{ kind: 'object', value: v }] };
  };
}

/** Keys inside a map, a Struct (exact case) or protoPayload (any case, snake_case too); arrays on the way fan out. */
function dynamicReader(prefix: readonly string[], rest: readonly string[], kind: 'map' | 'struct' | 'proto'): FieldReader {
  return (entry) => {
    let current: unknown[] = [walk(entry, prefix)];
    for (const part of rest) {
      const next: unknown[] = [];
      for (const v of current) {
        for (const item of Array.isArray(v) ? v : [v]) {
          if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
          const obj = item as Record<string, unknown>;
          const key = kind === 'proto' && !Object.hasOwn(obj, part) ? protoKey(obj, part) : part;
          if (key !== undefined && Object.hasOwn(obj, key)) next.push(obj[key]);
        }
      }
      if (next.length === 0) return MISSING;
      current = next;
    }
    const values: FieldValue[] = [];
    for (const v of current) for (const item of Array.isArray(v) ? v : [v]) values.push(inferred(item));
    return values.length === 0 ? MISSING : { found: true, explicit: true, values };
  };
}

function protoKey(obj: Record<string, unknown>, part: string): string | undefined {
  const want = part.replace(/_/g, '').toLowerCase();
  return Object.keys(obj).find((k) => k.replace(/_/g, '').toLowerCase() === want);
}

/** jsonPayload's types come from the values: numbers are doubles, true/false bools, text strings. */
function inferred(v: unknown): FieldValue {
  if (v === null) return { kind: 'null', value: null };
  switch (typeof v) {
    case 'string':
      return { kind: 'string', value: v };
    case 'number':
      return { kind: 'double', value: v };
    case 'boolean':
      return { kind: 'bool', value: v };
    default:
      return { kind: 'object', value: v };
  }
}
