// google.pubsub.v1 Publisher and Subscriber, and google.iam.v1.IAMPolicy for topics and subscriptions,
// transport-free: every RPC takes the calling IAM member and the request in the shared object shape and
// returns the response in it. gRPC (grpc.ts, streaming-pull.ts) and REST (rest.ts) translate around it.
// Google's words as authplane renders them: "Resource not found (resource=ID)." and "Resource already exists
// in the project (resource=ID)." (not in REFERENCE.md: docs/behaviour.md lists them as unrecorded).

import { requireActAs, requirePermission } from '../apis/caller.js';
import { alreadyExists, failedPrecondition, invalidArgument, notFound, notSupported } from '../apis/errors.js';
import { checkRequestedVersion, policyMessage, setPolicyMessage } from '../apis/iam-policy.js';
import { checkProject } from '../apis/resource-names.js';
import { pageSize as pageSizeOf } from '../apis/paging.js';
import type { Obj } from '../apis/proto.js';
import { projectResource, subscriptionResource, topicResource } from '../iam/resources.js';
import type { Platform } from '../platform.js';
import type { PushConfigRecord, SubscriptionRecord, TopicRecord } from '../store/pubsub-store.js';
import { ackId, checkPublish, parseAckIds, pullRedelivery, receivedMessage } from './messages.js';
import { parseProject, parseSubscription, parseTopic, subscriptionName, topicName, type ResourceName } from './names.js';
import type { SubscriptionNews } from './news.js';
import { PUBSUB_API } from './proto.js';
import { applySubscriptionUpdate, checkPushConfig, newSubscriptionRecord, toSubscriptionMessage } from './subscription-model.js';
import { applyTopicUpdate, newTopicRecord, toTopicMessage } from './topic-model.js';

const DOMAIN = PUBSUB_API;
const MAX_PAGE = 1000;
/** How long a Pull without returnImmediately waits for a message before answering empty. */
const PULL_WAIT_MS = 5_000;
const MAX_PULL = 1000;

const resourceNotFound = (id: string, full: string) => notFound(`Resource not found (resource=${id}).`, full);
const resourceExists = (id: string) => alreadyExists(id, `Resource already exists in the project (resource=${id}).`);

/** One page of `items` (sorted by `key`) after the token's key; page_size as every List method reads it (apis/paging.ts). */
function pageOf<T>(items: T[], key: (t: T) => string, pageSize: unknown, pageToken: unknown): { page: T[]; next?: string } {
  const size = pageSizeOf(pageSize, MAX_PAGE);
  let after = '';
  if (pageToken !== undefined && pageToken !== '') {
    const token = String(pageToken);
    after = Buffer.from(token, 'base64url').toString('utf8');
    // Only what a List call gave out: a resource ID, base64url as written here (the decoder skips stray characters).
    if (!/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/.test(after) || Buffer.from(after).toString('base64url') !== token) {
      throw invalidArgument('Invalid page_token: it must be a next_page_token returned by a previous List call.', 'page_token');
    }
  }
  const rest = items.filter((t) => key(t) > after);
  const page = rest.slice(0, size);
  return { page, ...(rest.length > size ? { next: Buffer.from(key(page[page.length - 1]!)).toString('base64url') } : {}) };
}

export class PubsubService {
  constructor(
    private readonly platform: Platform,
    private readonly news: SubscriptionNews,
  ) {}

  private get store() {
    return this.platform.store.pubsub;
  }
  private get project() {
    return this.platform.config.project;
  }
  private get now() {
    return this.platform.clock();
  }

  private need(caller: string, permission: string, resource: string): void {
    requirePermission(this.platform, caller, permission, resource, DOMAIN);
  }

  private topicRef(name: unknown, field = 'topic'): ResourceName {
    const n = parseTopic(name, field);
    checkProject(n, this.project.id, this.project.number, DOMAIN);
    return n;
  }

  private subscriptionRef(name: unknown, field = 'subscription'): ResourceName {
    const n = parseSubscription(name, field);
    checkProject(n, this.project.id, this.project.number, DOMAIN);
    return n;
  }

  private async liveTopic(n: ResourceName): Promise<TopicRecord> {
    const t = await this.store.getTopic(n.id);
    if (!t) throw resourceNotFound(n.id, topicName(this.project.id, n.id));
    return t;
  }

  private async liveSubscription(n: ResourceName): Promise<SubscriptionRecord> {
    const s = await this.store.getSubscription(n.id);
    if (!s) throw resourceNotFound(n.id, subscriptionName(this.project.id, n.id));
    return s;
  }

  /** An existing topic of the emulated project, or Google's NOT_FOUND (the REST IAM routes resolve with it). */
  async getTopicRecord(n: ResourceName): Promise<TopicRecord> {
    checkProject(n, this.project.id, this.project.number, DOMAIN);
    return this.liveTopic(n);
  }

  /** An existing subscription of the emulated project, or Google's NOT_FOUND. */
  async getSubscriptionRecord(n: ResourceName): Promise<SubscriptionRecord> {
    checkProject(n, this.project.id, this.project.number, DOMAIN);
    return this.liveSubscription(n);
  }

  // Publisher ---------------------------------------------------------------

  async createTopic(caller: string, req: Obj): Promise<Obj> {
    const n = this.topicRef(req.name, 'name');
    this.need(caller, 'pubsub.topics.create', projectResource(this.project.id));
    const t = newTopicRecord(n.id, req, this.now);
    if ((await this.store.createTopic(t)) === 'exists') throw resourceExists(n.id);
    return toTopicMessage(t, this.project.id);
  }

  async updateTopic(caller: string, req: Obj): Promise<Obj> {
    const msg = req.topic as Obj | undefined;
    if (!msg) throw invalidArgument('topic is required.', 'topic');
    const n = this.topicRef(msg.name, 'topic.name');
    this.need(caller, 'pubsub.topics.update', topicResource(n.id));
    const updated = await this.store.updateTopic(applyTopicUpdate(await this.liveTopic(n), msg, req.updateMask));
    if (!updated) throw resourceNotFound(n.id, topicName(this.project.id, n.id));
    return toTopicMessage(updated, this.project.id);
  }

  async publish(caller: string, req: Obj): Promise<Obj> {
    const n = this.topicRef(req.topic);
    this.need(caller, 'pubsub.topics.publish', topicResource(n.id));
    const messages = checkPublish(req.messages);
    const out = await this.store.publish(n.id, messages, this.now);
    if (!out) throw resourceNotFound(n.id, topicName(this.project.id, n.id));
    for (const s of out.subscriptions) this.news.notify(s);
    return { messageIds: out.messageIds };
  }

  async getTopic(caller: string, req: Obj): Promise<Obj> {
    const n = this.topicRef(req.topic);
    this.need(caller, 'pubsub.topics.get', topicResource(n.id));
    return toTopicMessage(await this.liveTopic(n), this.project.id);
  }

  async listTopics(caller: string, req: Obj): Promise<Obj> {
    checkProject({ project: parseProject(req.project) }, this.project.id, this.project.number, DOMAIN);
    this.need(caller, 'pubsub.topics.list', projectResource(this.project.id));
    const { page, next } = pageOf(await this.store.listTopics(), (t) => t.id, req.pageSize, req.pageToken);
    return { topics: page.map((t) => toTopicMessage(t, this.project.id)), ...(next ? { nextPageToken: next } : {}) };
  }

  async listTopicSubscriptions(caller: string, req: Obj): Promise<Obj> {
    const n = this.topicRef(req.topic);
    this.need(caller, 'pubsub.topics.get', topicResource(n.id));
    await this.liveTopic(n);
    const { page, next } = pageOf(await this.store.listSubscriptions(n.id), (s) => s.id, req.pageSize, req.pageToken);
    return { subscriptions: page.map((s) => subscriptionName(this.project.id, s.id)), ...(next ? { nextPageToken: next } : {}) };
  }

  /** Snapshots are not emulated: a topic has none. */
  async listTopicSnapshots(caller: string, req: Obj): Promise<Obj> {
    const n = this.topicRef(req.topic);
    this.need(caller, 'pubsub.topics.get', topicResource(n.id));
    await this.liveTopic(n);
    return {};
  }

  async deleteTopic(caller: string, req: Obj): Promise<Obj> {
    const n = this.topicRef(req.topic);
    this.need(caller, 'pubsub.topics.delete', topicResource(n.id));
    if (!(await this.store.deleteTopic(n.id))) throw resourceNotFound(n.id, topicName(this.project.id, n.id));
    return {};
  }

  async detachSubscription(caller: string, req: Obj): Promise<Obj> {
    const n = this.subscriptionRef(req.subscription);
    const s = await this.liveSubscription(n);
    // Google checks pubsub.topics.detachSubscription on the subscription's topic.
    this.need(caller, 'pubsub.topics.detachSubscription', s.topic ? topicResource(s.topic) : projectResource(this.project.id));
    await this.store.detachSubscription(n.id);
    this.news.changed(n.id);
    return {};
  }

  // Subscriber: administration ----------------------------------------------

  /** The push account: the caller must be able to act as it, and it must be in the subscription's project (REFERENCE §9). */
  private async checkPushAccount(caller: string, pc: PushConfigRecord | null): Promise<void> {
    const email = pc?.oidcToken?.serviceAccountEmail;
    if (email) await requireActAs(this.platform, caller, email, DOMAIN);
  }

  async createSubscription(caller: string, req: Obj): Promise<Obj> {
    const n = this.subscriptionRef(req.name, 'name');
    const t = this.topicRef(req.topic, 'topic');
    // Both permissions, as Google checks them (REFERENCE §9 PS15).
    this.need(caller, 'pubsub.subscriptions.create', projectResource(this.project.id));
    this.need(caller, 'pubsub.topics.attachSubscription', topicResource(t.id));
    const s = newSubscriptionRecord(n.id, t.id, this.project.id, req, this.now);
    await this.checkPushAccount(caller, s.pushConfig);
    const result = await this.store.createSubscription(s);
    if (result === 'exists') throw resourceExists(n.id);
    if (result === 'topic-missing') throw resourceNotFound(t.id, topicName(this.project.id, t.id));
    if (result === 'dead-letter-topic-missing') throw resourceNotFound(s.deadLetter!.topic, topicName(this.project.id, s.deadLetter!.topic));
    this.news.changed(n.id);
    return toSubscriptionMessage(s, this.project.id);
  }

  async getSubscription(caller: string, req: Obj): Promise<Obj> {
    const n = this.subscriptionRef(req.subscription);
    this.need(caller, 'pubsub.subscriptions.get', subscriptionResource(n.id));
    return toSubscriptionMessage(await this.liveSubscription(n), this.project.id);
  }

  async updateSubscription(caller: string, req: Obj): Promise<Obj> {
    const msg = req.subscription as Obj | undefined;
    if (!msg) throw invalidArgument('subscription is required.', 'subscription');
    const n = this.subscriptionRef(msg.name, 'subscription.name');
    this.need(caller, 'pubsub.subscriptions.update', subscriptionResource(n.id));
    const cur = await this.liveSubscription(n);
    const next = applySubscriptionUpdate(cur, msg, req.updateMask, this.project.id);
    if (next.pushConfig !== cur.pushConfig) await this.checkPushAccount(caller, next.pushConfig);
    return this.saveSubscription(n, next);
  }

  private async saveSubscription(n: ResourceName, s: SubscriptionRecord): Promise<Obj> {
    const updated = await this.store.updateSubscription(s);
    if (updated === null) throw resourceNotFound(n.id, subscriptionName(this.project.id, n.id));
    if (updated === 'dead-letter-topic-missing') throw resourceNotFound(s.deadLetter!.topic, topicName(this.project.id, s.deadLetter!.topic));
    this.news.changed(n.id);
    return toSubscriptionMessage(updated, this.project.id);
  }

  async listSubscriptions(caller: string, req: Obj): Promise<Obj> {
    checkProject({ project: parseProject(req.project) }, this.project.id, this.project.number, DOMAIN);
    this.need(caller, 'pubsub.subscriptions.list', projectResource(this.project.id));
    const { page, next } = pageOf(await this.store.listSubscriptions(), (s) => s.id, req.pageSize, req.pageToken);
    return { subscriptions: page.map((s) => toSubscriptionMessage(s, this.project.id)), ...(next ? { nextPageToken: next } : {}) };
  }

  async deleteSubscription(caller: string, req: Obj): Promise<Obj> {
    const n = this.subscriptionRef(req.subscription);
    this.need(caller, 'pubsub.subscriptions.delete', subscriptionResource(n.id));
    if (!(await this.store.deleteSubscription(n.id))) throw resourceNotFound(n.id, subscriptionName(this.project.id, n.id));
    this.news.changed(n.id);
    return {};
  }

  async modifyPushConfig(caller: string, req: Obj): Promise<Obj> {
    const n = this.subscriptionRef(req.subscription);
    this.need(caller, 'pubsub.subscriptions.update', subscriptionResource(n.id));
    if (req.pushConfig === undefined) throw invalidArgument('push_config is required.', 'push_config');
    const cur = await this.liveSubscription(n);
    const pushConfig = checkPushConfig(req.pushConfig, 'push_config', cur.pushConfig);
    await this.checkPushAccount(caller, pushConfig);
    await this.saveSubscription(n, { ...cur, pushConfig });
    return {};
  }

  // Subscriber: consuming ---------------------------------------------------

  /** The subscription a consumer names, after the permission check (pubsub.subscriptions.consume). */
  async consumable(caller: string, name: unknown, field = 'subscription'): Promise<SubscriptionRecord> {
    const n = this.subscriptionRef(name, field);
    this.need(caller, 'pubsub.subscriptions.consume', subscriptionResource(n.id));
    const s = await this.liveSubscription(n);
    if (s.detached) throw failedPrecondition(`The subscription ${subscriptionName(this.project.id, n.id)} is detached from its topic.`, 'Create a new subscription on the topic; a detached subscription receives nothing.');
    return s;
  }

  /** Hands out up to `max` due messages under an ack deadline of `deadlineS` seconds (Pull and StreamingPull). */
  async deliver(s: SubscriptionRecord, max: number, deadlineS: number): Promise<{ received: Obj[]; ackIds: string[]; wakeAt: number | null } | null> {
    const now = this.now;
    const config = this.platform.config.pubsub;
    const out = await this.store.claim(s.id, now, max, (cur) => ({ leaseMs: deadlineS * 1000, redelivery: pullRedelivery(cur, config) }), { project: this.project.id }, true);
    if (!out) return null;
    for (const sub of out.deadLettered.subscriptions) this.news.notify(sub);
    this.news.at(s.id, out.wakeAt);
    return { received: out.messages.map((m) => receivedMessage(m, out.subscription)), ackIds: out.messages.map(ackId), wakeAt: out.wakeAt };
  }

  async pull(caller: string, req: Obj): Promise<Obj> {
    const s = await this.consumable(caller, req.subscription);
    const max = Number(req.maxMessages ?? 0);
    if (!Number.isInteger(max) || max <= 0) throw invalidArgument('max_messages must be a positive integer.', 'max_messages');
    const take = () => this.deliver(s, Math.min(max, MAX_PULL), s.ackDeadlineSeconds);
    let got = await take();
    if (got && got.received.length === 0 && !req.returnImmediately) {
      // Google "may wait (for a bounded amount of time) until at least one message is available".
      await new Promise<void>((resolve) => {
        const wait = this.platform.timers.at(this.now + PULL_WAIT_MS, done, { unref: true });
        const off = this.news.on(s.id, done);
        function done() {
          wait.cancel();
          off();
          resolve();
        }
      });
      got = await take();
    }
    if (!got) throw notFound(`Resource not found (resource=${s.id}).`, subscriptionName(this.project.id, s.id));
    return got.received.length ? { receivedMessages: got.received } : {};
  }

  async acknowledge(caller: string, req: Obj): Promise<Obj> {
    const s = await this.consumable(caller, req.subscription);
    const refs = parseAckIds(req.ackIds, 'ack_ids');
    if (refs.length === 0) throw invalidArgument('ack_ids must not be empty.', 'ack_ids');
    await this.ack(s, refs.map(ackId));
    return {};
  }

  /** Acknowledges `ids` (already parsed once; stale ones are ignored, as Google does without exactly-once delivery). */
  async ack(s: SubscriptionRecord, ids: string[]): Promise<string[]> {
    const done = await this.store.acknowledge(s.id, parseAckIds(ids, 'ack_ids'), this.now);
    const out = done.map(ackId);
    this.news.acked(s.id, out);
    return out;
  }

  async modifyAckDeadline(caller: string, req: Obj): Promise<Obj> {
    const s = await this.consumable(caller, req.subscription);
    const seconds = Number(req.ackDeadlineSeconds ?? 0);
    const ids = (req.ackIds as string[] | undefined) ?? [];
    if (ids.length === 0) throw invalidArgument('ack_ids must not be empty.', 'ack_ids');
    await this.modAck(s, ids, seconds);
    return {};
  }

  /** New deadlines (0 = NACK) for `ids`; the deadline range is Google's recorded one. */
  async modAck(s: SubscriptionRecord, ids: string[], seconds: number): Promise<string[]> {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) {
      throw invalidArgument(`Invalid ack deadline given (ack_deadline=${seconds}). The ack deadline must be between 0 and 600 seconds.`, 'ack_deadline_seconds');
    }
    const refs = parseAckIds(ids, 'ack_ids');
    const done = (await this.store.modifyAckDeadline(s.id, refs, seconds, this.now, pullRedelivery(s, this.platform.config.pubsub))).map(ackId);
    if (seconds === 0) {
      this.news.acked(s.id, done);
      this.news.notify(s.id);
    } else {
      const at = this.now + seconds * 1000;
      this.news.at(s.id, at);
    }
    return done;
  }

  // Snapshots and Seek: not emulated ----------------------------------------

  private snapshotsUnsupported(): never {
    throw notSupported('Snapshots and Seek are not emulated by authplane.', 'Test replay against Google itself; authplane emulates topics, subscriptions, pull and push delivery.');
  }
  async getSnapshot(): Promise<Obj> {
    return this.snapshotsUnsupported();
  }
  async listSnapshots(caller: string, req: Obj): Promise<Obj> {
    checkProject({ project: parseProject(req.project) }, this.project.id, this.project.number, DOMAIN);
    this.need(caller, 'pubsub.subscriptions.list', projectResource(this.project.id));
    return {};
  }
  async createSnapshot(): Promise<Obj> {
    return this.snapshotsUnsupported();
  }
  async updateSnapshot(): Promise<Obj> {
    return this.snapshotsUnsupported();
  }
  async deleteSnapshot(): Promise<Obj> {
    return this.snapshotsUnsupported();
  }
  async seek(): Promise<Obj> {
    return this.snapshotsUnsupported();
  }

  // google.iam.v1.IAMPolicy on topics and subscriptions -----------------------

  /** A policy resource: projects/P/topics/T or projects/P/subscriptions/S (must exist). */
  private async policyResource(resource: unknown): Promise<{ key: string; kind: 'topics' | 'subscriptions' }> {
    const name = String(resource ?? '');
    if (/^projects\/[^/]+\/subscriptions\//.test(name)) {
      const n = this.subscriptionRef(name, 'resource');
      await this.liveSubscription(n);
      return { key: subscriptionResource(n.id), kind: 'subscriptions' };
    }
    if (/^projects\/[^/]+\/(snapshots|schemas)\//.test(name)) this.snapshotsUnsupported();
    const n = this.topicRef(name, 'resource');
    await this.liveTopic(n);
    return { key: topicResource(n.id), kind: 'topics' };
  }

  async getIamPolicy(caller: string, req: Obj): Promise<Obj> {
    const r = await this.policyResource(req.resource);
    this.need(caller, `pubsub.${r.kind}.getIamPolicy`, r.key);
    checkRequestedVersion(req);
    return policyMessage(this.platform.iam.getPolicy(r.key));
  }

  async setIamPolicy(caller: string, req: Obj): Promise<Obj> {
    const r = await this.policyResource(req.resource);
    this.need(caller, `pubsub.${r.kind}.setIamPolicy`, r.key);
    return setPolicyMessage(this.platform, r.key, req);
  }

  async testIamPermissions(caller: string, req: Obj): Promise<Obj> {
    const r = await this.policyResource(req.resource);
    const asked = (req.permissions as string[] | undefined) ?? [];
    for (const p of asked) if (!p.startsWith('pubsub.')) throw invalidArgument(`Permission ${p} is not valid for this resource.`, 'permissions');
    const held = asked.filter((p) => this.platform.iam.check(caller, p, r.key).allowed);
    return held.length ? { permissions: held } : {};
  }
}
