// Credentials for a developer's own tools (`authplane gcloud`): what gcloud signs in with against this
// authplane, as the chosen principal.
//
//   POST /admin/v1/developerCredentials  {principal?}
//   → {project, apiUrl, principal, account,
//      refreshToken, clientId, clientSecret      (a user: gcloud's `auth activate-refresh-token` credentials)
//      | keyFile}                                (a service account: a new user-managed key's JSON key file)
//
// A user is the default principal or one of `users`; its refresh token is bound to gcloud's OAuth client and
// honoured by the token endpoint's refresh_token grant (oauth-refresh-grant.ts). Minting credentials for
// someone is a project owner's act here (resourcemanager.projects.setIamPolicy), like the other admin routes.

import { GCLOUD_CLIENT_ID } from '../identity/identity.js';
import { projectResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import { invalidArgument } from './errors.js';
import { keyFile } from './service-account-keys.js';
import type { Router } from './router.js';

/** gcloud's built-in OAuth client secret (googlecloudsdk/core/config.py CLOUDSDK_CLIENT_NOTSOSECRET): public by design. */
export const GCLOUD_CLIENT_SECRET = 'ZmssLNjJy2998hD4CTg2ejr2';

export function developerCredentialRoutes(router: Router, platform: Platform): void {
  const api = router.for('authplane.admin');
  const owner = { permission: 'resourcemanager.projects.setIamPolicy', on: () => projectResource(platform.config.project.id) } as const;

  api.post('/admin/v1/developerCredentials', owner, async (req) => {
    const { config, identity } = platform;
    const body = await req.json<{ principal?: unknown }>();
    if (body.principal !== undefined && body.principal !== null && typeof body.principal !== 'string') throw invalidArgument('principal must be a string: user:EMAIL, serviceAccount:EMAIL, an email or a service account name', 'principal');
    const asked = (body.principal as string | null | undefined) || config.defaultPrincipal;
    if (!asked) throw invalidArgument('principal is required: this authplane has no default principal (defaultPrincipal: none).', 'principal');
    const principal = memberOf(asked, config.project.id);
    const common = { project: config.project, apiUrl: platform.apiUrl, principal };

    if (principal.startsWith('user:')) {
      const email = principal.slice('user:'.length);
      const known = principal === config.defaultPrincipal || config.users.some((u) => u.email === email);
      if (!known) {
        const declared = [...(config.defaultPrincipal?.startsWith('user:') ? [config.defaultPrincipal.slice('user:'.length)] : []), ...config.users.map((u) => u.email)];
        throw invalidArgument(`${email} is not a user of this authplane: it is neither the default principal (${config.defaultPrincipal ?? 'none'}) nor under users.`, 'principal', {
          fix: `Declare it under users: in authplane.yaml ("- { email: ${email} }"), or check the name: ${declared.length ? `the users are ${declared.join(', ')}` : 'no user is declared'}.`,
        });
      }
      const refreshToken = await identity.issueRefreshToken(principal, GCLOUD_CLIENT_ID);
      return { body: { ...common, account: email, refreshToken, clientId: GCLOUD_CLIENT_ID, clientSecret: GCLOUD_CLIENT_SECRET } };
    }

    const sa = await identity.findServiceAccount(principal.slice('serviceAccount:'.length));
    if (!sa) {
      // The project's own accounts (not Google's service agents), by the name --as takes.
      const domain = `@${config.project.id}.iam.gserviceaccount.com`;
      const names = (await identity.listServiceAccounts()).filter((a) => a.email.endsWith(domain)).map((a) => a.email.slice(0, -domain.length));
      throw invalidArgument(`Service account ${principal.slice('serviceAccount:'.length)} does not exist.`, 'principal', {
        fix: `Declare the account under serviceAccounts: in authplane.yaml, or check the name: ${names.length ? `this authplane's service accounts are ${names.join(', ')}` : 'no service account is declared'}.`,
      });
    }
    const file = keyFile(platform, sa, await identity.keys.addUserManagedKey(sa.email));
    return { body: { ...common, principal: `serviceAccount:${sa.email}`, account: sa.email, keyFile: file } };
  });
}

/** user:EMAIL / serviceAccount:EMAIL / an email / a service account's short name → an IAM member. */
function memberOf(value: string, projectId: string): string {
  if (value.startsWith('user:') || value.startsWith('serviceAccount:')) return value;
  if (!value.includes('@')) return `serviceAccount:${value}@${projectId}.iam.gserviceaccount.com`;
  return value.endsWith('.gserviceaccount.com') ? `serviceAccount:${value}` : `user:${value}`;
}
