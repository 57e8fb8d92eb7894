// Group commit for SQLite: writes requested in one turn of the event loop share one transaction.
// Every commit rewrites the pages it touched into the WAL (a task insert touches the table and three
// indexes), so committing 64 creates at once writes about a 64th as much. Each write still runs in
// its own savepoint, so one that fails rolls back alone, and every caller hears of its write only
// after the commit that made it durable.

import type Database from 'better-sqlite3';

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class SqliteGroupCommit {
  private pending: Pending[] = [];

  constructor(private readonly db: () => Database.Database) {}

  /** Runs `write` (synchronous statements) in the transaction committed at the end of this turn. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // setImmediate: after this turn's I/O callbacks, so the requests that arrived together commit together.
      if (this.pending.length === 0) setImmediate(() => this.commit());
      this.pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private commit(): void {
    const batch = this.pending;
    this.pending = [];
    const db = this.db();
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      db.transaction(() => {
        // A nested better-sqlite3 transaction is a savepoint.
        for (const p of batch) {
          try {
            outcomes.push({ ok: true, value: db.transaction(p.write)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
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
}
