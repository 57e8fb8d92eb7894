// Cloud Scheduler on PostgreSQL: several processes share the jobs. A claim leases due jobs with
// FOR UPDATE SKIP LOCKED, so processes never take the same job and never wait on each other's rows.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Row } from './core-rows.js';
import { dispatchAttemptFromRow, dispatchAttemptValues, insertDispatchAttemptSql, type DispatchAttemptRecord } from './dispatch-attempts.js';
import { inFlight, JOB_COLUMNS, jobFromRow, jobValues, leasedJob } from './scheduler-rows.js';
import type { JobClaim, JobCompletion, JobRecord, SchedulerStore } from './scheduler-store.js';

interface PgOwner {
  readonly pool: pg.Pool;
  tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T>;
}

const ph = (i: number) => `$${i}`;
const INSERT = `INSERT INTO scheduler_jobs (${JOB_COLUMNS.join(', ')}) VALUES (${JOB_COLUMNS.map((_, i) => ph(i + 1)).join(', ')}) ON CONFLICT (id) DO NOTHING`;
const LEASE = 'UPDATE scheduler_jobs SET execution = $1, retry_at = $2, lease_id = $3, next_at = $4 WHERE id = $5';
const leaseValues = (j: JobRecord): unknown[] => [j.execution === null ? null : JSON.stringify(j.execution), j.retryAt, j.leaseId, j.nextAt, j.id];

export class PostgresSchedulerStore implements SchedulerStore {
  /** `owner.pool` is read lazily: the store connects after constructing this. */
  constructor(private readonly owner: PgOwner) {}

  private get pool(): pg.Pool {
    return this.owner.pool;
  }

  async createJob(job: JobRecord): Promise<'created' | 'exists'> {
    return (await this.pool.query(INSERT, jobValues(job))).rowCount === 1 ? 'created' : 'exists';
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const r = (await this.pool.query('SELECT * FROM scheduler_jobs WHERE id = $1', [id])).rows[0] as Row | undefined;
    return r ? jobFromRow(r) : null;
  }

  async listJobs(): Promise<JobRecord[]> {
    return (await this.pool.query('SELECT * FROM scheduler_jobs ORDER BY id')).rows.map(jobFromRow);
  }

  async updateJob(job: JobRecord): Promise<JobRecord | null> {
    return this.owner.tx(async (c) => {
      const cur = (await c.query('SELECT * FROM scheduler_jobs WHERE id = $1 FOR UPDATE', [job.id])).rows[0] as Row | undefined;
      if (!cur) return null;
      const current = jobFromRow(cur);
      // userUpdateTime is the update's time. An attempt in flight keeps its lease; its completion sees the new
      // version and keeps this schedule.
      const row = inFlight(current, job.userUpdateTime) ? { ...job, leaseId: current.leaseId, nextAt: current.nextAt } : job;
      const cols = JOB_COLUMNS.filter((x) => x !== 'id' && x !== 'created_at' && x !== 'last_attempt_time' && x !== 'status');
      const all = jobValues(row);
      const values = cols.map((x) => all[JOB_COLUMNS.indexOf(x)]);
      const r = await c.query(`UPDATE scheduler_jobs SET ${cols.map((x, i) => `${x} = $${i + 1}`).join(', ')} WHERE id = $${cols.length + 1} RETURNING *`, [...values, job.id]);
      return jobFromRow(r.rows[0] as Row);
    });
  }

  async deleteJob(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM scheduler_jobs WHERE id = $1', [id])).rowCount ?? 0) === 1;
  }

  async claim(now: number, max: number, leaseGraceMs: number): Promise<JobClaim> {
    return this.owner.tx(async (c): Promise<JobClaim> => {
      const due = await c.query("SELECT * FROM scheduler_jobs WHERE state = 'ENABLED' AND next_at <= $1 ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED", [now, max]);
      const jobs = (due.rows as Row[]).map((r) => leasedJob(jobFromRow(r), randomUUID(), now, leaseGraceMs));
      // One statement leases them all (a round trip per job cost ≈ 1 ms each: jobs due together fired late).
      const next = await c.query(
        `WITH leased AS (
           UPDATE scheduler_jobs j SET execution = v.execution::jsonb, retry_at = NULL, lease_id = v.lease_id, next_at = v.next_at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS v(id, execution, lease_id, next_at)
           WHERE j.id = v.id RETURNING j.next_at)
         SELECT least((SELECT min(next_at) FROM leased), (SELECT min(next_at) FROM scheduler_jobs WHERE state = 'ENABLED' AND NOT (id = ANY($1::text[])))) AS t`,
        [jobs.map((j) => j.id), jobs.map((j) => JSON.stringify(j.execution)), jobs.map((j) => j.leaseId), jobs.map((j) => j.nextAt)],
      );
      const t = (next.rows[0] as Row).t;
      return { jobs, wakeAt: t === null || t === undefined ? null : Number(t) };
    });
  }

  async claimNow(id: string, now: number, leaseGraceMs: number): Promise<JobRecord | 'missing' | 'in-flight'> {
    return this.owner.tx(async (c) => {
      const r = (await c.query('SELECT * FROM scheduler_jobs WHERE id = $1 FOR UPDATE', [id])).rows[0] as Row | undefined;
      if (!r) return 'missing' as const;
      const j = jobFromRow(r);
      if (inFlight(j, now)) return 'in-flight' as const;
      const l = leasedJob(j, randomUUID(), now, leaseGraceMs, true);
      await c.query(LEASE, leaseValues(l));
      return l;
    });
  }

  async complete(results: JobCompletion[]): Promise<void> {
    if (results.length === 0) return;
    await this.owner.tx(async (c) => {
      for (const x of results) {
        await c.query('UPDATE scheduler_jobs SET last_attempt_time = $1, status = $2 WHERE id = $3', [x.lastAttemptTime, JSON.stringify(x.status), x.id]);
        if (x.leaseId !== null) {
          await c.query(
            `UPDATE scheduler_jobs SET lease_id = NULL,
               retry_at = CASE WHEN version = $1 THEN $2::bigint ELSE NULL END,
               execution = CASE WHEN version = $1 THEN $3::jsonb ELSE NULL END,
               schedule_time = CASE WHEN version = $1 THEN $4::bigint ELSE schedule_time END,
               next_at = CASE WHEN version = $1 THEN $5::bigint ELSE schedule_time END
             WHERE id = $6 AND lease_id = $7`,
            [x.version, x.retryAt, x.execution === null ? null : JSON.stringify(x.execution), x.scheduleTime, x.nextAt, x.id, x.leaseId],
          );
        }
        await c.query(insertDispatchAttemptSql(ph), dispatchAttemptValues(x.attempt));
      }
    });
  }

  async listAttempts(id: string): Promise<DispatchAttemptRecord[]> {
    return (await this.pool.query("SELECT * FROM dispatch_attempts WHERE product = 'cloudscheduler' AND resource = $1 ORDER BY seq", [id])).rows.map(dispatchAttemptFromRow);
  }

  async sweep(now: number, retentionMs: number): Promise<void> {
    await this.pool.query("DELETE FROM dispatch_attempts WHERE product = 'cloudscheduler' AND dispatch_time < $1", [now - retentionMs]);
  }
}
