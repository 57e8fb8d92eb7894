// Tokens of a service account from its JSON key file: a JWT signed with the key is exchanged at the key
// file's token_uri (JWT-bearer grant). With `target_audience` the answer is an ID token; with `scope`, an
// access token. Key files authplane creates point token_uri at authplane, so they work unchanged.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signJwt } from '../lib/jwt.js';
import { CLOUD_PLATFORM_SCOPE, GOOGLE_TOKEN_URL } from './endpoints.js';
import { TokenFetchError } from './errors.js';
import { call, failure, jwtExpiry, requestTimeoutMs } from './lib/http.js';
import type { AccessTokenRequest, IdTokenRequest, Token, TokenSource } from './source.js';

/** The fields of Google's service-account key file that matter here. */
export interface ServiceAccountKeyFile {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
  project_id?: string;
}

export interface KeyFileSourceOptions {
  /** A path to the JSON key file, or its parsed content. */
  keyFile: string | ServiceAccountKeyFile;
  /** Overrides the key file's token_uri. */
  tokenUrl?: string;
  fetch?: typeof fetch;
  /** Each call's limit, milliseconds; 0 = none. Default 120,000 (Python google-auth's requests transport: Node's sets none). */
  timeoutMs?: number;
  /** Epoch milliseconds. Default Date.now. */
  clock?: () => number;
}

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export function readKeyFile(keyFile: string | ServiceAccountKeyFile): ServiceAccountKeyFile {
  let parsed: unknown = keyFile;
  if (typeof keyFile === 'string') {
    try {
      parsed = JSON.parse(readFileSync(keyFile, 'utf8'));
    } catch (e) {
      throw new TokenFetchError('KEY_FILE_INVALID', `cannot read the key file ${keyFile}: ${(e as Error).message}`, { cause: e });
    }
  }
  const k = parsed as Partial<ServiceAccountKeyFile> | null;
  const where = typeof keyFile === 'string' ? keyFile : 'the key file';
  if (!k || typeof k !== 'object') throw new TokenFetchError('KEY_FILE_INVALID', `${where} is not a JSON object`);
  if (k.type !== 'service_account') {
    throw new TokenFetchError('KEY_FILE_INVALID', `${where} has type ${String(k.type)}, not service_account: only service-account key files can mint ID tokens (user credentials cannot)`);
  }
  if (typeof k.client_email !== 'string' || typeof k.private_key !== 'string') {
    throw new TokenFetchError('KEY_FILE_INVALID', `${where} lacks client_email or private_key`);
  }
  return k as ServiceAccountKeyFile;
}

export function keyFileSource(options: KeyFileSourceOptions): TokenSource {
  const key = readKeyFile(options.keyFile);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.private_key);
  } catch (e) {
    throw new TokenFetchError('KEY_FILE_INVALID', `the key file of ${key.client_email} holds an unreadable private_key: ${(e as Error).message}`, { cause: e });
  }
  const tokenUrl = options.tokenUrl || key.token_uri || GOOGLE_TOKEN_URL;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = requestTimeoutMs('keyFileSource', options.timeoutMs);
  const clock = options.clock ?? Date.now;

  const exchange = async (extra: Record<string, unknown>, signal: AbortSignal | undefined, what: string) => {
    const iat = Math.floor(clock() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
    const assertion = signJwt(header, { iss: key.client_email, sub: key.client_email, aud: tokenUrl, iat, exp: iat + 3600, ...extra }, privateKey);
    const r = await call(
      fetchImpl,
      tokenUrl,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: GRANT, assertion }).toString() },
      { unreachable: 'TOKEN_ENDPOINT_FAILED', what, timeoutMs, signal },
    );
    if (r.status !== 200) throw failure('TOKEN_ENDPOINT_FAILED', what, tokenUrl, r);
    try {
      return JSON.parse(r.text) as { id_token?: unknown; access_token?: unknown; expires_in?: unknown };
    } catch {
      throw new TokenFetchError('INVALID_RESPONSE', `${what}: ${tokenUrl} did not answer with JSON`, { endpoint: tokenUrl });
    }
  };

  return {
    description: `key file of ${key.client_email} (token endpoint ${tokenUrl})`,
    async idToken(audience: string, request: IdTokenRequest = {}): Promise<Token> {
      if (!audience) throw new TypeError('keyFileSource: an audience is required');
      const body = await exchange({ target_audience: audience }, request.signal, `ID token for ${key.client_email}`);
      if (typeof body.id_token !== 'string') throw new TokenFetchError('INVALID_RESPONSE', `${tokenUrl} answered without id_token`, { endpoint: tokenUrl });
      return { token: body.id_token, expiresAt: jwtExpiry(body.id_token, clock() + 3600_000) };
    },
    async accessToken(scopes: readonly string[], request: AccessTokenRequest = {}): Promise<Token> {
      const scope = (scopes.length ? scopes : [CLOUD_PLATFORM_SCOPE]).join(' ');
      const body = await exchange({ scope }, request.signal, `access token for ${key.client_email}`);
      if (typeof body.access_token !== 'string') throw new TokenFetchError('INVALID_RESPONSE', `${tokenUrl} answered without access_token`, { endpoint: tokenUrl });
      return { token: body.access_token, expiresAt: clock() + (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000 };
    },
  };
}
