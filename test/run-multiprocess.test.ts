// Two authplanes on one PostgreSQL form one emulator: a key rotated by one and a token it signs with
// the new key are accepted at once by the other's front door (it re-reads keys on an unknown kid).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';

describe('front doors of two processes on one PostgreSQL', () => {
  let upstream: Server;
  let a: TestAuthplane;
  let b: TestAuthplane;

  before(async () => {
    upstream = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const config = {
      serviceAccounts: [{ name: 'caller-sa' }],
      services: [{ name: 'svc', upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }],
      iam: { bindings: [{ resource: 'services/svc', role: 'roles/run.invoker', members: ['serviceAccount:caller-sa'] }] },
    };
    const databaseUrl = await freshDatabase();
    a = await startTestAuthplane(config, { databaseUrl });
    b = await startTestAuthplane(config, { databaseUrl });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    upstream?.close();
    await stopPostgres();
  });

  test('a token signed after a rotation elsewhere is accepted at once', async () => {
    const sa = (await a.platform.identity.findServiceAccount('caller-sa@demo-project.iam.gserviceaccount.com'))!;
    const aud = b.platform.directory.get('svc')!.urls.deterministic!;
    const bDoor = b.platform.directory.get('svc')!.urls.local!;

    const before = await a.platform.identity.mintIdToken(sa, { audience: aud, includeEmail: true });
    assert.equal((await fetch(bDoor, { headers: { authorization: `Bearer ${before}` } })).status, 200);

    await a.platform.identity.keys.rotate('RS256');
    const after = await a.platform.identity.mintIdToken(sa, { audience: aud, includeEmail: true });
    const r = await fetch(bDoor, { headers: { authorization: `Bearer ${after}` } });
    assert.equal(r.status, 200, `B refused a token signed with A's new key: ${r.headers.get('x-authplane-denial')}`);
    // The token from before the rotation still verifies on both (its key stays published).
    assert.equal((await fetch(bDoor, { headers: { authorization: `Bearer ${before}` } })).status, 200);
  });
});
