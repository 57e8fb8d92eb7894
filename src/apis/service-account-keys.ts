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
import { decodeJson, descriptor, type Obj } from './proto.js';
import { queryToJson } from './proto-json.js';
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
    // google.iam.admin.v1.CreateServiceAccountKeyRequest (`body: "*"`), read through its descriptor.
    const type = descriptor('google-iam-admin-v1.json').lookupType('google.iam.admin.v1.CreateServiceAccountKeyRequest');
    const request = decodeJson(type, { ...queryToJson(type, req.query, false), ...(await req.json<Obj>()), name: `projects/${project}/serviceAccounts/${account}` });
    // Unspecified means Google's defaults: a JSON key file, RSA 2048.
    const keyType = (request.privateKeyType as string | undefined) ?? 'TYPE_UNSPECIFIED';
    if (keyType !== 'TYPE_GOOGLE_CREDENTIALS_FILE' && keyType !== 'TYPE_UNSPECIFIED') {
      throw invalidArgument(`privateKeyType ${keyType} is not supported by authplane; use TYPE_GOOGLE_CREDENTIALS_FILE (the JSON key file).`, 'private_key_type');
    }
    const alg = (request.keyAlgorithm as string | undefined) ?? 'KEY_ALG_UNSPECIFIED';
    if (alg !== 'KEY_ALG_RSA_2048' && alg !== 'KEY_ALG_UNSPECIFIED') {
      throw invalidArgument(`keyAlgorithm ${alg} is not supported by authplane; use KEY_ALG_RSA_2048.`, 'key_algorithm');
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
