// The credentials `authplane gcloud` signs gcloud in with, and what gcloud then sends, checked on the wire
// without gcloud (the gcloud suites drive the same paths with gcloud itself): the refresh_token grant as
// gcloud makes it (no scope; an id_token for users), the JWT-bearer grant with Google's token URL as aud,
// IAM keys list/get/delete, the metadata server's per-email paths, IAM Credentials with gcloud's
// delegates, and what explain says of a developer token.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GCLOUD_CLIENT_ID } from '../src/identity/identity.js';
import { signJwt } from '../src/lib/jwt.js';
import { claimsOf } from './support/gcloud.js';
import { SA, SERVICE_URL, startGcloudProject, type GcloudProject } from './support/gcloud-fixture.js';

// Google JSON as read back: shapes checked field by field below.
type Obj = Record<string, any>;

describe('developer credentials and what gcloud sends with them', () => {
  let project: GcloudProject;
  let api: string;
  const post = (path: string, body: unknown) => fetch(api + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** The token endpoint as gcloud calls it: a form, gcloud's client (notes: gcloud-wire.md §2a). */
  const grant = (params: Record<string, string>) => fetch(`${api}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
  const credentials = async (principal?: string) => {
    const res = await post('/admin/v1/developerCredentials', principal ? { principal } : {});
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Obj;
  };

  before(async () => {
    project = await startGcloudProject();
    api = project.ap.apiUrl;
  });
  after(async () => project?.stop());

  it('the default principal\'s refresh token: access_token as the user, id_token with aud = gcloud\'s client ID and at_hash', async () => {
    const c = await credentials();
    assert.equal(c.account, 'developer@example.com');
    assert.match(c.refreshToken, /^1\/\//);
    const res = await grant({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Obj;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3599);
    assert.equal(body.scope, 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/cloud-platform');
    const claims = claimsOf(body.id_token);
    assert.deepEqual([claims.aud, claims.azp, claims.email, claims.email_verified], [GCLOUD_CLIENT_ID, GCLOUD_CLIENT_ID, 'developer@example.com', true]);
    assert.equal(claims.at_hash, createHash('sha256').update(body.access_token).digest().subarray(0, 16).toString('base64url'));
    const info = (await (await fetch(`${api}/tokeninfo?access_token=${body.access_token}`)).json()) as Obj;
    assert.equal(info.email, 'developer@example.com');
  });

  it('a refresh token for another client, an unknown one, a missing client or a wider scope: Google\'s OAuth errors', async () => {
    const c = await credentials('alice@example.com');
    const error = async (params: Record<string, string>) => {
      const res = await grant({ grant_type: 'refresh_token', ...params });
      return [res.status, res.headers.get('x-authplane-denial'), (await res.json()) as Obj] as const;
    };
    assert.deepEqual(await error({ client_id: 'other.apps.googleusercontent.com', refresh_token: c.refreshToken }), [400, 'OAUTH_GRANT_INVALID', { error: 'invalid_grant', error_description: 'Unauthorized' }]);
    assert.deepEqual(await error({ client_id: GCLOUD_CLIENT_ID, refresh_token: '1//unknown' }), [400, 'OAUTH_GRANT_INVALID', { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }]);
    assert.deepEqual(await error({ refresh_token: c.refreshToken }), [400, 'INVALID_ARGUMENT', { error: 'invalid_request', error_description: 'Could not determine client ID from request.' }]);
    const [status, code] = await error({ client_id: GCLOUD_CLIENT_ID, refresh_token: c.refreshToken, scope: 'https://www.googleapis.com/auth/drive' });
    assert.deepEqual([status, code], [400, 'OAUTH_GRANT_INVALID']);
  });

  it('only the default principal and declared users get refresh tokens; a service account gets a key file instead', async () => {
    const stranger = await post('/admin/v1/developerCredentials', { principal: 'mallory@example.com' });
    assert.equal(stranger.status, 400);
    assert.match(((await stranger.json()) as Obj).error.message, /mallory@example\.com is not a user of this authplane/);
    const sa = await credentials('tasks-invoker');
    assert.equal(sa.account, SA('tasks-invoker'));
    assert.equal(sa.keyFile.token_uri, `${api}/token`);
    assert.equal(sa.refreshToken, undefined);
  });

  it('a key file\'s JWT-bearer grant with aud = Google\'s token URL (what gcloud sends) passes; another aud or a deleted key does not', async () => {
    const { keyFile } = await credentials('caller');
    const assertion = (claims: Obj) => {
      const iat = Math.floor(Date.now() / 1000);
      return signJwt({ alg: 'RS256', kid: keyFile.private_key_id, typ: 'JWT' }, { iss: keyFile.client_email, iat, exp: iat + 3600, ...claims }, createPrivateKey(keyFile.private_key));
    };
    const bearer = (claims: Obj) => grant({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(claims) });
    const ok = await bearer({ aud: 'https://oauth2.googleapis.com/token', target_audience: SERVICE_URL });
    assert.equal(ok.status, 200);
    assert.equal(claimsOf(((await ok.json()) as Obj).id_token).aud, SERVICE_URL);
    const wrong = await bearer({ aud: 'https://example.com/token', scope: 'https://www.googleapis.com/auth/cloud-platform' });
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as Obj).error_description, /^Invalid JWT: Failed audience check\./);

    const del = await fetch(`${api}/v1/projects/-/serviceAccounts/${SA('caller')}/keys/${keyFile.private_key_id}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    const after = await bearer({ aud: 'https://oauth2.googleapis.com/token', target_audience: SERVICE_URL });
    assert.equal(after.status, 400);
    assert.equal(((await after.json()) as Obj).error, 'invalid_grant');
  });

  it('keys.get names a key; a system-managed key cannot be deleted; keyTypes filters the list', async () => {
    const base = `${api}/v1/projects/demo-project/serviceAccounts/${SA('tasks-invoker')}/keys`;
    const all = ((await (await fetch(base)).json()) as Obj).keys as Obj[];
    const system = all.find((k) => k.keyType === 'SYSTEM_MANAGED')!;
    assert.ok(system, 'every account lists a system-managed key');
    const id = system.name.split('/').pop();
    assert.deepEqual(await (await fetch(`${base}/${id}`)).json(), system);
    const refused = await fetch(`${base}/${id}`, { method: 'DELETE' });
    assert.deepEqual([refused.status, refused.headers.get('x-authplane-denial')], [400, 'FAILED_PRECONDITION']);
    const userOnly = (await (await fetch(`${base}?keyTypes=USER_MANAGED`)).json()) as Obj;
    assert.ok((userOnly.keys ?? []).every((k: Obj) => k.keyType === 'USER_MANAGED'));
    // Enum query parameters by number too (proto3 JSON): 2 = SYSTEM_MANAGED; publicKeyType 2 = TYPE_RAW_PUBLIC_KEY.
    assert.deepEqual(((await (await fetch(`${base}?keyTypes=2`)).json()) as Obj).keys, [system]);
    assert.match(Buffer.from(((await (await fetch(`${base}/${id}?publicKeyType=2`)).json()) as Obj).publicKeyData as string, 'base64').toString(), /^-----BEGIN PUBLIC KEY-----/);
    const missing = await fetch(`${base}/${'0'.repeat(40)}`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as Obj).error.message, /^Service account key 0{40} does not exist\.$/);
  });

  it('serviceAccounts.list leaves out service agents', async () => {
    const accounts = ((await (await fetch(`${api}/v1/projects/demo-project/serviceAccounts`)).json()) as Obj).accounts as Obj[];
    const emails = accounts.map((a) => a.email as string);
    assert.ok(emails.includes(SA('tasks-invoker')));
    assert.ok(!emails.includes(project.ap.platform.identity.iapServiceAgent));
  });

  it('the metadata server answers by the account\'s email as by `default` (gcloud asks so), and names its universe', async () => {
    const md = `http://${project.ap.metadataHost('runner')}/computeMetadata/v1`;
    const get = async (path: string) => {
      const res = await fetch(md + path, { headers: { 'metadata-flavor': 'Google' } });
      return [res.status, await res.text()] as const;
    };
    const email = SA('runner');
    assert.deepEqual(JSON.parse((await get(`/instance/service-accounts/${email}/?recursive=true`))[1]), { aliases: ['default'], email, scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    assert.equal(JSON.parse((await get(`/instance/service-accounts/${email}/token`))[1]).token_type, 'Bearer');
    const [status, jwt] = await get(`/instance/service-accounts/${email}/identity?audience=${encodeURIComponent(GCLOUD_CLIENT_ID)}&format=standard&licenses=FALSE`);
    assert.equal(status, 200);
    assert.equal(claimsOf(jwt).aud, GCLOUD_CLIENT_ID);
    assert.deepEqual(await get('/universe/universe-domain'), [200, 'googleapis.com']);
    assert.equal((await get(`/instance/service-accounts/${SA('caller')}/token`))[0], 404, 'another account\'s path');
  });

  it('IAM Credentials takes gcloud\'s requests: "delegates": null, and a chain as bare emails', async () => {
    const imp = (account: string, body: unknown) => post(`/v1/projects/-/serviceAccounts/${account}:generateIdToken`, body);
    assert.equal((await imp(SA('tasks-invoker'), { audience: SERVICE_URL, delegates: null, includeEmail: false })).status, 200);
    const chained = await imp(SA('tasks-invoker'), { audience: SERVICE_URL, delegates: [SA('caller')], includeEmail: true });
    assert.equal(chained.status, 200);
    assert.equal(claimsOf(((await chained.json()) as Obj).token).email, SA('tasks-invoker'));
    const at = await post(`/v1/projects/-/serviceAccounts/${SA('tasks-invoker')}:generateAccessToken`, { delegates: null, scope: ['https://www.googleapis.com/auth/cloud-platform'], lifetime: '3600s' });
    assert.match(((await at.json()) as Obj).expireTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'no fractional seconds: Python google-auth parses %Y-%m-%dT%H:%M:%SZ');
  });

  it('explain: a developer token (aud = gcloud\'s client ID) is admitted for an invoker, with the developer-path note', async () => {
    const token = await project.ap.platform.identity.mintIdToken((await project.ap.platform.identity.findServiceAccount(SA('tasks-invoker')))!, { audience: GCLOUD_CLIENT_ID, includeEmail: true });
    const finding = (await (await post('/admin/v1/admission:explain', { token, url: `${SERVICE_URL}/` })).json()) as Obj;
    assert.equal(finding.accepted, true);
    assert.ok(finding.notes.some((n: string) => /developer-testing path, not for service-to-service/.test(n)), finding.notes.join('\n'));
    const noRole = await project.ap.platform.identity.mintIdToken((await project.ap.platform.identity.findServiceAccount(SA('tasks-no-role')))!, { audience: GCLOUD_CLIENT_ID, includeEmail: true });
    assert.deepEqual(await project.call(noRole), { status: 403, denial: 'PERMISSION_DENIED' });
  });
});
