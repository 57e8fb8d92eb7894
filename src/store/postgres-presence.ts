// Which store handles on a PostgreSQL database are alive, as the server itself sees it. Each handle
// holds a session-level advisory lock (PRESENCE_CLASS, key) on a connection of its own for its whole
// life, and tags the leases it takes with the key. The server drops the lock when that connection ends,
// so a process that dies (SIGKILL, crash, lost network) stops being present with nobody's help and no
// timeout to tune: at start, a process releases exactly the leases whose key holds no lock. A heartbeat
// table would need a timeout, and releasing every lease at start would re-dispatch a live process's
// attempts in flight.
//
// If the presence connection drops while the process lives on, its leases may be released by a process
// starting meanwhile: those attempts may run twice (at least once, as Cloud Tasks promises), never lost.

import { randomInt } from 'node:crypto';
import pg from 'pg';

/** The advisory-lock namespace of presence keys ("leas"). */
export const PRESENCE_CLASS = 0x6c656173;

/** SQL: the presence keys held in this database now, as text (lease tags are text). */
export const LIVE_PRESENCE_KEYS = `SELECT objid::text FROM pg_locks
  WHERE locktype = 'advisory' AND classid = ${PRESENCE_CLASS} AND objsubid = 2 AND granted
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

export class Presence {
  private constructor(
    private readonly client: pg.Client,
    /** This handle's key: a positive 31-bit integer, as decimal text. */
    readonly key: string,
  ) {}

  /** Opens the presence connection and takes a key no live handle holds. */
  static async take(url: string): Promise<Presence> {
    // A server that does not answer (a wrong host, a firewall) fails the start in 10 s, not the OS's minutes.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    client.on('error', (e) => console.error('authplane: postgres presence connection lost:', e.message));
    await client.connect();
    try {
      for (;;) {
        const key = randomInt(1, 2 ** 31);
        const r = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [PRESENCE_CLASS, key]);
        if ((r.rows[0] as { ok: boolean }).ok) return new Presence(client, String(key));
      }
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  /** Gives the key up at once (not when the server notices the closed connection), then disconnects. */
  async release(): Promise<void> {
    await this.client.query('SELECT pg_advisory_unlock($1, $2)', [PRESENCE_CLASS, Number(this.key)]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
