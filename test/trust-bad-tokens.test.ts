// The bad-token corpus (SCENARIOS row 24 and the trust core's acceptance): forgeries, slips and malformed
// credentials sent to a Cloud Run service, to an IAP-protected service and to authplane/verify. None may
// be accepted, none may produce a 5xx, each carries the code that names its fault; and a valid token from
// every minting path still passes.
//
// The forgeries are the ones Google refuses: a principal that may only signJwt as service account X (or
// holds X's key file) writes a JWT claiming iss accounts.google.com and someone else's email. Claim checks
// (aud as a list, no sub, expired, …) are driven with tokens signed by the platform's own ID-token key, so
// the signature is valid and only the claim is wrong.

import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { encodeSegment, signJwt, type JwtClaims } from '../src/lib/jwt.js';
import { DenialError } from '../src/verify/denial.js';
import { verifyGoogleIdToken, verifyServiceAccountJwt } from '../src/verify/google.js';
import { requestLogFor } from '../src/observe/request-log.js';
import { startTestAuthplane, type TestAuthplane } from './support/authplane.js';
import { startBackend, type Backend } from './support/backend.js';

const PROJECT = 'demo-project';
const NUMBER = '123456789012';
const sa = (name: string) => `${name}@${PROJECT}.iam.gserviceaccount.com`;
const RUN_URL = `https://hello-${NUMBER}.us-central1.run.app`;
const OTHER_URL = `https://other-${NUMBER}.us-central1.run.app`;
const PORTAL_URL = `https://portal-${NUMBER}.us-central1.run.app`;
const CLIENT_ID = `${NUMBER}-portal.apps.googleusercontent.com`;
const IAP_AGENT = `service-${NUMBER}@gcp-sa-iap.iam.gserviceaccount.com`;
const ALICE = 'alice@example.com';

interface Outcome {
  status: number;
  code: string | null;
}

/** One request with headers exactly as given (repeats kept), to a front door. */
function send(base: string, headers: [string, string][], path = '/'): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    // A raw header list gets no Host from Node: send the one a client would.
    const flat = [['Host', u.host], ...headers].flat();
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'GET', headers: flat as unknown as Record<string, string> }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, code: (res.headers['x-authplane-denial'] as string | undefined) ?? null }));
    });
    req.on('error', reject);
    req.end();
  });
}

const now = () => Math.floor(Date.now() / 1000);

/** Every case refused, with no 5xx and with its own code. */
async function expectRefusals(door: string, cases: [string, [string, string][], string][]): Promise<void> {
  const wrong: string[] = [];
  for (const [name, headers, code] of cases) {
    const r = await send(door, headers);
    assert.ok(r.status < 500, `${name}: ${r.status}`);
    if (r.status === 200 || r.code !== code) wrong.push(`${name}: ${r.status} ${r.code}, expected ${code}`);
  }
  assert.deepEqual(wrong, []);
}

describe('bad-token corpus: Cloud Run, IAP and authplane/verify', () => {
  let ap: TestAuthplane;
  let backend: Backend;
  let hello: string;
  let portal: string;
  let platformKey: { kid: string; key: KeyObject; publicPem: string };
  let keyFile: { kid: string; key: KeyObject };
  let otherKeyFile: { kid: string; key: KeyObject };
  const tokens = new Map<string, string>();

  const api = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await ap.api(path, { method: 'POST', body: JSON.stringify(body) });
    const text = await r.text();
    assert.equal(r.status, 200, `${path}: ${text}`);
    return JSON.parse(text) as T;
  };
  const generateIdToken = async (account: string, audience: string, includeEmail = true) =>
    (await api<{ token: string }>(`/v1/projects/-/serviceAccounts/${sa(account)}:generateIdToken`, { audience, includeEmail })).token;
  const signJwtApi = async (account: string, claims: JwtClaims) =>
    (await api<{ signedJwt: string }>(`/v1/projects/-/serviceAccounts/${sa(account)}:signJwt`, { payload: JSON.stringify(claims) })).signedJwt;
  const createKeyFile = async (account: string) => {
    const k = await api<{ privateKeyData: string }>(`/v1/projects/-/serviceAccounts/${sa(account)}/keys`, {});
    const file = JSON.parse(Buffer.from(k.privateKeyData, 'base64').toString('utf8')) as { private_key: string; private_key_id: string };
    return { kid: file.private_key_id, key: createPrivateKey(file.private_key) };
  };

  /** Google-shaped ID-token claims for `aud`, as `account` (email included). */
  const claims = (aud: string | string[], over: JwtClaims = {}): JwtClaims => {
    const t = now();
    return { iss: 'https://accounts.google.com', aud, azp: '111', sub: '111', email: sa('invoker'), email_verified: true, iat: t - 10, exp: t + 3000, ...over };
  };
  /** Signed with the platform's own ID-token key: only the claims are wrong. */
  const platformSigned = (c: JwtClaims, kid = platformKey.kid) => signJwt({ alg: 'RS256', kid, typ: 'JWT' }, c, platformKey.key);
  const keyFileSigned = (c: JwtClaims, k = keyFile) => signJwt({ alg: 'RS256', kid: k.kid, typ: 'JWT' }, c, k.key);
  const hs256WithPublicKey = (c: JwtClaims) => {
    const input = `${encodeSegment({ alg: 'HS256', kid: platformKey.kid, typ: 'JWT' })}.${encodeSegment(c)}`;
    return `${input}.${createHmac('sha256', platformKey.publicPem).update(input).digest('base64url')}`;
  };
  const algNone = (c: JwtClaims) => `${encodeSegment({ alg: 'none', typ: 'JWT' })}.${encodeSegment(c)}.`;

  before(async () => {
    backend = await startBackend();
    const upstream = backend.url;
    ap = await startTestAuthplane({
      defaultPrincipal: 'user:developer@example.com',
      iam: {
        bindings: [
          { resource: `projects/${PROJECT}`, role: 'roles/iam.serviceAccountTokenCreator', members: ['user:developer@example.com'] },
          { resource: 'services/hello', role: 'roles/run.invoker', members: [`serviceAccount:${sa('invoker')}`, `user:${ALICE}`] },
          { resource: 'services/portal', role: 'roles/run.invoker', members: [`serviceAccount:${IAP_AGENT}`] },
          { resource: 'iap/portal', role: 'roles/iap.httpsResourceAccessor', members: [`user:${ALICE}`, `serviceAccount:${sa('caller')}`] },
        ],
      },
      serviceAccounts: [{ name: 'invoker' }, { name: 'forger' }, { name: 'forger-two' }, { name: 'caller' }, { name: 'no-role' }],
      users: [{ email: ALICE }],
      services: [
        { name: 'hello', upstream },
        { name: 'other', upstream },
        { name: 'portal', upstream, iap: { enabled: true, oauthClientId: CLIENT_ID } },
      ],
      workloads: [{ name: 'invoker-workload', serviceAccount: 'invoker' }],
    });
    hello = ap.platform.directory.get('hello')!.urls.local!;
    portal = ap.platform.directory.get('portal')!.urls.local!;
    const k = ap.platform.identity.keys.signingKey('RS256');
    platformKey = { kid: k.record.kid, key: k.privateKey, publicPem: k.record.publicPem };
    keyFile = await createKeyFile('forger');
    otherKeyFile = await createKeyFile('forger-two');

    // Valid tokens from every minting path.
    tokens.set('generateIdToken', await generateIdToken('invoker', RUN_URL));
    tokens.set('generateIdToken without email', await generateIdToken('invoker', RUN_URL, false));
    const md = await fetch(`http://${ap.metadataHost('invoker-workload')}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(RUN_URL)}`, { headers: { 'Metadata-Flavor': 'Google' } });
    tokens.set('metadata server', await md.text());
    const invokerKey = await createKeyFile('invoker');
    const assertion = signJwt({ alg: 'RS256', kid: invokerKey.kid, typ: 'JWT' }, { iss: sa('invoker'), sub: sa('invoker'), aud: `${ap.apiUrl}/token`, target_audience: RUN_URL, iat: now(), exp: now() + 600 }, invokerKey.key);
    const exchanged = await fetch(`${ap.apiUrl}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
    tokens.set('key file + target_audience', ((await exchanged.json()) as { id_token: string }).id_token);
    tokens.set('iap: generateIdToken for the client ID', await generateIdToken('caller', CLIENT_ID));
    tokens.set('iap: the account\'s own JWT (signJwt)', await signJwtApi('caller', { iss: sa('caller'), sub: sa('caller'), aud: PORTAL_URL, iat: now(), exp: now() + 3600 }));
  });

  after(async () => {
    await ap?.stop();
    await backend?.close();
  });

  it('valid tokens from every minting path are accepted', async () => {
    for (const name of ['generateIdToken', 'generateIdToken without email', 'metadata server', 'key file + target_audience']) {
      assert.deepEqual(await send(hello, [['Authorization', `Bearer ${tokens.get(name)}`]]), { status: 200, code: null }, name);
    }
    assert.deepEqual(await send(hello, [['authorization', `bearer ${tokens.get('generateIdToken')}`]]), { status: 200, code: null }, 'the scheme is case-insensitive');
    assert.deepEqual(await send(hello, [['X-Serverless-Authorization', `Bearer ${tokens.get('generateIdToken')}`]]), { status: 200, code: null });
    for (const name of ['iap: generateIdToken for the client ID', 'iap: the account\'s own JWT (signJwt)']) {
      assert.deepEqual(await send(portal, [['Authorization', `Bearer ${tokens.get(name)}`]]), { status: 200, code: null }, name);
    }
    const verified = await verifyGoogleIdToken(tokens.get('generateIdToken')!, { audience: RUN_URL, keysUrl: `${ap.apiUrl}/oauth2/v3/certs` });
    assert.equal(verified.email, sa('invoker'));
  });

  it('Cloud Run refuses every forgery and slip with its code', async () => {
    const good = tokens.get('generateIdToken')!;
    const forgedSignJwt = await signJwtApi('forger', claims(RUN_URL, { email: ALICE, sub: '999' }));
    const cases: [string, [string, string][], string][] = [
      ['signJwt as the forger, claiming accounts.google.com and alice', [['Authorization', `Bearer ${forgedSignJwt}`]], 'SELF_SIGNED_JWT'],
      ['a key file of the forger, claiming accounts.google.com and alice', [['Authorization', `Bearer ${keyFileSigned(claims(RUN_URL, { email: ALICE }))}`]], 'SELF_SIGNED_JWT'],
      ['a key file, claiming the invoker account itself', [['Authorization', `Bearer ${keyFileSigned(claims(RUN_URL))}`]], 'SELF_SIGNED_JWT'],
      ['signJwt in its documented form (iss = sub = the account)', [['Authorization', `Bearer ${await signJwtApi('forger', { iss: sa('forger'), sub: sa('forger'), aud: RUN_URL, iat: now(), exp: now() + 600 })}`]], 'SELF_SIGNED_JWT'],
      ['the forged token in X-Serverless-Authorization beside a valid Authorization', [['Authorization', `Bearer ${good}`], ['X-Serverless-Authorization', `Bearer ${forgedSignJwt}`]], 'SELF_SIGNED_JWT'],
      ['aud as a list', [['Authorization', `Bearer ${platformSigned(claims([RUN_URL]))}`]], 'TOKEN_MALFORMED'],
      ['aud as a list of two', [['Authorization', `Bearer ${platformSigned(claims([RUN_URL, OTHER_URL]))}`]], 'TOKEN_MALFORMED'],
      ['"Bearer Bearer T"', [['Authorization', `Bearer Bearer ${good}`]], 'TOKEN_MALFORMED'],
      ['"Bearer T,"', [['Authorization', `Bearer ${good},`]], 'TOKEN_MALFORMED'],
      ['Basic credentials', [['Authorization', 'Basic Zm9vOmJhcg==']], 'TOKEN_MALFORMED'],
      ['a bare token', [['Authorization', good]], 'TOKEN_MALFORMED'],
      ['"Bearer" and nothing', [['Authorization', 'Bearer']], 'TOKEN_MALFORMED'],
      ['a tab after Bearer', [['Authorization', `Bearer\t${good}`]], 'TOKEN_MALFORMED'],
      ['two Authorization headers', [['Authorization', `Bearer ${good}`], ['Authorization', `Bearer ${good}`]], 'MULTIPLE_CREDENTIALS'],
      ['two tokens joined', [['Authorization', `Bearer ${good}, Bearer ${good}`]], 'MULTIPLE_CREDENTIALS'],
      ['two tokens in one value', [['Authorization', `Bearer ${good} ${good}`]], 'MULTIPLE_CREDENTIALS'],
      ['no credential', [], 'TOKEN_MISSING'],
      ['alg none', [['Authorization', `Bearer ${algNone(claims(RUN_URL))}`]], 'ALG_NOT_ALLOWED'],
      ['HS256 keyed with the public key', [['Authorization', `Bearer ${hs256WithPublicKey(claims(RUN_URL))}`]], 'ALG_NOT_ALLOWED'],
      ['an unknown kid', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL), 'f'.repeat(40))}`]], 'KEY_UNKNOWN'],
      ['expired', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { iat: now() - 7200, exp: now() - 3600 }))}`]], 'TOKEN_EXPIRED'],
      ['nbf in the future', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { nbf: now() + 3000 }))}`]], 'TOKEN_NOT_YET_VALID'],
      ['iat in the future', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { iat: now() + 3000, exp: now() + 6000 }))}`]], 'TOKEN_NOT_YET_VALID'],
      ['a Firebase issuer', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { iss: `https://securetoken.google.com/${PROJECT}` }))}`]], 'ISSUER_UNTRUSTED'],
      ['another OIDC issuer', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { iss: 'https://evil.example' }))}`]], 'ISSUER_UNTRUSTED'],
      ['the signature cut short', [['Authorization', `Bearer ${good.slice(0, -4)}`]], 'SIGNATURE_INVALID'],
      ['no signature', [['Authorization', `Bearer ${good.slice(0, good.lastIndexOf('.') + 1)}`]], 'SIGNATURE_INVALID'],
      ['the signature removed by Google', [['Authorization', `Bearer ${good.slice(0, good.lastIndexOf('.') + 1)}SIGNATURE_REMOVED_BY_GOOGLE`]], 'SIGNATURE_INVALID'],
      ['two segments', [['Authorization', `Bearer ${good.slice(0, good.lastIndexOf('.'))}`]], 'TOKEN_MALFORMED'],
      ['four segments', [['Authorization', `Bearer ${good}.x`]], 'TOKEN_MALFORMED'],
      ['oversize garbage', [['Authorization', `Bearer ${'A'.repeat(15_000)}`]], 'TOKEN_MALFORMED'],
      ['non-base64 in the claims', [['Authorization', `Bearer ${good.replace('.', '.!!')}`]], 'TOKEN_MALFORMED'],
      ['non-base64 in the signature', [['Authorization', `Bearer ${good}!`]], 'TOKEN_MALFORMED'],
      ['an access token', [['Authorization', `Bearer ${(await api<{ accessToken: string }>(`/v1/projects/-/serviceAccounts/${sa('invoker')}:generateAccessToken`, { scope: ['https://www.googleapis.com/auth/cloud-platform'] })).accessToken}`]], 'ACCESS_TOKEN_NOT_ID_TOKEN'],
      ['a JWT access token (scope)', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { scope: 'https://www.googleapis.com/auth/cloud-platform' }))}`]], 'ACCESS_TOKEN_NOT_ID_TOKEN'],
      ['a self-signed JWT for a Google API', [['Authorization', `Bearer ${keyFileSigned({ iss: sa('forger'), sub: sa('forger'), aud: 'https://pubsub.googleapis.com/', iat: now(), exp: now() + 600 })}`]], 'ACCESS_TOKEN_NOT_ID_TOKEN'],
      ['no sub', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { sub: undefined }))}`]], 'TOKEN_MALFORMED'],
      ['no exp', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { exp: undefined }))}`]], 'TOKEN_MALFORMED'],
      ['exp a week ahead', [['Authorization', `Bearer ${platformSigned(claims(RUN_URL, { exp: now() + 7 * 86_400 }))}`]], 'TOKEN_MALFORMED'],
      ['aud with a path', [['Authorization', `Bearer ${await generateIdToken('invoker', `${RUN_URL}/v1/update`)}`]], 'AUDIENCE_MISMATCH'],
      ['aud of another service', [['Authorization', `Bearer ${await generateIdToken('invoker', OTHER_URL)}`]], 'AUDIENCE_MISMATCH'],
      ['aud the IAP client ID', [['Authorization', `Bearer ${await generateIdToken('invoker', CLIENT_ID)}`]], 'AUDIENCE_MISMATCH'],
      ['a valid token of an account without roles/run.invoker', [['Authorization', `Bearer ${await generateIdToken('no-role', RUN_URL)}`]], 'PERMISSION_DENIED'],
    ];
    assert.ok(cases.length >= 40);
    await expectRefusals(hello, cases);
  });

  it('IAP refuses every forgery and slip with its code, and never admits one as someone else', async () => {
    const t = now();
    const good = tokens.get('iap: generateIdToken for the client ID')!;
    const cases: [string, [string, string][], string][] = [
      ['signJwt as the forger, claiming accounts.google.com and alice', [['Authorization', `Bearer ${await signJwtApi('forger', claims(CLIENT_ID, { email: ALICE, sub: '999' }))}`]], 'SELF_SIGNED_JWT'],
      ['a key file of the forger, claiming accounts.google.com and alice', [['Authorization', `Bearer ${keyFileSigned(claims(CLIENT_ID, { email: ALICE }))}`]], 'SELF_SIGNED_JWT'],
      ['the forger\'s own JWT carrying alice\'s email: it is the forger, who may not access', [['Authorization', `Bearer ${await signJwtApi('forger', { iss: sa('forger'), sub: sa('forger'), email: ALICE, aud: PORTAL_URL, iat: t, exp: t + 600 })}`]], 'PERMISSION_DENIED'],
      ['a service-account JWT whose sub is alice', [['Authorization', `Bearer ${await signJwtApi('forger', { iss: sa('forger'), sub: ALICE, aud: PORTAL_URL, iat: t, exp: t + 600 })}`]], 'TOKEN_MALFORMED'],
      ['a JWT claiming iss = caller, signed with another account\'s key file', [['Authorization', `Bearer ${keyFileSigned({ iss: sa('caller'), sub: sa('caller'), aud: PORTAL_URL, iat: t, exp: t + 600 }, otherKeyFile)}`]], 'SELF_SIGNED_JWT'],
      ['a service-account JWT living two hours', [['Authorization', `Bearer ${await signJwtApi('caller', { iss: sa('caller'), sub: sa('caller'), aud: PORTAL_URL, iat: t, exp: t + 7200 })}`]], 'TOKEN_MALFORMED'],
      ['a service-account JWT for the client ID instead of the URL', [['Authorization', `Bearer ${await signJwtApi('caller', { iss: sa('caller'), sub: sa('caller'), aud: CLIENT_ID, iat: t, exp: t + 600 })}`]], 'AUDIENCE_MISMATCH'],
      ['an ID token without email', [['Authorization', `Bearer ${await generateIdToken('caller', CLIENT_ID, false)}`]], 'EMAIL_CLAIM_MISSING'],
      ['an ID token for the run.app URL', [['Authorization', `Bearer ${await generateIdToken('caller', PORTAL_URL)}`]], 'AUDIENCE_MISMATCH'],
      ['an access token', [['Proxy-Authorization', `Bearer ${(await api<{ accessToken: string }>(`/v1/projects/-/serviceAccounts/${sa('caller')}:generateAccessToken`, { scope: ['https://www.googleapis.com/auth/cloud-platform'] })).accessToken}`]], 'ACCESS_TOKEN_NOT_ID_TOKEN'],
      ['aud as a list', [['Authorization', `Bearer ${platformSigned(claims([CLIENT_ID], { email: sa('caller') }))}`]], 'TOKEN_MALFORMED'],
      ['"Bearer Bearer T" in Proxy-Authorization', [['Proxy-Authorization', `Bearer Bearer ${good}`]], 'TOKEN_MALFORMED'],
      ['"Bearer T," in Authorization', [['Authorization', `Bearer ${good},`]], 'TOKEN_MALFORMED'],
      ['two Proxy-Authorization headers', [['Proxy-Authorization', `Bearer ${good}`], ['Proxy-Authorization', `Bearer ${good}`]], 'MULTIPLE_CREDENTIALS'],
      ['Basic in Proxy-Authorization', [['Proxy-Authorization', 'Basic Zm9vOmJhcg==']], 'TOKEN_MALFORMED'],
      ['alg none', [['Authorization', `Bearer ${algNone(claims(CLIENT_ID, { email: ALICE }))}`]], 'ALG_NOT_ALLOWED'],
      ['HS256 keyed with the public key', [['Authorization', `Bearer ${hs256WithPublicKey(claims(CLIENT_ID, { email: ALICE }))}`]], 'ALG_NOT_ALLOWED'],
      ['expired', [['Authorization', `Bearer ${platformSigned(claims(CLIENT_ID, { email: ALICE, iat: t - 7200, exp: t - 3600 }))}`]], 'TOKEN_EXPIRED'],
      ['another issuer', [['Authorization', `Bearer ${platformSigned(claims(CLIENT_ID, { email: ALICE, iss: 'https://evil.example' }))}`]], 'ISSUER_UNTRUSTED'],
      ['an unknown kid', [['Authorization', `Bearer ${platformSigned(claims(CLIENT_ID, { email: ALICE }), 'f'.repeat(40))}`]], 'KEY_UNKNOWN'],
      ['the signature cut short', [['Authorization', `Bearer ${good.slice(0, -4)}`]], 'SIGNATURE_INVALID'],
      ['no credential, from a script', [['X-Requested-With', 'XMLHttpRequest']], 'TOKEN_MISSING'],
    ];
    await expectRefusals(portal, cases);
    // The forger's own JWT with alice's email was judged as the forger, never as alice.
    const denied = requestLogFor(ap.platform).recent({ service: 'portal', code: 'PERMISSION_DENIED' });
    assert.ok(denied.length > 0);
    for (const e of denied) assert.equal(e.evidence?.['member'], `serviceAccount:${sa('forger')}`);
  });

  it('authplane/verify refuses the same, with its code', async () => {
    const t = now();
    const good = tokens.get('generateIdToken')!;
    const options = { audience: RUN_URL, keysUrl: `${ap.apiUrl}/oauth2/v3/certs` };
    const cases: [string, string, string][] = [
      // The library sees only Google's published keys: a service account's key is simply not among them.
      ['signJwt as the forger, claiming accounts.google.com', await signJwtApi('forger', claims(RUN_URL, { email: ALICE })), 'KEY_UNKNOWN'],
      ['a service account as issuer', await signJwtApi('forger', { iss: sa('forger'), sub: sa('forger'), aud: RUN_URL, iat: t, exp: t + 600 }), 'SELF_SIGNED_JWT'],
      ['aud as a list', platformSigned(claims([RUN_URL])), 'TOKEN_MALFORMED'],
      ['a trailing newline', `${good}\n`, 'TOKEN_MALFORMED'],
      ['a trailing comma', `${good},`, 'TOKEN_MALFORMED'],
      ['"Bearer " left in', `Bearer ${good}`, 'TOKEN_MALFORMED'],
      ['alg none', algNone(claims(RUN_URL)), 'ALG_NOT_ALLOWED'],
      ['HS256 keyed with the public key', hs256WithPublicKey(claims(RUN_URL)), 'ALG_NOT_ALLOWED'],
      ['expired', platformSigned(claims(RUN_URL, { iat: t - 7200, exp: t - 3600 })), 'TOKEN_EXPIRED'],
      ['nbf in the future', platformSigned(claims(RUN_URL, { nbf: t + 3000 })), 'TOKEN_NOT_YET_VALID'],
      ['another issuer', platformSigned(claims(RUN_URL, { iss: 'https://evil.example' })), 'ISSUER_UNTRUSTED'],
      ['the signature cut short', good.slice(0, -4), 'SIGNATURE_INVALID'],
      ['oversize', `${good}${'A'.repeat(20_000)}`, 'TOKEN_MALFORMED'],
      ['non-ASCII in the signature', `${good.slice(0, -1)}Ł`, 'TOKEN_MALFORMED'],
      ['no sub', platformSigned(claims(RUN_URL, { sub: undefined })), 'TOKEN_MALFORMED'],
      ['an empty string', '', 'TOKEN_MISSING'],
    ];
    const wrong: string[] = [];
    for (const [name, token, code] of cases) {
      try {
        await verifyGoogleIdToken(token, options);
        wrong.push(`${name}: accepted`);
      } catch (e) {
        if (!(e instanceof DenialError)) wrong.push(`${name}: ${String(e)}`);
        else if (e.code !== code) wrong.push(`${name}: ${e.code}, expected ${code}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('authplane/verify trusts one service account\'s own JWTs only when asked to, in the documented form', async () => {
    const t = now();
    const own = await signJwtApi('caller', { iss: sa('caller'), sub: sa('caller'), aud: PORTAL_URL, iat: t, exp: t + 3600 });
    const options = { serviceAccount: sa('caller'), audience: PORTAL_URL, keysUrl: `${ap.apiUrl}/service_accounts/v1/jwk/${sa('caller')}` };
    const ok = await verifyServiceAccountJwt(own, options);
    assert.equal(ok.claims.sub, sa('caller'));
    await assert.rejects(verifyGoogleIdToken(own, { audience: PORTAL_URL, keysUrl: `${ap.apiUrl}/oauth2/v3/certs` }), (e: DenialError) => e.code === 'SELF_SIGNED_JWT');
    const refusedWith = async (token: string, code: string, over: Partial<typeof options> = {}) =>
      assert.rejects(verifyServiceAccountJwt(token, { ...options, ...over }), (e: unknown) => e instanceof DenialError && e.code === code);
    await refusedWith(await signJwtApi('forger', { iss: sa('caller'), sub: sa('caller'), aud: PORTAL_URL, iat: t, exp: t + 600 }), 'KEY_UNKNOWN');
    await refusedWith(await signJwtApi('caller', { iss: sa('caller'), sub: ALICE, aud: PORTAL_URL, iat: t, exp: t + 600 }), 'TOKEN_MALFORMED');
    await refusedWith(await signJwtApi('caller', { iss: sa('caller'), sub: sa('caller'), aud: PORTAL_URL, iat: t, exp: t + 7200 }), 'TOKEN_MALFORMED');
    await refusedWith(own, 'AUDIENCE_MISMATCH', { audience: RUN_URL });
    await refusedWith(own, 'SELF_SIGNED_JWT', { serviceAccount: sa('forger'), keysUrl: `${ap.apiUrl}/service_accounts/v1/jwk/${sa('forger')}` });
  });
});
