// Google's REST mapping of a gRPC service (google.api.http rules), done once: path parameters, query
// parameters and the body become the request message (proto3 JSON read as Google's transcoder reads it,
// apis/proto-json.ts), the service method runs with the router's authenticated caller, and the response goes
// back as proto3 JSON, with enums as numbers when the client asks `$alt=json;enum-encoding=int` (what
// Google's Node clients send in REST mode).

import type protobuf from 'protobufjs';
import { decodeJson, encodeJson, type Obj } from './proto.js';
import { queryToJson } from './proto-json.js';
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
      // Query parameters bind the request's other fields (none when the body is the whole request); the
      // merged JSON is read through the request's descriptor (proto-json.ts).
      const json: Obj = queryToJson(requestType, req.query, rpc.body !== '*');
      if (rpc.body === '*') Object.assign(json, await req.json());
      else if (rpc.body) json[rpc.body] = await req.json();
      Object.assign(json, rpc.path(req.params, json));
      const request = decodeJson(requestType, json);
      const out = await method(req.caller, request);
      const numericEnums = (req.query.get('$alt') ?? '').includes('enum-encoding=int');
      return { body: encodeJson(type(rpc.response), out, numericEnums) ?? {} };
    });
  };
}
