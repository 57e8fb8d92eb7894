// PostgreSQL store: several authplane processes on one database form one emulator (shared keys,
// IAM, queues). Migrations run under an advisory lock so processes starting together agree.
import pg from 'pg';
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
import { PostgresTaskStore } from './postgres-tasks.js';
import { PostgresSchedulerStore } from './postgres-scheduler.js';
import type { SchedulerStore } from './scheduler-store.js';
import type { PubsubStore } from './pubsub-store.js';
import { PostgresPubsubStore } from './postgres-pubsub.js';
import { Presence } from './postgres-presence.js';

// BIGINT columns hold epoch milliseconds: well inside Number's exact range.
pg.types.setTypeParser(20, (v) => Number(v));

const MIGRATION_LOCK = 0x61757468; // "auth"

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly tasks: TaskStore = new PostgresTaskStore(this);
  readonly scheduler: SchedulerStore = new PostgresSchedulerStore(this);
  readonly pubsub: PubsubStore = new PostgresPubsubStore(this);

  private presence: Presence | undefined;

  private constructor(readonly pool: pg.Pool) {}

  /** This handle's tag in lease IDs: its presence key (postgres-presence.ts). */
  get leaseOwner(): string {
    if (!this.presence) throw new Error('PostgresStore: not connected');
    return this.presence.key;
  }

  /** Connects, migrates and becomes present. Rejects with the server's reason, the URL's password hidden. */
  static async connect(url: string, opts: { max?: number } = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 16 });
    pool.on('error', (e) => console.error('authplane: postgres pool error:', e.message));
    const store = new PostgresStore(pool);
    try {
      // Presence first: its connection, bounded in time, also tells an unreachable server early.
      store.presence = await Presence.take(url);
      await store.migrate();
    } catch (e) {
      await store.presence?.release();
      await pool.end();
      const why = (e as NodeJS.ErrnoException).code ?? '';
      throw new Error(`cannot open PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')}: ${(e as Error).message || why}`, { cause: e });
    }
    return store;
  }

  /** Runs `fn` in a transaction on one connection. */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const applied = new Set((await c.query('SELECT version FROM schema_migrations')).rows.map((r: Row) => Number(r.version)));
      for (const m of loadMigrations('postgres')) {
        if (applied.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (await this.pool.query('SELECT * FROM signing_keys ORDER BY created_at')).rows.map(keyFromRow);
  }

  async ensureActiveSigningKey(candidate: SigningKeyRecord): Promise<SigningKeyRecord> {
    // The partial unique index makes concurrent inserts safe: the loser inserts nothing and reads the winner.
    await this.pool.query(
      `INSERT INTO signing_keys (kid, alg, owner, private_pem, public_pem, created_at, retired_at, published_until)
       VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL) ON CONFLICT DO NOTHING`,
      [candidate.kid, candidate.alg, candidate.owner, candidate.privatePem, candidate.publicPem, candidate.createdAt],
    );
    const r = await this.pool.query('SELECT * FROM signing_keys WHERE alg = $1 AND owner = $2 AND retired_at IS NULL', [candidate.alg, candidate.owner]);
    return keyFromRow(r.rows[0] as Row);
  }

  async rotateSigningKey(next: SigningKeyRecord, now: number, retiredPublishedUntil: number): Promise<void> {
    await this.tx(async (c) => {
      await c.query('UPDATE signing_keys SET retired_at = $1, published_until = $2 WHERE alg = $3 AND owner = $4 AND retired_at IS NULL', [now, retiredPublishedUntil, next.alg, next.owner]);
      await c.query(
        'INSERT INTO signing_keys (kid, alg, owner, private_pem, public_pem, created_at, retired_at, published_until) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)',
        [next.kid, next.alg, next.owner, next.privatePem, next.publicPem, next.createdAt],
      );
    });
  }

  async addUserManagedKey(k: SigningKeyRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO signing_keys (kid, alg, owner, private_pem, public_pem, created_at, retired_at, published_until, key_type)
       VALUES ($1, $2, $3, $4, $5, $6, $6, NULL, 'USER_MANAGED')`,
      [k.kid, k.alg, k.owner, k.privatePem, k.publicPem, k.createdAt],
    );
  }

  async deleteSigningKey(kid: string, now: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE signing_keys SET retired_at = COALESCE(retired_at, $1), published_until = $1 WHERE kid = $2', [now, kid]);
    return (r.rowCount ?? 0) > 0;
  }

  async putRefreshToken(t: RefreshTokenRecord): Promise<void> {
    await this.pool.query('INSERT INTO refresh_tokens (token_hash, principal, client_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5)', [
      t.tokenHash,
      t.principal,
      t.clientId,
      JSON.stringify(t.scopes),
      t.createdAt,
    ]);
  }

  async getRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const r = (await this.pool.query('SELECT * FROM refresh_tokens WHERE token_hash = $1', [tokenHash])).rows[0] as Row | undefined;
    return r ? refreshTokenFromRow(r) : null;
  }

  async appendServiceVersion(v: ServiceVersionRecord): Promise<boolean> {
    const r = await this.pool.query(
      'INSERT INTO service_versions (service, generation, settings, config_fingerprint, modifier, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (service, generation) DO NOTHING',
      [v.service, v.generation, JSON.stringify(v.settings), v.configFingerprint, v.modifier, v.createdAt],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async latestServiceVersions(): Promise<ServiceVersionRecord[]> {
    const r = await this.pool.query('SELECT DISTINCT ON (service) * FROM service_versions ORDER BY service, generation DESC');
    return r.rows.map(serviceVersionFromRow);
  }

  async ensureServiceAccount(sa: ServiceAccountRecord): Promise<ServiceAccountRecord> {
    await this.pool.query(
      'INSERT INTO service_accounts (email, unique_id, project_id, display_name, description, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email) DO NOTHING',
      [sa.email, sa.uniqueId, sa.projectId, sa.displayName, sa.description ?? null, sa.disabled, sa.createdAt],
    );
    return saFromRow((await this.pool.query('SELECT * FROM service_accounts WHERE email = $1', [sa.email])).rows[0] as Row);
  }

  async findServiceAccount(emailOrUniqueId: string): Promise<ServiceAccountRecord | null> {
    const r = await this.pool.query('SELECT * FROM service_accounts WHERE email = $1 OR unique_id = $1', [emailOrUniqueId]);
    return r.rows[0] ? saFromRow(r.rows[0] as Row) : null;
  }

  async listServiceAccounts(): Promise<ServiceAccountRecord[]> {
    return (await this.pool.query('SELECT * FROM service_accounts ORDER BY email')).rows.map(saFromRow);
  }

  async putAccessToken(t: AccessTokenRecord): Promise<void> {
    await this.pool.query('INSERT INTO access_tokens (token_hash, principal, scopes, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      t.tokenHash,
      t.principal,
      JSON.stringify(t.scopes),
      t.issuedAt,
      t.expiresAt,
    ]);
  }

  async getAccessToken(tokenHash: string): Promise<AccessTokenRecord | null> {
    const r = (await this.pool.query('SELECT * FROM access_tokens WHERE token_hash = $1', [tokenHash])).rows[0] as Row | undefined;
    return r ? accessTokenFromRow(r) : null;
  }

  async deleteExpiredAccessTokens(now: number): Promise<number> {
    return (await this.pool.query('DELETE FROM access_tokens WHERE expires_at < $1', [now])).rowCount ?? 0;
  }

  async appendPolicy(resource: string, policy: IamPolicy, expectedEtag: string | null, now: number): Promise<AppendPolicyResult> {
    return this.tx(async (c): Promise<AppendPolicyResult> => {
      // One writer at a time, so seqs commit in order and followers (policyVersionsSince) never skip one.
      await c.query('LOCK TABLE policy_versions IN EXCLUSIVE MODE');
      const cur = (await c.query('SELECT * FROM policy_versions WHERE resource = $1 ORDER BY seq DESC LIMIT 1', [resource])).rows[0] as Row | undefined;
      const current = cur ? policyFromRow(cur) : null;
      if (expectedEtag !== null && expectedEtag !== (current?.policy.etag ?? EMPTY_ETAG)) return { ok: false, current };
      const r = await c.query('INSERT INTO policy_versions (resource, policy, created_at) VALUES ($1, $2, $3) RETURNING seq', [resource, JSON.stringify(policy), now]);
      return { ok: true, version: { seq: Number((r.rows[0] as Row).seq), resource, policy, createdAt: now } };
    });
  }

  async policyVersionsSince(afterSeq: number): Promise<PolicyVersionRecord[]> {
    return (await this.pool.query('SELECT * FROM policy_versions WHERE seq > $1 ORDER BY seq', [afterSeq])).rows.map(policyFromRow);
  }

  async getOrCreateSetting(key: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO settings (key, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [key, value, Date.now()]);
    return ((await this.pool.query('SELECT value FROM settings WHERE key = $1', [key])).rows[0] as Row).value as string;
  }

  async close(): Promise<void> {
    await this.pool.end();
    await this.presence?.release();
  }
}
