// Google's callers hand a local service's request to its front door in process (dispatch/local-delivery.ts).
// What the service receives and what the request log records must be what the loopback HTTP request to the
// front door produced: each attempt here is sent both ways — in process, and over HTTP with the front door
// taken out of the in-process registry — and the two are compared field by field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { localFrontDoors, wireHeaders } from '../src/dispatch/local-delivery.js';
import { sendAttempt, type AttemptOutcome, type HttpAttemptRequest } from '../src/dispatch/http-attempt.js';
import { DispatchTokens } from '../src/dispatch/tokens.js';
import { requestLogFor, type RequestLogEntry } from '../src/observe/request-log.js';
import type { HttpMethodName } from '../src/store/task-store.js';

const SA = 'tasks-invoker@demo-project.iam.gserviceaccount.com';
const URL_ = 'https://update-123456789012.us-central1.run.app';

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
}

/** A service that remembers each request exactly as it arrived. */
async function recordingService(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() });
      res.writeHead(req.url === '/busy' ? 503 : 200, req.url === '/busy' ? { 'retry-after': '7' } : {}).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

describe('in-process delivery to a local front door', () => {
  let ap: TestAuthplane;
  let svc: Awaited<ReturnType<typeof recordingService>>;
  let tokens: DispatchTokens;

  before(async () => {
    svc = await recordingService();
    ap = await startTestAuthplane({
      serviceAccounts: [{ name: 'tasks-invoker' }, { name: 'update-runtime' }, { name: 'outsider' }],
      services: [{ name: 'update', upstream: svc.url, serviceAccount: 'update-runtime' }],
      iam: { bindings: [{ resource: 'services/update', role: 'roles/run.invoker', members: [`serviceAccount:${SA}`] }] },
    });
    tokens = new DispatchTokens(ap.platform);
  });
  after(async () => {
    await ap.stop();
    svc.server.close();
  });

  /** Sends `req` in process, then over HTTP; returns both outcomes, what the service got, and each front-door entry. */
  async function bothWays(req: HttpAttemptRequest) {
    const log = requestLogFor(ap.platform);
    const doors = localFrontDoors(ap.platform);
    const door = doors.get('update')!;
    // Requests the front door's HTTP server saw: none in process, one over HTTP.
    let overHttp = 0;
    const count = () => overHttp++;
    const server = (door as unknown as { server: Server }).server;
    server.on('request', count);
    const run = async (): Promise<{ outcome: AttemptOutcome; received: Received | undefined; entry: RequestLogEntry }> => {
      const before = svc.received.length;
      const outcome = await sendAttempt(ap.platform, tokens, req);
      const entry = log.recent({ limit: 1, surface: 'run' })[0]!;
      return { outcome, received: svc.received[before], entry };
    };
    try {
      const local = await run();
      assert.equal(overHttp, 0, 'the in-process delivery made no HTTP request to the front door');
      doors.delete('update');
      const http = await run();
      assert.equal(overHttp, 1, 'with the front door out of the registry, the attempt went over HTTP');
      return { local, http };
    } finally {
      doors.set('update', door);
      server.off('request', count);
    }
  }

  const comparableEntry = (e: RequestLogEntry) => {
    const { id: _id, time: _time, durationMs: _d, ...rest } = e;
    return rest;
  };
  const comparableOutcome = (o: AttemptOutcome) => ({ httpStatus: o.httpStatus, denial: o.denial, retryAfter: o.retryAfter, error: o.error, internal: o.internal, hasRequestId: o.frontDoorRequestId !== null });

  for (const [method, body, path] of [
    ['POST', '{"order":42}', '/orders?x=1'],
    ['GET', undefined, '/status'],
    ['PUT', undefined, '/empty'],
    ['POST', 'retry me', '/busy'],
  ] as const) {
    test(`${method} ${path}${body ? ' with a body' : ''}: the service receives the same request, the log records the same entry`, async () => {
      const { local, http } = await bothWays({
        url: `${URL_}${path}`,
        method,
        headers: { 'User-Agent': 'Google-Cloud-Tasks', 'X-CloudTasks-QueueName': 'q', 'content-type': 'application/json', 'X-Custom': 'a' },
        ...(body ? { body: Buffer.from(body) } : {}),
        token: { kind: 'oidc', serviceAccountEmail: SA, audience: URL_ },
        deadlineMs: 10_000,
      });
      assert.ok(local.received && http.received, 'the service received both');
      assert.deepEqual(local.received, http.received);
      assert.deepEqual(comparableOutcome(local.outcome), comparableOutcome(http.outcome));
      assert.deepEqual(comparableEntry(local.entry), comparableEntry(http.entry));
      assert.equal(local.outcome.httpStatus, path === '/busy' ? 503 : 200);
    });
  }

  test('a refusal: the same status, code and front-door entry, found by the request id the attempt carries', async () => {
    const { local, http } = await bothWays({
      url: `${URL_}/orders`,
      method: 'POST',
      headers: { 'User-Agent': 'Google-Cloud-Tasks' },
      body: Buffer.from('x'),
      token: { kind: 'oidc', serviceAccountEmail: 'outsider@demo-project.iam.gserviceaccount.com', audience: URL_ },
      deadlineMs: 10_000,
    });
    assert.equal(local.received, undefined);
    assert.equal(http.received, undefined);
    assert.deepEqual(comparableOutcome(local.outcome), comparableOutcome(http.outcome));
    assert.equal(local.outcome.denial, 'PERMISSION_DENIED');
    const log = requestLogFor(ap.platform);
    for (const o of [local.outcome, http.outcome]) assert.equal(log.get(o.frontDoorRequestId!)?.code, 'PERMISSION_DENIED');
    assert.deepEqual(comparableEntry(local.entry), comparableEntry(http.entry));
  });
});

describe("wireHeaders: what Node's HTTP client sends", () => {
  let server: Server;
  let port: number;
  const seen: string[][] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.rawHeaders);
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const methods: HttpMethodName[] = ['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
  for (const method of methods) {
    for (const body of [undefined, Buffer.from('abc')]) {
      if (body && !['POST', 'PUT', 'PATCH'].includes(method)) continue;
      test(`${method}${body ? ' with a body' : ''}`, async () => {
        const headers: Record<string, string> = { 'User-Agent': 'Google-Cloud-Tasks', 'x-lower': 'v', Host: 'update-1.a.run.app', ...(body ? { 'Content-Length': String(body.length) } : {}) };
        const agent = new Agent({ keepAlive: true });
        await new Promise<void>((resolve, reject) => {
          const r = request({ host: '127.0.0.1', port, method, path: '/', headers, agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          r.on('error', reject);
          r.end(body);
        });
        agent.destroy();
        assert.deepEqual(seen.at(-1), wireHeaders(method, headers, body));
      });
    }
  }
});
