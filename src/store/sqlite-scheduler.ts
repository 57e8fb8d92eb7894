// Cloud Scheduler on SQLite: one process owns the file, so a claim is one IMMEDIATE transaction that leases
// the due jobs.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { sqliteValue, type Row } from './core-rows.js';
import { dispatchAttemptFromRow, dispatchAttemptValues, insertDispatchAttemptSql, type DispatchAttemptRecord } from './dispatch-attempts.js';
import { inFlight, JOB_COLUMNS, jobFromRow, jobValues, leasedJob } from './scheduler-rows.js';
import type { JobClaim, JobCompletion, JobRecord, SchedulerStore } from './scheduler-store.js';

const LEASE_COLUMNS = ['execution', 'retry_at', 'lease_id', 'next_at'] as const;

export class SqliteSchedulerStore implements SchedulerStore {
  private prepared: Record<string, Database.Statement> | undefined;

  /** `owner.db` is read lazily: the store opens and migrates the file after constructing this. */
  constructor(private readonly owner: { readonly db: Database.Database }) {}

  private get db(): Database.Database {
    return this.owner.db;
  }

  private get stmts(): Record<string, Database.Statement> {
    return (this.prepared ??= {
      insert: this.db.prepare(`INSERT INTO scheduler_jobs (${JOB_COLUMNS.join(', ')}) VALUES (${JOB_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`),
      get: this.db.prepare('SELECT * FROM scheduler_jobs WHERE id = ?'),
      due: this.db.prepare("SELECT * FROM scheduler_jobs WHERE state = 'ENABLED' AND next_at <= ? ORDER BY next_at LIMIT ?"),
      lease: this.db.prepare(`UPDATE scheduler_jobs SET ${LEASE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`),
      minNext: this.db.prepare("SELECT min(next_at) AS t FROM scheduler_jobs WHERE state = 'ENABLED'"),
      outcome: this.db.prepare('UPDATE scheduler_jobs SET last_attempt_time = ?, status = ? WHERE id = ?'),
      release: this.db.prepare(
        `UPDATE scheduler_jobs SET lease_id = NULL,
           retry_at = CASE WHEN version = ? THEN ? ELSE NULL END,
           execution = CASE WHEN version = ? THEN ? ELSE NULL END,
           schedule_time = CASE WHEN version = ? THEN ? ELSE schedule_time END,
           next_at = CASE WHEN version = ? THEN ? ELSE schedule_time END
         WHERE id = ? AND lease_id = ?`,
      ),
      attempt: this.db.prepare(insertDispatchAttemptSql(() => '?')),
    });
  }

  private leaseValues(j: JobRecord): unknown[] {
    return [j.execution === null ? null : JSON.stringify(j.execution), j.retryAt, j.leaseId, j.nextAt, j.id];
  }

  async createJob(job: JobRecord): Promise<'created' | 'exists'> {
    return this.stmts.insert!.run(...jobValues(job).map(sqliteValue)).changes === 1 ? 'created' : 'exists';
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const r = this.stmts.get!.get(id) as Row | undefined;
    return r ? jobFromRow(r) : null;
  }

  async listJobs(): Promise<JobRecord[]> {
    return (this.db.prepare('SELECT * FROM scheduler_jobs ORDER BY id').all() as Row[]).map(jobFromRow);
  }

  async updateJob(job: JobRecord): Promise<JobRecord | null> {
    return this.db.transaction(() => {
      const cur = this.stmts.get!.get(job.id) as Row | undefined;
      if (!cur) return null;
      const now = job.userUpdateTime;
      const current = jobFromRow(cur);
      // An attempt in flight keeps its lease; its completion sees the new version and keeps this schedule.
      const row = inFlight(current, now) ? { ...job, leaseId: current.leaseId, nextAt: current.nextAt } : job;
      const cols = JOB_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at' && c !== 'last_attempt_time' && c !== 'status');
      const all = jobValues(row).map(sqliteValue);
      const values = cols.map((c) => all[JOB_COLUMNS.indexOf(c)]);
      this.db.prepare(`UPDATE scheduler_jobs SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...values, job.id);
      return jobFromRow(this.stmts.get!.get(job.id) as Row);
    }).immediate();
  }

  async deleteJob(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM scheduler_jobs WHERE id = ?').run(id).changes === 1;
  }

  async claim(now: number, max: number, leaseGraceMs: number): Promise<JobClaim> {
    return this.db.transaction((): JobClaim => {
      const jobs: JobRecord[] = [];
      for (const r of this.stmts.due!.all(now, max) as Row[]) {
        const j = leasedJob(jobFromRow(r), randomUUID(), now, leaseGraceMs);
        this.stmts.lease!.run(...this.leaseValues(j));
        jobs.push(j);
      }
      const t = (this.stmts.minNext!.get() as Row).t;
      return { jobs, wakeAt: t === null || t === undefined ? null : Number(t) };
    }).immediate();
  }

  async claimNow(id: string, now: number, leaseGraceMs: number): Promise<JobRecord | 'missing' | 'in-flight'> {
    return this.db.transaction(() => {
      const r = this.stmts.get!.get(id) as Row | undefined;
      if (!r) return 'missing' as const;
      const j = jobFromRow(r);
      if (inFlight(j, now)) return 'in-flight' as const;
      const l = leasedJob(j, randomUUID(), now, leaseGraceMs, true);
      this.stmts.lease!.run(...this.leaseValues(l));
      return l;
    }).immediate();
  }

  async complete(results: JobCompletion[]): Promise<void> {
    if (results.length === 0) return;
    this.db.transaction(() => {
      for (const c of results) {
        this.stmts.outcome!.run(c.lastAttemptTime, JSON.stringify(c.status), c.id);
        if (c.leaseId !== null) {
          const execution = c.execution === null ? null : JSON.stringify(c.execution);
          this.stmts.release!.run(c.version, c.retryAt, c.version, execution, c.version, c.scheduleTime, c.version, c.nextAt, c.id, c.leaseId);
        }
        this.stmts.attempt!.run(...dispatchAttemptValues(c.attempt));
      }
    }).immediate();
  }

  async listAttempts(id: string): Promise<DispatchAttemptRecord[]> {
    return (this.db.prepare("SELECT * FROM dispatch_attempts WHERE product = 'cloudscheduler' AND resource = ? ORDER BY seq").all(id) as Row[]).map(dispatchAttemptFromRow);
  }

  async releaseOrphanedLeases(now: number): Promise<number> {
    return this.db.prepare('UPDATE scheduler_jobs SET lease_id = NULL, next_at = min(next_at, ?) WHERE lease_id IS NOT NULL').run(now).changes;
  }

  async sweep(now: number, retentionMs: number): Promise<void> {
    this.db.prepare("DELETE FROM dispatch_attempts WHERE product = 'cloudscheduler' AND dispatch_time < ?").run(now - retentionMs);
  }
}
