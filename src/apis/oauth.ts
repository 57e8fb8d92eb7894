// Google's OAuth2 / OIDC endpoints as served by authplane: discovery, JWKS, PEM certs, IAP keys,
// per-service-account keys, the token endpoint (JWT-bearer grant; refresh_token grant in
// oauth-refresh-grant.ts) and tokeninfo.

import { verify } from 'node:crypto';
import { decodeJwt } from '../lib/jwt.js';
import type { LoadedKey } from '../identity/keys.js';
import { GOOGLE_ISSUER } from '../identity/identity.js';
import type { Platform } from '../platform.js';
import { deny, DenialError, type Evidence } from '../verify/denial.js';
import type { RefusalCode } from '../verify/codes.js';
import { notFound } from './errors.js';
import { isOAuthScope } from '../identity/scopes.js';
import { REFRESH_TOKEN_GRANT, refreshTokenGrant } from './oauth-refresh-grant.js';
import type { ApiRequest, Router } from './router.js';

/** How long clients may cache key sets (Google sends several hours; we keep it short so rotations show). */
const KEYS_MAX_AGE_S = 300;

const cacheHeaders = { 'cache-control': `public, max-age=${KEYS_MAX_AGE_S}, must-revalidate, no-transform` };

const jwks = (keys: LoadedKey[]) => ({ keys: keys.map((k) => k.jwk) });
const pemMap = (keys: LoadedKey[]) => Object.fromEntries(keys.map((k) => [k.record.kid, k.record.publicPem]));

/** A refusal of the token or tokeninfo endpoint, in OAuth's shape ({"error","error_description"}). */
const oauthRefusal = (code: RefusalCode, evidence: Evidence) => new DenialError(deny(code, 'oauth', evidence));

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const BAD_LIFETIME =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';
const grantInvalid = (message: string, reason: string, fix: string) => oauthRefusal('OAUTH_GRANT_INVALID', { message, reason, fix });

/**
 * The parameters each grant takes. Google's token endpoint refuses the rest ("Parameter not allowed for
 * this message type: X", recorded for a refresh-token request carrying access_type) and a missing one
 * ("Missing required parameter: X").
 */
const GRANT_PARAMETERS: Record<string, { required: string[]; optional: string[] }> = {
  // RFC 7523 §2.1, as google-auth-library, Python google-auth and Go's oauth2/jwt send it.
  [JWT_BEARER]: { required: ['assertion'], optional: [] },
  // RFC 6749 §6, as gcloud refreshes its user credentials under `authplane gcloud`.
  // Without client_id Google answers "Could not determine client ID from request." (oauth-refresh-grant.ts).
  [REFRESH_TOKEN_GRANT]: { required: ['refresh_token'], optional: ['client_id', 'client_secret', 'scope'] },
};

/** The token request's parameters (form-encoded, or a JSON object of strings), checked against its grant type. */
async function tokenRequest(r: ApiRequest): Promise<Record<string, string>> {
  const invalid = (message: string, field: string) => oauthRefusal('INVALID_ARGUMENT', { message, field });
  const params: Record<string, string> = {};
  if ((r.headers['content-type'] ?? '').includes('json')) {
    // The router's JSON reading, refused in OAuth's shape: this endpoint speaks RFC 6749, not google.rpc.
    const json = await r.json<Record<string, unknown>>().catch((e: unknown) => {
      throw e instanceof DenialError ? invalid(e.denial.message, 'request body') : e;
    });
    for (const [k, v] of Object.entries(json)) {
      if (typeof v !== 'string') throw invalid(`Invalid value for parameter ${k}: parameters are strings.`, k);
      params[k] = v;
    }
  } else {
    for (const [k, v] of await r.form()) {
      if (k in params) throw invalid(`Parameter specified more than once: ${k}`, k);
      params[k] = v;
    }
  }
  const grant = params.grant_type ?? '';
  const spec = GRANT_PARAMETERS[grant];
  if (!spec) throw oauthRefusal('OAUTH_GRANT_TYPE_UNSUPPORTED', { grantType: grant, supported: Object.keys(GRANT_PARAMETERS) });
  for (const k of spec.required) if (!params[k]) throw invalid(`Missing required parameter: ${k}`, k);
  for (const k of Object.keys(params)) {
    if (k !== 'grant_type' && !spec.required.includes(k) && !spec.optional.includes(k)) throw invalid(`Parameter not allowed for this message type: ${k}`, k);
  }
  return params;
}

/**
 * The `aud` Google's token endpoint accepts in a JWT-bearer assertion: its own URLs, whatever token_uri the
 * key file names (Python google-auth and gtoken always send https://oauth2.googleapis.com/token,
 * google/oauth2/service_account.py:86; older clients the legacy URLs). At authplane, also its own token URL.
 */
const GOOGLE_TOKEN_AUDIENCES = ['https://oauth2.googleapis.com/token', 'https://accounts.google.com/o/oauth2/token', 'https://www.googleapis.com/oauth2/v4/token'];

export function oauthRoutes(router: Router, platform: Platform): void {
  const { identity } = platform;
  const keys = identity.keys;
  const oauth = router.for('oauth2.googleapis.com');
  const keySet = { public: 'public keys: anyone verifies tokens with them', quiet: true } as const;

  oauth.get('/.well-known/openid-configuration', { public: 'OIDC discovery document', quiet: true }, () => ({
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
  oauth.get('/oauth2/v3/certs', keySet, certsV3);
  oauth.get('/oauth2/v1/certs', keySet, certsV1);

  // IAP's assertion keys, at gstatic's paths.
  oauth.get('/iap/verify/public_key-jwk', keySet, async () => ({ headers: cacheHeaders, body: jwks(await published('ES256')) }));
  oauth.get('/iap/verify/public_key', keySet, async () => ({ headers: cacheHeaders, body: pemMap(await published('ES256')) }));

  // A service account's own keys (what signJwt, signBlob and key files sign with), at googleapis.com's paths.
  const saKeys = async (email: string) => {
    const sa = await identity.findServiceAccount(email);
    if (!sa) throw notFound(`Service account ${email} does not exist.`, `serviceAccounts/${email}`);
    await keys.refresh(0);
    return keys.publishedFor(sa.email);
  };
  oauth.get('/service_accounts/v1/jwk/{email}', keySet, async (r) => ({ headers: cacheHeaders, body: jwks(await saKeys(r.params.email!)) }));
  oauth.get('/service_accounts/v1/metadata/x509/{email}', keySet, async (r) => ({ headers: cacheHeaders, body: pemMap(await saKeys(r.params.email!)) }));

  // OAuth token endpoint: the JWT-bearer grant google-auth-library's JWT client uses with a key file.
  // The assertion must be signed by one of the service account's own keys.
  // A refresh token (gcloud's user credentials under `authplane gcloud`) is the other way in.
  oauth.post('/token', { public: 'the OAuth token endpoint authenticates the client by its signed assertion or refresh token' }, async (r) => {
    const form = await tokenRequest(r);
    if (form.grant_type === REFRESH_TOKEN_GRANT) return refreshTokenGrant(platform, new URLSearchParams(form));
    const jwt = decodeJwt(form.assertion!);
    const keyFileFix = 'Sign the assertion with the key file\'s private key, iss = the client_email, iat = now and exp ≤ iat + 3600 (google-auth-library\'s JWT client does this).';
    if (!jwt) throw grantInvalid(BAD_LIFETIME, 'the assertion is not a JWT', keyFileFix);
    const iss = typeof jwt.claims.iss === 'string' ? jwt.claims.iss : '';
    const sa = await identity.findServiceAccount(iss);
    if (!sa) throw grantInvalid('Invalid grant: account not found', `no service account ${iss || '(no iss)'} exists`, 'Use a key file of a service account that exists here (authplane creates key files with POST …/serviceAccounts/EMAIL/keys).');
    await keys.refresh(0);
    const key = jwt.header.kid ? keys.byId(jwt.header.kid) : undefined;
    const ok = key && key.record.owner === sa.email && verify('sha256', Buffer.from(jwt.signingInput), key.publicKey, jwt.signature);
    if (!ok) throw grantInvalid('Invalid JWT Signature.', `the assertion is not signed by a key of ${sa.email} (kid ${jwt.header.kid ?? '(none)'})`, keyFileFix);
    // A deleted key (IAM keys.delete) signs nothing any more; Google answers as for an unknown key.
    if (!keys.isPublished(key)) throw grantInvalid('Invalid JWT Signature.', `key ${key.record.kid} of ${sa.email} was deleted`, 'Create a new key (gcloud iam service-accounts keys create) and use its key file.');
    const audiences = [...GOOGLE_TOKEN_AUDIENCES, `${platform.apiUrl}/token`, ...(r.headers.host ? [`http://${r.headers.host}/token`] : [])];
    if (!audiences.includes(String(jwt.claims.aud))) {
      // Google's words (recorded: "Invalid JWT: Failed audience check. The right audience is …").
      throw grantInvalid(`Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_AUDIENCES[0]}`, `the assertion's aud is ${JSON.stringify(jwt.claims.aud ?? null)}, not one of ${audiences.join(', ')}`, `Set aud to ${GOOGLE_TOKEN_AUDIENCES[0]} (what Google's libraries send whatever the token_uri) or to this token endpoint's URL.`);
    }
    const now = Math.floor(platform.clock() / 1000);
    const { exp, iat } = jwt.claims;
    if (typeof exp !== 'number' || typeof iat !== 'number' || !(exp > now - 300) || !(iat < now + 300) || exp - iat > 3600) {
      throw grantInvalid(BAD_LIFETIME, `iat ${JSON.stringify(iat)} and exp ${JSON.stringify(exp)} are not a window of at most an hour around now (${now})`, keyFileFix);
    }
    const { target_audience: audience, scope } = jwt.claims;
    // Google's answer to a scope it does not know, or an ID-token audience that is no string.
    const badScope = (value: unknown) => oauthRefusal('SCOPE_INVALID', { message: 'Invalid OAuth scope or ID token audience provided.', field: 'assertion', scope: value });
    if (audience !== undefined) {
      if (typeof audience !== 'string' || audience === '') throw badScope(audience);
      return { body: { id_token: await identity.mintIdToken(sa, { audience, includeEmail: true }) } };
    }
    if (scope !== undefined && typeof scope !== 'string') throw badScope(scope);
    const scopes = (scope ?? '').split(/\s+/).filter(Boolean);
    const unknown = scopes.find((s) => !isOAuthScope(s));
    if (unknown !== undefined) throw badScope(unknown);
    const { token } = await identity.mintAccessToken(`serviceAccount:${sa.email}`, scopes.length ? scopes : undefined);
    return { body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  });

  // tokeninfo: Google answers with claims as strings, and 400 invalid_token for anything it cannot verify.
  const tokeninfo = async (r: ApiRequest) => {
    const params = r.method === 'POST' ? await r.form() : r.query;
    const idToken = params.get('id_token');
    const accessToken = params.get('access_token');
    if (accessToken) {
      const rec = await identity.resolveAccessToken(accessToken);
      if (!rec) throw oauthRefusal('ACCESS_TOKEN_INVALID', { reason: 'no unexpired access token of this authplane has this value' });
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
      if (!jwt) throw oauthRefusal('TOKEN_MALFORMED', { reason: 'it is not a JWT' });
      // A kid another process on the same database created since our last reload: re-read (≤ 1/s).
      if (jwt.header.kid && !keys.byId(jwt.header.kid)) await keys.refresh(1_000);
      const key = jwt.header.kid ? keys.byId(jwt.header.kid) : undefined;
      const now = Math.floor(platform.clock() / 1000);
      const evidence = { kid: jwt.header.kid ?? null, alg: jwt.header.alg, iss: jwt.claims.iss ?? null, email: jwt.claims.email ?? null };
      if (!key) throw oauthRefusal('KEY_UNKNOWN', { ...evidence, keySource: "Google's ID-token keys" });
      // Only Google's own ID-token keys make a Google ID token; a service account's key makes a self-signed JWT.
      if (key.record.owner !== '') throw oauthRefusal('SELF_SIGNED_JWT', { ...evidence, signer: key.record.owner });
      if (jwt.header.alg !== 'RS256' || !verify('sha256', Buffer.from(jwt.signingInput), key.publicKey, jwt.signature)) {
        throw oauthRefusal('SIGNATURE_INVALID', { ...evidence, reason: 'the signature does not verify' });
      }
      if (!(Number(jwt.claims.exp) > now)) throw oauthRefusal('TOKEN_EXPIRED', { ...evidence, expIso: new Date(Number(jwt.claims.exp) * 1000).toISOString(), expiredForSec: now - Number(jwt.claims.exp), clockSkewSec: 0 });
      const claims = Object.fromEntries(Object.entries(jwt.claims).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      return { body: { ...claims, alg: jwt.header.alg, kid: jwt.header.kid, typ: jwt.header.typ ?? 'JWT' } };
    }
    throw oauthRefusal('INVALID_ARGUMENT', { message: 'Either access_token, id_token, or token_handle required', field: 'access_token' });
  };
  const checksItself = { public: 'tokeninfo checks the token it is given; the token is the credential' } as const;
  oauth.get('/tokeninfo', checksItself, tokeninfo);
  oauth.post('/tokeninfo', checksItself, tokeninfo);
  oauth.get('/oauth2/v3/tokeninfo', checksItself, tokeninfo);
  oauth.get('/oauth2/v1/tokeninfo', checksItself, tokeninfo);
}
