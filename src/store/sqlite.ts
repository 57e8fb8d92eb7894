// SQLite store: the default, one file under .authplane/, WAL so readers never wait for the writer.
// `authplane start` owns the file first (sqlite-owner.ts); the class itself also serves tests that open
// several handles on one file in one process.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from '../lib/private-files.js';
import type { IamPolicy } from '../iam/policy.js';
import { accessTokenFromRow, keyFromRow, policyFromRow, refreshTokenFromRow, saFromRow, serviceVersionFromRow, type Row } from './core-rows.js';
import { EMPTY_ETAG } from '../iam/policy.js';
import { loadMigrations } from './migrations.js';
import type {
  AccessTokenRecord,
  AppendPolicyResult,
  PolicyVersionRecord,
  RefreshTokenRecord,
  ServiceAccountRecord,
  ServiceVersionRecord,
  SigningKeyRecord,
  Store,
} from './store.js';
import type { TaskStore } from './task-store.js';
import { SqliteTaskStore } from './sqlite-tasks.js';
import { SqliteSchedulerStore } from './sqlite-scheduler.js';
import type { SchedulerStore } from './scheduler-store.js';
import type { PubsubStore } from './pubsub-store.js';
import { SqlitePubsubStore } from './sqlite-pubsub.js';
import type { Ownership } from './sqlite-owner.js';

/**
 * The lease owners of the store handles open in this process, per database file. With one process
 * owning a file, these are all of its live handles.
 */
const openHandles = new Map<string, Set<string>>();

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  readonly tasks: TaskStore = new SqliteTaskStore(this);
  readonly scheduler: SchedulerStore = new SqliteSchedulerStore(this);
  readonly pubsub: PubsubStore = new SqlitePubsubStore(this);
  /** This handle's tag in the lease IDs it takes. */
  readonly leaseOwner = randomBytes(6).toString('hex');
  private readonly handles: Set<string>;
  private readonly handlesKey: string;

  /** `opts.ownership`: the file's ownership (sqlite-owner.ts), given up when the store closes. */
  constructor(
    file: string,
    private readonly opts: { ownership?: Ownership } = {},
  ) {
    if (file !== ':memory:') {
      // Keys live here: the directory and the database private to this user (SQLite gives -wal and -shm the database's mode).
      ensurePrivateDir(dirname(file));
      ensurePrivateFile(file);
    }
    this.db = new Database(file);
    // Wait for other handles' writes before anything else, the WAL switch included.
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.handlesKey = file === ':memory:' ? `:memory:${this.leaseOwner}` : realpathSync(file);
    this.handles = openHandles.get(this.handlesKey) ?? new Set();
    openHandles.set(this.handlesKey, this.handles);
    this.handles.add(this.leaseOwner);
  }

  liveLeaseOwners(): string[] {
    return [...this.handles];
  }

  /** Every pending migration in one IMMEDIATE transaction: handles opening an empty file together apply each once. */
  private migrate(): void {
    this.db.transaction(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      const applied = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version)));
      for (const m of loadMigrations('sqlite')) {
        if (applied.has(m.version)) continue;
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
    }).immediate();
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM signing_keys ORDER BY created_at').all() as Row[]).map(keyFromRow);
  }

  async ensureActiveSigningKey(candidate: SigningKeyRecord): Promise<SigningKeyRecord> {
    return this.db.transaction(() => {
      const active = this.db.prepare('SELECT * FROM signing_keys WHERE alg = ? AND owner = ? AND retired_at IS NULL').get(candidate.alg, candidate.owner) as Row | undefined;
      if (active) return keyFromRow(active);
      this.insertKey(candidate);
      return candidate;
    }).immediate();
  }

  private insertKey(k: SigningKeyRecord): void {
    this.db
      .prepare('INSERT INTO signing_keys (kid, alg, owner, private_pem, public_pem, created_at, retired_at, published_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(k.kid, k.alg, k.owner, k.privatePem, k.publicPem, k.createdAt, k.retiredAt, k.publishedUntil);
  }

  async rotateSigningKey(next: SigningKeyRecord, now: number, retiredPublishedUntil: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('UPDATE signing_keys SET retired_at = ?, published_until = ? WHERE alg = ? AND owner = ? AND retired_at IS NULL').run(now, retiredPublishedUntil, next.alg, next.owner);
      this.insertKey(next);
    }).immediate();
  }

  async addUserManagedKey(k: SigningKeyRecord): Promise<void> {
    this.db
      .prepare("INSERT INTO signing_keys (kid, alg, owner, private_pem, public_pem, created_at, retired_at, published_until, key_type) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'USER_MANAGED')")
      .run(k.kid, k.alg, k.owner, k.privatePem, k.publicPem, k.createdAt, k.createdAt);
  }

  async deleteSigningKey(kid: string, now: number): Promise<boolean> {
    return this.db.prepare('UPDATE signing_keys SET retired_at = COALESCE(retired_at, ?), published_until = ? WHERE kid = ?').run(now, now, kid).changes > 0;
  }

  async putRefreshToken(t: RefreshTokenRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO refresh_tokens (token_hash, principal, client_id, scopes, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(t.tokenHash, t.principal, t.clientId, JSON.stringify(t.scopes), t.createdAt);
  }

  async getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const r = this.db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    return r ? refreshTokenFromRow(r) : null;
  }

  async appendServiceVersion(v: ServiceVersionRecord): Promise<boolean> {
    const info = this.db
      .prepare('INSERT INTO service_versions (service, generation, settings, config_fingerprint, modifier, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (service, generation) DO NOTHING')
      .run(v.service, v.generation, JSON.stringify(v.settings), v.configFingerprint, v.modifier, v.createdAt);
    return info.changes > 0;
  }

  async latestServiceVersions(): Promise<ServiceVersionRecord[]> {
    const rows = this.db
      .prepare('SELECT v.* FROM service_versions v JOIN (SELECT service, MAX(generation) AS g FROM service_versions GROUP BY service) l ON v.service = l.service AND v.generation = l.g ORDER BY v.service')
      .all() as Row[];
    return rows.map(serviceVersionFromRow);
  }

  async ensureServiceAccount(sa: ServiceAccountRecord): Promise<ServiceAccountRecord> {
    this.db
      .prepare('INSERT INTO service_accounts (email, unique_id, project_id, display_name, description, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING')
      .run(sa.email, sa.uniqueId, sa.projectId, sa.displayName, sa.description ?? null, sa.disabled ? 1 : 0, sa.createdAt);
    return saFromRow(this.db.prepare('SELECT * FROM service_accounts WHERE email = ?').get(sa.email) as Row);
  }

  async findServiceAccount(emailOrUniqueId: string): Promise<ServiceAccountRecord | null> {
    const row = this.db.prepare('SELECT * FROM service_accounts WHERE email = ? OR unique_id = ?').get(emailOrUniqueId, emailOrUniqueId) as Row | undefined;
    return row ? saFromRow(row) : null;
  }

  async listServiceAccounts(): Promise<ServiceAccountRecord[]> {
    return (this.db.prepare('SELECT * FROM service_accounts ORDER BY email').all() as Row[]).map(saFromRow);
  }

  async putAccessToken(t: AccessTokenRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO access_tokens (token_hash, principal, scopes, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(t.tokenHash, t.principal, JSON.stringify(t.scopes), t.issuedAt, t.expiresAt);
  }

  async getAccessToken(tokenHash: string): Promise<AccessTokenRecord | null> {
    const r = this.db.prepare('SELECT * FROM access_tokens WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    return r ? accessTokenFromRow(r) : null;
  }

  async deleteExpiredAccessTokens(now: number): Promise<number> {
    return this.db.prepare('DELETE FROM access_tokens WHERE expires_at < ?').run(now).changes;
  }

  async appendPolicy(resource: string, policy: IamPolicy, expectedEtag: string | null, now: number): Promise<AppendPolicyResult> {
    return this.db.transaction((): AppendPolicyResult => {
      const cur = this.db.prepare('SELECT * FROM policy_versions WHERE resource = ? ORDER BY seq DESC LIMIT 1').get(resource) as Row | undefined;
      const current = cur ? policyFromRow(cur) : null;
      if (expectedEtag !== null && expectedEtag !== (current?.policy.etag ?? EMPTY_ETAG)) return { ok: false, current };
      const info = this.db
        .prepare('INSERT INTO policy_versions (resource, policy, created_at) VALUES (?, ?, ?)')
        .run(resource, JSON.stringify(policy), now);
      return { ok: true, version: { seq: Number(info.lastInsertRowid), resource, policy, createdAt: now } };
    }).immediate();
  }

  async policyVersionsSince(afterSeq: number): Promise<PolicyVersionRecord[]> {
    return (this.db.prepare('SELECT * FROM policy_versions WHERE seq > ? ORDER BY seq').all(afterSeq) as Row[]).map(policyFromRow);
  }

  async getOrCreateSetting(key: string, value: string): Promise<string> {
    this.db.prepare('INSERT INTO settings (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING').run(key, value, Date.now());
    return (this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as Row).value as string;
  }

  async close(): Promise<void> {
    this.handles.delete(this.leaseOwner);
    if (this.handles.size === 0) openHandles.delete(this.handlesKey);
    this.db.close();
    this.opts.ownership?.release();
  }
}
