// VPC egress decides whether a Cloud Run service's (or a workload's) call to an internal-only service counts
// as internal traffic (issue 12 item 6): all-traffic → internal (200); private-ranges-only or none → the call
// leaves through the internet (404 INGRESS_BLOCKED, naming the caller's egress). The callers are real
// processes: supervised services whose own code calls the internal service, and a workload process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requestLogFor } from '../src/observe/request-log.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { startBackend, type Backend } from './support/backend.js';
import { freePort } from './support/cli.js';

const NUMBER = '123456789012';
const B_URL = `https://backend-${NUMBER}.us-central1.run.app`;

// A service whose code calls B (at TARGET, B's front door) with an ID token from its own metadata server,
// and answers with B's status: what a Cloud Run service calling another looks like.
const CALLER = `
import { createServer } from 'node:http';
createServer(async (req, res) => {
  const md = await fetch('http://' + process.env.GCE_METADATA_HOST + '/computeMetadata/v1/instance/service-accounts/default/identity?audience=' + encodeURIComponent(process.env.AUDIENCE), { headers: { 'Metadata-Flavor': 'Google' } });
  const token = await md.text();
  const r = await fetch(process.env.TARGET, { headers: { authorization: 'Bearer ' + token } });
  res.end(JSON.stringify({ status: r.status, code: r.headers.get('x-authplane-denial') }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

describe('VPC egress and internal ingress', () => {
  let ap: TestAuthplane;
  let backend: Backend;
  const dir = mkdtempSync(join(tmpdir(), 'authplane-egress-'));

  before(async () => {
    backend = await startBackend();
    const script = join(dir, 'caller.mjs');
    writeFileSync(script, CALLER);
    // B's front door port, fixed so the callers' code can be told where B is (what its run.app URL routes to).
    const port = await freePort();
    const caller = (name: string, vpcEgress?: string) => ({
      name,
      command: `${process.execPath} ${script}`,
      serviceAccount: 'caller-sa',
      invokerIamCheck: false,
      env: { AUDIENCE: B_URL, TARGET: `http://127.0.0.1:${port}/` },
      ...(vpcEgress ? { vpcEgress } : {}),
    });
    ap = await startTestAuthplane({
      iam: { bindings: [{ resource: 'services/backend', role: 'roles/run.invoker', members: ['serviceAccount:caller-sa'] }] },
      serviceAccounts: [{ name: 'caller-sa' }],
      services: [
        { name: 'backend', upstream: backend.url, ingress: 'internal', port },
        caller('all-traffic', 'all-traffic'),
        caller('private-only', 'private-ranges-only'),
        caller('no-egress'),
      ],
      workloads: [{ name: 'batch', serviceAccount: 'caller-sa', vpcEgress: 'all-traffic' }],
    });
  });

  after(async () => {
    await ap?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const viaService = async (name: string) => {
    const door = ap.platform.directory.get(name)!.urls.local!;
    return (await (await fetch(door)).json()) as { status: number; code: string | null };
  };
  const idToken = async (service: string) => {
    const r = await ap.api(`/v1/projects/-/serviceAccounts/caller-sa@demo-project.iam.gserviceaccount.com:generateIdToken`, { method: 'POST', body: JSON.stringify({ audience: `https://${service}-${NUMBER}.us-central1.run.app` }) });
    return ((await r.json()) as { token: string }).token;
  };

  it('a service with all-traffic egress reaches the internal-only service; private-ranges-only and none get 404', async () => {
    assert.deepEqual(await viaService('all-traffic'), { status: 200, code: null });
    assert.deepEqual(await viaService('private-only'), { status: 404, code: 'INGRESS_BLOCKED' });
    assert.deepEqual(await viaService('no-egress'), { status: 404, code: 'INGRESS_BLOCKED' });
    const blocked = requestLogFor(ap.platform).recent({ service: 'backend', code: 'INGRESS_BLOCKED' });
    const sources = blocked.map((e) => String(e.evidence?.['source']));
    assert.ok(sources.some((s) => /service private-only, whose VPC egress is private-ranges-only/.test(s)), sources.join('\n'));
    assert.ok(sources.some((s) => /service no-egress, whose VPC egress is none/.test(s)), sources.join('\n'));
    assert.match(blocked[0]!.remedy!, /vpc-egress=all-traffic/);
  });

  it('a curl from this machine is still outside; a workload process with all-traffic egress is inside', async () => {
    const door = ap.platform.directory.get('backend')!.urls.local!;
    const outside = await fetch(door, { headers: { authorization: `Bearer ${await idToken('backend')}` } });
    assert.equal(outside.status, 404);
    // The workload's code, in its own process: it asks its metadata server for a token, then calls B.
    const code = `
      const md = await fetch('http://${ap.metadataHost('batch')}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(B_URL)}', { headers: { 'Metadata-Flavor': 'Google' } });
      const r = await fetch('${door}/', { headers: { authorization: 'Bearer ' + await md.text() } });
      console.log(r.status);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.on('exit', r));
    assert.equal(out.trim(), '200');
  });
});
