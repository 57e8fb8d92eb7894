// The one storage interface. Shaped by what authplane does (keys, accounts, tokens, policies, queues),
// not by what a driver does; SQLite and PostgreSQL implement it and run one conformance suite
// (test/store-conformance.ts). All times are epoch milliseconds.

import type { Ingress } from '../config/types.js';
import type { IamPolicy } from '../iam/policy.js';
import type { PubsubStore } from './pubsub-store.js';
import type { TaskStore } from './task-store.js';
import type { SchedulerStore } from './scheduler-store.js';

export type SigningAlg = 'RS256' | 'ES256';

export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlg;
  /** '' = the platform's key (ID tokens, IAP); a service account email = that account's own key (signJwt, signBlob). */
  owner: string;
  /** PKCS#8 PEM. */
  privatePem: string;
  /** SPKI PEM. */
  publicPem: string;
  createdAt: number;
  /** null while this is the key that signs; set when rotated out. */
  retiredAt: number | null;
  /** The key stays in JWKS until every token it signed has expired. null = while active. */
  publishedUntil: number | null;
  /**
   * A key file's key (IAM keys.create, Google's USER_MANAGED): published until deleted, never the account's
   * active signing key. Absent for SYSTEM_MANAGED keys (the platform's, and an account's signJwt/signBlob key).
   */
  userManaged?: true;
}

export interface ServiceAccountRecord {
  email: string;
  /** Google's 21-digit numeric unique id, used as `sub` and accepted in place of the email. */
  uniqueId: string;
  projectId: string;
  displayName: string;
  /** ServiceAccount.description, when one was given (projects.serviceAccounts.create). */
  description?: string;
  disabled: boolean;
  createdAt: number;
}

export interface AccessTokenRecord {
  /** sha256 of the token, hex. The token itself is never stored. */
  tokenHash: string;
  /** IAM member string: `serviceAccount:EMAIL` or `user:EMAIL`. */
  principal: string;
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
}

export interface PolicyVersionRecord {
  /** Store-wide increasing sequence; also the version's identity for propagation. */
  seq: number;
  resource: string;
  policy: IamPolicy;
  createdAt: number;
}

/** A refresh token authplane issued (`authplane gcloud`), honoured by the token endpoint's refresh_token grant. */
export interface RefreshTokenRecord {
  /** sha256 of the token, hex. The token itself is never stored. */
  tokenHash: string;
  /** IAM member: `user:EMAIL`. */
  principal: string;
  /** The OAuth client it was issued to (gcloud's own by default): the grant must name the same. */
  clientId: string;
  scopes: string[];
  createdAt: number;
}

/** The settings of a Cloud Run service the Admin API may change. */
export interface ServiceSettings {
  ingress: Ingress;
  invokerIamCheck: boolean;
  customAudiences: string[];
  /** The request timeout (ms). Absent in versions stored before it could change: the declared one. */
  timeoutMs?: number;
}

/** One change of a service's settings through the Cloud Run Admin API. */
export interface ServiceVersionRecord {
  service: string;
  /** The config is generation 1; each change adds one (Knative metadata.generation). */
  generation: number;
  settings: ServiceSettings;
  /** Fingerprint of the config's own settings when the change was made: a later config edit wins over the change. */
  configFingerprint: string;
  /** Who made the change (IAM member). */
  modifier: string;
  createdAt: number;
}

export type AppendPolicyResult = { ok: true; version: PolicyVersionRecord } | { ok: false; current: PolicyVersionRecord | null };

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  /** Cloud Tasks queues, tasks and attempts (src/store/task-store.ts). */
  readonly tasks: TaskStore;

  /** Cloud Scheduler jobs and their attempts (src/store/scheduler-store.ts). */
  readonly scheduler: SchedulerStore;
  /** Pub/Sub topics, subscriptions and messages (src/store/pubsub-store.ts). */
  readonly pubsub: PubsubStore;

  /** Atomically: the value of setting `key`, storing `value` first if it has none. */
  getOrCreateSetting(key: string, value: string): Promise<string>;

  // Signing keys ------------------------------------------------------------
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Atomically: if no key of `candidate.alg` and `candidate.owner` is active, insert `candidate`. Returns the active key. */
  ensureActiveSigningKey(candidate: SigningKeyRecord): Promise<SigningKeyRecord>;
  /** Atomically retire the active key of `next.alg` and `next.owner` (published until `retiredPublishedUntil`) and make `next` active. */
  rotateSigningKey(next: SigningKeyRecord, now: number, retiredPublishedUntil: number): Promise<void>;
  /** Inserts a key file's key: published (publishedUntil null) but never active (retiredAt = its createdAt). */
  addUserManagedKey(key: SigningKeyRecord): Promise<void>;
  /** Unpublishes a key from `now` on (IAM keys.delete). False when no key has this kid. */
  deleteSigningKey(kid: string, now: number): Promise<boolean>;

  // Service accounts --------------------------------------------------------
  /** Insert if absent (by email); never changes an existing account's unique id. Returns the stored record. */
  ensureServiceAccount(sa: ServiceAccountRecord): Promise<ServiceAccountRecord>;
  /** By email or numeric unique id. */
  findServiceAccount(emailOrUniqueId: string): Promise<ServiceAccountRecord | null>;
  listServiceAccounts(): Promise<ServiceAccountRecord[]>;

  // Access tokens -----------------------------------------------------------
  putAccessToken(token: AccessTokenRecord): Promise<void>;
  getAccessToken(tokenHash: string): Promise<AccessTokenRecord | null>;
  deleteExpiredAccessTokens(now: number): Promise<number>;

  // Refresh tokens ----------------------------------------------------------
  putRefreshToken(token: RefreshTokenRecord): Promise<void>;
  getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;

  // Cloud Run service settings ----------------------------------------------
  /** Appends a change; false when `version.generation` of that service exists already (a concurrent change won). */
  appendServiceVersion(version: ServiceVersionRecord): Promise<boolean>;
  /** The newest version of every service that has one. */
  latestServiceVersions(): Promise<ServiceVersionRecord[]>;

  // IAM policies ------------------------------------------------------------
  /**
   * Appends a new version of `resource`'s policy if its current etag is `expectedEtag`
   * (null = no check, as when setIamPolicy is called without an etag). The new policy's etag
   * must already be computed by the caller.
   */
  appendPolicy(resource: string, policy: IamPolicy, expectedEtag: string | null, now: number): Promise<AppendPolicyResult>;
  /** Every policy version with seq > `afterSeq`, ascending: how each process follows changes. */
  policyVersionsSince(afterSeq: number): Promise<PolicyVersionRecord[]>;

  close(): Promise<void>;
}
