// The gRPC port: one insecure server (like every Google emulator) that products add their Google services
// to — Cloud Tasks, and any other API with a gRPC surface. Here, in one place, as the router does for REST:
// who is calling (the `authorization` metadata: an authplane access token, or the default principal), the
// error boundary (a DenialError becomes Google's gRPC status with its message and the `x-authplane-denial`
// trailer; anything else is logged once and answered INTERNAL), one request-log entry per call, and the refusals
// made before a service sees a call (a method nobody serves, a message over 32 MiB or that does not decode).

import type * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { lazyModule } from '../lib/lazy-module.js';
import { hostPort } from '../lib/host-port.js';
import type { PreboundSocket } from '../lib/prebound.js';
import { denialFields, requestLogFor, type RequestLogEntry } from '../observe/request-log.js';
import type { Platform } from '../platform.js';
import { deny, DenialError, type Denial } from '../verify/denial.js';
import { grpcStatus } from '../verify/response.js';
import { authorizedCaller } from './caller.js';
import { apiRefusal, invalidFields, notSupported } from './errors.js';
import { checkDecoded } from './proto-check.js';
import { decodeBinary, describedMethods, descriptor, encodeBinary, methodShapes, type MethodShape, type Obj } from './proto.js';
import { arrivalTime } from '../lib/iso-time.js';

/** A unary RPC as products implement it: the calling IAM member and the request in the shared object shape. */
export type UnaryMethod = (caller: string, request: Obj) => Promise<Obj>;

// grpc-js loads on the port's first connection or right after `authplane ready`, not during the start
// (≈ 40 ms of CPU that the supervised commands, booting meanwhile, need too): the port's socket is bound from
// the start (lib/prebound.ts), so a connection that comes first waits for it.
const grpcJs = lazyModule(() => import('@grpc/grpc-js'));

/** Google's limit on a request message (the REST router applies the same to bodies). */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/**
 * What grpc-js buffers at most: a message between MAX_MESSAGE_BYTES and this is refused here (REQUEST_TOO_LARGE,
 * logged); past it grpc-js answers RESOURCE_EXHAUSTED itself, so that no client makes authplane hold more.
 */
const MAX_BUFFERED_MESSAGE_BYTES = 4 * MAX_MESSAGE_BYTES;

/**
 * Where a service's protos come from: a protobufjs root, or a prebuilt descriptor under protos/ whose root is
 * built on the service's first call (or by GrpcServer.warm after ready), not while authplane starts.
 */
export type ServiceProtos = protobuf.Root | { descriptor: string };

interface MethodTypes {
  request: protobuf.Type;
  response: protobuf.Type;
}

/** The request and response types of `serviceName`'s `method`, resolved on first use. */
function methodTypes(protos: ServiceProtos, serviceName: string, method: string): () => MethodTypes {
  let types: MethodTypes | undefined;
  return () => {
    if (!types) {
      const root = isDescriptor(protos) ? descriptor(protos.descriptor) : protos;
      const m = root.lookupService(serviceName).methods[method]!;
      m.resolve();
      types = { request: m.resolvedRequestType!, response: m.resolvedResponseType! };
    }
    return types;
  };
}

const isDescriptor = (protos: ServiceProtos): protos is { descriptor: string } => typeof (protos as { descriptor?: unknown }).descriptor === 'string';

function methodsOf(protos: ServiceProtos, serviceName: string): MethodShape[] {
  return isDescriptor(protos) ? describedMethods(protos.descriptor, serviceName) : methodShapes(protos.lookupService(serviceName));
}

/** The grpc-js definition of `serviceName` (streaming flags included), and each method's types. */
function definitionWithTypes(protos: ServiceProtos, serviceName: string): { definition: grpc.ServiceDefinition; types: Record<string, () => MethodTypes> } {
  const def: Record<string, grpc.MethodDefinition<Obj, Obj>> = {};
  const types: Record<string, () => MethodTypes> = {};
  for (const m of methodsOf(protos, serviceName)) {
    const t = (types[m.name] = methodTypes(protos, serviceName, m.name));
    def[m.name] = {
      path: `/${serviceName}/${m.name}`,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: (o: Obj) => encodeBinary(t().request, o),
      // A message that does not decode reaches the handler (grpc-js would answer INTERNAL, unlogged).
      requestDeserialize: (b: Buffer) => decodeRequest(t().request, b),
      responseSerialize: (o: Obj) => encodeBinary(t().response, o),
      responseDeserialize: (b: Buffer) => decodeBinary(t().response, b),
    };
  }
  return { definition: def as grpc.ServiceDefinition, types };
}

/** The grpc-js definition of `serviceName` (streaming flags included). */
export function serviceDefinition(protos: ServiceProtos, serviceName: string): grpc.ServiceDefinition {
  return definitionWithTypes(protos, serviceName).definition;
}

/** Marks a request message that did not decode, or was too large: `checkRequest` refuses it. */
const UNDECODABLE = Symbol('undecodable request');
const TOO_LARGE = Symbol('request too large');

function decodeRequest(type: protobuf.Type, buf: Buffer): Obj {
  if (buf.length > MAX_MESSAGE_BYTES) return { [TOO_LARGE]: buf.length };
  try {
    return decodeBinary(type, buf);
  } catch (e) {
    return { [UNDECODABLE]: (e as Error).message };
  }
}

/**
 * The refusal of a request message that is too large (REQUEST_TOO_LARGE), no valid `type` message, or one whose
 * values are out of range (proto-check.ts): INVALID_ARGUMENT naming the field.
 */
function checkRequest(type: protobuf.Type, request: Obj): void {
  const size = (request as { [TOO_LARGE]?: number })[TOO_LARGE];
  if (size !== undefined) throw apiRefusal('REQUEST_TOO_LARGE', { size, limit: MAX_MESSAGE_BYTES });
  const undecodable = (request as { [UNDECODABLE]?: string })[UNDECODABLE];
  if (undecodable !== undefined) {
    throw invalidFields([{ field: '', description: `Invalid ${type.fullName.slice(1)}: the request message does not decode (${undecodable}).` }]);
  }
  const violations = checkDecoded(type, request);
  if (violations.length) throw invalidFields(violations);
}

const rpcType = (name: string) => descriptor('google-rpc.json').lookupType(name);

/**
 * The refusal's `details` (ErrorInfo, BadRequest with its field violations) as Google's gRPC APIs send
 * them: a google.rpc.Status in the `grpc-status-details-bin` trailer, which Google's clients decode
 * (google-gax: `error.statusDetails`). The same details the REST body carries.
 */
function statusDetails(code: number, message: string, denial: Denial): Buffer | undefined {
  if (!denial.details?.length) return undefined;
  const details = denial.details.map((d) => {
    const { '@type': url, ...fields } = d;
    const type = rpcType(url.slice(url.lastIndexOf('/') + 1));
    // protobufjs's built-in google.protobuf.Any keeps the .proto field name `type_url`.
    return { type_url: url, value: type.encode(type.fromObject(clipStrings(fields))).finish() };
  });
  const status = rpcType('google.rpc.Status');
  const bin = Buffer.from(status.encode(status.fromObject({ code, message, details })).finish());
  // Past this the details go unsent (the message and authplane's trailers still say what was wrong).
  return bin.length <= MAX_DETAILS_BYTES ? bin : undefined;
}

/**
 * A status travels in HTTP/2 trailers, and clients refuse a header list over 16–64 KiB (Node's http2 default
 * 64 KiB) without telling the caller: the call then hangs until its deadline. A refusal that quotes the
 * request's value (a 40 KB queue name, say) is therefore clipped: the message, and each string in its details.
 */
const MAX_TEXT_CHARS = 1_024;
const MAX_DETAILS_BYTES = 16 * 1024;

function clip(text: string): string {
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS)}…`;
}

function clipStrings<T>(value: T): T {
  if (typeof value === 'string') return clip(value) as T;
  if (Array.isArray(value)) return value.map(clipStrings) as T;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipStrings(v)])) as T;
  }
  return value;
}

export class GrpcServer {
  /** grpc-js's server, once loaded (serving()), with every added service. */
  private server: grpc.Server | undefined;
  private loading: Promise<grpc.Server> | undefined;
  private readonly added: [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][] = [];
  /** The socket the start bound for the port, until grpc-js is handed its connections (`injecting`). */
  private prebound: PreboundSocket | undefined;
  private stopped = false;
  private services = 0;
  /** The gRPC services added (`google.cloud.tasks.v2.CloudTasks`, …), for the refusal of a method none serves. */
  private readonly served = new Set<string>();
  /** Prebuilt descriptors whose roots are built on first use (`warm` builds them after ready). */
  private readonly deferredDescriptors = new Set<string>();
  private address: string | undefined;

  constructor(private readonly platform: Platform) {}

  /**
   * A call to a method no service here has gets Google's UNIMPLEMENTED with a code, a fix and a request-log
   * entry. grpc-js would answer it itself ("The server does not implement the method …", unlogged) and has
   * no public hook for it: its handler table (grpc-js 1.14 `Server#handlers`, read by `_retrieveHandler`) is
   * given a lookup that falls back to one refusing handler. test/grpc-port-refusals fails if that changes.
   */
  private answerUnknownMethods(server: grpc.Server): void {
    const handlers = (server as unknown as { handlers?: Map<string, unknown> }).handlers;
    if (!(handlers instanceof Map)) throw new Error('@grpc/grpc-js: Server#handlers is not the Map this version of authplane expects');
    const registered = handlers.get.bind(handlers);
    handlers.get = (path: string) =>
      registered(path) ?? {
        type: 'bidi',
        path,
        serialize: (b: Buffer) => b,
        deserialize: (b: Buffer) => b,
        // Bidi, so that the answer goes at once whatever the client streams; the status ends the call.
        func: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          const started = performance.now();
          const id = requestLogFor(this.platform).newId();
          const s = this.status(this.unknownMethod(path, call.getHost()), path, id);
          call.on('error', () => undefined);
          call.emit('error', s.error);
          this.record(path.slice(1, path.lastIndexOf('/')), path, id, started, undefined, s.denial.status, s.denial);
        },
      };
  }

  /**
   * Google's words (seen from googleapis.com): a method its service lacks, "GRPC target method can't be
   * resolved." (googleapis/gapic-generator-python#489); a service the host does not serve, "The GRPC target is
   * not implemented on the server, host: H, method: M." (googleapis/nodejs-tasks#429).
   */
  private unknownMethod(path: string, host: string): DenialError {
    const service = path.slice(1, path.lastIndexOf('/'));
    const services = [...this.served].sort().join(', ');
    if (this.served.has(service)) {
      const fix = `authplane serves ${service} without this method; docs/ lists the methods authplane emulates on each API.`;
      return notSupported("GRPC target method can't be resolved.", fix);
    }
    const fix = `authplane's gRPC port serves ${services}: point the client of this API at its own endpoint, or at Google.`;
    return notSupported(`The GRPC target is not implemented on the server, host: ${host}, method: ${path}.`, fix);
  }

  /** Whether any product added a service (the port is opened only then). */
  get empty(): boolean {
    return this.services === 0;
  }

  /** host:port once listening. */
  get hostPort(): string | undefined {
    return this.address;
  }

  /**
   * Adds every method of `serviceName` as a unary RPC served by `impl[lowerCamelCase(method)]`, called with
   * the authenticated caller. `api` is the Google API name (request log, ErrorInfo domain). A streaming method
   * is served by its handler in `streaming`, built with `authenticate`, `status`, `record` and `requestCheck`.
   */
  addUnaryService(protos: ServiceProtos, serviceName: string, api: string, impl: object, streaming: grpc.UntypedServiceImplementation = {}): void {
    const { definition, types } = definitionWithTypes(protos, serviceName);
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      if (streaming[name]) {
        handlers[name] = streaming[name];
        continue;
      }
      const fn = (impl as Record<string, unknown>)[name[0]!.toLowerCase() + name.slice(1)];
      if (typeof fn !== 'function') throw new Error(`${serviceName}: the implementation lacks ${name}`);
      const typesOf = types[name]!;
      handlers[name] = this.unary(api, method.path, (caller, request) => {
        checkRequest(typesOf().request, request);
        return (fn as UnaryMethod).call(impl, caller, request);
      });
    }
    this.addService(definition, handlers, protos);
  }

  /**
   * The check every message of `serviceName`'s `method` gets (a streaming handler calls it on each message): throws
   * the DenialError of a message too large, undecodable or out of range.
   */
  requestCheck(protos: ServiceProtos, serviceName: string, method: string): (request: Obj) => void {
    const typesOf = methodTypes(protos, serviceName, method);
    return (request) => checkRequest(typesOf().request, request);
  }

  /** Adds a service with hand-written handlers (streaming RPCs); build them with `unary`, `authenticate`, `status` and `record`. */
  addService(definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation, protos?: ServiceProtos): void {
    if (this.loading) throw new Error(`${Object.values(definition)[0]?.path ?? 'a service'}: services are added before the port serves`);
    this.added.push([definition, handlers]);
    this.services++;
    for (const m of Object.values(definition)) this.served.add(m.path.slice(1, m.path.lastIndexOf('/')));
    if (protos && isDescriptor(protos)) this.deferredDescriptors.add(protos.descriptor);
  }

  /**
   * Builds the descriptors whose roots the services deferred (ServiceProtos), one per turn of the event loop:
   * called after `authplane ready`, so that the first call of each API does not pay for it.
   */
  async warm(): Promise<void> {
    await this.injecting();
    for (const file of this.deferredDescriptors) {
      await new Promise((r) => setImmediate(r));
      descriptor(file);
    }
  }

  /** A unary handler with the port's rules: authentication, the error boundary, one log entry. */
  unary(api: string, path: string, method: UnaryMethod): grpc.handleUnaryCall<Obj, Obj> {
    return (call, callback) => {
      const started = performance.now();
      const id = requestLogFor(this.platform).newId();
      let caller: string | undefined;
      this.authenticate(call.metadata, api, path)
        .then((c) => {
          caller = c;
          return method(c, call.request);
        })
        .then(
          (out) => {
            callback(null, out);
            this.record(api, path, id, started, caller, 200, null);
          },
          (e: unknown) => {
            const s = this.status(e, path, id);
            callback(s.error);
            this.record(api, path, id, started, caller, s.denial.status, s.denial, s.internal);
          },
        );
    };
  }

  /**
   * The caller of a call to `api`'s method `path`, from its `authorization` metadata (or the default principal),
   * with a scope the API accepts (Get and List RPCs accept read-only scopes). Throws a DenialError.
   */
  authenticate(metadata: grpc.Metadata, api: string, path: string): Promise<string> {
    const auth = metadata.get('authorization')[0];
    const rpc = path.slice(path.lastIndexOf('/') + 1);
    return authorizedCaller(this.platform, auth ? { authorization: String(auth) } : {}, api, /^(Get|List|TestIamPermissions)/.test(rpc), path);
  }

  /** An error as Google's gRPC status: refusals with their code and trailers; anything else INTERNAL, logged once. */
  status(e: unknown, path: string, id: string): { error: Partial<grpc.StatusObject>; denial: Denial; internal: boolean } {
    let denial: Denial;
    let internal = false;
    if (e instanceof DenialError) denial = e.denial;
    else {
      console.error(`authplane: internal error in gRPC ${path} (request ${id}):`, e);
      denial = deny('INTERNAL_ERROR', 'api', { requestId: id, reason: (e as Error)?.message ?? String(e) });
      internal = true;
    }
    const s = grpcStatus(denial, id);
    const message = clip(s.details);
    // Only calls get here: grpc-js has loaded.
    const metadata = new grpcJs.loaded!.Metadata();
    for (const [k, v] of Object.entries(s.trailers)) metadata.set(k, v);
    const details = statusDetails(s.code, message, denial);
    if (details) metadata.set('grpc-status-details-bin', details);
    return { error: { code: s.code as grpc.status, details: message, metadata }, denial, internal };
  }

  /** One request-log entry for a call (gRPC's path stands for the method; status is the HTTP equivalent). */
  record(api: string, path: string, id: string, started: number, caller: string | undefined, status: number, denial: Denial | null, internal = false): void {
    const entry: RequestLogEntry = {
      id,
      time: arrivalTime(started),
      surface: 'api',
      service: api,
      method: 'POST',
      path,
      source: '',
      internal: false,
      status,
      outcome: denial === null ? 'answered' : internal ? 'failed' : 'refused',
      googleVisible: true,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(caller !== undefined ? { principal: caller } : {}),
      ...(denial !== null ? denialFields(denial) : {}),
    };
    requestLogFor(this.platform).record(entry);
  }

  /** grpc-js's server with every added service: loaded on first need, once. */
  private serving(): Promise<grpc.Server> {
    return (this.loading ??= grpcJs.load().then((grpc) => {
      const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_BUFFERED_MESSAGE_BYTES });
      this.answerUnknownMethods(server);
      for (const [definition, handlers] of this.added) server.addService(definition, handlers);
      this.server = server;
      return server;
    }));
  }

  /**
   * Binds; rejects with grpc-js's error, which the caller names by its setting (listenFailure). With `prebound`,
   * the socket the start bound for the port (lib/prebound.ts) hands its connections to grpc-js instead
   * (grpc-js's connection injector: the same HTTP/2 server and sessions as a port it binds), from the first
   * connection on, which waits while grpc-js loads.
   */
  async listen(host: string, port: number, prebound?: PreboundSocket): Promise<string> {
    if (prebound) {
      this.prebound = prebound;
      // Connections wait on the socket until grpc-js has loaded: the first one has it load (warm() otherwise).
      prebound.whenWaiting(() => void this.injecting());
      this.address = prebound.hostPort;
      return this.address;
    }
    const server = await this.serving();
    const grpc = grpcJs.loaded!;
    // grpc-js logs its own line for a failed bind; the caller reports the failure, so grpc-js stays quiet
    // while binding (unless GRPC_VERBOSITY asks for its logs).
    const quiet = !process.env.GRPC_VERBOSITY && !process.env.GRPC_NODE_VERBOSITY;
    if (quiet) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(hostPort(host, port), grpc.ServerCredentials.createInsecure(), (err, p) => {
        if (quiet) grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
        if (err) reject(err);
        else resolve(p);
      }),
    );
    this.address = hostPort(host, bound);
    return this.address;
  }

  /** Stops the prebound socket grpc-js is handed connections from (grpc-js's shutdown ends their sessions). */
  private closePrebound: (() => void) | undefined;

  /** Loads grpc-js (if it is not yet) and hands it the prebound socket's connections, those that waited first. */
  private async injecting(): Promise<void> {
    const server = await this.serving();
    const prebound = this.prebound;
    if (this.stopped || !prebound) return;
    this.prebound = undefined;
    const injector = server.createConnectionInjector(grpcJs.loaded!.ServerCredentials.createInsecure());
    this.closePrebound = prebound.forwardTo((c) => injector.injectConnection(c));
  }

  async stop(): Promise<void> {
    // No new connections, as with a port grpc-js binds.
    this.stopped = true;
    this.closePrebound?.();
    await this.prebound?.release();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1_000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

