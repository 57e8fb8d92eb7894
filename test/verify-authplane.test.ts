// The verifier accepts what authplane mints, in process (key ring) and over HTTP (authplane's JWKS, as
// production code pointed at authplane by AUTHPLANE_URL would), and refuses authplane's access tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAuthplane } from './support/authplane.js';
import { verifyGoogleIdToken } from '../src/verify/google.js';
import { keyRingSource } from '../src/verify/keys.js';
import { Verifier } from '../src/verify/verifier.js';
import { DenialError } from '../src/verify/denial.js';

const AUD = 'https://update-123456789012.us-central1.run.app';

test('authplane-minted ID tokens verify; its access tokens are ACCESS_TOKEN_NOT_ID_TOKEN', async (t) => {
  const ap = await startTestAuthplane(
    { serviceAccounts: [{ name: 'tasks-invoker' }], workloads: [{ name: 'scheduler', serviceAccount: 'tasks-invoker', metadataPort: 0 }] },
    { products: [] },
  );
  t.after(() => ap.stop());
  const md = (path: string) => fetch(`http://${ap.metadataHost('scheduler')}/computeMetadata/v1/instance/service-accounts/default/${path}`, { headers: { 'Metadata-Flavor': 'Google' } });
  const idToken = await (await md(`identity?audience=${encodeURIComponent(AUD)}&format=full`)).text();
  const { access_token: accessToken } = (await (await md('token')).json()) as { access_token: string };

  // Over HTTP, from authplane's JWKS.
  const verified = await verifyGoogleIdToken(idToken, { audience: AUD, keysUrl: `${ap.apiUrl}/oauth2/v3/certs` });
  assert.equal(verified.principal, 'tasks-invoker@demo-project.iam.gserviceaccount.com');
  assert.equal(verified.header.alg, 'RS256');
  // And from its PEM map.
  const fromPem = await verifyGoogleIdToken(idToken, { audience: `${AUD}/`, keysUrl: `${ap.apiUrl}/oauth2/v1/certs` });
  assert.equal(fromPem.principal, 'tasks-invoker@demo-project.iam.gserviceaccount.com');
  assert.equal(fromPem.claims.aud, AUD);

  // In process, from the key ring (how the front door calls it).
  const v = new Verifier({ keys: keyRingSource(ap.platform.identity.keys), surface: 'run' });
  const inProcess = v.verify(idToken, { audiences: [AUD] });
  assert.equal(inProcess.ok ? inProcess.principal : inProcess.denial.code, 'tasks-invoker@demo-project.iam.gserviceaccount.com');
  const refused = v.verify(accessToken, { audiences: [AUD] });
  assert.equal(refused.ok ? 'ok' : refused.denial.code, 'ACCESS_TOKEN_NOT_ID_TOKEN');

  await assert.rejects(
    verifyGoogleIdToken(idToken, { audience: 'https://billing-123456789012.us-central1.run.app', keysUrl: `${ap.apiUrl}/oauth2/v3/certs` }),
    (e: unknown) => e instanceof DenialError && e.code === 'AUDIENCE_MISMATCH',
  );
});
