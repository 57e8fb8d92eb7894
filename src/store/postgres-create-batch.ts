// Creates with generated IDs, batched: the creates of one turn of the event loop reach PostgreSQL as
// one INSERT … SELECT FROM unnest (one round trip, one commit), with one NOTIFY per queue at its
// earliest schedule time. Callers hear of their task only after that commit. A generated ID that is
// already taken (practically never) comes back as null, for the caller's one-by-one path.

import type pg from 'pg';
import type { Row } from './core-rows.js';
import type { NewTask } from './task-store.js';

interface Pending {
  task: NewTask;
  resolve: (seq: number | null) => void;
  reject: (error: unknown) => void;
}

const INSERT_MANY = `
  WITH v AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::bigint[], $5::bigint[], $6::bigint[])
      AS v(queue, id, http_request, schedule_time, create_time, dispatch_deadline_ms)),
  ins AS (
    INSERT INTO tasks (queue, id, named, http_request, schedule_time, create_time, dispatch_deadline_ms, state, next_at)
    SELECT queue, id, false, http_request, schedule_time, create_time, dispatch_deadline_ms, 'queued', schedule_time FROM v
    ON CONFLICT (queue, id) DO NOTHING
    RETURNING seq, queue, id),
  notified AS (SELECT pg_notify($7, queue || ' ' || min(schedule_time)) FROM v GROUP BY queue)
  SELECT seq, queue, id, (SELECT count(*) FROM notified) AS queues FROM ins`;

export class PostgresCreateBatch {
  private pending: Pending[] = [];

  constructor(
    private readonly pool: () => pg.Pool,
    private readonly channel: string,
  ) {}

  /** The new task's seq once committed, or null when its ID is taken. */
  insert(task: NewTask): Promise<number | null> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ task, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const col = <T>(f: (t: NewTask) => T) => batch.map((p) => f(p.task));
    try {
      const r = await this.pool().query(INSERT_MANY, [
        col((t) => t.queue),
        col((t) => t.id),
        col((t) => JSON.stringify(t.httpRequest)),
        col((t) => t.scheduleTime),
        col((t) => t.createTime),
        col((t) => t.dispatchDeadlineMs),
        this.channel,
      ]);
      const seqs = new Map((r.rows as Row[]).map((row) => [`${String(row.queue)}/${String(row.id)}`, Number(row.seq)]));
      for (const p of batch) p.resolve(seqs.get(`${p.task.queue}/${p.task.id}`) ?? null);
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }
}
