// google.logging.v2.ListLogEntriesRequest, read from proto3 JSON as Google reads it
// (google/logging/v2/logging.proto: project_ids = 1 (deprecated), resource_names = 8, filter = 2,
// order_by = 3, page_size = 4, page_token = 5; REFERENCE §11 LG1):
//
// - names in lowerCamelCase or as in the proto; an unknown name is refused naming it; null is the default;
// - a value of the wrong type is refused as Google words it: Invalid value at 'page_size' (TYPE_INT32), "x";
// - resourceNames (plus the deprecated projectIds) are required, at most 100, and here must name this
//   project (by ID or number) or one of its log views; another project is answered as Google answers a
//   project the caller cannot see; organizations, folders and billing accounts are not emulated;
// - orderBy is "timestamp asc" (default) or "timestamp desc"; pageSize 0 means 50, and a negative one or
//   one over 1000 is refused ("If the value is negative or exceeds 1000, the request is rejected").
//
// Messages for these refusals are authplane's wording where Google's were not recorded (docs/logging.md).
// The field descriptors are written out here rather than loaded: proto3-json-serializer turns
// pageSize "abc" into 0 and drops snake_case names, which is what this reader must not do.

import { apiRefusal, invalidArgument, notSupported } from '../apis/errors.js';

export type OrderBy = 'timestamp asc' | 'timestamp desc';

export interface ListRequest {
  resourceNames: string[];
  filter: string;
  orderBy: OrderBy;
  pageSize: number;
  pageToken: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
const MAX_RESOURCE_NAMES = 100;

type Scalar = 'TYPE_STRING' | 'TYPE_INT32';
const FIELDS: Record<string, { proto: string; type: Scalar; repeated?: true }> = {
  projectIds: { proto: 'project_ids', type: 'TYPE_STRING', repeated: true },
  resourceNames: { proto: 'resource_names', type: 'TYPE_STRING', repeated: true },
  filter: { proto: 'filter', type: 'TYPE_STRING' },
  orderBy: { proto: 'order_by', type: 'TYPE_STRING' },
  pageSize: { proto: 'page_size', type: 'TYPE_INT32' },
  pageToken: { proto: 'page_token', type: 'TYPE_STRING' },
};
const BY_PROTO_NAME = new Map(Object.entries(FIELDS).map(([json, f]) => [f.proto, json]));

export interface Project {
  id: string;
  number: string;
}

export function parseListRequest(body: Record<string, unknown>, project: Project): ListRequest {
  const v = readFields(body);
  const names = [...((v['resourceNames'] as string[] | undefined) ?? []), ...((v['projectIds'] as string[] | undefined) ?? []).map((p) => `projects/${p}`)];
  if (names.length === 0) throw invalidArgument('resource_names is required: name the project to read, for example "projects/PROJECT_ID".', 'resource_names');
  if (names.length > MAX_RESOURCE_NAMES) throw invalidArgument(`At most ${MAX_RESOURCE_NAMES} resource_names may be given, got ${names.length}.`, 'resource_names');
  names.forEach((n, i) => checkResourceName(n, i, project));
  const orderRaw = ((v['orderBy'] as string | undefined) ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  if (orderRaw !== '' && orderRaw !== 'timestamp asc' && orderRaw !== 'timestamp desc') {
    throw invalidArgument(`Invalid order_by "${v['orderBy'] as string}": the only permitted values are "timestamp asc" and "timestamp desc".`, 'order_by');
  }
  const size = (v['pageSize'] as number | undefined) ?? 0;
  if (size < 0 || size > MAX_PAGE_SIZE) throw invalidArgument(`Invalid page_size ${size}: it must be between 0 and ${MAX_PAGE_SIZE}.`, 'page_size');
  return {
    resourceNames: names,
    filter: (v['filter'] as string | undefined) ?? '',
    orderBy: (orderRaw || 'timestamp asc') as OrderBy,
    pageSize: size === 0 ? DEFAULT_PAGE_SIZE : size,
    pageToken: (v['pageToken'] as string | undefined) ?? '',
  };
}

/** The body's fields by JSON name, type-checked; null and absent fields are left out (the default). */
function readFields(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const json = Object.hasOwn(FIELDS, key) ? key : BY_PROTO_NAME.get(key);
    if (json === undefined) throw invalidArgument(`Invalid JSON payload received. Unknown name "${key}": Cannot find field.`, key);
    if (value === null) continue;
    const f = FIELDS[json]!;
    if (f.repeated) {
      if (!Array.isArray(value)) throw badValue(f.proto, f.type, value);
      out[json] = value.map((item, i) => scalar(`${f.proto}[${i}]`, f.type, item));
    } else out[json] = scalar(f.proto, f.type, value);
  }
  return out;
}

function scalar(path: string, type: Scalar, value: unknown): string | number {
  if (type === 'TYPE_STRING') {
    if (typeof value !== 'string') throw badValue(path, type, value);
    return value;
  }
  // int32: a JSON number or a decimal string, whole and in range.
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) throw badValue(path, type, value);
  return n;
}

function badValue(path: string, type: Scalar, value: unknown): never {
  throw invalidArgument(`Invalid JSON payload received. Invalid value at '${path}' (${type}), ${JSON.stringify(value)}`, path);
}

const VIEW = /^projects\/([^/]+)\/locations\/[^/]+\/buckets\/[^/]+\/views\/[^/]+$/;

function checkResourceName(name: string, index: number, project: Project): void {
  const m = /^projects\/([^/]+)$/.exec(name) ?? VIEW.exec(name);
  if (m) {
    const p = m[1]!;
    if (p === project.id || p === project.number) return;
    throw apiRefusal('PROJECT_NOT_EMULATED', { project: p, emulated: project.id, emulatedNumber: project.number, errorMetadata: { consumer: `projects/${p}`, service: 'logging.googleapis.com' } });
  }
  if (/^(organizations|folders|billingAccounts)\/[^/]+(\/.*)?$/.test(name)) {
    throw notSupported(`authplane emulates one project; ${name} in resource_names[${index}] is not one it has.`, `Read projects/${project.id}.`);
  }
  throw invalidArgument(`Invalid resource name "${name}" in resource_names[${index}]: expected projects/[PROJECT_ID], organizations/[ORGANIZATION_ID], billingAccounts/[BILLING_ACCOUNT_ID], folders/[FOLDER_ID] or a log view.`, `resource_names[${index}]`);
}
