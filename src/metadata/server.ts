// The metadata server a workload asks for its own identity (REFERENCE §3). One per workload, on its
// own port, speaking for one service account. Clients find it through GCE_METADATA_HOST.

import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Platform } from '../platform.js';
import type { ServiceAccountRecord } from '../store/store.js';
import type { WorkloadEnvironment } from '../config/types.js';
import { DEFAULT_SCOPES, ID_TOKEN_LIFETIME_S } from '../identity/identity.js';
import { TokenCache } from '../lib/token-cache.js';
import { hostPort } from '../lib/host-port.js';
import { denialFields, requestLogFor, type RequestLogEntry } from '../observe/request-log.js';
import { deny, type Denial } from '../verify/denial.js';
import { denialResponse } from '../verify/response.js';
import { googleFrontEndServer } from '../apis/http-server.js';
import { arrivalTime } from '../lib/iso-time.js';
import type { PreboundSocket } from '../lib/prebound.js';

export interface MetadataServerOptions {
  name: string;
  serviceAccount: string;
  host: string;
  port: number;
  /** What the identity endpoint's tokens carry (format=standard|full, licenses). Default cloud-run. */
  environment?: WorkloadEnvironment;
  /** The socket the start bound for `port`, taken over instead of listening. */
  prebound?: PreboundSocket;
}

export interface RunningMetadataServer {
  name: string;
  serviceAccount: string;
  host: string;
  port: number;
  /** host:port, the value for GCE_METADATA_HOST. */
  hostPort: string;
  close(): Promise<void>;
}

const PREFIX = '/computeMetadata/v1/';

export async function startMetadataServer(platform: Platform, opts: MetadataServerOptions): Promise<RunningMetadataServer> {
  const sa = await platform.identity.findServiceAccount(opts.serviceAccount);
  if (!sa) throw new Error(`metadata server ${opts.name}: service account ${opts.serviceAccount} does not exist`);
  const handler = new MetadataHandler(platform, sa, opts.environment ?? 'cloud-run', opts.name);
  const log = requestLogFor(platform);
  const server = googleFrontEndServer('metadata', {}, (req, res) => {
    const started = performance.now();
    const id = log.newId();
    const record = (status: number, denial?: Denial) => {
      const entry: RequestLogEntry = {
        id,
        time: arrivalTime(started),
        surface: 'metadata',
        service: opts.name,
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        source: req.socket.remoteAddress ?? '',
        internal: true,
        status,
        outcome: denial === undefined ? 'answered' : denial.code === 'INTERNAL_ERROR' ? 'failed' : 'refused',
        googleVisible: false,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        principal: `serviceAccount:${sa.email}`,
        ...(denial !== undefined ? denialFields(denial) : {}),
      };
      log.record(entry);
    };
    // A workload with VPC egress learns which processes it is (admission/egress.ts).
    if (platform.egress.relevant) void platform.egress.rememberClient(opts.name, { remoteAddress: req.socket.remoteAddress ?? '', remotePort: req.socket.remotePort ?? 0, localPort: req.socket.localPort ?? 0 });
    handler.handle(req, res, id).then(
      (denial) => record(res.statusCode, denial),
      (e: unknown) => {
        console.error(`authplane: metadata server ${opts.name}: internal error (request ${id}):`, e);
        const denial = deny('INTERNAL_ERROR', 'metadata', { requestId: id, reason: (e as Error)?.message ?? String(e) });
        if (!res.headersSent) refuse(res, denial, id);
        record(500, denial);
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  await listen(server, opts.port, opts.host, opts.prebound);
  const port = (server.address() as AddressInfo).port;
  return {
    name: opts.name,
    serviceAccount: sa.email,
    host: opts.host,
    port,
    hostPort: hostPort(opts.host, port),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * Listens; rejects with the operating system's error, for the caller to name its setting (listenFailure). With
 * `prebound`, the socket the start bound for this port (lib/prebound.ts) is taken over instead.
 */
export function listen(server: Server, port: number, host: string, prebound?: PreboundSocket): Promise<void> {
  if (prebound) return prebound.listenWith(server);
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

const SERVER_HEADERS = { 'metadata-flavor': 'Google', server: 'Metadata Server for Serverless', 'x-xss-protection': '0', 'x-frame-options': 'SAMEORIGIN' } as const;

/** An answer (not a refusal: resolves the handler to undefined). */
function reply(res: ServerResponse, status: number, kind: 'text' | 'json' | 'html', body: string): undefined {
  res.writeHead(status, { ...SERVER_HEADERS, 'content-type': kind === 'json' ? 'application/json' : kind === 'html' ? 'text/html; charset=UTF-8' : 'application/text' });
  res.end(body);
  return undefined;
}

/** A refusal in the metadata server's words, with its code and request id; every response carries Metadata-Flavor. */
function refuse(res: ServerResponse, denial: Denial, requestId: string): Denial {
  const out = denialResponse(denial, { requestId });
  res.writeHead(out.status, { ...SERVER_HEADERS, ...out.headers, 'content-type': 'application/text' });
  res.end(out.body);
  return denial;
}

const notFound = (res: ServerResponse, path: string) =>
  reply(res, 404, 'html', `<!DOCTYPE html>\n<html lang=en>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${path.replace(/[<>&"]/g, '')}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`);

class MetadataHandler {
  /** When "the instance" was created: this metadata server's start, epoch seconds. */
  private readonly startedAt: number;
  /** Tokens are reused until 5 minutes before expiry, as the real metadata server does. */
  private readonly tokens: TokenCache;

  constructor(
    private readonly platform: Platform,
    private readonly sa: ServiceAccountRecord,
    private readonly environment: WorkloadEnvironment,
    private readonly workload: string,
  ) {
    this.startedAt = Math.floor(platform.clock() / 1000);
    this.tokens = new TokenCache({ clock: platform.clock });
  }

  /** Answers the request; resolves to the refusal when it refused one. */
  async handle(req: IncomingMessage, res: ServerResponse, id: string): Promise<Denial | undefined> {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const path = url.pathname;
    if (path === '/' || path === '') return reply(res, 200, 'text', 'computeMetadata/\n');
    if (req.headers['x-forwarded-for'] !== undefined) {
      return refuse(res, deny('METADATA_FLAVOR_MISSING', 'metadata', { message: 'Request had an X-Forwarded-For header and was rejected: the metadata server refuses proxied requests.', reason: 'it carried X-Forwarded-For: it came through a proxy' }), id);
    }
    if (req.headers['metadata-flavor'] !== 'Google') {
      const reason = req.headers['metadata-flavor'] === undefined ? 'it carried no Metadata-Flavor header' : `its Metadata-Flavor header was ${JSON.stringify(req.headers['metadata-flavor'])}`;
      return refuse(res, deny('METADATA_FLAVOR_MISSING', 'metadata', { message: 'Missing required header "Metadata-Flavor": "Google"', reason }), id);
    }
    if (!path.startsWith(PREFIX) && path !== '/computeMetadata/v1') return notFound(res, path);
    const rest = path === '/computeMetadata/v1' ? '' : path.slice(PREFIX.length);
    const { config } = this.platform;
    const email = this.sa.email;

    const saMatch = /^instance\/service-accounts\/([^/]+)\/?(.*)$/.exec(rest);
    if (saMatch) {
      const [, who, what] = saMatch;
      if (who !== 'default' && who !== email) return notFound(res, path);
      switch (what) {
        case '':
          if (url.searchParams.get('recursive') === 'true') {
            return reply(res, 200, 'json', JSON.stringify({ aliases: ['default'], email, scopes: DEFAULT_SCOPES }));
          }
          return reply(res, 200, 'text', 'aliases\nemail\nidentity\nscopes\ntoken\n');
        case 'email':
          return reply(res, 200, 'text', email);
        case 'aliases':
          return reply(res, 200, 'text', 'default\n');
        case 'scopes':
          return reply(res, 200, 'text', DEFAULT_SCOPES.join('\n') + '\n');
        case 'token':
          return this.token(res, url.searchParams.get('scopes'));
        case 'identity':
          return this.identity(res, url.searchParams, id);
        default:
          return notFound(res, path);
      }
    }
    switch (rest) {
      case '':
        return reply(res, 200, 'text', 'instance/\nproject/\nuniverse/\n');
      case 'instance':
      case 'instance/':
        return reply(res, 200, 'text', 'id\nregion\nservice-accounts/\nzone\n');
      case 'instance/service-accounts':
      case 'instance/service-accounts/':
        return reply(res, 200, 'text', `default/\n${email}/\n`);
      case 'instance/region':
        return reply(res, 200, 'text', `projects/${config.project.number}/regions/${config.project.region}`);
      case 'instance/zone':
        return reply(res, 200, 'text', `projects/${config.project.number}/zones/${config.project.region}-a`);
      case 'instance/id':
        return reply(res, 200, 'text', this.sa.uniqueId);
      case 'project':
      case 'project/':
        return reply(res, 200, 'text', 'numeric-project-id\nproject-id\n');
      case 'project/project-id':
        return reply(res, 200, 'text', config.project.id);
      case 'project/numeric-project-id':
        return reply(res, 200, 'text', config.project.number);
      // gcloud and google-auth ask which universe the credentials belong to (googleapis.com is Google's own).
      case 'universe':
      case 'universe/':
        return reply(res, 200, 'text', 'universe-domain\n');
      case 'universe/universe-domain':
        return reply(res, 200, 'text', 'googleapis.com');
      default:
        return notFound(res, path);
    }
  }

  private async token(res: ServerResponse, scopesParam: string | null): Promise<undefined> {
    const scopes = scopesParam ? scopesParam.split(/[,\s]+/).filter(Boolean) : DEFAULT_SCOPES;
    const t = await this.tokens.get(`at\n${scopes.join(' ')}`, async () => {
      const grant = await this.platform.identity.mintAccessToken(`serviceAccount:${this.sa.email}`, scopes);
      return { token: grant.token, expiresAt: grant.record.expiresAt };
    });
    return reply(res, 200, 'json', JSON.stringify({ access_token: t.token, expires_in: Math.floor((t.expiresAt - this.platform.clock()) / 1000), token_type: 'Bearer' }));
  }

  /**
   * An ID token, as each environment's metadata server mints it (docs/metadata.md):
   *   cloud-run       email and email_verified always (Cloud Run's and Functions' metadata server);
   *   compute-engine  format=standard (the default) has no email; format=full adds email, email_verified and the
   *                   google.compute_engine claims; licenses=TRUE (with full) adds the image's license ids
   *                   (https://cloud.google.com/compute/docs/instances/verifying-instance-identity);
   *   gke             format=standard has no email; format=full adds it (no VM claims: the pod is not a VM).
   */
  private async identity(res: ServerResponse, params: URLSearchParams, id: string): Promise<Denial | undefined> {
    const audience = params.get('audience');
    if (!audience) return refuse(res, deny('INVALID_ARGUMENT', 'metadata', { message: 'non-empty audience parameter required', field: 'audience' }), id);
    const format = params.get('format') ?? 'standard';
    if (format !== 'standard' && format !== 'full') return refuse(res, deny('INVALID_ARGUMENT', 'metadata', { message: `format must be "standard" or "full", got "${format}"`, field: 'format' }), id);
    const licenses = (params.get('licenses') ?? 'FALSE').toUpperCase();
    if (licenses !== 'TRUE' && licenses !== 'FALSE') return refuse(res, deny('INVALID_ARGUMENT', 'metadata', { message: `licenses must be TRUE or FALSE, got "${params.get('licenses')}"`, field: 'licenses' }), id);
    const full = format === 'full';
    const includeEmail = this.environment === 'cloud-run' || full;
    const extraClaims = this.environment === 'compute-engine' && full ? { google: { compute_engine: this.computeEngineClaims(licenses === 'TRUE') } } : undefined;
    const t = await this.tokens.get(`id\n${audience}\n${includeEmail}\n${extraClaims ? licenses : ''}`, async () => ({
      token: await this.platform.identity.mintIdToken(this.sa, { audience, includeEmail, ...(extraClaims ? { extraClaims } : {}) }),
      expiresAt: this.platform.clock() + ID_TOKEN_LIFETIME_S * 1000,
    }));
    return reply(res, 200, 'text', t.token);
  }

  /** What a VM's full-format identity token says about the VM (Google's claim names). */
  private computeEngineClaims(withLicenses: boolean): Record<string, unknown> {
    const { project } = this.platform.config;
    return {
      project_id: project.id,
      project_number: Number(project.number),
      zone: `${project.region}-a`,
      instance_id: this.sa.uniqueId,
      instance_name: this.workload,
      instance_creation_timestamp: this.startedAt,
      ...(withLicenses ? { license_id: [] as string[] } : {}),
    };
  }

}
