// Google's REST mapping of a gRPC service (google.api.http rules), done once: path parameters, query
// parameters and the body become the request message (proto3 JSON, unknown fields refused), the service
// method runs with the router's authenticated caller, and the response goes back as proto3 JSON, with enums
// as numbers when the client asks `$alt=json;enum-encoding=int` (what Google's Node clients send in REST mode).

import type protobuf from 'protobufjs';
import { decodeJson, encodeJson, type Obj } from './proto.js';
import type { ApiRequest, ApiResponse, Router } from './router.js';

export type RpcMethod = (caller: string, req: Obj) => Promise<Obj>;

export interface RestRpc {
  /** Request message type (full name). */
  request: string;
  /** Response message type (full name). */
  response: string;
  /** Path params → request fields (`json` is what query and body gave so far). */
  path: (p: Record<string, string>, json: Obj) => Obj;
  /** Which part of the request the body holds: '*' (all), a field name, or none. */
  body?: '*' | string;
  /** Query parameters accepted (camelCase request fields). */
  query?: string[];
}

const NUMERIC = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'double', 'float']);

/** A query value (always a string) as the field's JSON: numbers for numeric fields, enums as numbers ("2") or names. */
function queryValue(field: protobuf.Field | undefined, v: string): unknown {
  if (!field) return v;
  if (NUMERIC.has(field.type)) return Number(v);
  field.resolve();
  if (field.resolvedType && 'values' in field.resolvedType && /^\d+$/.test(v)) return Number(v);
  return v;
}

/**
 * A binder for one Google API on the router: `bind(verb, pattern, rpc, method)`. The service methods check
 * their own permissions (gRPC calls them too, without this router), so routes declare `checkedBy: 'handler'`.
 */
export function restRpcBinder(router: Router, api: string, root: () => protobuf.Root, pkg: string) {
  const routes = router.for(api);
  const type = (name: string) => root().lookupType(name);
  return (verb: 'get' | 'post' | 'patch' | 'put' | 'delete', pattern: string, rpc: RestRpc, method: RpcMethod): void => {
    const name = rpc.request.replace(pkg, '').replace(/Request$/, '');
    // Get, List and TestIamPermissions only read: read-only scopes suffice, as for a GET.
    const read = /^(Get|List|TestIamPermissions)/.test(name.slice(name.lastIndexOf('.') + 1));
    const access = { permission: `${api.split('.')[0]} (per RPC: ${name})`, checkedBy: 'handler', read } as const;
    routes[verb](pattern, access, async (req: ApiRequest): Promise<ApiResponse> => {
      const requestType = type(rpc.request);
      const json: Obj = {};
      for (const key of rpc.query ?? []) {
        const v = req.query.get(key);
        if (v === null) continue;
        json[key] = queryValue(requestType.fields[key], v);
      }
      if (rpc.body === '*') Object.assign(json, await req.json());
      else if (rpc.body) json[rpc.body] = await req.json();
      Object.assign(json, rpc.path(req.params, json));
      const request = decodeJson(requestType, json, '');
      const out = await method(req.caller, request);
      const numericEnums = (req.query.get('$alt') ?? '').includes('enum-encoding=int');
      return { body: encodeJson(type(rpc.response), out, numericEnums) ?? {} };
    });
  };
}
