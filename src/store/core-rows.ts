// Row ↔ record mapping for the core tables, shared by the SQLite and PostgreSQL stores (the column
// names are the same in both dialects; only JSON columns differ: text in SQLite, jsonb in PostgreSQL).
import type { IamPolicy } from '../iam/policy.js';
import type { AccessTokenRecord, PolicyVersionRecord, RefreshTokenRecord, ServiceAccountRecord, ServiceSettings, ServiceVersionRecord, SigningKeyRecord } from './store.js';

export type Row = Record<string, unknown>;

/** A nullable number column (PostgreSQL returns BIGINT as a string). */
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A value as better-sqlite3 binds it: booleans become 1 and 0 (it refuses JS booleans). */
export const sqliteValue = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** A JSON column: SQLite returns text, PostgreSQL's jsonb is already parsed. */
export const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export const keyFromRow = (r: Row): SigningKeyRecord => ({
  kid: r.kid as string,
  alg: r.alg as SigningKeyRecord['alg'],
  owner: r.owner as string,
  privatePem: r.private_pem as string,
  publicPem: r.public_pem as string,
  createdAt: Number(r.created_at),
  retiredAt: r.retired_at === null ? null : Number(r.retired_at),
  publishedUntil: r.published_until === null ? null : Number(r.published_until),
  ...(r.key_type === 'USER_MANAGED' ? { userManaged: true as const } : {}),
});

export const saFromRow = (r: Row): ServiceAccountRecord => ({
  email: r.email as string,
  uniqueId: r.unique_id as string,
  projectId: r.project_id as string,
  displayName: r.display_name as string,
  ...(typeof r.description === 'string' ? { description: r.description } : {}),
  disabled: Boolean(r.disabled),
  createdAt: Number(r.created_at),
});

export const policyFromRow = (r: Row): PolicyVersionRecord => ({
  seq: Number(r.seq),
  resource: r.resource as string,
  policy: json<IamPolicy>(r.policy),
  createdAt: Number(r.created_at),
});

export const accessTokenFromRow = (r: Row): AccessTokenRecord => ({
  tokenHash: r.token_hash as string,
  principal: r.principal as string,
  scopes: json<string[]>(r.scopes),
  issuedAt: Number(r.issued_at),
  expiresAt: Number(r.expires_at),
});

export const refreshTokenFromRow = (r: Row): RefreshTokenRecord => ({
  tokenHash: r.token_hash as string,
  principal: r.principal as string,
  clientId: r.client_id as string,
  scopes: json<string[]>(r.scopes),
  createdAt: Number(r.created_at),
});

export const serviceVersionFromRow = (r: Row): ServiceVersionRecord => ({
  service: r.service as string,
  generation: Number(r.generation),
  settings: json<ServiceSettings>(r.settings),
  configFingerprint: r.config_fingerprint as string,
  modifier: r.modifier as string,
  createdAt: Number(r.created_at),
});
