// IAM API: service-account keys (projects.serviceAccounts.keys), so that code using a JSON key file
// (GOOGLE_APPLICATION_CREDENTIALS, authplane/client's keyFileSource, google-auth-library's JWT client,
// `gcloud auth activate-service-account`) works against authplane, and `gcloud iam service-accounts keys
// list|delete` show and remove them:
//
//   POST   /v1/projects/{project}/serviceAccounts/{account}/keys          {privateKeyType?, keyAlgorithm?}
//          → ServiceAccountKey { name, privateKeyType, privateKeyData (base64 of Google's JSON key file), … }
//   GET    /v1/projects/{project}/serviceAccounts/{account}/keys[?keyTypes=USER_MANAGED|SYSTEM_MANAGED]
//   GET    /v1/projects/{project}/serviceAccounts/{account}/keys/{key}
//   DELETE /v1/projects/{project}/serviceAccounts/{account}/keys/{key}
//
// A key file's key is USER_MANAGED: published and honoured by the token endpoint (POST /token,
// src/apis/oauth.ts) until deleted. The account's own signJwt/signBlob key is SYSTEM_MANAGED, as on Google
// ("Google-managed keys … used by Google to sign"; https://cloud.google.com/iam/docs/service-account-creds),
// and cannot be deleted. Shapes: google/iam/admin/v1/iam.proto ServiceAccountKey.

import type protobuf from 'protobufjs';
import type { LoadedKey } from '../identity/keys.js';
import { serviceAccountResource } from '../iam/resources.js';
import { rfc3339Seconds } from '../lib/time.js';
import type { Platform } from '../platform.js';
import type { ServiceAccountRecord } from '../store/store.js';
import { failedPrecondition, invalidArgument, notFound, notSupported } from './errors.js';
import { decodeJson, descriptor, type Obj } from './proto.js';
import { queryToJson } from './proto-json.js';
import { protobufjs } from './protobufjs.js';
import type { ApiRequest, Router } from './router.js';

const KEY_TYPES = ['USER_MANAGED', 'SYSTEM_MANAGED'] as const;
/** Google's "no expiry" for user-managed keys (recorded in keys.create answers). */
const NEVER = '9999-12-31T23:59:59Z';

export function serviceAccountKeyRoutes(router: Router, platform: Platform): void {
  const iam = router.for('iam.googleapis.com');
  const { project: configured } = platform.config;
  const missing = (project: string, account: string) => notFound(`Service account projects/${project}/serviceAccounts/${account} does not exist.`, `projects/${project}/serviceAccounts/${account}`);
  // Google checks the permission on the account as named, so a missing account is a 403 to those who may not know.
  const onAccount = async (req: ApiRequest) => {
    const sa = await platform.identity.findServiceAccount(req.params.account!);
    return serviceAccountResource(sa?.email ?? req.params.account!);
  };
  /** The account the path names, in this project (P may be '-', the project ID or its number). */
  const account = async (req: ApiRequest): Promise<ServiceAccountRecord> => {
    const { project, account: name } = req.params as { project: string; account: string };
    const sa = await platform.identity.findServiceAccount(name);
    if ((project !== '-' && project !== configured.id && project !== configured.number) || !sa) throw missing(project, name);
    return sa;
  };
  /** The account's key the path names; deleted and expired keys are gone, as on Google. */
  const key = async (req: ApiRequest, sa: ServiceAccountRecord): Promise<LoadedKey> => {
    const keys = platform.identity.keys;
    await keys.refresh(0);
    const k = keys.byId(req.params.key!);
    if (!k || k.record.owner !== sa.email || !keys.isPublished(k)) {
      // Google's words (recorded: "Service account key 3c82…6e2a does not exist.", NOT_FOUND).
      throw notFound(`Service account key ${req.params.key} does not exist.`, `projects/${sa.projectId}/serviceAccounts/${sa.email}/keys/${req.params.key}`);
    }
    return k;
  };
  const base = '/v1/projects/{project}/serviceAccounts/{account}/keys';

  iam.post(base, { permission: 'iam.serviceAccountKeys.create', on: onAccount }, async (req) => {
    const { project, account: name } = req.params as { project: string; account: string };
    // google.iam.admin.v1.CreateServiceAccountKeyRequest (`body: "*"`), read through its descriptor.
    const type = descriptor('google-iam-admin-v1.json').lookupType('google.iam.admin.v1.CreateServiceAccountKeyRequest');
    const request = decodeJson(type, { ...queryToJson(type, req.query, false), ...(await req.json<Obj>()), name: `projects/${project}/serviceAccounts/${name}` });
    // Unspecified means Google's defaults: a JSON key file, RSA 2048.
    const keyType = (request.privateKeyType as string | undefined) ?? 'TYPE_UNSPECIFIED';
    if (keyType !== 'TYPE_GOOGLE_CREDENTIALS_FILE' && keyType !== 'TYPE_UNSPECIFIED') {
      throw invalidArgument(`privateKeyType ${keyType} is not supported by authplane; use TYPE_GOOGLE_CREDENTIALS_FILE (the JSON key file).`, 'private_key_type');
    }
    const alg = (request.keyAlgorithm as string | undefined) ?? 'KEY_ALG_UNSPECIFIED';
    if (alg !== 'KEY_ALG_RSA_2048' && alg !== 'KEY_ALG_UNSPECIFIED') {
      throw invalidArgument(`keyAlgorithm ${alg} is not supported by authplane; use KEY_ALG_RSA_2048.`, 'key_algorithm');
    }
    const sa = await account(req);
    const created = await platform.identity.keys.addUserManagedKey(sa.email);
    return { body: { ...keyJson(sa, created), privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE', privateKeyData: Buffer.from(JSON.stringify(keyFile(platform, sa, created), null, 2)).toString('base64') } };
  });

  iam.get(base, { permission: 'iam.serviceAccountKeys.list', on: onAccount }, async (req) => {
    // An enum query parameter may be its number as well as its name (proto3 JSON; Google's clients send numbers
    // with `$alt=json;enum-encoding=int`).
    const wanted = req.query.getAll('keyTypes').map((t) => enumParamName(admin('ListServiceAccountKeysRequest'), 'keyTypes', t));
    for (const t of wanted) {
      if (!(KEY_TYPES as readonly string[]).includes(t)) throw invalidArgument(`Invalid value at 'key_types' (type.googleapis.com/google.iam.admin.v1.ListServiceAccountKeysRequest.KeyType), "${t}"`, 'keyTypes');
    }
    const sa = await account(req);
    // Every account has a system-managed key on Google: authplane creates its one on first use.
    await platform.identity.keys.serviceAccountKey(sa.email);
    await platform.identity.keys.refresh(0);
    const keys = platform.identity.keys
      .publishedFor(sa.email)
      .filter((k) => wanted.length === 0 || wanted.includes(keyType(k)))
      .sort((a, b) => a.record.createdAt - b.record.createdAt);
    return { body: keys.length ? { keys: keys.map((k) => keyJson(sa, k)) } : {} };
  });

  iam.get(`${base}/{key}`, { permission: 'iam.serviceAccountKeys.get', on: onAccount }, async (req) => {
    const publicKeyType = enumParamName(admin('GetServiceAccountKeyRequest'), 'publicKeyType', req.query.get('publicKeyType') ?? 'TYPE_NONE');
    const sa = await account(req);
    const k = await key(req, sa);
    if (publicKeyType === 'TYPE_NONE') return { body: keyJson(sa, k) };
    if (publicKeyType === 'TYPE_RAW_PUBLIC_KEY') return { body: { ...keyJson(sa, k), publicKeyData: Buffer.from(k.record.publicPem).toString('base64') } };
    if (publicKeyType === 'TYPE_X509_PEM_FILE') {
      throw notSupported('authplane keeps public keys, not X.509 certificates: publicKeyType TYPE_X509_PEM_FILE is not served.', 'Ask for publicKeyType=TYPE_RAW_PUBLIC_KEY (the public key in PEM), or read GET /service_accounts/v1/jwk/EMAIL.');
    }
    throw invalidArgument(`Invalid value at 'public_key_type' (type.googleapis.com/google.iam.admin.v1.ServiceAccountPublicKeyType), "${publicKeyType}"`, 'publicKeyType');
  });

  iam.delete(`${base}/{key}`, { permission: 'iam.serviceAccountKeys.delete', on: onAccount }, async (req) => {
    const sa = await account(req);
    const k = await key(req, sa);
    if (!k.record.userManaged) {
      // authplane wording: Google rotates its own keys and offers no way to delete them.
      throw failedPrecondition(`Key ${k.record.kid} is a system-managed key of ${sa.email}; only user-managed keys can be deleted.`, 'Delete the keys listed with keyType USER_MANAGED (gcloud iam service-accounts keys list --managed-by=user); Google manages and rotates the system-managed ones.');
    }
    await platform.identity.keys.deleteKey(k.record.kid);
    return { body: {} };
  });
}

const admin = (name: string): protobuf.Type => descriptor('google-iam-admin-v1.json').lookupType(`google.iam.admin.v1.${name}`);

/** An enum query parameter's value as the enum's name when it is one of the enum's numbers; otherwise as given (checked by the caller). */
function enumParamName(type: protobuf.Type, field: string, value: string): string {
  const f = type.fields[field]!;
  f.resolve();
  const e = f.resolvedType;
  return e instanceof protobufjs().Enum && /^\d+$/.test(value) ? (e.valuesById[Number(value)] ?? value) : value;
}

function keyType(k: LoadedKey): (typeof KEY_TYPES)[number] {
  return k.record.userManaged ? 'USER_MANAGED' : 'SYSTEM_MANAGED';
}

/** Google's ServiceAccountKey without its private or public parts. */
function keyJson(sa: ServiceAccountRecord, k: LoadedKey): Record<string, unknown> {
  const until = k.record.publishedUntil;
  return {
    name: `projects/${sa.projectId}/serviceAccounts/${sa.email}/keys/${k.record.kid}`,
    validAfterTime: rfc3339Seconds(k.record.createdAt),
    validBeforeTime: until === null ? NEVER : rfc3339Seconds(until),
    keyAlgorithm: 'KEY_ALG_RSA_2048',
    keyOrigin: 'GOOGLE_PROVIDED',
    keyType: keyType(k),
  };
}

/** Google's JSON key file, pointing at this authplane's token endpoint and certificate URLs. */
export function keyFile(platform: Platform, sa: ServiceAccountRecord, k: LoadedKey): Record<string, string> {
  const api = platform.apiUrl;
  return {
    type: 'service_account',
    project_id: sa.projectId,
    private_key_id: k.record.kid,
    private_key: k.record.privatePem,
    client_email: sa.email,
    client_id: sa.uniqueId,
    auth_uri: `${api}/o/oauth2/auth`,
    token_uri: `${api}/token`,
    auth_provider_x509_cert_url: `${api}/oauth2/v1/certs`,
    client_x509_cert_url: `${api}/service_accounts/v1/metadata/x509/${encodeURIComponent(sa.email)}`,
    universe_domain: 'googleapis.com',
  };
}
