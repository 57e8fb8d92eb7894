// The one table of codes: in step with its docs, every template filled, Google's answer per surface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { REFUSAL_CODES, REFUSAL_CODE_NAMES, googleAnswer, type RefusalCode } from '../src/verify/codes.js';
import { deny, DenialError, templateFields } from '../src/verify/denial.js';
import { denialResponse } from '../src/verify/response.js';
import { Verifier } from '../src/verify/verifier.js';
import { encodeSegment } from '../src/lib/jwt.js';
import { HASH_URL, NOW, NOW_MS, SERVICE_URL, idClaims, idToken, keys, stranger } from './verify-fixtures.js';

const docs = readFileSync(new URL('../../docs/refusal-codes.md', import.meta.url), 'utf8');

test('docs/refusal-codes.md is the code table as src/verify/codes.ts has it', () => {
  const r = spawnSync(process.execPath, ['scripts/refusal-codes-doc.mjs', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const code of REFUSAL_CODE_NAMES) assert.ok(docs.includes(`| \`${code}\` |`), `docs/refusal-codes.md has no row for ${code}`);
});

test('the codes DESIGN.md names all exist', () => {
  const required = 'TOKEN_MISSING TOKEN_MALFORMED ACCESS_TOKEN_NOT_ID_TOKEN SIGNATURE_INVALID KEY_UNKNOWN ALG_NOT_ALLOWED ISSUER_UNTRUSTED TOKEN_EXPIRED TOKEN_NOT_YET_VALID AUDIENCE_MISMATCH EMAIL_CLAIM_MISSING MULTIPLE_CREDENTIALS PERMISSION_DENIED IAM_NOT_YET_PROPAGATED INGRESS_BLOCKED IMPERSONATION_DENIED ACT_AS_DENIED SERVICE_ACCOUNT_UNKNOWN SELF_SIGNED_JWT INVALID_ARGUMENT';
  assert.deepEqual(required.split(' ').filter((c) => !REFUSAL_CODE_NAMES.includes(c as RefusalCode)), []);
});

test('every refusal the verifier makes has its templates filled from its own evidence', () => {
  const v = new Verifier({ keys: keys(), clock: () => NOW_MS });
  const host = SERVICE_URL.slice(8);
  const cases: [string | undefined, object?][] = [
    [undefined],
    ['ya29.abc'],
    ['garbage'],
    [idToken({ scope: 'x' })],
    [idToken({}, { kid: 'unknown' }, stranger.privateKey)],
    [idToken({}, {}, stranger.privateKey)],
    [`${encodeSegment({ alg: 'none' })}.${encodeSegment(idClaims())}.`],
    [idToken({ iss: 'https://evil.example' })],
    [idToken({ iat: NOW - 9000, exp: NOW - 5400 })],
    [idToken({ iat: NOW + 900 })],
    [idToken({ exp: NOW + 90_000 })],
    [idToken({ aud: `${SERVICE_URL}/x` })],
    [idToken({ aud: host })],
    [idToken({ aud: `${SERVICE_URL}:443` })],
    [idToken({ aud: 'https://us-central1-p.cloudfunctions.net/f' })],
    [idToken({ aud: 'https://billing.example' }), { audienceOwner: () => 'services/billing' }],
    [idToken({ aud: undefined })],
    [idToken({ email: undefined }), { requireEmail: true }],
    [`${idToken()} ${idToken()}`],
  ];
  const seen = new Set<string>();
  for (const [token, extra] of cases) {
    for (const surface of ['run', 'iap', 'library'] as const) {
      const r = v.verify(token, { audiences: [SERVICE_URL, HASH_URL], surface, ...extra });
      assert.ok(!r.ok, `${String(token).slice(0, 20)} should be refused`);
      if (r.ok) continue;
      seen.add(r.denial.code);
      for (const text of [r.denial.message, r.denial.explanation, r.denial.remedy]) {
        assert.ok(!text.includes('(unknown)') && !/\{[A-Za-z]+\}/.test(text), `${r.denial.code}/${surface}: unfilled template in "${text}"`);
      }
    }
  }
  assert.ok(seen.size >= 12, `cases cover ${[...seen].join(', ')}`);
});

test('product codes: the documented evidence fields fill their templates', () => {
  const productFields = new Set(['principal', 'member', 'permission', 'resource', 'role', 'serviceAccount', 'ingress', 'source', 'grantedAt', 'visibleAt', 'path', 'grantCommand']);
  for (const code of ['PERMISSION_DENIED', 'IAM_NOT_YET_PROPAGATED', 'INGRESS_BLOCKED', 'IMPERSONATION_DENIED', 'ACT_AS_DENIED', 'SERVICE_ACCOUNT_UNKNOWN'] as const) {
    const spec = REFUSAL_CODES[code];
    const answers = Object.values(spec.google) as { message: string }[];
    for (const t of [spec.explanation, spec.remedy, ...answers.map((a) => a.message)]) {
      for (const f of templateFields(t)) assert.ok(productFields.has(f), `${code}: template field {${f}} is not a documented product field`);
    }
  }
  const d = deny('PERMISSION_DENIED', 'run', {
    principal: 'serviceAccount:tasks-invoker@demo-project.iam.gserviceaccount.com',
    member: 'serviceAccount:tasks-invoker@demo-project.iam.gserviceaccount.com',
    permission: 'run.routes.invoke',
    resource: 'services/update',
    role: 'roles/run.invoker',
    path: '/v1/update',
  });
  assert.equal(d.status, 403);
  assert.equal(d.message, 'Forbidden: Your client does not have permission to get URL /v1/update from this server.');
  assert.match(d.remedy, /Grant roles\/run.invoker on services\/update to serviceAccount:tasks-invoker@/);
  assert.equal(deny('INGRESS_BLOCKED', 'run', { ingress: 'internal', source: '127.0.0.1' }).status, 404);
  assert.equal(deny('PERMISSION_DENIED', 'iap', {}).message, '403 Access denied');
});

test('surface fallbacks: library speaks Cloud Run; API-only codes fall back to the API answer', () => {
  assert.deepEqual(googleAnswer('TOKEN_EXPIRED', 'library'), googleAnswer('TOKEN_EXPIRED', 'run'));
  assert.equal(googleAnswer('IMPERSONATION_DENIED', 'run').status, 403);
  assert.equal(googleAnswer('SERVICE_ACCOUNT_UNKNOWN', 'iap').status, 404);
  assert.equal(googleAnswer('INGRESS_BLOCKED', 'iap').status, 404);
});

test('denials as Google\'s responses, with the code in x-authplane-denial', () => {
  const run401 = denialResponse(deny('TOKEN_EXPIRED', 'run', {}), { path: '/a<b' });
  assert.equal(run401.status, 401);
  assert.equal(run401.headers['x-authplane-denial'], 'TOKEN_EXPIRED');
  assert.match(run401.headers['www-authenticate']!, /error="invalid_token"/);
  assert.match(run401.body, /<title>401 Unauthorized<\/title>/);
  assert.match(run401.body, /<code>\/a&#60;b<\/code>/);
  const iap = denialResponse(deny('EMAIL_CLAIM_MISSING', 'iap', {}));
  assert.equal(iap.headers['x-goog-iap-generated-response'], 'true');
  assert.equal(iap.body, "Invalid IAP credentials: JWT 'email' claim isn't a string");
  const api = denialResponse(deny('ACT_AS_DENIED', 'api', { serviceAccount: 'sa@p.iam.gserviceaccount.com' }));
  const body = JSON.parse(api.body) as { error: { code: number; status: string; message: string } };
  assert.equal(body.error.code, 403);
  assert.equal(body.error.status, 'PERMISSION_DENIED');
  assert.match(body.error.message, /lacks IAM permission "iam.serviceAccounts.actAs" for the resource "sa@p.iam.gserviceaccount.com"/);
  assert.equal(denialResponse(deny('INGRESS_BLOCKED', 'run', {})).status, 404);
});

test('DenialError: an Error with the stable code and the structured fields', () => {
  const e = new DenialError(deny('KEY_UNKNOWN', 'library', { kid: 'k1', keySource: 'the test key set' }));
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'DenialError');
  assert.equal(e.code, 'KEY_UNKNOWN');
  assert.equal(e.status, 401);
  assert.equal(e.evidence['kid'], 'k1');
  assert.match(e.message, /^KEY_UNKNOWN: The token was signed with key k1/);
});
