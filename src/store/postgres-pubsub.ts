// Pub/Sub on PostgreSQL: several authplane processes share topics and subscriptions. A claim leases due
// rows with FOR UPDATE SKIP LOCKED (two processes never hand out the same delivery); a publish inserts
// every subscription's copy in one statement and NOTIFYs `authplane_pubsub` so every process's consumers
// (streaming pulls, the push dispatcher) wake at once.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Row } from './core-rows.js';
import { deadLetterCopy, dueForDeadLetter, messageFromRow, redeliveryDelayMs, subscriptionFromRow, subscriptionSettings, topicFromRow } from './pubsub-rows.js';
import type {
  AckRef,
  ClaimTerms,
  LeasedMessage,
  CreateSubscriptionResult,
  DeadLetterContext,
  Delivery,
  MessageRecord,
  NewMessage,
  PublishResult,
  PubsubStore,
  PushCompletion,
  RedeliveryPolicy,
  SubscriptionRecord,
  TopicRecord,
} from './pubsub-store.js';

const CHANNEL = 'authplane_pubsub';
const newLease = (): string => randomBytes(9).toString('base64url');

interface PgOwner {
  readonly pool: pg.Pool;
  tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T>;
}

type Q = pg.PoolClient | pg.Pool;

export class PostgresPubsubStore implements PubsubStore {
  /** `owner.pool` is read lazily: the store connects after constructing this. */
  constructor(private readonly owner: PgOwner) {}

  private get pool(): pg.Pool {
    return this.owner.pool;
  }

  // Topics ------------------------------------------------------------------

  async createTopic(t: TopicRecord): Promise<'created' | 'exists'> {
    const r = await this.pool.query(
      'INSERT INTO pubsub_topics (id, labels, message_retention_ms, from_config, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING',
      [t.id, JSON.stringify(t.labels), t.messageRetentionMs, t.fromConfig, t.createdAt],
    );
    return r.rowCount === 1 ? 'created' : 'exists';
  }

  async upsertConfigTopic(t: TopicRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO pubsub_topics (id, labels, message_retention_ms, from_config, created_at) VALUES ($1, $2, $3, true, $4)
       ON CONFLICT (id) DO UPDATE SET labels = excluded.labels, message_retention_ms = excluded.message_retention_ms, from_config = true`,
      [t.id, JSON.stringify(t.labels), t.messageRetentionMs, t.createdAt],
    );
  }

  async getTopic(id: string): Promise<TopicRecord | null> {
    const r = (await this.pool.query('SELECT * FROM pubsub_topics WHERE id = $1', [id])).rows[0] as Row | undefined;
    return r ? topicFromRow(r) : null;
  }

  async listTopics(): Promise<TopicRecord[]> {
    return (await this.pool.query('SELECT * FROM pubsub_topics ORDER BY id')).rows.map(topicFromRow);
  }

  async updateTopic(t: TopicRecord): Promise<TopicRecord | null> {
    const r = (await this.pool.query('UPDATE pubsub_topics SET labels = $1, message_retention_ms = $2 WHERE id = $3 RETURNING *', [JSON.stringify(t.labels), t.messageRetentionMs, t.id])).rows[0] as Row | undefined;
    return r ? topicFromRow(r) : null;
  }

  async deleteTopic(id: string): Promise<boolean> {
    return this.owner.tx(async (c) => {
      if (((await c.query('DELETE FROM pubsub_topics WHERE id = $1', [id])).rowCount ?? 0) === 0) return false;
      await c.query("UPDATE pubsub_subscriptions SET topic = '' WHERE topic = $1", [id]);
      return true;
    });
  }

  // Subscriptions -----------------------------------------------------------

  private values(s: SubscriptionRecord): unknown[] {
    return [s.id, s.topic, s.pushConfig !== null, subscriptionSettings(s), s.detached, s.fromConfig, s.createdAt, s.lastActiveAt];
  }

  private async deadLetterTopicMissing(c: Q, s: SubscriptionRecord): Promise<boolean> {
    return s.deadLetter !== null && (await c.query('SELECT 1 FROM pubsub_topics WHERE id = $1', [s.deadLetter.topic])).rowCount === 0;
  }

  async createSubscription(s: SubscriptionRecord): Promise<CreateSubscriptionResult> {
    return this.owner.tx(async (c): Promise<CreateSubscriptionResult> => {
      // The topic row is locked so a concurrent DeleteTopic cannot leave the subscription attached to nothing.
      if ((await c.query('SELECT 1 FROM pubsub_topics WHERE id = $1 FOR SHARE', [s.topic])).rowCount === 0) return 'topic-missing';
      if (await this.deadLetterTopicMissing(c, s)) return 'dead-letter-topic-missing';
      const r = await c.query(
        `INSERT INTO pubsub_subscriptions (id, topic, push, settings, detached, from_config, created_at, last_active_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        this.values(s),
      );
      return r.rowCount === 1 ? 'created' : 'exists';
    });
  }

  async upsertConfigSubscription(s: SubscriptionRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO pubsub_subscriptions (id, topic, push, settings, detached, from_config, created_at, last_active_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET topic = excluded.topic, push = excluded.push, settings = excluded.settings, detached = excluded.detached, from_config = excluded.from_config`,
      this.values(s),
    );
  }

  async getSubscription(id: string): Promise<SubscriptionRecord | null> {
    const r = (await this.pool.query('SELECT * FROM pubsub_subscriptions WHERE id = $1', [id])).rows[0] as Row | undefined;
    return r ? subscriptionFromRow(r) : null;
  }

  async listSubscriptions(topic?: string): Promise<SubscriptionRecord[]> {
    const r = topic === undefined ? await this.pool.query('SELECT * FROM pubsub_subscriptions ORDER BY id') : await this.pool.query('SELECT * FROM pubsub_subscriptions WHERE topic = $1 ORDER BY id', [topic]);
    return r.rows.map(subscriptionFromRow);
  }

  async updateSubscription(s: SubscriptionRecord): Promise<SubscriptionRecord | null | 'dead-letter-topic-missing'> {
    return this.owner.tx(async (c) => {
      if (await this.deadLetterTopicMissing(c, s)) {
        const exists = (await c.query('SELECT 1 FROM pubsub_subscriptions WHERE id = $1', [s.id])).rowCount !== 0;
        return exists ? ('dead-letter-topic-missing' as const) : null;
      }
      const r = (
        await c.query('UPDATE pubsub_subscriptions SET topic = $2, push = $3, settings = $4, detached = $5, from_config = $6 WHERE id = $1 RETURNING *', this.values(s).slice(0, 6))
      ).rows[0] as Row | undefined;
      return r ? subscriptionFromRow(r) : null;
    });
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.owner.tx(async (c) => {
      if (((await c.query('DELETE FROM pubsub_subscriptions WHERE id = $1', [id])).rowCount ?? 0) === 0) return false;
      await c.query('DELETE FROM pubsub_messages WHERE subscription = $1', [id]);
      return true;
    });
  }

  async detachSubscription(id: string): Promise<boolean> {
    return this.owner.tx(async (c) => {
      if (((await c.query('UPDATE pubsub_subscriptions SET detached = true WHERE id = $1', [id])).rowCount ?? 0) === 0) return false;
      await c.query('DELETE FROM pubsub_messages WHERE subscription = $1', [id]);
      return true;
    });
  }

  // Messages ----------------------------------------------------------------

  /** In transaction `c`: publish to `topic`; null when it does not exist. */
  private async publishTx(c: pg.PoolClient, topic: string, messages: NewMessage[], now: number): Promise<PublishResult | null> {
    // FOR SHARE: a topic being deleted waits for the publish, and vice versa.
    if ((await c.query('SELECT 1 FROM pubsub_topics WHERE id = $1 FOR SHARE', [topic])).rowCount === 0) return null;
    const ids = (await c.query('SELECT nextval($1) AS id FROM generate_series(1, $2::int)', ['pubsub_message_ids', messages.length])).rows.map((r: Row) => String(r.id));
    const subscriptions = (await c.query('SELECT id FROM pubsub_subscriptions WHERE topic = $1 AND NOT detached', [topic])).rows.map((r: Row) => r.id as string);
    if (subscriptions.length > 0) {
      // Every copy in one statement: subscriptions × messages.
      await c.query(
        `INSERT INTO pubsub_messages (subscription, message_id, data, attributes, ordering_key, publish_time, next_at)
         SELECT s.id, m.message_id, m.data, m.attributes::jsonb, m.ordering_key, $5, $5
         FROM unnest($1::text[]) AS s(id)
         CROSS JOIN unnest($2::text[], $3::text[], $4::text[], $6::text[]) AS m(message_id, data, attributes, ordering_key)`,
        [subscriptions, ids, messages.map((m) => m.data), messages.map((m) => JSON.stringify(m.attributes)), now, messages.map((m) => m.orderingKey)],
      );
      for (const s of subscriptions) await c.query('SELECT pg_notify($1, $2)', [CHANNEL, `${s} ${now}`]);
    }
    return { messageIds: ids, subscriptions };
  }

  async publish(topic: string, messages: NewMessage[], now: number): Promise<PublishResult | null> {
    return this.owner.tx((c) => this.publishTx(c, topic, messages, now));
  }

  private async deadLetterTx(c: pg.PoolClient, m: MessageRecord, s: SubscriptionRecord, now: number, dl: DeadLetterContext, into: Set<string>): Promise<boolean> {
    const out = await this.publishTx(c, s.deadLetter!.topic, [deadLetterCopy(m, s, dl)], now);
    if (!out) return false;
    await c.query('DELETE FROM pubsub_messages WHERE seq = $1', [m.seq]);
    for (const sub of out.subscriptions) into.add(sub);
    return true;
  }

  async claim(subscription: string, now: number, max: number, terms: (s: SubscriptionRecord) => ClaimTerms | null, dl: DeadLetterContext, active: boolean): Promise<Delivery | null> {
    return this.owner.tx(async (c): Promise<Delivery | null> => {
      const sr = (
        await c.query(active ? 'UPDATE pubsub_subscriptions SET last_active_at = $2 WHERE id = $1 RETURNING *' : 'SELECT * FROM pubsub_subscriptions WHERE id = $1', active ? [subscription, now] : [subscription])
      ).rows[0] as Row | undefined;
      if (!sr) return null;
      const s = subscriptionFromRow(sr);
      const forwarded = new Set<string>();
      let deadLettered = 0;
      const messages: LeasedMessage[] = [];
      const t = terms(s);
      if (t && !s.detached && max > 0) {
        const { leaseMs, redelivery } = t;
        const due = (await c.query('SELECT * FROM pubsub_messages WHERE subscription = $1 AND next_at <= $2 ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED', [subscription, now, max])).rows.map(messageFromRow);
        for (const m of due) {
          if (dueForDeadLetter(s, m.attempts) && (await this.deadLetterTx(c, m, s, now, dl, forwarded))) {
            deadLettered++;
            continue;
          }
          const attempts = m.attempts + 1;
          messages.push({ ...m, dueAt: m.nextAt, attempts, leaseId: newLease(), ackDeadline: now + leaseMs, nextAt: now + leaseMs + redeliveryDelayMs(redelivery, attempts), firstAttemptAt: m.firstAttemptAt ?? now });
        }
        if (messages.length > 0) {
          await c.query(
            `UPDATE pubsub_messages t SET attempts = v.attempts, lease_id = v.lease_id, ack_deadline = v.ack_deadline, next_at = v.next_at, first_attempt_at = v.first_attempt_at
             FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS v(seq, attempts, lease_id, ack_deadline, next_at, first_attempt_at)
             WHERE t.seq = v.seq`,
            [messages.map((m) => m.seq), messages.map((m) => m.attempts), messages.map((m) => m.leaseId), messages.map((m) => m.ackDeadline), messages.map((m) => m.nextAt), messages.map((m) => m.firstAttemptAt)],
          );
        }
      }
      const next = ((await c.query('SELECT min(next_at) AS t FROM pubsub_messages WHERE subscription = $1', [subscription])).rows[0] as Row).t;
      return { subscription: s, messages, deadLettered: { count: deadLettered, subscriptions: [...forwarded] }, wakeAt: next === null || next === undefined ? null : Number(next) };
    });
  }

  async acknowledge(subscription: string, refs: AckRef[], now: number): Promise<AckRef[]> {
    if (refs.length === 0) return [];
    return this.owner.tx(async (c) => {
      const r = await c.query(
        `DELETE FROM pubsub_messages t USING unnest($2::bigint[], $3::text[]) AS v(seq, lease_id)
         WHERE t.seq = v.seq AND t.subscription = $1 AND t.lease_id = v.lease_id RETURNING t.seq, t.lease_id`,
        [subscription, refs.map((x) => x.seq), refs.map((x) => x.leaseId)],
      );
      await c.query('UPDATE pubsub_subscriptions SET last_active_at = $2 WHERE id = $1', [subscription, now]);
      return r.rows.map((x: Row) => ({ seq: Number(x.seq), leaseId: x.lease_id as string }));
    });
  }

  async modifyAckDeadline(subscription: string, refs: AckRef[], seconds: number, now: number, redelivery: RedeliveryPolicy | null): Promise<AckRef[]> {
    if (refs.length === 0) return [];
    return this.owner.tx(async (c) => {
      const rows = (
        await c.query(
          `SELECT t.seq, t.lease_id, t.attempts FROM pubsub_messages t JOIN unnest($2::bigint[], $3::text[]) AS v(seq, lease_id)
           ON t.seq = v.seq AND t.lease_id = v.lease_id WHERE t.subscription = $1 FOR UPDATE OF t`,
          [subscription, refs.map((x) => x.seq), refs.map((x) => x.leaseId)],
        )
      ).rows as Row[];
      const seqs = rows.map((r) => Number(r.seq));
      const nextAt = rows.map((r) => now + (seconds === 0 ? 0 : seconds * 1000) + redeliveryDelayMs(redelivery, Number(r.attempts)));
      if (seconds === 0) {
        await c.query('UPDATE pubsub_messages t SET lease_id = NULL, ack_deadline = NULL, next_at = v.next_at FROM unnest($1::bigint[], $2::bigint[]) AS v(seq, next_at) WHERE t.seq = v.seq', [seqs, nextAt]);
      } else {
        await c.query('UPDATE pubsub_messages t SET ack_deadline = $3, next_at = v.next_at FROM unnest($1::bigint[], $2::bigint[]) AS v(seq, next_at) WHERE t.seq = v.seq', [seqs, nextAt, now + seconds * 1000]);
      }
      await c.query('UPDATE pubsub_subscriptions SET last_active_at = $2 WHERE id = $1', [subscription, now]);
      if (seconds === 0 && rows.length > 0) await c.query('SELECT pg_notify($1, $2)', [CHANNEL, `${subscription} ${Math.min(...nextAt)}`]);
      return rows.map((r) => ({ seq: Number(r.seq), leaseId: r.lease_id as string }));
    });
  }

  async completePush(results: PushCompletion[], now: number, dl: DeadLetterContext): Promise<string[]> {
    if (results.length === 0) return [];
    return this.owner.tx(async (c) => {
      const forwarded = new Set<string>();
      const acked = results.filter((r) => r.outcome === 'acked');
      if (acked.length > 0) {
        await c.query('DELETE FROM pubsub_messages t USING unnest($1::bigint[], $2::text[]) AS v(seq, lease_id) WHERE t.seq = v.seq AND t.lease_id = v.lease_id', [
          acked.map((r) => r.seq),
          acked.map((r) => r.leaseId),
        ]);
        await c.query('UPDATE pubsub_subscriptions SET last_active_at = $2 WHERE id = ANY($1::text[])', [[...new Set(acked.map((r) => r.subscription))], now]);
      }
      const retry: PushCompletion[] = results.filter((r) => r.outcome === 'retry');
      for (const d of results.filter((r) => r.outcome === 'dead-letter')) {
        const row = (await c.query('SELECT * FROM pubsub_messages WHERE seq = $1 AND lease_id = $2 FOR UPDATE', [d.seq, d.leaseId])).rows[0] as Row | undefined;
        if (!row) continue;
        const s = await this.getSubscriptionIn(c, d.subscription);
        if (!(s?.deadLetter && (await this.deadLetterTx(c, messageFromRow(row), s, now, dl, forwarded)))) retry.push(d);
      }
      if (retry.length > 0) {
        await c.query(
          'UPDATE pubsub_messages t SET lease_id = NULL, ack_deadline = NULL, next_at = v.next_at FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS v(seq, lease_id, next_at) WHERE t.seq = v.seq AND t.lease_id = v.lease_id',
          [retry.map((r) => r.seq), retry.map((r) => r.leaseId), retry.map((r) => r.nextAt)],
        );
      }
      return [...forwarded];
    });
  }

  private async getSubscriptionIn(c: Q, id: string): Promise<SubscriptionRecord | null> {
    const r = (await c.query('SELECT * FROM pubsub_subscriptions WHERE id = $1', [id])).rows[0] as Row | undefined;
    return r ? subscriptionFromRow(r) : null;
  }

  async countMessages(subscription: string, messageId?: string): Promise<number> {
    if (messageId !== undefined) return Number(((await this.pool.query('SELECT count(*) AS n FROM pubsub_messages WHERE subscription = $1 AND message_id = $2', [subscription, messageId])).rows[0] as Row).n);
    return Number(((await this.pool.query('SELECT count(*) AS n FROM pubsub_messages WHERE subscription = $1', [subscription])).rows[0] as Row).n);
  }

  async dueSubscriptions(now: number): Promise<string[]> {
    return (await this.pool.query('SELECT DISTINCT subscription FROM pubsub_messages WHERE next_at <= $1', [now])).rows.map((r: Row) => r.subscription as string);
  }

  async sweep(now: number): Promise<string[]> {
    return this.owner.tx(async (c) => {
      const expired: string[] = [];
      for (const s of (await c.query('SELECT * FROM pubsub_subscriptions')).rows.map(subscriptionFromRow)) {
        if (s.expirationTtlMs !== null && s.lastActiveAt + s.expirationTtlMs < now) {
          await c.query('DELETE FROM pubsub_subscriptions WHERE id = $1', [s.id]);
          await c.query('DELETE FROM pubsub_messages WHERE subscription = $1', [s.id]);
          expired.push(s.id);
          continue;
        }
        await c.query('DELETE FROM pubsub_messages WHERE subscription = $1 AND publish_time < $2', [s.id, now - s.messageRetentionMs]);
      }
      return expired;
    });
  }

  async subscribe(fn: (subscription: string, at: number) => void): Promise<() => Promise<void>> {
    const client = await this.pool.connect();
    const onNotification = (msg: pg.Notification) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      // "SUBSCRIPTION AT"; subscription IDs hold no spaces.
      const [sub, at] = msg.payload.split(' ');
      fn(sub!, Number(at));
    };
    client.on('notification', onNotification);
    await client.query(`LISTEN ${CHANNEL}`);
    return async () => {
      client.off('notification', onNotification);
      await client.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
      client.release();
    };
  }
}
