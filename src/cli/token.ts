import { GCLOUD_CLIENT_ID } from '../identity/identity.js';
import { callApi } from './api-client.js';
import { parseVerb, refuseTogether, refuseWithout, usageError } from './usage.js';

const HELP = `usage: authplane token --impersonate SA [--audience URL] [--include-email] [--access-token [--scopes S,…]]

Prints an ID token (default) or access token for a service account, minted through the
IAM Credentials API as gcloud --impersonate-service-account does. The caller (you) needs
roles/iam.serviceAccountTokenCreator on the account.

  --impersonate SA   NAME or NAME@PROJECT.iam.gserviceaccount.com
  --audience URL     the ID token's aud (default: the gcloud client id, as print-identity-token does)
  --include-email    add the email claim (IAP needs it)
  --access-token     print an access token instead (Cloud Run and IAP refuse these)
  --scopes S,…       the access token's scopes (default cloud-platform)
  --json             print {token, type, serviceAccount, audience|scopes} as JSON

example:
  authplane token --impersonate tasks-invoker --audience https://update-123456789012.us-central1.run.app`;

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb(
    'token',
    args,
    { impersonate: { type: 'string' }, audience: { type: 'string' }, 'include-email': { type: 'boolean' }, 'access-token': { type: 'boolean' }, scopes: { type: 'string' }, json: { type: 'boolean' } },
    HELP,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length) return usageError('token', `unexpected argument ${positionals[0]}`);
  if (!values.impersonate) return usageError('token', '--impersonate SA is required (the account whose token is printed)');
  const mixed =
    refuseTogether('token', values, 'access-token', ['audience', 'include-email'], 'an access token has neither an audience nor an email claim (leave out --access-token for an ID token)') ??
    refuseWithout('token', values, 'scopes', 'access-token', 'an ID token has no scopes, only an audience (--audience)');
  if (mixed !== undefined) return mixed;
  const sa = await resolveAccount(values.impersonate);
  const base = `/v1/projects/-/serviceAccounts/${encodeURIComponent(sa)}`;
  if (values['access-token']) {
    const scope = (values.scopes ?? 'https://www.googleapis.com/auth/cloud-platform').split(',');
    const r = await callApi<{ accessToken: string }>('POST', `${base}:generateAccessToken`, { scope }, { scope: `--scopes ${values.scopes ?? ''}` });
    console.log(values.json ? JSON.stringify({ token: r.accessToken, type: 'access', serviceAccount: sa, scopes: scope }, null, 2) : r.accessToken);
  } else {
    const audience = values.audience ?? GCLOUD_CLIENT_ID;
    const r = await callApi<{ token: string }>('POST', `${base}:generateIdToken`, { audience, includeEmail: values['include-email'] ?? false }, { audience: `--audience ${audience}` });
    console.log(values.json ? JSON.stringify({ token: r.token, type: 'id', serviceAccount: sa, audience }, null, 2) : r.token);
  }
  return 0;
}

/** NAME → NAME@PROJECT.iam.gserviceaccount.com, asking the running authplane for its project. */
export async function resolveAccount(nameOrEmail: string): Promise<string> {
  if (nameOrEmail.includes('@')) return nameOrEmail;
  const state = await callApi<{ project: { id: string } }>('GET', '/admin/v1/state');
  return `${nameOrEmail}@${state.project.id}.iam.gserviceaccount.com`;
}
