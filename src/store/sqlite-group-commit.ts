// Group commit for SQLite: writes requested in one turn of the event loop share one transaction.
// Every commit rewrites the pages it touched into the WAL (a task insert touches the table and three
// indexes), so committing 64 creates at once writes about a 64th as much. Each write still runs in
// its own savepoint, so one that fails rolls back alone (a write of one statement needs none: SQLite
// undoes a failed statement by itself), and every caller hears of its write only after the commit that
// made it durable.

import type Database from 'better-sqlite3';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  write: () => unknown;
  /** The write changes the database with at most one statement (see `run`). */
  oneStatement: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class SqliteGroupCommit {
  private pending: Pending[] = [];
  /**
   * The batch's transaction and each write's savepoint, wrapped once per database handle: better-sqlite3's
   * `transaction(fn)` builds four wrapper functions and their properties on every call (≈ 10 µs), so wrapping
   * each write anew cost a create more than the savepoint itself.
   */
  private wrapped: { db: Database.Database; batch: Database.Transaction<(batch: Pending[], outcomes: Outcome[]) => void> } | undefined;

  constructor(private readonly db: () => Database.Database) {}

  /**
   * Runs `write` (synchronous statements) in the transaction committed at the end of this turn. With
   * `oneStatement`, `write` changes the database with at most one statement and throws only from it: it runs
   * without a savepoint (≈ 2.5 µs a write less), since SQLite rolls a failed statement back by itself.
   */
  run<T>(write: () => T, opts: { oneStatement?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // setImmediate: after this turn's I/O callbacks, so the requests that arrived together commit together.
      if (this.pending.length === 0) setImmediate(() => this.commit());
      this.pending.push({ write, oneStatement: opts.oneStatement === true, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private commit(): void {
    const batch = this.pending;
    this.pending = [];
    const outcomes: Outcome[] = [];
    try {
      this.transaction().batch.immediate(batch, outcomes);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }

  private transaction(): NonNullable<SqliteGroupCommit['wrapped']> {
    const db = this.db();
    if (this.wrapped?.db !== db) {
      // A nested better-sqlite3 transaction is a savepoint.
      const savepoint = db.transaction((write: () => unknown) => write());
      const batch = db.transaction((pending: Pending[], outcomes: Outcome[]) => {
        for (const p of pending) {
          try {
            outcomes.push({ ok: true, value: p.oneStatement ? p.write() : savepoint(p.write) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
      this.wrapped = { db, batch };
    }
    return this.wrapped;
  }
}
