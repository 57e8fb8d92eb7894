// Pub/Sub on SQLite: one process owns the file, so each operation is one IMMEDIATE transaction (the
// single writer): a publish inserts every subscription's copy at once, a claim leases due rows.
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
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

const newLease = (): string => randomBytes(9).toString('base64url');

export class SqlitePubsubStore implements PubsubStore {
  private prepared: Record<string, Database.Statement> | undefined;

  /** `owner.db` is read lazily: the store opens and migrates the file after constructing this. */
  constructor(private readonly owner: { readonly db: Database.Database }) {}

  private get db(): Database.Database {
    return this.owner.db;
  }

  private get stmts(): Record<string, Database.Statement> {
    return (this.prepared ??= {
      getTopic: this.db.prepare('SELECT * FROM pubsub_topics WHERE id = ?'),
      insertTopic: this.db.prepare('INSERT INTO pubsub_topics (id, labels, message_retention_ms, from_config, created_at) VALUES (?, ?, ?, ?, ?)'),
      getSub: this.db.prepare('SELECT * FROM pubsub_subscriptions WHERE id = ?'),
      insertSub: this.db.prepare(
        'INSERT INTO pubsub_subscriptions (id, topic, push, settings, detached, from_config, created_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateSub: this.db.prepare('UPDATE pubsub_subscriptions SET topic = ?, push = ?, settings = ?, detached = ?, from_config = ? WHERE id = ?'),
      attached: this.db.prepare('SELECT id FROM pubsub_subscriptions WHERE topic = ? AND detached = 0'),
      ids: this.db.prepare('UPDATE pubsub_message_ids SET last = last + ? WHERE id = 1 RETURNING last'),
      insertMessage: this.db.prepare(
        'INSERT INTO pubsub_messages (subscription, message_id, data, attributes, ordering_key, publish_time, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      due: this.db.prepare('SELECT * FROM pubsub_messages WHERE subscription = ? AND next_at <= ? ORDER BY next_at LIMIT ?'),
      lease: this.db.prepare(
        'UPDATE pubsub_messages SET attempts = attempts + 1, lease_id = ?, ack_deadline = ?, next_at = ?, first_attempt_at = coalesce(first_attempt_at, ?) WHERE seq = ?',
      ),
      deleteMessage: this.db.prepare('DELETE FROM pubsub_messages WHERE seq = ?'),
      minNext: this.db.prepare('SELECT min(next_at) AS t FROM pubsub_messages WHERE subscription = ?'),
      active: this.db.prepare('UPDATE pubsub_subscriptions SET last_active_at = ? WHERE id = ?'),
      ack: this.db.prepare('DELETE FROM pubsub_messages WHERE seq = ? AND subscription = ? AND lease_id = ?'),
      getLeased: this.db.prepare('SELECT * FROM pubsub_messages WHERE seq = ? AND subscription = ? AND lease_id = ?'),
      extend: this.db.prepare('UPDATE pubsub_messages SET ack_deadline = ?, next_at = ? WHERE seq = ?'),
      nack: this.db.prepare('UPDATE pubsub_messages SET lease_id = NULL, ack_deadline = NULL, next_at = ? WHERE seq = ?'),
      retryLeased: this.db.prepare('UPDATE pubsub_messages SET lease_id = NULL, ack_deadline = NULL, next_at = ? WHERE seq = ? AND subscription = ? AND lease_id = ?'),
    });
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // Topics ------------------------------------------------------------------

  async createTopic(t: TopicRecord): Promise<'created' | 'exists'> {
    return this.tx(() => {
      if (this.stmts.getTopic!.get(t.id)) return 'exists' as const;
      this.stmts.insertTopic!.run(t.id, JSON.stringify(t.labels), t.messageRetentionMs, t.fromConfig ? 1 : 0, t.createdAt);
      return 'created' as const;
    });
  }

  async upsertConfigTopic(t: TopicRecord): Promise<void> {
    this.tx(() => {
      if (!this.stmts.getTopic!.get(t.id)) this.stmts.insertTopic!.run(t.id, JSON.stringify(t.labels), t.messageRetentionMs, 1, t.createdAt);
      else this.db.prepare('UPDATE pubsub_topics SET labels = ?, message_retention_ms = ?, from_config = 1 WHERE id = ?').run(JSON.stringify(t.labels), t.messageRetentionMs, t.id);
    });
  }

  async getTopic(id: string): Promise<TopicRecord | null> {
    const r = this.stmts.getTopic!.get(id) as Row | undefined;
    return r ? topicFromRow(r) : null;
  }

  async listTopics(): Promise<TopicRecord[]> {
    return (this.db.prepare('SELECT * FROM pubsub_topics ORDER BY id').all() as Row[]).map(topicFromRow);
  }

  async updateTopic(t: TopicRecord): Promise<TopicRecord | null> {
    const info = this.db.prepare('UPDATE pubsub_topics SET labels = ?, message_retention_ms = ? WHERE id = ?').run(JSON.stringify(t.labels), t.messageRetentionMs, t.id);
    return info.changes ? this.getTopic(t.id) : null;
  }

  async deleteTopic(id: string): Promise<boolean> {
    return this.tx(() => {
      if (this.db.prepare('DELETE FROM pubsub_topics WHERE id = ?').run(id).changes === 0) return false;
      this.db.prepare("UPDATE pubsub_subscriptions SET topic = '' WHERE topic = ?").run(id);
      return true;
    });
  }

  // Subscriptions -----------------------------------------------------------

  private insertSubscription(s: SubscriptionRecord): void {
    this.stmts.insertSub!.run(s.id, s.topic, s.pushConfig ? 1 : 0, subscriptionSettings(s), s.detached ? 1 : 0, s.fromConfig ? 1 : 0, s.createdAt, s.lastActiveAt);
  }

  private writeSubscription(s: SubscriptionRecord): void {
    this.stmts.updateSub!.run(s.topic, s.pushConfig ? 1 : 0, subscriptionSettings(s), s.detached ? 1 : 0, s.fromConfig ? 1 : 0, s.id);
  }

  private deadLetterTopicMissing(s: SubscriptionRecord): boolean {
    return s.deadLetter !== null && !this.stmts.getTopic!.get(s.deadLetter.topic);
  }

  async createSubscription(s: SubscriptionRecord): Promise<CreateSubscriptionResult> {
    return this.tx((): CreateSubscriptionResult => {
      if (this.stmts.getSub!.get(s.id)) return 'exists';
      if (!this.stmts.getTopic!.get(s.topic)) return 'topic-missing';
      if (this.deadLetterTopicMissing(s)) return 'dead-letter-topic-missing';
      this.insertSubscription(s);
      return 'created';
    });
  }

  async upsertConfigSubscription(s: SubscriptionRecord): Promise<void> {
    this.tx(() => {
      const cur = this.stmts.getSub!.get(s.id) as Row | undefined;
      if (!cur) this.insertSubscription(s);
      else this.writeSubscription({ ...s, createdAt: Number(cur.created_at), lastActiveAt: Number(cur.last_active_at) });
    });
  }

  async getSubscription(id: string): Promise<SubscriptionRecord | null> {
    const r = this.stmts.getSub!.get(id) as Row | undefined;
    return r ? subscriptionFromRow(r) : null;
  }

  async listSubscriptions(topic?: string): Promise<SubscriptionRecord[]> {
    const rows = topic === undefined ? this.db.prepare('SELECT * FROM pubsub_subscriptions ORDER BY id').all() : this.db.prepare('SELECT * FROM pubsub_subscriptions WHERE topic = ? ORDER BY id').all(topic);
    return (rows as Row[]).map(subscriptionFromRow);
  }

  async updateSubscription(s: SubscriptionRecord): Promise<SubscriptionRecord | null | 'dead-letter-topic-missing'> {
    return this.tx(() => {
      if (!this.stmts.getSub!.get(s.id)) return null;
      if (this.deadLetterTopicMissing(s)) return 'dead-letter-topic-missing' as const;
      this.writeSubscription(s);
      return subscriptionFromRow(this.stmts.getSub!.get(s.id) as Row);
    });
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.tx(() => {
      if (this.db.prepare('DELETE FROM pubsub_subscriptions WHERE id = ?').run(id).changes === 0) return false;
      this.db.prepare('DELETE FROM pubsub_messages WHERE subscription = ?').run(id);
      return true;
    });
  }

  async detachSubscription(id: string): Promise<boolean> {
    return this.tx(() => {
      if (this.db.prepare('UPDATE pubsub_subscriptions SET detached = 1 WHERE id = ?').run(id).changes === 0) return false;
      this.db.prepare('DELETE FROM pubsub_messages WHERE subscription = ?').run(id);
      return true;
    });
  }

  // Messages ----------------------------------------------------------------

  /** Inside a transaction: publish to `topic`; null when it does not exist. */
  private publishTx(topic: string, messages: NewMessage[], now: number): PublishResult | null {
    if (!this.stmts.getTopic!.get(topic)) return null;
    const last = Number((this.stmts.ids!.get(messages.length) as Row).last);
    const messageIds = messages.map((_, i) => String(last - messages.length + 1 + i));
    const subscriptions = (this.stmts.attached!.all(topic) as Row[]).map((r) => r.id as string);
    for (const sub of subscriptions) {
      messages.forEach((m, i) => this.stmts.insertMessage!.run(sub, messageIds[i], m.data, JSON.stringify(m.attributes), m.orderingKey, now, now));
    }
    return { messageIds, subscriptions };
  }

  async publish(topic: string, messages: NewMessage[], now: number): Promise<PublishResult | null> {
    return this.tx(() => this.publishTx(topic, messages, now));
  }

  /** Inside a transaction: forward `m` to the dead-letter topic and drop it; false when that topic is gone. */
  private deadLetterTx(m: MessageRecord, s: SubscriptionRecord, now: number, dl: DeadLetterContext, into: Set<string>): boolean {
    const out = this.publishTx(s.deadLetter!.topic, [deadLetterCopy(m, s, dl)], now);
    if (!out) return false;
    this.stmts.deleteMessage!.run(m.seq);
    for (const sub of out.subscriptions) into.add(sub);
    return true;
  }

  async claim(subscription: string, now: number, max: number, terms: (s: SubscriptionRecord) => ClaimTerms | null, dl: DeadLetterContext, active: boolean): Promise<Delivery | null> {
    return this.tx((): Delivery | null => {
      const sr = this.stmts.getSub!.get(subscription) as Row | undefined;
      if (!sr) return null;
      const s = subscriptionFromRow(sr);
      if (active) {
        this.stmts.active!.run(now, subscription);
        s.lastActiveAt = now;
      }
      const forwarded = new Set<string>();
      let deadLettered = 0;
      const messages: LeasedMessage[] = [];
      const t = terms(s);
      if (t && !s.detached && max > 0) {
        const { leaseMs, redelivery } = t;
        for (const r of this.stmts.due!.all(subscription, now, max) as Row[]) {
          const m = messageFromRow(r);
          if (dueForDeadLetter(s, m.attempts) && this.deadLetterTx(m, s, now, dl, forwarded)) {
            deadLettered++;
            continue;
          }
          const attempts = m.attempts + 1;
          const leased: LeasedMessage = { ...m, dueAt: m.nextAt, attempts, leaseId: newLease(), ackDeadline: now + leaseMs, nextAt: now + leaseMs + redeliveryDelayMs(redelivery, attempts), firstAttemptAt: m.firstAttemptAt ?? now };
          this.stmts.lease!.run(leased.leaseId, leased.ackDeadline, leased.nextAt, now, m.seq);
          messages.push(leased);
        }
      }
      const next = (this.stmts.minNext!.get(subscription) as Row).t;
      return { subscription: s, messages, deadLettered: { count: deadLettered, subscriptions: [...forwarded] }, wakeAt: next === null || next === undefined ? null : Number(next) };
    });
  }

  async acknowledge(subscription: string, refs: AckRef[], now: number): Promise<AckRef[]> {
    return this.tx(() => {
      const done = refs.filter((r) => this.stmts.ack!.run(r.seq, subscription, r.leaseId).changes > 0);
      this.stmts.active!.run(now, subscription);
      return done;
    });
  }

  async modifyAckDeadline(subscription: string, refs: AckRef[], seconds: number, now: number, redelivery: RedeliveryPolicy | null): Promise<AckRef[]> {
    return this.tx(() => {
      const done: AckRef[] = [];
      for (const ref of refs) {
        const r = this.stmts.getLeased!.get(ref.seq, subscription, ref.leaseId) as Row | undefined;
        if (!r) continue;
        const delay = redeliveryDelayMs(redelivery, Number(r.attempts));
        if (seconds === 0) this.stmts.nack!.run(now + delay, ref.seq);
        else this.stmts.extend!.run(now + seconds * 1000, now + seconds * 1000 + delay, ref.seq);
        done.push(ref);
      }
      this.stmts.active!.run(now, subscription);
      return done;
    });
  }

  async completePush(results: PushCompletion[], now: number, dl: DeadLetterContext): Promise<string[]> {
    if (results.length === 0) return [];
    return this.tx(() => {
      const forwarded = new Set<string>();
      const subs = new Map<string, SubscriptionRecord | null>();
      const sub = (id: string) => {
        if (!subs.has(id)) {
          const r = this.stmts.getSub!.get(id) as Row | undefined;
          subs.set(id, r ? subscriptionFromRow(r) : null);
        }
        return subs.get(id)!;
      };
      const active = new Set<string>();
      // One statement per outcome, guarded by the lease: a completion whose lease was lost matches no row.
      for (const c of results) {
        if (c.outcome === 'acked') {
          if (this.stmts.ack!.run(c.seq, c.subscription, c.leaseId).changes > 0) active.add(c.subscription);
          continue;
        }
        if (c.outcome === 'dead-letter') {
          const r = this.stmts.getLeased!.get(c.seq, c.subscription, c.leaseId) as Row | undefined;
          if (!r) continue;
          const s = sub(c.subscription);
          if (s?.deadLetter && this.deadLetterTx(messageFromRow(r), s, now, dl, forwarded)) continue;
        }
        this.stmts.retryLeased!.run(c.nextAt, c.seq, c.subscription, c.leaseId);
      }
      for (const s of active) this.stmts.active!.run(now, s);
      return [...forwarded];
    });
  }

  async countMessages(subscription: string, messageId?: string): Promise<number> {
    if (messageId !== undefined) return Number((this.db.prepare('SELECT count(*) AS n FROM pubsub_messages WHERE subscription = ? AND message_id = ?').get(subscription, messageId) as Row).n);
    return Number((this.db.prepare('SELECT count(*) AS n FROM pubsub_messages WHERE subscription = ?').get(subscription) as Row).n);
  }

  async dueSubscriptions(now: number): Promise<string[]> {
    return (this.db.prepare('SELECT DISTINCT subscription FROM pubsub_messages WHERE next_at <= ?').all(now) as Row[]).map((r) => r.subscription as string);
  }

  async releaseOrphanedPushLeases(now: number): Promise<number> {
    return this.db
      .prepare('UPDATE pubsub_messages SET lease_id = NULL, ack_deadline = NULL, next_at = ? WHERE lease_id IS NOT NULL AND subscription IN (SELECT id FROM pubsub_subscriptions WHERE push = 1)')
      .run(now).changes;
  }

  async sweep(now: number): Promise<string[]> {
    return this.tx(() => {
      const expired: string[] = [];
      for (const s of (this.db.prepare('SELECT * FROM pubsub_subscriptions').all() as Row[]).map(subscriptionFromRow)) {
        if (s.expirationTtlMs !== null && s.lastActiveAt + s.expirationTtlMs < now) {
          this.db.prepare('DELETE FROM pubsub_subscriptions WHERE id = ?').run(s.id);
          this.db.prepare('DELETE FROM pubsub_messages WHERE subscription = ?').run(s.id);
          expired.push(s.id);
          continue;
        }
        this.db.prepare('DELETE FROM pubsub_messages WHERE subscription = ? AND publish_time < ?').run(s.id, now - s.messageRetentionMs);
      }
      return expired;
    });
  }
}
