// The token endpoint's refresh_token grant (RFC 6749 §6), as gcloud's user credentials use it:
//
//   POST /token  grant_type=refresh_token&client_id=32555940559.apps.googleusercontent.com&client_secret=…&refresh_token=1//…
//   → {"access_token","expires_in":3599,"scope","token_type":"Bearer","id_token"}
//
// gcloud sends no `scope` (notes: gcloud-wire.md §2a) and needs `id_token` for print-identity-token; its aud
// is the OAuth client, as Google's is for gcloud (REFERENCE §14). Refresh tokens are the ones authplane issued
// (`authplane gcloud`, POST /admin/v1/developerCredentials), stored hashed; each is bound to its client.

import { deny, DenialError, type Evidence } from '../verify/denial.js';
import type { RefusalCode } from '../verify/codes.js';
import type { Platform } from '../platform.js';
import type { ApiResponse } from './router.js';

export const REFRESH_TOKEN_GRANT = 'refresh_token';

/** Google refreshes to a one-hour token and says 3599 s. */
const EXPIRES_IN_S = 3599;

const refuse = (code: RefusalCode, evidence: Evidence) => new DenialError(deny(code, 'oauth', evidence));

const REISSUE = 'Run `authplane gcloud` again (it issues a new refresh token and signs gcloud in with it); refresh tokens of another authplane data directory, or of Google, are unknown here.';

export async function refreshTokenGrant(platform: Platform, form: URLSearchParams): Promise<ApiResponse> {
  const { identity } = platform;
  const clientId = form.get('client_id');
  const token = form.get('refresh_token');
  // Google's words for a missing client (recorded: "Could not determine client ID from request.").
  if (!clientId) throw refuse('INVALID_ARGUMENT', { message: 'Could not determine client ID from request.', field: 'client_id' });
  if (!token) throw refuse('INVALID_ARGUMENT', { message: 'Missing required parameter: refresh_token', field: 'refresh_token' });
  const record = await identity.resolveRefreshToken(token);
  // Google's words for an unknown or revoked refresh token (gcloud prints them: gcloud-wire.md §2a).
  if (!record) throw refuse('OAUTH_GRANT_INVALID', { message: 'Token has been expired or revoked.', reason: 'no refresh token of this authplane has this value', fix: REISSUE });
  if (record.clientId !== clientId) {
    throw refuse('OAUTH_GRANT_INVALID', { message: 'Unauthorized', reason: `the refresh token was issued to OAuth client ${record.clientId}, and the request names ${clientId}`, fix: `Refresh with client_id ${record.clientId} (gcloud's own client does), or ${REISSUE}` });
  }
  // A narrower scope may be asked for (RFC 6749 §6); never a wider one.
  const asked = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
  const wider = asked.filter((s) => !record.scopes.includes(s));
  if (wider.length > 0) {
    throw refuse('OAUTH_GRANT_INVALID', { message: 'Bad Request', reason: `scope ${wider.join(' ')} was not granted to this refresh token (${record.scopes.join(' ')})`, fix: 'Ask for the scopes granted, or none (the grant then keeps them all).' });
  }
  const scopes = asked.length > 0 ? asked : record.scopes;
  const { token: accessToken } = await identity.mintAccessToken(record.principal, scopes, EXPIRES_IN_S + 1);
  const body: Record<string, unknown> = { access_token: accessToken, expires_in: EXPIRES_IN_S, scope: scopes.join(' '), token_type: 'Bearer' };
  if (scopes.includes('openid') && record.principal.startsWith('user:')) {
    body.id_token = await identity.mintUserIdToken(record.principal.slice('user:'.length), record.clientId, accessToken);
  }
  return { headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' }, body };
}
