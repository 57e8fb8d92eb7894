// The API port as gcloud's HTTP proxy: a pre-routing step before the router (src/apis/router.ts).
//
// gcloud derives Cloud Run's regional host from an endpoint override by prefixing the region
// (`http://127.0.0.1:8930/` → `http://us-central1-127.0.0.1:8930/`, command_lib/run/connection_context.py),
// a name that resolves nowhere. With gcloud's own `proxy/type http`, `proxy/address`, `proxy/port` pointed at
// the API port, every request arrives here in absolute form (RFC 9112 §3.2.2):
//
//   GET http://us-central1-127.0.0.1:8930/apis/serving.knative.dev/v1/namespaces/P/services/S?alt=json HTTP/1.1
//
// (notes: gcloud-wire.md §1). Such a target naming a Google API host (*.googleapis.com, REGION-prefixed or
// not) or this port's own address (REGION-prefixed or not) is rewritten to origin form and served by
// authplane's own routes; the Host header keeps the name (the Knative API reads its region from it). Anything
// else, and every CONNECT (HTTPS tunnels), is refused with PROXY_TARGET_REFUSED: authplane never forwards a
// request, so the port is no open proxy.
//
// The target is split by hand: WHATWG URL rejects `us-central1-127.0.0.1` (a host whose last label is
// numeric must be an IPv4 address).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { denialFields, requestLogFor } from '../observe/request-log.js';
import type { Platform } from '../platform.js';
import { sendDenial } from '../apis/router.js';
import { deny, type Denial } from '../verify/denial.js';
import { denialResponse } from '../verify/response.js';
import { REGION_PREFIX } from '../lib/regional-host.js';

const GOOGLE_API_HOST = /^(?:[a-z0-9-]+\.)*googleapis\.com$/;
const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/;

export interface SplitTarget {
  scheme: string;
  host: string;
  /** The port as written, or undefined. */
  port: number | undefined;
  /** Path and query, origin form ('/' when empty). */
  originForm: string;
}

/** Splits an absolute-form target `scheme://host[:port]/path?query`; undefined for origin form or garbage. */
export function splitAbsoluteTarget(target: string): SplitTarget | undefined {
  const m = ABSOLUTE_FORM.exec(target);
  if (!m) return undefined;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  if (authority.includes('@')) return undefined;
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(authority);
  if (!hp) return undefined;
  const port = hp[2] === undefined ? undefined : Number(hp[2]);
  if (port !== undefined && port > 65535) return undefined;
  const originForm = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
  return { scheme: scheme.toLowerCase(), host: hp[1]!.toLowerCase().replace(/^\[|\]$/g, ''), port, originForm };
}

export class ForwardProxy {
  constructor(private readonly platform: Platform) {}

  /**
   * Rewrites an absolute-form request for a host authplane answers for to origin form and returns true
   * (origin-form requests pass unchanged). Otherwise answers PROXY_TARGET_REFUSED itself and returns false.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    const target = req.url ?? '/';
    if (target.startsWith('/')) return true;
    const split = splitAbsoluteTarget(target);
    const why = split === undefined ? ' (the request target is neither a path nor an absolute URL)' : this.refusalReason(split);
    if (split !== undefined && why === undefined) {
      req.url = split.originForm;
      return true;
    }
    const denial = this.denial(req.method ?? 'GET', target, why ?? '');
    const id = requestLogFor(this.platform).newId();
    sendDenial(res, denial, id);
    this.log(id, req, target, denial);
    return false;
  }

  /** CONNECT (an HTTPS tunnel) is always refused: authplane terminates no TLS and opens no tunnel. */
  refuseConnect(req: IncomingMessage, socket: Duplex): void {
    const target = req.url ?? '';
    const host = target.replace(/:\d+$/, '').toLowerCase();
    const api = GOOGLE_API_HOST.test(host) ? host.replace(REGION_PREFIX, '').split('.')[0] : undefined;
    const why = api
      ? ` (CONNECT is an HTTPS tunnel, which authplane does not open: point gcloud at ${this.platform.apiUrl}/ with api_endpoint_overrides/${api} instead)`
      : ' (CONNECT is an HTTPS tunnel, which authplane does not open)';
    const denial = this.denial('CONNECT', target, why);
    const id = requestLogFor(this.platform).newId();
    const out = denialResponse(denial, { requestId: id });
    // The reason phrase carries the fix: Python's http.client prints it ("Tunnel connection failed: 403 …").
    const reason = api ? `Forbidden: authplane opens no tunnel; set api_endpoint_overrides/${api} to ${this.platform.apiUrl}/` : 'Forbidden: authplane opens no tunnel';
    const head = [`HTTP/1.1 ${out.status} ${reason.replace(/[^\x20-\x7e]/g, '')}`, ...Object.entries({ ...out.headers, 'content-length': String(Buffer.byteLength(out.body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}`)];
    socket.on('error', () => undefined);
    socket.end(`${head.join('\r\n')}\r\n\r\n${out.body}`);
    this.log(id, req, target, denial);
  }

  /** Why authplane does not answer for `t`, or undefined when it does. */
  private refusalReason(t: SplitTarget): string | undefined {
    if (t.scheme !== 'http') return ` (only http:// targets arrive in absolute form; ${t.scheme}:// would come as CONNECT)`;
    const host = t.host.replace(REGION_PREFIX, '');
    if (GOOGLE_API_HOST.test(host)) return t.port === undefined || t.port === 80 ? undefined : ` (port ${t.port} is not a Google API's)`;
    const own = this.ownAddress();
    if (own !== undefined && t.port === own.port && (host === own.host || (LOOPBACK_NAMES.has(host) && LOOPBACK_NAMES.has(own.host)))) return undefined;
    return ` (${t.host}${t.port === undefined ? '' : `:${t.port}`} is neither a Google API host nor this API port, ${own ? `${own.host}:${own.port}` : 'not listening yet'})`;
  }

  private ownAddress(): { host: string; port: number } | undefined {
    const api = this.platform.apiUrl;
    if (!api) return undefined;
    const u = new URL(api);
    return { host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port: Number(u.port || 80) };
  }

  private denial(method: string, target: string, why: string): Denial {
    return deny('PROXY_TARGET_REFUSED', 'api', { method, target, why, apiUrl: this.platform.apiUrl });
  }

  private log(id: string, req: IncomingMessage, target: string, denial: Denial): void {
    requestLogFor(this.platform).record({
      id,
      time: new Date(this.platform.clock()).toISOString(),
      surface: 'api',
      service: 'authplane',
      method: req.method ?? 'GET',
      path: target,
      source: req.socket?.remoteAddress ?? '',
      internal: false,
      status: denial.status,
      outcome: 'refused',
      // No Google service would see this request: it is authplane's own proxy port.
      googleVisible: false,
      durationMs: 0,
      ...denialFields(denial),
    });
  }
}

/** Names of this machine's loopback interface: a proxy request for any of them reaches this port. */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '::1']);
