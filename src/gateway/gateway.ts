// One gateway: listens on its port, runs as its service account, matches routes and forwards each request
// to its target with the token the route's `authentication` asks for (docs/gateway.md).
// A target that is one of this config's services (its run.app URL) is reached at that service's local front
// door, as DNS would send it; the request counts as internal traffic only when the gateway is insideVpc.

import { type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenFetchError } from '../client/errors.js';
import type { GatewayConfig } from '../config/types.js';
import { clientAddress } from '../lib/http-headers.js';
import { listen } from '../metadata/server.js';
import { denialFields, requestLogFor, type RequestLogEntry, type RequestOutcome } from '../observe/request-log.js';
import { INTERNAL_HEADER, type Platform } from '../platform.js';
import { GatewayCredentials } from './credentials.js';
import { diagnoseRefusal, type TokenUsed } from './diagnosis.js';
import { faults } from './faults.js';
import { deny, type Denial } from '../verify/denial.js';
import { isRefusalCode } from '../verify/codes.js';
import { denialResponse } from '../verify/response.js';
import { endToEndHeaders, proxy } from './proxy.js';
import { compileRoute, matchRoute, type CompiledRoute, type RouteMatch } from './route-match.js';
import { targetFor, type TargetRequest } from './target.js';
import { hostPort } from '../lib/host-port.js';
import { listenFailure } from '../lib/startup-error.js';
import { googleFrontEndServer } from '../apis/http-server.js';

/** How long a target may take to start answering (Apigee's default io.timeout.millis is 55 s). */
const TARGET_TIMEOUT_MS = 55_000;

export interface RunningGateway {
  readonly name: string;
  readonly url: string;
  readonly credentials: GatewayCredentials;
  close(): Promise<void>;
}

class TokenFault extends Error {
  constructor(readonly denial: Denial) {
    super(denial.message);
  }
}

/** A gateway refusal in Apigee's shape, with its code and request id. */
function sendFault(res: ServerResponse, denial: Denial, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const out = denialResponse(denial, { requestId });
  res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
  res.end(out.body);
}

export async function startGateway(platform: Platform, config: GatewayConfig, index: number): Promise<RunningGateway> {
  const routes = config.routes.map((r, j) => compileRoute(r, `gateways[${index}].routes[${j}]`));
  const md = platform.metadataServers.get(config.name);
  if (!md) throw new Error(`gateway ${config.name}: its metadata server is not running (it should have started with the others)`);
  const credentials = new GatewayCredentials(platform, config, md.hostPort);
  const log = requestLogFor(platform);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    const entry = (status: number, outcome: RequestOutcome, extra: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
      id: log.newId(),
      time: new Date().toISOString(),
      surface: 'gateway',
      service: config.name,
      method: req.method ?? 'GET',
      path,
      source: req.socket.remoteAddress ?? '',
      internal: config.insideVpc,
      status,
      outcome,
      googleVisible: true,
      durationMs: performance.now() - started,
      ...extra,
    });
    const fail = (denial: Denial) => {
      const e = entry(denial.status, denial.status >= 503 ? 'upstream-error' : 'refused', denialFields(denial));
      log.record(e);
      sendFault(res, denial, e.id);
    };

    const match = matchRoute(routes, path);
    if (!match) return fail(faults.noRoute(config.name, path));
    const target = targetFor(match.route.config.target, match.suffix, url.search);

    let token: { header: string; value: string; used: TokenUsed } | undefined;
    try {
      token = await tokenFor(credentials, match, target);
    } catch (e) {
      if (e instanceof TokenFault) return fail(e.denial);
      throw e;
    }

    const headers: OutgoingHttpHeaders = endToEndHeaders(req.headers);
    const targetUrl = new URL(target.url);
    headers['host'] = targetUrl.host;
    // Only authplane itself may mark traffic internal: a client's header never passes.
    delete headers[INTERNAL_HEADER];
    if (config.insideVpc) headers[INTERNAL_HEADER] = platform.internalSecret;
    const xff = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = [xff, clientAddress(req)].filter(Boolean).join(', ');
    headers['x-forwarded-proto'] = 'http';
    if (token) headers[token.header] = `Bearer ${token.value}`;

    const resolved = platform.directory.resolve(target.url);
    if (!resolved && platform.directory.lookup(target.url)) {
      return fail(faults.unavailable(target.url, `service ${platform.directory.lookup(target.url)!.config.name}'s front door is not listening`));
    }
    const connectTo = new URL(resolved ? resolved.localUrl : target.url);
    let refusal: { code: string; diagnosis: ReturnType<typeof diagnoseRefusal> } | undefined;
    const outcome = await proxy(req, res, { url: connectTo, method: req.method ?? 'GET', headers, timeoutMs: TARGET_TIMEOUT_MS }, (status, h) => {
      const code = h['x-authplane-denial'];
      if (status >= 400 && typeof code === 'string') {
        refusal = { code, diagnosis: diagnoseRefusal(config, match.route.config.path, match.route.config.authentication, token?.used, code, { configuredTarget: target.configuredTarget, suffix: match.suffix }) };
      }
    });
    if (!outcome.ok) {
      return fail(outcome.timedOut ? faults.timedOut(target.url, outcome.reason) : faults.unavailable(target.url, outcome.reason));
    }
    log.record(
      entry(outcome.status, refusal ? 'refused' : 'proxied', {
        ...(refusal ? { code: refusal.code } : {}),
        ...(refusal?.diagnosis ? { explanation: refusal.diagnosis.explanation, remedy: refusal.diagnosis.remedy, evidence: refusal.diagnosis.evidence } : {}),
        ...(token ? { evidence: { ...(refusal?.diagnosis?.evidence ?? {}), ...token.used, target: target.url } } : {}),
      }),
    );
  };

  const server: Server = googleFrontEndServer('gateway', {}, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      const id = log.newId();
      console.error(`authplane: gateway ${config.name}: internal error (request ${id}):`, e);
      const denial = deny('INTERNAL_ERROR', 'gateway', { requestId: id, reason: (e as Error)?.message ?? String(e) });
      log.record({ id, time: new Date().toISOString(), surface: 'gateway', service: config.name, method: req.method ?? 'GET', path: req.url ?? '/', source: req.socket.remoteAddress ?? '', internal: config.insideVpc, status: 500, outcome: 'failed', googleVisible: true, durationMs: 0, ...denialFields(denial) });
      sendFault(res, denial, id);
    });
  });
  server.keepAliveTimeout = 65_000;
  await listen(server, config.port, platform.config.server.host, platform.prebound?.take(`gateways[${index}].port`)).catch((e: unknown) => {
    throw listenFailure(e, { host: platform.config.server.host, port: config.port, portSetting: `gateways[${index}].port` });
  });
  const host = platform.config.server.host;
  const url = `http://${hostPort(host, (server.address() as AddressInfo).port)}`;
  return {
    name: config.name,
    url,
    credentials,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The header and token a route's `authentication` asks for, or undefined for routes without one. */
async function tokenFor(credentials: GatewayCredentials, match: RouteMatch, target: TargetRequest): Promise<{ header: string; value: string; used: TokenUsed } | undefined> {
  const route: CompiledRoute = match.route;
  const auth = route.config.authentication;
  if (!auth) return undefined;
  const header = auth.headerName.toLowerCase();
  const where = route.config.path;
  const pickAudience = (a: string | { useTargetUrl: true } | undefined): { audience: string; audienceMode: TokenUsed['audienceMode'] } =>
    a === undefined
      ? { audience: target.configuredTarget, audienceMode: 'target' }
      : typeof a === 'string'
        ? { audience: a, audienceMode: 'literal' }
        : { audience: target.targetUrlAudience, audienceMode: 'useTargetUrl' };
  try {
    if (auth.googleIdToken) {
      const { audience, audienceMode } = pickAudience(auth.googleIdToken.audience);
      if (audience.trim() === '') throw new TokenFault(faults.emptyAudience(where));
      return { header, value: await credentials.ownIdToken(audience, auth.googleIdToken.includeEmail), used: { kind: 'googleIdToken', audience, ...(audienceMode ? { audienceMode } : {}) } };
    }
    if (auth.googleAccessToken) {
      return { header, value: await credentials.ownAccessToken(auth.googleAccessToken.scopes), used: { kind: 'googleAccessToken' } };
    }
    if (auth.impersonate) {
      const imp = auth.impersonate;
      const { audience, audienceMode } = pickAudience(imp.audience);
      if (imp.method === 'generateIdToken' && audience.trim() === '') throw new TokenFault(faults.emptyAudience(where));
      const value = await credentials.impersonatedToken(imp.serviceAccount, imp.method, audience, imp.includeEmail);
      return {
        header,
        value,
        used: { kind: 'impersonate', method: imp.method, serviceAccount: imp.serviceAccount, ...(imp.method === 'generateIdToken' ? { audience, ...(audienceMode ? { audienceMode } : {}) } : {}) },
      };
    }
  } catch (e) {
    if (e instanceof TokenFault) throw e;
    if (e instanceof TokenFetchError && e.code === 'IMPERSONATION_FAILED' && e.status !== undefined) {
      const impersonated = auth.impersonate?.serviceAccount ?? '(unknown)';
      throw new TokenFault(faults.calloutFailed(where, e.status, e.message, impersonated, credentials.gateway.serviceAccount, isRefusalCode(e.denial) ? e.denial : undefined));
    }
    throw new TokenFault(faults.tokenUnavailable(where, (e as Error).message));
  }
  return undefined;
}
