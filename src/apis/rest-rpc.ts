// One RPC of a Google API over REST, as its http rule maps it: path variables, query parameters and the
// body become the request message (proto3 JSON, unknown names refused), the response is proto3 JSON with
// enums as numbers under `$alt=json;enum-encoding=int` (what Google's Node clients send in REST mode).
// Products whose RPCs check their own permissions (they are shared with gRPC) bind them here.

import type protobuf from 'protobufjs';
import { decodeJson, encodeJson, type Obj } from './proto.js';
import type { ApiRequest, ApiResponse, RouteRegistrar } from './router.js';

export interface RestRpc {
  /** Request message type (full name). */
  request: string;
  /** Response message type (full name). */
  response: string;
  /** Path params → request fields. */
  path: (p: Record<string, string>, json: Obj) => Obj;
  /** Which part of the request the body holds: '*' (all), a field name, or none. */
  body?: '*' | string;
  /** Query parameters accepted (camelCase request fields), with how to read each. */
  query?: Record<string, (v: string) => unknown>;
}

export type RpcMethod = (caller: string, req: Obj) => Promise<Obj>;

/** Query parameter readers. */
export const asString = (v: string): unknown => v;
export const asNumber = (v: string): unknown => Number(v);
/** An enum given as its number ("2") or its name ("FULL"). */
export const asEnum = (v: string): unknown => (/^\d+$/.test(v) ? Number(v) : v);

/** Registers `verb pattern` for `rpc`; `permission` describes, for the route table, what the method checks itself. */
export function bindRestRpc(api: RouteRegistrar, lookup: (name: string) => protobuf.Type, verb: 'get' | 'post' | 'patch' | 'put' | 'delete', pattern: string, rpc: RestRpc, permission: string, method: RpcMethod): void {
  api[verb](pattern, { permission, checkedBy: 'handler' }, async (req: ApiRequest): Promise<ApiResponse> => {
    const json: Obj = {};
    for (const [key, read] of Object.entries(rpc.query ?? {})) {
      const v = req.query.get(key);
      if (v !== null) json[key] = read(v);
    }
    if (rpc.body === '*') Object.assign(json, await req.json());
    else if (rpc.body) json[rpc.body] = await req.json();
    Object.assign(json, rpc.path(req.params, json));
    const out = await method(req.caller, decodeJson(lookup(rpc.request), json, ''));
    const numericEnums = (req.query.get('$alt') ?? '').includes('enum-encoding=int');
    return { body: encodeJson(lookup(rpc.response), out, numericEnums) ?? {} };
  });
}
