// The verifier against every bad-token case of the front door's list, each with its refusal code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { encodeSegment } from '../src/lib/jwt.js';
import { Verifier, IAP_ISSUER, type VerifyResult } from '../src/verify/verifier.js';
import type { RefusalCode } from '../src/verify/codes.js';
import { EC_KID, HASH_URL, NOW, NOW_MS, RSA_KID, SA, SERVICE_URL, iapAssertion, idClaims, idToken, keys, rsa, stranger, unsigned } from './verify-fixtures.js';

const verifier = (over: Partial<ConstructorParameters<typeof Verifier>[0]> = {}) => new Verifier({ keys: keys(), clock: () => NOW_MS, ...over });
const call = { audiences: [SERVICE_URL, HASH_URL] };

function refused(r: VerifyResult, code: RefusalCode) {
  assert.equal(r.ok, false, `expected ${code}, got a verified token`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.denial.code, code, `expected ${code}: ${r.denial.explanation}`);
  return r.denial;
}

test('a valid Google ID token verifies; the principal is the email, else sub', () => {
  const r = verifier().verify(idToken(), call);
  assert.ok(r.ok);
  assert.equal(r.principal, SA);
  assert.equal(r.claims.aud, SERVICE_URL);
  assert.equal(r.expiresAt, NOW + 3540);
  const noEmail = verifier().verify(idToken({ email: undefined, email_verified: undefined }), call);
  assert.ok(noEmail.ok);
  assert.equal(noEmail.principal, '104567890123456789012');
  assert.equal(noEmail.email, undefined);
});

test('root URLs tolerate a trailing slash either way; other audiences are exact', () => {
  const v = verifier();
  assert.ok(v.verify(idToken({ aud: `${SERVICE_URL}/` }), call).ok);
  assert.ok(v.verify(idToken({ aud: SERVICE_URL }), { audiences: [`${SERVICE_URL}/`] }).ok);
  assert.ok(v.verify(idToken({ aud: 'my-custom-aud' }), { audiences: [SERVICE_URL, 'my-custom-aud'] }).ok, 'custom audience accepted');
  refused(v.verify(idToken({ aud: 'my-custom-aud/' }), { audiences: ['my-custom-aud'] }), 'AUDIENCE_MISMATCH');
  const fn = 'https://us-central1-demo-project.cloudfunctions.net/update';
  assert.ok(v.verify(idToken({ aud: fn }), { audiences: [SERVICE_URL, fn] }).ok, 'functions URL, path included, is an audience when listed');
});

test('no token: TOKEN_MISSING, 403 on Cloud Run with Google\'s words', () => {
  for (const t of [undefined, null, '']) {
    const d = refused(verifier({ surface: 'run' }).verify(t, call), 'TOKEN_MISSING');
    assert.equal(d.status, 403);
    assert.equal(d.message, 'The request was not authenticated. Either allow public access or set the proper Authorization header');
    assert.match(d.remedy, new RegExp(`--audiences=${SERVICE_URL}`));
  }
});

test('an access token: ACCESS_TOKEN_NOT_ID_TOKEN (401 on Cloud Run, "Unable to parse JWT" on IAP)', () => {
  const at = 'ya29.a0AfB_byC' + 'x'.repeat(200);
  const d = refused(verifier({ surface: 'run' }).verify(at, call), 'ACCESS_TOKEN_NOT_ID_TOKEN');
  assert.equal(d.status, 401);
  assert.equal(d.message, 'The request was not authorized to invoke this service');
  assert.match(d.remedy, /generateIdToken \(not generateAccessToken\)/);
  assert.ok(!JSON.stringify(d).includes('xxxxxxxx'), 'the token is not in the denial');
  const iap = refused(verifier({ surface: 'iap' }).verify(at, { audiences: ['123-abc.apps.googleusercontent.com'] }), 'ACCESS_TOKEN_NOT_ID_TOKEN');
  assert.equal(iap.message, 'Invalid IAP credentials: Unable to parse JWT');
  // Access tokens may have dots (ya29.c.…: three segments, like a JWT).
  refused(verifier().verify('ya29.c.b0AXv0zTP' + 'y'.repeat(100), call), 'ACCESS_TOKEN_NOT_ID_TOKEN');
  // A JWT that is an access token (it carries scope) is named as such too.
  refused(verifier().verify(idToken({ scope: 'https://www.googleapis.com/auth/cloud-platform' }), call), 'ACCESS_TOKEN_NOT_ID_TOKEN');
  refused(verifier().verify(idToken({ iss: SA, sub: SA, aud: 'https://run.googleapis.com/' }), call), 'ACCESS_TOKEN_NOT_ID_TOKEN');
});

test('not a JWT: TOKEN_MALFORMED with the reason; two tokens in one value: MULTIPLE_CREDENTIALS', () => {
  const v = verifier();
  assert.match(refused(v.verify('garbage', call), 'TOKEN_MALFORMED').explanation, /1 dot-separated segments/);
  assert.match(refused(v.verify(`Bearer ${idToken()}`, call), 'TOKEN_MALFORMED').explanation, /starts with "Bearer "/);
  assert.match(refused(v.verify(`"${idToken()}"`, call), 'TOKEN_MALFORMED').explanation, /quotes/);
  refused(v.verify('e30.notjson.sig', call), 'TOKEN_MALFORMED');
  refused(v.verify(`${idToken()} ${idToken({ sub: 'x' })}`, call), 'MULTIPLE_CREDENTIALS');
  refused(v.verify(idToken({ iat: undefined }), call), 'TOKEN_MALFORMED');
  const far = refused(v.verify(idToken({ exp: NOW + 86_400 }), call), 'TOKEN_MALFORMED');
  assert.match(far.explanation, /longest lifetime/);
});

test('a key nobody published: KEY_UNKNOWN; the right kid but another key: SIGNATURE_INVALID', () => {
  const d = refused(verifier().verify(idToken({}, { kid: 'f'.repeat(40) }, stranger.privateKey), call), 'KEY_UNKNOWN');
  assert.equal(d.evidence['kid'], 'f'.repeat(40));
  assert.match(d.explanation, /the test key set does not publish/);
  refused(verifier().verify(idToken({}, {}, stranger.privateKey), call), 'SIGNATURE_INVALID');
  refused(verifier().verify(idToken({}, { kid: undefined }), call), 'KEY_UNKNOWN');
  // An ES256 kid asked for as RS256 is not that key.
  refused(verifier().verify(idToken({}, { kid: EC_KID }), call), 'KEY_UNKNOWN');
});

test('alg none and HS256 keyed with the public key: ALG_NOT_ALLOWED', () => {
  const claims = idClaims();
  const none = unsigned({ alg: 'none', typ: 'JWT' }, claims);
  assert.deepEqual(refused(verifier().verify(none, call), 'ALG_NOT_ALLOWED').evidence['allowedAlgorithms'], ['RS256']);
  // The classic forgery: HMAC with the RSA public key (PEM) as the secret.
  const input = `${encodeSegment({ alg: 'HS256', kid: RSA_KID, typ: 'JWT' })}.${encodeSegment(claims)}`;
  const mac = createHmac('sha256', rsa.publicKey.export({ type: 'spki', format: 'pem' })).update(input).digest('base64url');
  const d = refused(verifier().verify(`${input}.${mac}`, call), 'ALG_NOT_ALLOWED');
  assert.equal(d.evidence['alg'], 'HS256');
  // ES256 (IAP's algorithm) is not accepted where ID tokens are expected.
  refused(verifier().verify(iapAssertion({ aud: SERVICE_URL }), call), 'ALG_NOT_ALLOWED');
});

test('altered claims or a removed signature: SIGNATURE_INVALID, saying which', () => {
  const [h, , s] = idToken().split('.');
  const forged = `${h}.${encodeSegment(idClaims({ email: 'admin@example.com' }))}.${s}`;
  refused(verifier().verify(forged, call), 'SIGNATURE_INVALID');
  const stripped = idToken().replace(/\.[^.]+$/, '.SIGNATURE_REMOVED_BY_GOOGLE');
  assert.match(refused(verifier().verify(stripped, call), 'SIGNATURE_INVALID').explanation, /SIGNATURE_REMOVED_BY_GOOGLE/);
});

test('audience with a path: AUDIENCE_MISMATCH hint path; the remedy names the audience without the path', () => {
  const d = refused(verifier({ surface: 'run' }).verify(idToken({ aud: `${SERVICE_URL}/v1/update` }), call), 'AUDIENCE_MISMATCH');
  assert.equal(d.status, 401);
  assert.equal(d.hint, 'path');
  assert.equal(d.evidence['expectedAudience'], SERVICE_URL);
  assert.equal(d.evidence['audiencePath'], '/v1/update');
  assert.match(d.remedy, new RegExp(`Set the audience to ${SERVICE_URL.replace(/\./g, '\\.')}, without the path /v1/update`));
  // The hash-style URL plus a path points at the hash-style URL.
  assert.equal(refused(verifier().verify(idToken({ aud: `${HASH_URL}/x?y=1` }), call), 'AUDIENCE_MISMATCH').evidence['expectedAudience'], HASH_URL);
  // Opt-in: accepted.
  assert.ok(verifier({ allowAudiencePath: true }).verify(idToken({ aud: `${SERVICE_URL}/v1/update` }), call).ok);
  assert.ok(verifier().verify(idToken({ aud: `${SERVICE_URL}/v1/update` }), { ...call, allowAudiencePath: true }).ok);
});

test('audience without a scheme, or with :443: hint scheme / port', () => {
  const host = SERVICE_URL.slice('https://'.length);
  for (const aud of [host, `${host}:443`]) {
    const d = refused(verifier().verify(idToken({ aud }), call), 'AUDIENCE_MISMATCH');
    assert.equal(d.hint, 'scheme', aud);
    assert.equal(d.evidence['expectedAudience'], SERVICE_URL);
    assert.match(d.remedy, /full https:\/\/ URL/);
  }
  assert.equal(refused(verifier().verify(idToken({ aud: `http://${host}` }), call), 'AUDIENCE_MISMATCH').hint, 'scheme');
  assert.equal(refused(verifier().verify(idToken({ aud: `${SERVICE_URL}:443` }), call), 'AUDIENCE_MISMATCH').hint, 'port');
});

test('another service\'s audience: hint another-service, naming the owner', () => {
  const other = 'https://billing-123456789012.us-central1.run.app';
  const owner = (aud: string) => (aud === other ? 'services/billing' : undefined);
  const d = refused(verifier().verify(idToken({ aud: other }), { ...call, audienceOwner: owner }), 'AUDIENCE_MISMATCH');
  assert.equal(d.hint, 'another-service');
  assert.equal(d.evidence['audienceOwner'], 'services/billing');
  assert.match(d.explanation, /belongs to services\/billing/);
  // Without a lookup it is just another audience.
  assert.equal(refused(verifier().verify(idToken({ aud: other }), call), 'AUDIENCE_MISMATCH').hint, 'other');
});

test('functions URL where the run.app one is expected (and back): hint functions-vs-run', () => {
  const fn = 'https://us-central1-demo-project.cloudfunctions.net/update';
  const d = refused(verifier().verify(idToken({ aud: fn }), call), 'AUDIENCE_MISMATCH');
  assert.equal(d.hint, 'functions-vs-run');
  assert.equal(d.evidence['expectedAudience'], SERVICE_URL);
  assert.equal(refused(verifier().verify(idToken({ aud: SERVICE_URL }), { audiences: [fn] }), 'AUDIENCE_MISMATCH').hint, 'functions-vs-run');
});

test('IAP: a URL where the client ID is expected, and IAP\'s own words', () => {
  const clientId = '123456789012-abcdef.apps.googleusercontent.com';
  const d = refused(verifier({ surface: 'iap' }).verify(idToken({ aud: SERVICE_URL }), { audiences: [clientId], requireEmail: true }), 'AUDIENCE_MISMATCH');
  assert.equal(d.hint, 'iap-client-id-expected');
  assert.equal(d.message, `Invalid IAP credentials: JWT audience doesn't match this application ('aud' claim (${SERVICE_URL}) doesn't match expected value (${clientId}))`);
  const noEmail = refused(verifier({ surface: 'iap' }).verify(idToken({ aud: clientId, email: undefined }), { audiences: [clientId], requireEmail: true }), 'EMAIL_CLAIM_MISSING');
  assert.equal(noEmail.message, "Invalid IAP credentials: JWT 'email' claim isn't a string");
  assert.equal(noEmail.evidence['emailPresent'], false);
  assert.match(noEmail.remedy, /includeEmail: true/);
  // Not required on Cloud Run.
  assert.ok(verifier().verify(idToken({ email: undefined }), call).ok);
  refused(verifier({ requireEmail: true }).verify(idToken({ email: 42 }), call), 'EMAIL_CLAIM_MISSING');
});

test('expired and not yet valid, with 300 s of skew', () => {
  const d = refused(verifier().verify(idToken({ iat: NOW - 4000, exp: NOW - 400 }), call), 'TOKEN_EXPIRED');
  assert.equal(d.evidence['expiredForSec'], 400);
  assert.equal(d.evidence['exp'], NOW - 400);
  assert.equal(d.evidence['now'], NOW);
  assert.ok(verifier().verify(idToken({ iat: NOW - 3800, exp: NOW - 200 }), call).ok, 'within skew');
  const early = refused(verifier().verify(idToken({ iat: NOW + 400, exp: NOW + 4000 }), call), 'TOKEN_NOT_YET_VALID');
  assert.equal(early.evidence['earlyBySec'], 400);
  assert.ok(verifier().verify(idToken({ iat: NOW + 200, exp: NOW + 3800 }), call).ok, 'within skew');
  refused(verifier({ clockSkewSec: 0 }).verify(idToken({ iat: NOW + 10 }), call), 'TOKEN_NOT_YET_VALID');
  refused(verifier().verify(idToken({ nbf: NOW + 1000 }), call), 'TOKEN_NOT_YET_VALID');
});

test('several failures: the worst is the code, the others are listed', () => {
  const d = refused(verifier().verify(idToken({ iat: NOW - 8000, exp: NOW - 4400, aud: 'https://elsewhere.example' }), call), 'TOKEN_EXPIRED');
  assert.deepEqual(d.evidence['alsoFailing'], ['AUDIENCE_MISMATCH']);
});

test('wrong issuer: ISSUER_UNTRUSTED, or SELF_SIGNED_JWT for a service account; the bare legacy issuer is accepted', () => {
  const d = refused(verifier().verify(idToken({ iss: 'https://securetoken.google.com/demo-project' }), call), 'ISSUER_UNTRUSTED');
  assert.deepEqual(d.evidence['issuers'], ['https://accounts.google.com', 'accounts.google.com']);
  assert.ok(verifier().verify(idToken({ iss: 'accounts.google.com' }), call).ok);
  const sa = refused(verifier().verify(idToken({ iss: SA, sub: SA }), call), 'SELF_SIGNED_JWT');
  assert.equal(sa.evidence['signer'], SA);
});

test('evidence carries the claims that mattered, never the signature', () => {
  const token = idToken({ aud: 'https://elsewhere.example' });
  const r = verifier().verify(token, call);
  const d = refused(r, 'AUDIENCE_MISMATCH');
  for (const k of ['aud', 'audiences', 'exp', 'iat', 'now', 'iss', 'kid', 'alg', 'emailPresent']) assert.ok(k in d.evidence, k);
  const sig = token.split('.')[2]!;
  assert.ok(!JSON.stringify(r).includes(sig.slice(0, 20)));
});

test('a character outside ASCII is refused wherever it is, even one Node would decode as the signed byte', () => {
  const v = verifier();
  const token = idToken();
  const [h, c, s] = token.split('.') as [string, string, string];
  // A character 0x100 above an ASCII one has that character's low byte, and Node's base64url decoding reads
  // only the low byte ('Ł' U+0141 reads as 'A'), so each aliased segment decodes to exactly what was signed.
  // The first character is aliased because the signature is random per run: no given letter is sure to be in it.
  const alias = (seg: string) => String.fromCharCode(0x100 + seg.charCodeAt(0)) + seg.slice(1);
  for (const seg of [h, c, s]) assert.deepEqual(Buffer.from(alias(seg), 'base64url'), Buffer.from(seg, 'base64url'), 'the alias decodes as signed');
  for (const bad of [`${alias(h)}.${c}.${s}`, `${h}.${alias(c)}.${s}`, `${h}.${c}.${alias(s)}`, `${h}.${c}.${s.slice(0, -1)}é`]) {
    const d = refused(v.verify(bad, call), 'TOKEN_MALFORMED');
    assert.match(d.evidence['reason'] as string, /a JWT is ASCII/);
  }
  // Every JOSE header starts '{"', so its base64url starts 'e', aliased as 'ť'.
  assert.match(refused(v.verify(`${alias(h)}.${c}.${s}`, call), 'TOKEN_MALFORMED').evidence['reason'] as string, /"ť" \(U\+0165\) at character 1;/);
  assert.match(refused(v.verify(`${h}.${c}.${s.slice(0, -1)}Ł`, call), 'TOKEN_MALFORMED').evidence['reason'] as string, /"Ł" \(U\+0141\)/);
  assert.ok(v.verify(token, call).ok, 'the untouched token still verifies');
});

test('IAP assertions: ES256 from cloud.google.com/iap', () => {
  const v = verifier({ algorithms: ['ES256'], issuers: [IAP_ISSUER] });
  const aud = '/projects/123456789012/locations/us-central1/services/update';
  const r = v.verify(iapAssertion(), { audiences: [aud] });
  assert.ok(r.ok);
  assert.equal(r.principal, 'alice@example.com');
  refused(v.verify(iapAssertion({ aud: '/projects/123456789012/apps/demo-project' }), { audiences: [aud] }), 'AUDIENCE_MISMATCH');
  refused(v.verify(idToken(), call), 'ALG_NOT_ALLOWED');
});

test('the verified-token cache: hits, per-call audience and time, exact token match', () => {
  let now = NOW_MS;
  const v = new Verifier({ keys: keys(), clock: () => now, cacheSize: 100 });
  const token = idToken();
  assert.ok(v.verify(token, call).ok);
  assert.ok(v.verify(token, call).ok);
  assert.equal(v.cacheStats().hits, 1);
  // Same token, another service: still refused.
  refused(v.verify(token, { audiences: ['https://billing-123456789012.us-central1.run.app'] }), 'AUDIENCE_MISMATCH');
  assert.equal(v.cacheStats().hits, 2);
  // Another token with the same signature tail is not the cached token.
  const [h, , s] = token.split('.');
  refused(v.verify(`${h}.${encodeSegment(idClaims({ email: 'admin@example.com' }))}.${s}`, call), 'SIGNATURE_INVALID');
  // Past exp + skew the cache does not answer; the token is refused as expired.
  now = (NOW + 3540 + 301) * 1000;
  refused(v.verify(token, call), 'TOKEN_EXPIRED');
  // (The code is the same either way: it is the hit count that shows the cache stayed out of it.)
  assert.equal(v.cacheStats().hits, 2);
  // Bounded (two generations of 50): after 300 valid tokens (back at NOW, or none would be cached) the
  // newest is still a hit, the oldest was evicted, and the size never passed 100.
  now = NOW_MS;
  const many = Array.from({ length: 300 }, (_, i) => idToken({ sub: String(i) }));
  for (const t of many) {
    assert.ok(v.verify(t, call).ok);
    assert.ok(v.cacheStats().size <= 100, `size ${v.cacheStats().size}`);
  }
  assert.ok(v.cacheStats().size >= 50, `the newest generation is kept: size ${v.cacheStats().size}`);
  const hits = v.cacheStats().hits;
  assert.ok(v.verify(many[299]!, call).ok);
  assert.equal(v.cacheStats().hits, hits + 1, 'the newest token is a hit');
  assert.ok(v.verify(many[0]!, call).ok);
  assert.equal(v.cacheStats().hits, hits + 1, 'the oldest was evicted');
});

test('a cached token is frozen: callers cannot change what the next caller sees', () => {
  const v = verifier();
  const r = v.verify(idToken(), call);
  assert.ok(r.ok);
  assert.throws(() => {
    (r.claims as Record<string, unknown>)['email'] = 'admin@example.com';
  }, TypeError);
});

test('bad options are TypeErrors at construction or call', () => {
  assert.throws(() => new Verifier({ keys: keys(), algorithms: ['HS256' as 'RS256'] }), TypeError);
  assert.throws(() => new Verifier({ keys: keys(), issuers: [] }), TypeError);
  assert.throws(() => new Verifier({ keys: keys(), clockSkewSec: -1 }), TypeError);
  assert.throws(() => verifier().verify(idToken(), { audiences: [] }), TypeError);
});
