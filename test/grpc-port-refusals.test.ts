// Refusals the gRPC port makes before a product sees the call, each with a code (x-authplane-denial), the fix and
// a request-log entry: a method the port does not serve (Google's UNIMPLEMENTED and words — for Google's own
// Cloud Tasks v2beta3 client pointed at authplane, a method missing from a served service, a streaming call); a
// request message over Google's 32 MiB (unary and on a stream); a message that does not decode (unary RPCs of
// every service, StreamingPull's messages).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudTasksClient, v2beta3 } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';

interface LogEntry {
  id: string;
  path: string;
  status: number;
  outcome: string;
  code?: string;
  remedy?: string;
}

describe('gRPC: a method the port does not serve', () => {
  let ap: TestAuthplane;
  let target: string;

  before(async () => {
    ap = await startTestAuthplane({});
    target = ap.platform.grpcHostPort!;
  });
  after(async () => {
    await ap?.stop();
  });

  /** Options that point one of Google's generated clients at the port, without TLS. */
  const atPort = () => ({ servicePath: target.slice(0, target.lastIndexOf(':')), port: Number(target.slice(target.lastIndexOf(':') + 1)), sslCreds: grpc.credentials.createInsecure() });

  /** The error of a unary call of `path` with the raw message `body`. */
  const unaryError = async (path: string, body: Buffer): Promise<grpc.ServiceError> => {
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    try {
      return await new Promise<grpc.ServiceError>((resolve) => client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, (err) => resolve(err!)));
    } finally {
      client.close();
    }
  };

  const logged = async (id: string): Promise<LogEntry | undefined> => {
    const r = await ap.api(`/admin/v1/requests/${id}`);
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as LogEntry;
  };

  test("Google's v2beta3 client at authplane: UNIMPLEMENTED, Google's words naming host and method, NOT_SUPPORTED with the fix", async () => {
    const client = new v2beta3.CloudTasksClient(atPort());
    try {
      const e = (await client.listQueues({ parent: 'projects/demo-project/locations/us-central1' }).then(
        () => assert.fail('listQueues answered'),
        (x: unknown) => x,
      )) as { code: number; details: string; metadata: grpc.Metadata };
      assert.equal(e.code, grpc.status.UNIMPLEMENTED);
      assert.equal(e.details, `The GRPC target is not implemented on the server, host: ${target}, method: /google.cloud.tasks.v2beta3.CloudTasks/ListQueues.`);
      assert.equal(e.metadata.get('x-authplane-denial')[0], 'NOT_SUPPORTED');
      const id = String(e.metadata.get('x-authplane-request-id')[0]);
      const entry = await logged(id);
      assert.ok(entry, `request ${id} in the request log`);
      assert.equal(entry.path, '/google.cloud.tasks.v2beta3.CloudTasks/ListQueues');
      assert.equal(entry.code, 'NOT_SUPPORTED');
      assert.equal(entry.outcome, 'refused');
      assert.match(String(entry.remedy), /google\.cloud\.tasks\.v2\.CloudTasks/);
    } finally {
      await client.close();
    }
  });

  test("a method missing from a served service: \"GRPC target method can't be resolved.\"", async () => {
    const e = await unaryError('/google.cloud.tasks.v2.CloudTasks/NoSuchMethod', Buffer.alloc(0));
    assert.equal(e.code, grpc.status.UNIMPLEMENTED);
    assert.equal(e.details, "GRPC target method can't be resolved.");
    assert.equal(e.metadata.get('x-authplane-denial')[0], 'NOT_SUPPORTED');
    assert.equal((await logged(String(e.metadata.get('x-authplane-request-id')[0])))?.code, 'NOT_SUPPORTED');
  });

  test('a streaming call to an unknown method is answered at once, while the client still streams', async () => {
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest('/google.example.v1.Nothing/Stream', (b: Buffer) => b, (b: Buffer) => b);
      call.write(Buffer.from([0x0a, 0x00]));
      const e = await new Promise<grpc.ServiceError>((resolve) => {
        call.on('error', resolve);
        call.on('data', () => undefined);
      });
      assert.equal(e.code, grpc.status.UNIMPLEMENTED);
      assert.match(e.details, /method: \/google\.example\.v1\.Nothing\/Stream\.$/);
      assert.equal(e.metadata.get('x-authplane-denial')[0], 'NOT_SUPPORTED');
    } finally {
      client.close();
    }
  });

  test('a request message over 32 MiB: RESOURCE_EXHAUSTED, REQUEST_TOO_LARGE, logged (CreateTask with a 33 MiB body)', async () => {
    const client = new CloudTasksClient(atPort());
    try {
      const body = Buffer.alloc(33 * 1024 * 1024, 'a');
      const e = (await client
        .createTask({ parent: 'projects/demo-project/locations/us-central1/queues/default', task: { httpRequest: { url: 'https://example.com/', body } } })
        .then(
          () => assert.fail('createTask answered'),
          (x: unknown) => x,
        )) as { code: number; metadata: grpc.Metadata };
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(e.metadata.get('x-authplane-denial')[0], 'REQUEST_TOO_LARGE');
      const entry = await logged(String(e.metadata.get('x-authplane-request-id')[0]));
      assert.equal(entry?.path, '/google.cloud.tasks.v2.CloudTasks/CreateTask');
      assert.equal(entry?.code, 'REQUEST_TOO_LARGE');
    } finally {
      await client.close();
    }
  });

  test('a Subscriber RPC whose message does not decode: INVALID_ARGUMENT naming the message type', async () => {
    const e = await unaryError('/google.pubsub.v1.Subscriber/Pull', Buffer.from([0xff, 0xff, 0xff]));
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /^Invalid google\.pubsub\.v1\.PullRequest: the request message does not decode/);
    assert.equal(e.metadata.get('x-authplane-denial')[0], 'INVALID_ARGUMENT');
  });

  test('StreamingPull checks every message as unary RPCs are checked: one over 32 MiB is REQUEST_TOO_LARGE', async () => {
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest('/google.pubsub.v1.Subscriber/StreamingPull', (b: Buffer) => b, (b: Buffer) => b);
      // Field 1 (subscription, a string) of 33 MiB: a valid StreamingPullRequest, too large.
      const size = 33 * 1024 * 1024;
      const varint: number[] = [];
      for (let n = size; ; n = Math.floor(n / 128)) {
        if (n < 128) {
          varint.push(n);
          break;
        }
        varint.push((n % 128) | 0x80);
      }
      call.write(Buffer.concat([Buffer.from([0x0a, ...varint]), Buffer.alloc(size, 'a')]));
      const e = await new Promise<grpc.ServiceError>((resolve) => {
        call.on('error', resolve);
        call.on('data', () => undefined);
      });
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(e.metadata.get('x-authplane-denial')[0], 'REQUEST_TOO_LARGE');
    } finally {
      client.close();
    }
  });

  test('a refusal quoting a 40 KB value still reaches the client: the message and its details are clipped to fit the trailers', async () => {
    const client = new CloudTasksClient(atPort());
    try {
      const name = `projects/demo-project/locations/us-central1/queues/${'a'.repeat(40_000)}`;
      const e = (await client.getQueue({ name }).then(
        () => assert.fail('getQueue answered'),
        (x: unknown) => x,
      )) as { code: number; details: string; metadata: grpc.Metadata };
      // Unclipped, the trailers pass HTTP/2's header-list limit and the call ends in DEADLINE_EXCEEDED instead.
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT, e.details);
      assert.ok(e.details.length < 2_000 && e.details.endsWith('…'), `details of ${e.details.length} characters`);
      assert.equal(e.metadata.get('x-authplane-denial')[0], 'INVALID_ARGUMENT');
    } finally {
      await client.close();
    }
  });
});
