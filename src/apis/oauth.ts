// Google's OAuth2 / OIDC endpoints as served by authplane: discovery, JWKS, PEM certs, IAP keys,
// per-service-account keys, the token endpoint (JWT bearer grant) and tokeninfo.

import { verify } from 'node:crypto';
import { decodeJwt } from '../lib/jwt.js';
import type { LoadedKey } from '../identity/keys.js';
import { GOOGLE_ISSUER } from '../identity/identity.js';
import type { Platform } from '../platform.js';
import { ApiError } from './errors.js';
import type { Router } from './router.js';

/** How long clients may cache key sets (Google sends several hours; we keep it short so rotations show). */
const KEYS_MAX_AGE_S = 300;

const cacheHeaders = { 'cache-control': `public, max-age=${KEYS_MAX_AGE_S}, must-revalidate, no-transform` };

const jwks = (keys: LoadedKey[]) => ({ keys: keys.map((k) => k.jwk) });
const pemMap = (keys: LoadedKey[]) => Object.fromEntries(keys.map((k) => [k.record.kid, k.record.publicPem]));

/** OAuth's error shape for the token and tokeninfo endpoints: {"error":"invalid_grant","error_description":"…"}. */
function oauthError(status: number, error: string, description: string) {
  return { status, body: { error, error_description: description } };
}

export function oauthRoutes(router: Router, platform: Platform): void {
  const { identity } = platform;
  const keys = identity.keys;

  router.get('/.well-known/openid-configuration', () => ({
    headers: cacheHeaders,
    body: {
      issuer: GOOGLE_ISSUER,
      authorization_endpoint: `${platform.apiUrl}/o/oauth2/v2/auth`,
      token_endpoint: `${platform.apiUrl}/token`,
      userinfo_endpoint: `${platform.apiUrl}/v1/userinfo`,
      revocation_endpoint: `${platform.apiUrl}/revoke`,
      jwks_uri: `${platform.apiUrl}/oauth2/v3/certs`,
      response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
      code_challenge_methods_supported: ['plain', 'S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    },
  }));

  // Published keys are re-read from the store (at most every 5 s) so a rotation made by another
  // process on the same database shows here too, not only once this process signs something.
  const published = async (alg: 'RS256' | 'ES256') => {
    await keys.refresh();
    return keys.published(alg);
  };
  const certsV3 = async () => ({ headers: cacheHeaders, body: jwks(await published('RS256')) });
  const certsV1 = async () => ({ headers: cacheHeaders, body: pemMap(await published('RS256')) });
  router.get('/oauth2/v3/certs', certsV3);
  router.get('/oauth2/v1/certs', certsV1);

  // IAP's assertion keys, at gstatic's paths.
  router.get('/iap/verify/public_key-jwk', async () => ({ headers: cacheHeaders, body: jwks(await published('ES256')) }));
  router.get('/iap/verify/public_key', async () => ({ headers: cacheHeaders, body: pemMap(await published('ES256')) }));

  // A service account's own keys (what signJwt and signBlob sign with), at googleapis.com's paths.
  const saKeys = async (email: string) => {
    const sa = await identity.findServiceAccount(email);
    if (!sa) throw new ApiError('NOT_FOUND', `Service account ${email} does not exist.`);
    await keys.refresh(0);
    return keys.publishedFor(sa.email);
  };
  router.get('/service_accounts/v1/jwk/{email}', async (r) => ({ headers: cacheHeaders, body: jwks(await saKeys(r.params.email!)) }));
  router.get('/service_accounts/v1/metadata/x509/{email}', async (r) => ({ headers: cacheHeaders, body: pemMap(await saKeys(r.params.email!)) }));

  // OAuth token endpoint: the JWT-bearer grant google-auth-library's JWT client uses with a key file.
  // The assertion must be signed by one of the service account's own keys.
  router.post('/token', async (r) => {
    const form = (r.headers['content-type'] ?? '').includes('json') ? new URLSearchParams(await r.json<Record<string, string>>()) : await r.form();
    const grant = form.get('grant_type');
    if (grant !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grant ?? ''}`);
    }
    const assertion = form.get('assertion') ?? '';
    const jwt = decodeJwt(assertion);
    if (!jwt) return oauthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    const iss = String(jwt.claims.iss ?? '');
    const sa = await identity.findServiceAccount(iss);
    if (!sa) return oauthError(400, 'invalid_grant', 'Invalid grant: account not found');
    await keys.refresh(0);
    const key = jwt.header.kid ? keys.byId(jwt.header.kid) : undefined;
    const ok = key && key.record.owner === sa.email && verify('sha256', Buffer.from(jwt.signingInput), key.publicKey, jwt.signature);
    if (!ok) return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    const now = Math.floor(platform.clock() / 1000);
    const exp = Number(jwt.claims.exp);
    const iat = Number(jwt.claims.iat);
    if (!(exp > now - 300) || !(iat < now + 300) || exp - iat > 3600) {
      return oauthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    if (typeof jwt.claims.target_audience === 'string') {
      return { body: { id_token: await identity.mintIdToken(sa, { audience: jwt.claims.target_audience, includeEmail: true }) } };
    }
    const scopes = String(jwt.claims.scope ?? '').split(/\s+/).filter(Boolean);
    const { token } = await identity.mintAccessToken(`serviceAccount:${sa.email}`, scopes.length ? scopes : undefined);
    return { body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  });

  // tokeninfo: Google answers with claims as strings, and 400 invalid_token for anything it cannot verify.
  const tokeninfo = async (r: Parameters<Parameters<Router['get']>[1]>[0]) => {
    const params = r.method === 'POST' ? await r.form() : r.query;
    const idToken = params.get('id_token');
    const accessToken = params.get('access_token');
    if (accessToken) {
      const rec = await identity.resolveAccessToken(accessToken);
      if (!rec) return oauthError(400, 'invalid_token', 'Invalid Value');
      const email = rec.principal.replace(/^(user|serviceAccount):/, '');
      const sa = rec.principal.startsWith('serviceAccount:') ? await identity.findServiceAccount(email) : null;
      const sub = sa ? sa.uniqueId : identity.userId(email);
      const expiresIn = Math.max(0, Math.floor((rec.expiresAt - platform.clock()) / 1000));
      return {
        body: {
          azp: sub,
          aud: sub,
          sub,
          scope: rec.scopes.join(' '),
          exp: String(Math.floor(rec.expiresAt / 1000)),
          expires_in: String(expiresIn),
          email,
          email_verified: 'true',
          access_type: 'online',
        },
      };
    }
    if (idToken) {
      const jwt = decodeJwt(idToken);
      // A kid another process on the same database created since our last reload: re-read (≤ 1/s).
      if (jwt?.header.kid && !keys.byId(jwt.header.kid)) await keys.refresh(1_000);
      const key = jwt?.header.kid ? keys.byId(jwt.header.kid) : undefined;
        const now = Math.floor(platform.clock() / 1000);
      const valid =
        jwt &&
        key &&
        key.record.owner === '' &&
        jwt.header.alg === 'RS256' &&
        verify('sha256', Buffer.from(jwt.signingInput), key.publicKey, jwt.signature) &&
        Number(jwt.claims.exp) > now;
      if (!valid || !jwt) return oauthError(400, 'invalid_token', 'Invalid Value');
      const claims = Object.fromEntries(Object.entries(jwt.claims).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      return { body: { ...claims, alg: jwt.header.alg, kid: jwt.header.kid, typ: jwt.header.typ ?? 'JWT' } };
    }
    return oauthError(400, 'invalid_request', 'Either access_token, id_token, or token_handle required');
  };
  router.get('/tokeninfo', tokeninfo);
  router.post('/tokeninfo', tokeninfo);
  router.get('/oauth2/v3/tokeninfo', tokeninfo);
  router.get('/oauth2/v1/tokeninfo', tokeninfo);
}
