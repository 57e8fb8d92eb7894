// The metadata server a workload asks for its own identity (REFERENCE §3). One per workload, on its
// own port, speaking for one service account. Clients find it through GCE_METADATA_HOST.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Platform } from '../platform.js';
import type { ServiceAccountRecord } from '../store/store.js';
import { DEFAULT_SCOPES, ID_TOKEN_LIFETIME_S } from '../identity/identity.js';
import { TokenCache } from '../lib/token-cache.js';
import { hostPort } from '../lib/host-port.js';

export interface MetadataServerOptions {
  name: string;
  serviceAccount: string;
  host: string;
  port: number;
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
  const handler = new MetadataHandler(platform, sa);
  const server = createServer((req, res) => {
    handler.handle(req, res).catch((e: unknown) => {
      console.error(`authplane: metadata server ${opts.name}:`, e);
      if (!res.headersSent) reply(res, 500, 'text', 'Internal error');
    });
  });
  server.keepAliveTimeout = 60_000;
  await listen(server, opts.port, opts.host);
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

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use: stop whatever holds it, or choose another port (0 = any free port)`) : e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function reply(res: ServerResponse, status: number, kind: 'text' | 'json' | 'html', body: string): void {
  res.writeHead(status, {
    'metadata-flavor': 'Google',
    'content-type': kind === 'json' ? 'application/json' : kind === 'html' ? 'text/html; charset=UTF-8' : 'application/text',
    server: 'Metadata Server for Serverless',
    'x-xss-protection': '0',
    'x-frame-options': 'SAMEORIGIN',
  });
  res.end(body);
}

const notFound = (res: ServerResponse, path: string) =>
  reply(res, 404, 'html', `<!DOCTYPE html>\n<html lang=en>\n  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${path.replace(/[<>&"]/g, '')}</code> was not found on this server.  <ins>That’s all we know.</ins>\n`);

class MetadataHandler {
  /** Tokens are reused until 5 minutes before expiry, as the real metadata server does. */
  private readonly tokens: TokenCache;

  constructor(
    private readonly platform: Platform,
    private readonly sa: ServiceAccountRecord,
  ) {
    this.tokens = new TokenCache({ clock: platform.clock });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const path = url.pathname;
    if (path === '/' || path === '') return reply(res, 200, 'text', 'computeMetadata/\n');
    if (req.headers['x-forwarded-for'] !== undefined) {
      return reply(res, 403, 'text', 'Request had an X-Forwarded-For header and was rejected: the metadata server refuses proxied requests.\n');
    }
    if (req.headers['metadata-flavor'] !== 'Google') {
      return reply(res, 403, 'text', 'Missing required header "Metadata-Flavor": "Google"\n');
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
          return this.identity(res, url.searchParams);
        default:
          return notFound(res, path);
      }
    }
    switch (rest) {
      case '':
        return reply(res, 200, 'text', 'instance/\nproject/\n');
      case 'instance':
      case 'instance/':
        return reply(res, 200, 'text', 'id\nregion\nservice-accounts/\nzone\n');
      case 'instance/service-accounts':
      case 'instance/service-accounts/':
        return reply(res, 200, 'text', `default/\n${email}/\n`);
      case 'instance/region':
        return reply(res, 200, 'text', `projects/${config.project.number}/regions/${config.project.region}`);
      case 'instance/zone':
        return reply(res, 200, 'text', `projects/${config.project.number}/zones/${config.project.region}-1`);
      case 'instance/id':
        return reply(res, 200, 'text', this.sa.uniqueId);
      case 'project':
      case 'project/':
        return reply(res, 200, 'text', 'numeric-project-id\nproject-id\n');
      case 'project/project-id':
        return reply(res, 200, 'text', config.project.id);
      case 'project/numeric-project-id':
        return reply(res, 200, 'text', config.project.number);
      default:
        return notFound(res, path);
    }
  }

  private async token(res: ServerResponse, scopesParam: string | null): Promise<void> {
    const scopes = scopesParam ? scopesParam.split(/[,\s]+/).filter(Boolean) : DEFAULT_SCOPES;
    const t = await this.tokens.get(`at\n${scopes.join(' ')}`, async () => {
      const grant = await this.platform.identity.mintAccessToken(`serviceAccount:${this.sa.email}`, scopes);
      return { token: grant.token, expiresAt: grant.record.expiresAt };
    });
    reply(res, 200, 'json', JSON.stringify({ access_token: t.token, expires_in: Math.floor((t.expiresAt - this.platform.clock()) / 1000), token_type: 'Bearer' }));
  }

  private async identity(res: ServerResponse, params: URLSearchParams): Promise<void> {
    const audience = params.get('audience');
    if (!audience) return reply(res, 400, 'text', 'non-empty audience parameter required\n');
    const t = await this.tokens.get(`id\n${audience}`, async () => ({
      token: await this.platform.identity.mintIdToken(this.sa, { audience, includeEmail: true }),
      expiresAt: this.platform.clock() + ID_TOKEN_LIFETIME_S * 1000,
    }));
    reply(res, 200, 'text', t.token);
  }
}
