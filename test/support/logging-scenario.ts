// A running authplane with two Cloud Run services and the requests whose logs the Cloud Logging tests
// read: front-door refusals (no token → 403, wrong audience → 401, no invoker role → 403), a request
// that passes (200), one blocked by ingress (404, not in Google's logs) and a refused API call.
// Each request starts in a later millisecond than the one before, so "newest first" has one answer.

import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestLogFor } from '../../src/observe/request-log.js';
import { startTestAuthplane, type TestAuthplane } from './authplane.js';

export const SA = (name: string) => `${name}@demo-project.iam.gserviceaccount.com`;

export interface LoggingScenario {
  ap: TestAuthplane;
  /** https://update-123456789012.us-central1.run.app and its hash-style twin. */
  updateUrl: string;
  updateHashedUrl: string;
  /** Bytes the upstream answers with. */
  upstreamBody: string;
  /** An authplane access token for a service account (for API calls as it). */
  accessToken(sa: string): Promise<string>;
  /** POST /v2/entries:list with `body`, as the default principal or with `token`. */
  list(body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }>;
  /** The request ids of the requests made, by name. */
  ids: Record<'noToken' | 'wrongAudience' | 'ok' | 'noRole' | 'ingress' | 'apiRefusal', string>;
  stop(): Promise<void>;
}

/** Waits until the wall clock shows a later millisecond, so the next request's timestamp is later. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await new Promise((r) => setImmediate(r));
}

async function loggedId(ap: TestAuthplane, path: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const entry = requestLogFor(ap.platform).recent({ service: 'update' }).find((e) => e.path === path);
    if (entry) return entry.id;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no request-log entry for ${path}`);
}

function send(host: string, port: number, path: string, headers: Record<string, string>): Promise<{ status: number; id: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, id: String(res.headers['x-authplane-request-id'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function startLoggingScenario(): Promise<LoggingScenario> {
  const upstreamBody = 'hello from update';
  const upstream: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(upstreamBody);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const ap = await startTestAuthplane({
    defaultPrincipal: 'user:developer@example.com',
    serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'tasks-no-role' }, { name: 'update-runtime' }],
    iam: {
      bindings: [
        { resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA('tasks-invoker')}`] },
        { resource: 'services/internal-only', role: 'roles/run.invoker', members: [`serviceAccount:${SA('tasks-invoker')}`] },
      ],
    },
    services: [
      { name: 'update', port: 0, metadataPort: 0, upstream: upstreamUrl, serviceAccount: 'update-runtime' },
      { name: 'internal-only', port: 0, metadataPort: 0, upstream: upstreamUrl, serviceAccount: 'update-runtime', ingress: 'internal' },
    ],
  });
  const update = ap.platform.directory.get('update')!;
  const internal = ap.platform.directory.get('internal-only')!;
  const updateUrl = update.urls.deterministic!;
  const updateHashedUrl = update.urls.hashed;
  const mint = async (sa: string, audience: string) => ap.platform.identity.mintIdToken((await ap.platform.identity.findServiceAccount(SA(sa)))!, { audience, includeEmail: true });
  const accessToken = async (sa: string) => (await ap.platform.identity.mintAccessToken(`serviceAccount:${SA(sa)}`)).token;
  const door = (name: typeof update) => name.frontDoor!;

  const ids = {} as LoggingScenario['ids'];
  await nextMillisecond();
  ids.noToken = (await send(door(update).host, door(update).port, '/v1/update?taskId=42', { host: new URL(updateUrl).host, 'user-agent': 'logging-test/1.0' })).id;
  await nextMillisecond();
  ids.wrongAudience = (await send(door(update).host, door(update).port, '/v1/update', { authorization: `Bearer ${await mint('tasks-invoker', 'https://wrong.example.com')}` })).id;
  await nextMillisecond();
  const good = await mint('tasks-invoker', updateUrl);
  await send(door(update).host, door(update).port, '/ok', { authorization: `Bearer ${good}`, host: new URL(updateHashedUrl).host, 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/12345;o=1' });
  // A request that passes carries no x-authplane-request-id; its entry is written as the response ends.
  ids.ok = await loggedId(ap, '/ok');
  await nextMillisecond();
  ids.noRole = (await send(door(update).host, door(update).port, '/', { authorization: `Bearer ${await mint('tasks-no-role', updateUrl)}`, host: new URL(updateUrl).host })).id;
  await nextMillisecond();
  ids.ingress = (await send(door(internal).host, door(internal).port, '/', { authorization: `Bearer ${await mint('tasks-invoker', internal.urls.deterministic!)}` })).id;
  await nextMillisecond();
  const refused = await ap.api(`/v1/projects/-/serviceAccounts/${SA('tasks-invoker')}:generateIdToken`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await accessToken('tasks-no-role')}`, 'user-agent': 'logging-test/1.0' },
    body: JSON.stringify({ audience: updateUrl }),
  });
  ids.apiRefusal = refused.headers.get('x-authplane-request-id') ?? '';
  if (refused.status !== 403) throw new Error(`the API refusal answered ${refused.status}`);

  return {
    ap,
    updateUrl,
    updateHashedUrl,
    upstreamBody,
    accessToken,
    ids,
    async list(body, token) {
      const res = await ap.api('/v2/entries:list', { method: 'POST', body: JSON.stringify(body), ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    async stop() {
      await ap.stop();
      upstream.closeAllConnections();
      await new Promise<void>((r) => upstream.close(() => r()));
    },
  };
}
