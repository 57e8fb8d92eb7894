// The project the client-compatibility suites (gcloud, Python google-auth, Go) run against: one Cloud Run
// service `update` in front of a recording upstream, a queue with a short retry schedule, and accounts with
// and without roles/run.invoker. Any free ports; a fresh data directory.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestAuthplane, type TestAuthplane } from './authplane.js';

export const PROJECT = 'demo-project';
export const SA = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
/** The `update` service's deterministic run.app URL: an audience it accepts and a URL Cloud Tasks may target. */
export const SERVICE_URL = 'https://update-123456789012.us-central1.run.app';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface GcloudProject {
  ap: TestAuthplane;
  /** Every request the upstream behind `update` received. */
  received: Received[];
  /** The front door of `update` on this machine. */
  frontDoor: string;
  /** GET (or `init`) the front door with `Authorization: Bearer token` ('' sends none): status and refusal code. */
  call(token: string, init?: RequestInit & { path?: string }): Promise<{ status: number; denial: string | null }>;
  stop(): Promise<void>;
}

export interface GcloudProjectOptions {
  /** More services in front of the same upstream, running as update-runtime (no invoker bindings). */
  extraServices?: string[];
}

export async function startGcloudProject(options: GcloudProjectOptions = {}): Promise<GcloudProject> {
  const received: Received[] = [];
  const upstream: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const ap = await startTestAuthplane({
    defaultPrincipal: 'user:developer@example.com',
    users: [{ email: 'alice@example.com' }],
    serviceAccounts: ['tasks-invoker', 'tasks-no-role', 'binder', 'caller', 'update-runtime', 'runner'].map((name) => ({ name })),
    iam: {
      bindings: [
        // As in the demo: the developer may impersonate every account (gcloud --impersonate-service-account).
        { resource: `projects/${PROJECT}`, role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] },
        { resource: 'services/update', role: 'roles/run.invoker', members: ['serviceAccount:tasks-invoker'] },
        // The workload `runner` (code on Cloud Run, through its metadata server) may call the service too.
        { resource: 'services/update', role: 'roles/run.invoker', members: ['serviceAccount:runner'] },
        // A delegation chain developer → caller → tasks-invoker.
        { resource: 'serviceAccounts/tasks-invoker', role: 'roles/iam.serviceAccountTokenCreator', members: ['serviceAccount:caller'] },
      ],
    },
    services: [
      { name: 'update', port: 0, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, serviceAccount: 'update-runtime', metadataPort: 0 },
      ...(options.extraServices ?? []).map((name) => ({ name, port: 0, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, serviceAccount: 'update-runtime' })),
    ],
    workloads: [{ name: 'runner', serviceAccount: 'runner', metadataPort: 0 }],
    queues: [{ name: 'upgrades', retryConfig: { maxAttempts: 3, minBackoff: '0.1s', maxBackoff: '0.2s', maxDoublings: 1 } }],
  });
  const frontDoor = ap.listeners.find((l) => l.name === 'front door update')!.url;
  return {
    ap,
    received,
    frontDoor,
    async call(token, init = {}) {
      const { path = '/', ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== '') headers.set('authorization', `Bearer ${token}`);
      const res = await fetch(frontDoor + path, { ...rest, headers });
      await res.arrayBuffer();
      return { status: res.status, denial: res.headers.get('x-authplane-denial') };
    },
    async stop() {
      await ap.stop();
      await new Promise<void>((r) => upstream.close(() => r()));
    },
  };
}
