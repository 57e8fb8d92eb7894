// Service settings changed through the Cloud Run Admin API outlive the process that took them: a restart on
// the same data directory finds them (unless authplane.yaml's own settings for the service changed since:
// the newer edit wins), and every authplane on one PostgreSQL applies them at its front door.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { freshDatabase, stopPostgres } from './support/postgres.js';
import { waitFor } from './support/wait.js';

const V2 = '/v2/projects/demo-project/locations/us-central1/services/svc';

describe('service settings changed through the Admin API', () => {
  let upstream: Server;
  const config = (ingress = 'all') => ({
    services: [{ name: 'svc', upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, ingress, invokerIamCheck: true }],
  });
  /** A request from this machine without a token: 404 when ingress blocks it, 403 when the invoker check does, 200 when public. */
  const probe = async (ap: TestAuthplane) => (await fetch(ap.platform.directory.get('svc')!.urls.local!)).status;
  const patch = async (ap: TestAuthplane, mask: string, body: unknown) => {
    const res = await ap.api(`${V2}?updateMask=${mask}`, { method: 'PATCH', body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.clone().text());
  };

  before(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    upstream?.close();
    await stopPostgres();
  });

  it('a restart on the same data directory keeps them; an edit of authplane.yaml\'s settings for the service wins over them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'authplane-settings-'));
    try {
      let ap = await startTestAuthplane(config(), { dataDir });
      assert.equal(await probe(ap), 403);
      await patch(ap, 'ingress,invokerIamDisabled', { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY', invokerIamDisabled: true });
      assert.equal(await probe(ap), 404);
      await ap.stop();

      ap = await startTestAuthplane(config(), { dataDir });
      assert.equal(await probe(ap), 404, 'the change survives a restart');
      await patch(ap, 'ingress', { ingress: 'INGRESS_TRAFFIC_ALL' });
      assert.equal(await probe(ap), 200, 'the earlier invoker-check change is still there');
      await ap.stop();

      // The config now says something else about the service: the config wins, and says generation 3 continues.
      ap = await startTestAuthplane(config('internal'), { dataDir });
      assert.equal(await probe(ap), 404);
      const svc = (await (await ap.api(V2)).json()) as { ingress: string; invokerIamDisabled?: boolean; generation: string };
      assert.deepEqual([svc.ingress, svc.invokerIamDisabled, svc.generation], ['INGRESS_TRAFFIC_INTERNAL_ONLY', false, '3']);
      await ap.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('two processes on one PostgreSQL: a change through one applies at the other\'s front door', async () => {
    const databaseUrl = await freshDatabase();
    const a = await startTestAuthplane(config(), { databaseUrl });
    const b = await startTestAuthplane(config(), { databaseUrl });
    try {
      assert.equal(await probe(b), 403);
      await patch(a, 'invokerIamDisabled', { invokerIamDisabled: true });
      await waitFor('B to follow the change', async () => (await probe(b)) === 200);
      // B answers the Admin API with the change too (it syncs before answering), and builds on it.
      const seen = (await (await b.api(V2)).json()) as { invokerIamDisabled?: boolean; generation: string };
      assert.deepEqual([seen.invokerIamDisabled, seen.generation], [true, '2']);
      await patch(b, 'ingress', { ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY' });
      await waitFor('A to follow B\'s change', async () => (await probe(a)) === 404);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
