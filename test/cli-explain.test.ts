// `authplane explain --offline`: without keys it cannot check the signature, but every other check is the
// admission decision's own (the demo config's services and IAM, Verifier.diagnoseUnsigned), so it refuses
// what the front door would refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain } from '../src/cli/explain.js';

const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const SERVICE = 'https://update-123456789012.us-central1.run.app';
const token = (claims: Record<string, unknown>) =>
  `${enc({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${enc({ iss: 'https://accounts.google.com', sub: '1', email: INVOKER, aud: SERVICE, iat: now, exp: now + 3600, ...claims })}.c2lnbmF0dXJl`;
// The demo grants this account roles/run.invoker on services/update; tasks-no-role holds nothing.
const INVOKER = 'tasks-invoker@demo-project.iam.gserviceaccount.com';

test('offline explain applies every check but the signature, with the verifier’s codes', async () => {
  const url = `${SERVICE}/v1/update`;
  const cases: [string, Record<string, unknown>, string | null][] = [
    ['a good token', {}, null],
    ['an account without roles/run.invoker', { email: 'tasks-no-role@demo-project.iam.gserviceaccount.com' }, 'PERMISSION_DENIED'],
    ['signed by a service account, as its own issuer', { iss: INVOKER, sub: INVOKER }, 'SELF_SIGNED_JWT'],
    ['exp beyond the longest lifetime', { exp: 9_999_999_999 }, 'TOKEN_MALFORMED'],
    ['expired', { iat: now - 7200, exp: now - 3600 }, 'TOKEN_EXPIRED'],
    ['issued in the future', { iat: now + 3000 }, 'TOKEN_NOT_YET_VALID'],
    ['audience with the path', { aud: url }, 'AUDIENCE_MISMATCH'],
    ['an access token', { scope: 'https://www.googleapis.com/auth/cloud-platform' }, 'ACCESS_TOKEN_NOT_ID_TOKEN'],
  ];
  for (const [name, claims, code] of cases) {
    const f = await explain(token(claims), url, { offline: true });
    assert.equal(f.mode, 'offline', name);
    assert.equal(f.accepted ? null : f.denial?.code, code, name);
  }
});
