// IAM API: service-account keys, so that code using a JSON key file (GOOGLE_APPLICATION_CREDENTIALS,
// authplane/client's keyFileSource, google-auth-library's JWT client) works against authplane.
//
//   POST /v1/projects/{project}/serviceAccounts/{account}/keys   {privateKeyType?, keyAlgorithm?}
//   → ServiceAccountKey { name, privateKeyType, privateKeyData (base64 of Google's JSON key file), … }
//
// The key file's token_uri points at authplane's token endpoint, which accepts JWTs signed with any key of
// the account (POST /token, src/apis/oauth.ts). A new key becomes the account's own signing key (the one
// signJwt/signBlob use); earlier keys keep working at the token endpoint, as user-managed keys do until deleted.

import { serviceAccountResource } from '../iam/resources.js';
import { rfc3339Seconds } from '../lib/time.js';
import type { Platform } from '../platform.js';
import { invalidArgument, notFound } from './errors.js';
import type { Router } from './router.js';

export function serviceAccountKeyRoutes(router: Router, platform: Platform): void {
  const iam = router.for('iam.googleapis.com');
  const missing = (project: string, account: string) => notFound(`Service account projects/${project}/serviceAccounts/${account} does not exist.`, `projects/${project}/serviceAccounts/${account}`);
  // Google checks the permission on the account as named, so a missing account is a 403 to those who may not know.
  const onAccount = async (req: { params: Record<string, string> }) => {
    const sa = await platform.identity.findServiceAccount(req.params.account!);
    return serviceAccountResource(sa?.email ?? req.params.account!);
  };
  iam.post('/v1/projects/{project}/serviceAccounts/{account}/keys', { permission: 'iam.serviceAccountKeys.create', on: onAccount }, async (req) => {
    const { project, account } = req.params as { project: string; account: string };
    const projectId = platform.config.project.id;
    if (project !== '-' && project !== projectId) throw missing(project, account);
    const body = await req.json<{ privateKeyType?: unknown; keyAlgorithm?: unknown }>();
    const type = body.privateKeyType ?? 'TYPE_GOOGLE_CREDENTIALS_FILE';
    if (type !== 'TYPE_GOOGLE_CREDENTIALS_FILE') {
      throw invalidArgument(`privateKeyType ${String(type)} is not supported by authplane; use TYPE_GOOGLE_CREDENTIALS_FILE (the JSON key file).`, 'privateKeyType');
    }
    const alg = body.keyAlgorithm ?? 'KEY_ALG_RSA_2048';
    if (alg !== 'KEY_ALG_RSA_2048' && alg !== 'KEY_ALG_UNSPECIFIED') {
      throw invalidArgument(`keyAlgorithm ${String(alg)} is not supported by authplane; use KEY_ALG_RSA_2048.`, 'keyAlgorithm');
    }
    const sa = await platform.identity.findServiceAccount(account);
    if (!sa) throw missing(project, account);

    const now = platform.clock();
    // The new key becomes the account's own signing key (generated off the main thread).
    const { record } = await platform.identity.keys.rotate('RS256', sa.email);
    const privatePem = record.privatePem;

    const api = platform.apiUrl;
    const keyFile = {
      type: 'service_account',
      project_id: sa.projectId,
      private_key_id: record.kid,
      private_key: privatePem,
      client_email: sa.email,
      client_id: sa.uniqueId,
      auth_uri: `${api}/o/oauth2/auth`,
      token_uri: `${api}/token`,
      auth_provider_x509_cert_url: `${api}/oauth2/v1/certs`,
      client_x509_cert_url: `${api}/service_accounts/v1/metadata/x509/${encodeURIComponent(sa.email)}`,
      universe_domain: 'googleapis.com',
    };
    return {
      body: {
        name: `projects/${sa.projectId}/serviceAccounts/${sa.email}/keys/${record.kid}`,
        privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
        privateKeyData: Buffer.from(JSON.stringify(keyFile, null, 2)).toString('base64'),
        validAfterTime: rfc3339Seconds(now),
        validBeforeTime: '9999-12-31T23:59:59Z',
        keyAlgorithm: 'KEY_ALG_RSA_2048',
        keyOrigin: 'GOOGLE_PROVIDED',
        keyType: 'USER_MANAGED',
      },
    };
  });
}
